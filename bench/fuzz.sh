#!/usr/bin/env bash
# Runs every fuzz test (shared-core's *FuzzTest classes: jqwik properties) with far more tries than
# the normal suite gives them (junit-platform.properties: 300), and prints, per property, how many
# tries ran, how long it took and whether it held. A failing property prints jqwik's shrunk sample
# and seed; add the sample to that class's corpus (@Example) once it is fixed.
#
# Usage: bench/fuzz.sh [TRIES]      TRIES per property, default 20000 (about 5 minutes on 2 cores)
#   FUZZ_TESTS='ChunkedBodyFuzzTest'  only these classes (surefire -Dtest syntax), default *FuzzTest
#   FUZZ_MAVEN_FLAGS='-o'             extra Maven flags (e.g. offline)
# No network, no servers: the properties call the parsers in-process.
set -euo pipefail
cd "$(dirname "$0")/.."

tries=${1:-20000}
tests=${FUZZ_TESTS:-*FuzzTest}
if ! [[ $tries =~ ^[0-9]+$ ]] || (( tries < 1 )); then
  echo "usage: bench/fuzz.sh [TRIES]; TRIES must be a positive number, got '$tries'" >&2
  exit 2
fi
log=$(mktemp /tmp/taskbound-fuzz.XXXXXX.log)
reports=shared-core/target/surefire-reports

echo "fuzz: $tests, $tries tries per property; log $log"
start=$(date +%s)
status=0
# A system property beats junit-platform.properties; the failure database stays in target/.
# shellcheck disable=SC2086
./mvnw -B ${FUZZ_MAVEN_FLAGS:-} -Djenkins.skip -pl shared-core test \
  -Dtest="$tests" -Dsurefire.failIfNoSpecifiedTests=false \
  -Djqwik.tries.default="$tries" -Djqwik.reporting.onlyfailures=false >"$log" 2>&1 || status=$?
end=$(date +%s)

# Per property: class, name, time (surefire's XML), tries actually run (jqwik's report in system-out).
python3 - "$reports" <<'PY'
import glob, re, sys, xml.etree.ElementTree as ET
rows = []
for f in sorted(glob.glob(sys.argv[1] + "/TEST-*FuzzTest.xml")):
    for tc in ET.parse(f).getroot().iter("testcase"):
        out = "".join(e.text or "" for e in tc.iter("system-out"))
        tries = re.findall(r"tries = (\d+)", out)
        failed = tc.find("failure") is not None or tc.find("error") is not None
        rows.append((tc.get("classname").split(".")[-1], tc.get("name"), tries[-1] if tries else "-",
                     float(tc.get("time")), "FAILED" if failed else "held"))
w = max([len(c) + len(n) + 1 for c, n, *_ in rows] + [8])
print(f"{'property':<{w}}  {'tries':>8}  {'seconds':>8}  result")
for c, n, t, s, r in rows:
    print(f"{c + '.' + n:<{w}}  {t:>8}  {s:8.1f}  {r}")
PY
echo "fuzz: $((end - start)) s in all (Maven included); exit $status"
if (( status != 0 )); then
  grep -E "Shrunk Sample|Original Sample|seed = |Tests run:.*Fail" "$log" | head -40 >&2 || true
fi
exit "$status"
