#!/usr/bin/env bash
# The setup shell folded into the native init (issue 19, the lead's seventh stop). The netns
# sandbox's start of the base build (the native init's --hold stage, then `sh -c SETUP_SCRIPT` to join
# the agent's cgroups and open the seccomp profile on descriptor 3) against this build's (the init
# does both itself and execs bwrap: one fork+exec fewer), interleaved in one run:
#   1. `bin/taskbound run --timings -- true` with TASKBOUND_JAR pointing at the two jars in turn (the
#      order alternating), medians of run.sandbox-start and of the whole run;
#   2. the two setups alone in front of the same bwrap chain running `true` (this build's init for
#      both; as root a pids cgroup made, joined and removed as the session does), 3 x RUNS each.
#
#   bench/native-setup.sh [RUNS]      (default 15; at least 10; RT=1: at real-time priority, root)
#
# The base is BASE_JAR (a jar) or BASE_REF (a commit; default b7e8f0a, the one before the fold),
# exported with git archive and built offline in the scratch directory; the repository itself is
# not touched. Loopback only; needs root or user namespaces (a real netns sandbox each time).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-15}
[ "$runs" -ge 10 ] || { echo "RUNS must be at least 10" >&2; exit 2; }
repo=$(pwd)
jar=$repo/shared-core/target/taskbound.jar
# a jar older than any main source is rebuilt: the bench measures what the sources say
[ -f "$jar" ] && [ -z "$(find shared-core/src/main -newer "$jar" -print -quit)" ] || ./mvnw -B -q -o -Djenkins.skip -pl shared-core -DskipTests package

work=$(mktemp -d)
dir=""
trap '[ -z "$dir" ] || rmdir "$dir" 2>/dev/null; rm -rf "$work"' EXIT
base_jar=${BASE_JAR:-}
if [ -z "$base_jar" ]; then
  mkdir -p "$work/base"
  git archive "${BASE_REF:-b7e8f0a}" | tar -x -C "$work/base"
  (cd "$work/base" && ./mvnw -B -q -o -Djenkins.skip -pl shared-core -DskipTests package >/dev/null)
  base_jar="$work/base/shared-core/target/taskbound.jar"
fi
cp "$jar" "$work/ours.jar" # a build running meanwhile must not change what is measured
jar=$work/ours.jar

export TASKBOUND_HOME="$work/home" TASKBOUND_RUNTIME_DIR="$work/rt" XDG_CACHE_HOME="$work/cache"
mkdir -p "$TASKBOUND_RUNTIME_DIR"
cat > "$work/policy.yml" <<'YAML'
apiVersion: taskbound.dev/v1
kind: Task
spec:
  ttl: 5m
  sandbox:
    backends: [netns]
YAML
# as root the workspace is owned by nobody (the sandbox refuses a root-owned one)
chmod 755 "$work"
mkdir -p "$work/ws"
[ "$(id -u)" -ne 0 ] || chown 65534:65534 "$work/ws"

now() { date +%s%N; }
# RT=1: from here on (the base built already) this script and all it starts at real-time priority
# (chrt -r 5; root), so that a machine busy with other work delays them little, as session-overhead.sh
[ "${RT:-0}" != 1 ] || chrt -r -p 5 $$ >/dev/null
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# run NAME JAR: one envelope around `true`; appends the whole run (µs) and run.sandbox-start (ms)
run() {
  local t0 t1
  t0=$(now)
  (cd "$work/ws" && TASKBOUND_JAR="$2" "$repo/bin/taskbound" run --task BENCH --policy "$work/policy.yml" \
    --out "$work/out" --timings -- true 2> "$work/err.txt")
  t1=$(now)
  echo $(( (t1 - t0) / 1000 )) >> "$work/$1-run.txt"
  grep -E '^  timing run.sandbox-start ' "$work/err.txt" | awk '{print $3}' >> "$work/$1-start.txt"
}
run warm "$jar"; run warm "$base_jar" # the launcher's class-data archive, as a first use would make it
for i in $(seq 1 "$runs"); do
  if [ $((i % 2)) -eq 1 ]; then run base "$base_jar"; run ours "$jar"; else run ours "$jar"; run base "$base_jar"; fi
done
echo "runs: $runs each, interleaved (base: ${BASE_JAR:-${BASE_REF:-b7e8f0a}})"
awk -v bs="$(median "$work/base-start.txt")" -v os="$(median "$work/ours-start.txt")" \
    -v br="$(median "$work/base-run.txt")" -v or="$(median "$work/ours-run.txt")" 'BEGIN {
  printf "run.sandbox-start (median, ms):        base %7.1f  this build %7.1f  (%+.1f ms, ratio %.3f)\n", bs, os, os - bs, os / bs
  printf "bin/taskbound run -- true (median, ms): base %7.1f  this build %7.1f  (%+.1f ms, ratio %.3f)\n", br / 1000, or / 1000, (or - br) / 1000, or / br
}'

# 2. The setups alone, in front of the netns chain running `true`.
arch=$(uname -m)
unzip -p "$jar" "dev/taskbound/core/sandbox/seccomp-$arch.bpf" > "$work/seccomp.bpf"
unzip -p "$jar" "dev/taskbound/core/sandbox/taskbound-init-$arch" > "$work/init"
chmod 555 "$work/init"
bwrap=$(command -v bwrap) # the init executes an absolute path, as NetnsSandbox gives it
ns=(bwrap --unshare-ipc --unshare-pid --unshare-net --unshare-uts --unshare-cgroup --die-with-parent
    --ro-bind / / --proc /proc --dev /dev --)
if [ "$(id -u)" -eq 0 ]; then
  inner=(setpriv --reuid=65534 --regid=65534 --clear-groups -- bwrap --unshare-user --disable-userns --dev-bind / /
         --die-with-parent --cap-drop ALL --seccomp 3 -- true)
  cg=/sys/fs/cgroup/pids
  [ -f "$cg/cgroup.procs" ] || cg=""
else
  ns=(bwrap --unshare-user --disable-userns --cap-drop ALL "${ns[@]:1:${#ns[@]}-2}" --seccomp 3 --)
  inner=(true)
  cg=""
fi
# NetnsSandbox.SETUP_SCRIPT, as the base build runs it
script='profile=$1; n=$2; shift 2; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 121; shift; n=$((n - 1)); done; exec 3< "$profile"; exec "$@"'
cgroup() { if [ -n "$cg" ]; then dir="$cg/taskbound-bench-$$"; mkdir "$dir"; echo 4096 > "$dir/pids.max"; fi; }
uncgroup() { if [ -n "$dir" ]; then rmdir "$dir" 2>/dev/null || { sleep 0.05; rmdir "$dir"; }; dir=""; fi; }
shell_setup() {
  if [ -n "$dir" ]; then set -- 1 "$dir/cgroup.procs"; else set -- 0; fi
  "$work/init" --hold 0 -- /bin/sh -c "$script" taskbound-setup "$work/seccomp.bpf" "$@" "${ns[@]}" "${inner[@]}"
}
init_setup() {
  if [ -n "$dir" ]; then set -- --join "$dir/cgroup.procs"; else set --; fi
  "$work/init" --hold 0 "$@" --fd3 "$work/seccomp.bpf" -- "$bwrap" "${ns[@]:1}" "${inner[@]}"
}
: > "$work/chain-shell.txt"; : > "$work/chain-init.txt"
# chain NAME: one timed setup and chain (µs to chain-NAME.txt), in its own fresh cgroup
chain() {
  local t0 t1
  cgroup; t0=$(now); "$1_setup"; t1=$(now); uncgroup
  echo $(( (t1 - t0) / 1000 )) >> "$work/chain-$1.txt"
}
for i in $(seq 1 $((runs * 3))); do
  if [ $((i % 2)) -eq 1 ]; then chain shell; chain init; else chain init; chain shell; fi
done
echo "the netns chain alone running true (median of $((runs * 3)), interleaved, ms; cgroup: ${cg:-none}):"
awk -v s="$(median "$work/chain-shell.txt")" -v n="$(median "$work/chain-init.txt")" 'BEGIN {
  printf "  init --hold, then sh -c SETUP_SCRIPT (base) %8.1f\n", s / 1000
  printf "  init --hold --join --fd3 (this build)       %8.1f  (%+.1f ms, ratio %.3f)\n", n / 1000, (n - s) / 1000, n / s
}'
