#!/usr/bin/env bash
# Per-command overhead of a session: a block of `true` commands, each run through `taskbound session
# exec` on one open session (the python3 client bin/taskbound uses, and the JVM client), against the one-shot `taskbound run -- true`, interleaved (exec, run,
# exec, run, ...) so machine noise hits both alike; medians and the ratio, plus what the session's
# own start and end cost, and the whole block both ways. Loopback only; no network service.
#
#   bench/session-exec.sh [COMMANDS] [BLOCKS]   (default 10 commands a block, 2 blocks)
set -euo pipefail
cd "$(dirname "$0")/.."
commands=${1:-10}
blocks=${2:-2}
[ "$commands" -ge 1 ] && [ "$commands" -le 100 ] || { echo "COMMANDS must be 1..100" >&2; exit 2; }
[ "$blocks" -ge 1 ] && [ "$blocks" -le 10 ] || { echo "BLOCKS must be 1..10" >&2; exit 2; }

jar=shared-core/target/taskbound.jar
# a jar older than any main source is rebuilt: the bench measures what the sources say
[ -f "$jar" ] && [ -z "$(find shared-core/src/main -newer "$jar" -print -quit)" ] || ./mvnw -B -q -Djenkins.skip -DskipTests package
tb=$(pwd)/bin/taskbound

work=$(mktemp -d)
handle=
cleanup() {
  [ -n "$handle" ] && "$tb" session end --session "$handle" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export TASKBOUND_HOME="$work/home" TASKBOUND_RUNTIME_DIR="$work/rt" XDG_CACHE_HOME="$work/cache"
mkdir -p "$TASKBOUND_RUNTIME_DIR" "$work/ws"
# The agent never runs as root: as root, the workspace belongs to an unprivileged user.
[ "$(id -u)" = 0 ] && chown 65534:65534 "$work/ws"
cat > "$work/policy.yml" <<'YAML'
apiVersion: taskbound.dev/v1
kind: Task
spec:
  ttl: 30m
  sandbox:
    backends: [netns]
YAML
cd "$work/ws"

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000 )); } # microseconds, despite the name: printed as ms below
"$tb" run --task BENCH --policy "$work/policy.yml" --out "$work/out" -- true 2>/dev/null # warm-up: the class-data archive
: > "$work/exec.txt"; : > "$work/exec-jvm.txt"; : > "$work/run.txt"; : > "$work/start.txt"; : > "$work/end.txt"; : > "$work/plain.txt"; : > "$work/jvm.txt"
for b in $(seq 1 "$blocks"); do
  t0=$(now)
  handle=$("$tb" session start --task BENCH --policy "$work/policy.yml" --out "$work/out" 2>/dev/null)
  t1=$(now); ms "$t0" "$t1" >> "$work/start.txt"
  for i in $(seq 1 "$commands"); do
    t0=$(now); true; t1=$(now); ms "$t0" "$t1" >> "$work/plain.txt"
    # the floor of any CLI call: the launcher's JVM doing nothing but print its version
    t0=$(now); "$tb" --version >/dev/null; t1=$(now); ms "$t0" "$t1" >> "$work/jvm.txt"
    t0=$(now); "$tb" session exec --session "$handle" -- true; t1=$(now); ms "$t0" "$t1" >> "$work/exec.txt"
    # the same through the JVM client (what runs where python3 is missing)
    t0=$(now); TASKBOUND_EXEC_CLIENT=jvm "$tb" session exec --session "$handle" -- true; t1=$(now)
    ms "$t0" "$t1" >> "$work/exec-jvm.txt"
    t0=$(now); "$tb" run --task BENCH --policy "$work/policy.yml" --out "$work/out" -- true 2>/dev/null; t1=$(now)
    ms "$t0" "$t1" >> "$work/run.txt"
  done
  t0=$(now); "$tb" session end --session "$handle" 2>/dev/null; t1=$(now); ms "$t0" "$t1" >> "$work/end.txt"
  handle=
done

median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# The supervisor's side of each exec, from the session bundles: sandbox start to exit (agent.exited's duration_ms).
for z in "$work"/out/BENCH-*.zip; do
  unzip -p "$z" events.jsonl | grep '"agent.exited"' | grep '"exec"' | sed 's/.*"duration_ms":\([0-9]*\).*/\1/' || true
done | awk '{print $1 * 1000}' > "$work/inside.txt"
jvm=$(median "$work/jvm.txt"); inside=$(median "$work/inside.txt")
execjvm=$(median "$work/exec-jvm.txt")
plain=$(median "$work/plain.txt"); exec_=$(median "$work/exec.txt"); run=$(median "$work/run.txt")
start=$(median "$work/start.txt"); end=$(median "$work/end.txt")
echo "blocks: $blocks of $commands commands (exec and run interleaved); load: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v x="$execjvm" -v p="$plain" -v e="$exec_" -v r="$run" -v s="$start" -v d="$end" -v n="$commands" -v j="$jvm" -v i="$inside" 'BEGIN {
  printf "plain true:                        median %8.1f ms\n", p / 1000
  printf "session exec -- true:              median %8.1f ms  (overhead %.1f ms; target < 300 ms)\n", e / 1000, (e - p) / 1000
  printf "  the same, JVM client:            median %8.1f ms  (TASKBOUND_EXEC_CLIENT=jvm)\n", x / 1000
  printf "run -- true:                       median %8.1f ms  (overhead %.1f ms)\n", r / 1000, (r - p) / 1000
  printf "exec / run:                        %8.2f\n", e / r
  printf "taskbound --version (JVM floor):   median %8.1f ms\n", j / 1000
  printf "  of an exec, in the supervisor:   median %8.1f ms  (sandbox start to exit, agent.exited duration_ms)\n", i / 1000
  printf "session start / end:               median %8.1f / %.1f ms\n", s / 1000, d / 1000
  printf "a block of %d: session %.1f s, one-shot runs %.1f s\n", n, (s + n * e + d) / 1e6, n * r / 1e6
}'
