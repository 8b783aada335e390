#!/usr/bin/env bash
# Runs every fuzz test (shared-core's *FuzzTest classes: QuickTheories properties in JUnit tests)
# with far more examples than the normal suite gives them (dev.taskbound.core.testing.Fuzz: 300),
# and prints, per test, how many examples ran, how long it took and whether it held. A failing
# property prints its smallest falsifying value and "Seed was S"; replay it with
# -Dtaskbound.fuzz.seed=S, and add the value to that class's corpus once it is fixed.
#
# Usage: bench/fuzz.sh [EXAMPLES]   EXAMPLES per property, default 20000
#   FUZZ_TESTS='ChunkedBodyFuzzTest'  only these classes (surefire -Dtest syntax), default *FuzzTest
#   FUZZ_MAVEN_FLAGS='-o'             extra Maven flags (e.g. offline)
#   FUZZ_SEED=S                       one fixed seed for every property (replays a failure)
# No network, no servers: the properties call the parsers in-process.
set -euo pipefail
cd "$(dirname "$0")/.."

examples=${1:-20000}
tests=${FUZZ_TESTS:-*FuzzTest}
seed=${FUZZ_SEED:-}
if ! [[ $examples =~ ^[0-9]+$ ]] || (( examples < 1 )); then
  echo "usage: bench/fuzz.sh [EXAMPLES]; EXAMPLES must be a positive number, got '$examples'" >&2
  exit 2
fi
if [[ -n $seed && ! $seed =~ ^-?[0-9]+$ ]]; then
  echo "bench/fuzz.sh: FUZZ_SEED must be a number (a failure's 'Seed was S'), got '$seed'" >&2
  exit 2
fi
log=$(mktemp /tmp/taskbound-fuzz.XXXXXX.log)
reports=shared-core/target/surefire-reports

echo "fuzz: $tests, $examples examples per property${seed:+, seed $seed}; log $log"
rm -f "$reports"/TEST-*FuzzTest.xml # the table shows this run only
start=$(date +%s)
status=0
# surefire forwards both properties to the test JVM (shared-core/pom.xml, systemPropertyVariables).
# shellcheck disable=SC2086
./mvnw -B ${FUZZ_MAVEN_FLAGS:-} -Djenkins.skip -pl shared-core test \
  -Dtest="$tests" -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtaskbound.fuzz.examples="$examples" -Dtaskbound.fuzz.seed="$seed" >"$log" 2>&1 || status=$?
end=$(date +%s)

# Per test: class, name, time (surefire's XML); examples run: "fuzz: N examples" (Fuzz.qt() in
# system-out) or, for a falsified property, "falsified after N example(s)"; "-" for a corpus case.
python3 - "$reports" <<'PY'
import glob, re, sys, xml.etree.ElementTree as ET
rows, notes = [], []
for f in sorted(glob.glob(sys.argv[1] + "/TEST-*FuzzTest.xml")):
    for tc in ET.parse(f).getroot().iter("testcase"):
        cls = tc.get("classname").split(".")[-1]
        out = "".join(e.text or "" for e in tc.iter("system-out"))
        bad = [e for e in list(tc.iter("failure")) + list(tc.iter("error"))]
        msg = "".join((e.get("message") or "") + (e.text or "") for e in bad)
        falsified = re.findall(r"falsified after (\d+) example", msg)
        ran = re.findall(r"^fuzz: (\d+) examples$", out, re.M)
        examples = falsified[0] if falsified else (ran[-1] if ran else "-")
        rows.append((cls, tc.get("name"), examples, float(tc.get("time")), "FAILED" if bad else "held"))
        notes += [f"{cls}.{tc.get('name')}: {n}" for n in re.findall(r"^fuzz: (?!\d+ examples$)(.*)$", out, re.M)]
w = max([len(c) + len(n) + 1 for c, n, *_ in rows] + [8])
print(f"{'test':<{w}}  {'examples':>8}  {'seconds':>8}  result")
for c, n, t, s, r in rows:
    print(f"{c + '.' + n:<{w}}  {t:>8}  {s:8.1f}  {r}")
for n in notes:
    print(n)
PY
echo "fuzz: $((end - start)) s in all (Maven included); exit $status"
if (( status != 0 )); then
  grep -E -A1 "Property falsified|Smallest found" "$log" | awk '!seen[$0]++ && n++ < 30' >&2 || true
  grep -E "Seed was |Tests run:.*Fail" "$log" | awk '!seen[$0]++ && n++ < 10' >&2 || true
fi
exit "$status"
