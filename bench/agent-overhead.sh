#!/usr/bin/env bash
# What Taskbound adds to a real agent run: the same scripted Claude Code conversation (the suite's
# MessagesApiStandIn: one Bash tool call that writes a file and curls a blocked host, then a final
# answer) outside Taskbound and inside it, interleaved, RUNS each; medians and Taskbound's share.
#
#   outside: claude in a bare network namespace of its own (loopback only) with a stand-in inside it,
#            api.anthropic.com resolved to 127.0.0.1 there (ip netns exec's /etc/netns hosts file)
#   inside:  bin/taskbound run --policy P -- claude ... (netns sandbox, the stand-in on the host's
#            loopback, api.anthropic.com pinned to 127.0.0.1 by the policy)
# Both: ANTHROPIC_BASE_URL=https://api.anthropic.com:PORT, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
# and DISABLE_AUTOUPDATER=1 (so both sides make the same model calls and no side calls), a fresh
# workspace per run, prepared before its clock starts (the inside's copy of the CAs, its owner), one
# warm-up run per side. Loopback and the bench's own namespace only.
#
#   bench/agent-overhead.sh [RUNS]      (default 10; at least 5). Root; Claude Code installed by
#   scripts/test-prerequisites.sh in /opt/taskbound-test/claude-code.
#
# With BASE_REF (a commit, exported with git archive and built offline in the scratch directory) or
# BASE_JAR (a jar), a third side runs the same inside run with the base build (BASE_REF's launcher,
# else this one, with the base jar), interleaved with the other two, and the ratio of what each adds.
# BASE_JAVA sets the base side's java (TASKBOUND_JAVA of its launcher; the inside side takes
# TASKBOUND_JAVA from the environment): BASE_REF=HEAD BASE_JAR=shared-core/target/taskbound.jar
# BASE_JAVA=java TASKBOUND_JAVA=<JDK 25>/bin/java compares one build on two JDKs.
#
# RT=1 runs every measured command at real-time priority (chrt -r 5; root), as session-overhead.sh
# does: on a machine busy with other work the figures then come near an idle machine's. Every
# command here is bounded (the stand-in's script ends each conversation; the policy's TTL is 5m).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
runs=${1:-10}
[ "$runs" -ge 5 ] || { echo "RUNS must be at least 5" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "agent-overhead: needs root (network namespaces)" >&2; exit 2; }
claude_bin=/opt/taskbound-test/claude-code/bin
[ -x "$claude_bin/claude" ] || { echo "agent-overhead: no $claude_bin/claude; run scripts/test-prerequisites.sh as root" >&2; exit 2; }

jar=shared-core/target/taskbound.jar
# a jar older than any main source is rebuilt: the bench measures what the sources say
[ -f "$jar" ] && [ -z "$(find shared-core/src/main -newer "$jar" -print -quit)" ] || ./mvnw -B -q -Djenkins.skip -DskipTests package
[ -f shared-core/target/test-classes/dev/taskbound/core/testing/MessagesApiStandIn.class ] \
  || ./mvnw -B -q -o -Djenkins.skip -pl shared-core test-compile
jackson=$(./mvnw -q -Djenkins.skip -pl shared-core dependency:build-classpath \
  -DincludeArtifactIds=jackson-databind,jackson-core,jackson-annotations -Dmdep.outputFile=/dev/stdout)
cp="$PWD/shared-core/target/classes:$PWD/shared-core/target/test-classes:$jackson"

work=$(mktemp -d /tmp/tb-agent-bench.XXXXXX)
chmod 755 "$work"
ns="tb-agent-bench-$$"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "/etc/netns/$ns" "$work"
}
trap cleanup EXIT
port=18$(( RANDOM % 900 + 100 ))

base_jar=${BASE_JAR:-}
if [ -z "$base_jar" ] && [ -n "${BASE_REF:-}" ]; then
  mkdir -p "$work/base"
  git archive "$BASE_REF" | tar -x -C "$work/base"
  (cd "$work/base" && ./mvnw -B -q -o -Djenkins.skip -pl shared-core -DskipTests package >/dev/null)
  base_jar="$work/base/shared-core/target/taskbound.jar"
fi
base_launcher="$repo/bin/taskbound"
if [ -n "${BASE_REF:-}" ]; then
  git show "$BASE_REF:bin/taskbound" > "$work/base-taskbound"
  chmod 755 "$work/base-taskbound"
  base_launcher="$work/base-taskbound"
fi

# The bare namespace for the outside runs: loopback only, api.anthropic.com -> 127.0.0.1.
ip netns add "$ns"
ip -n "$ns" link set lo up
mkdir -p "/etc/netns/$ns"
echo "127.0.0.1 localhost api.anthropic.com" > "/etc/netns/$ns/hosts"

start_standin() { # DIR, then the command prefix to run it in
  local dir=$1; shift
  mkdir -p "$dir"
  "$@" java -cp "$cp" dev.taskbound.core.testing.MessagesApiStandIn "$dir" "$port" > "$dir.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 600); do grep -q '^ready' "$dir.out" 2>/dev/null && return 0; sleep 0.1; done
  echo "agent-overhead: the stand-in in $dir did not start: $(cat "$dir.out")" >&2; exit 1
}
start_standin "$work/api-host"
start_standin "$work/api-ns" ip netns exec "$ns"
cat "$work/api-host/ca.pem" "$work/api-ns/ca.pem" > "$work/cas.pem"

cat > "$work/policy.yml" <<YAML
apiVersion: taskbound.dev/v1
kind: Task
spec:
  ttl: 5m
  sandbox: {backends: [netns]}
  egress:
    allow: ["api.anthropic.com:$port"]
    hosts: {api.anthropic.com: 127.0.0.1}
YAML

export PATH="$claude_bin:$PATH" ANTHROPIC_API_KEY=sk-ant-api03-bench-stand-in \
  ANTHROPIC_BASE_URL="https://api.anthropic.com:$port" NODE_EXTRA_CA_CERTS="$work/cas.pem" \
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 \
  TASKBOUND_HOME="$work/tb" TASKBOUND_RUNTIME_DIR="$work/rt" XDG_CACHE_HOME="$work/cache"
mkdir -p "$TASKBOUND_RUNTIME_DIR" "$work/home-out" "$work/home-in"
prompt="Write agent-wrote.txt and try blocked.test"
now() { date +%s%N; }
prio=()
[ "${RT:-0}" != 1 ] || prio=(chrt -r 5)

outside() { # $1: workspace
  (cd "$1" && HOME="$work/home-out" ${prio[@]+"${prio[@]}"} ip netns exec "$ns" claude -p "$prompt" --allowedTools Bash) > "$1.log" 2>&1
}
inside() { in_envelope "$1" "$repo/bin/taskbound" "${TASKBOUND_JAR:-}" "${TASKBOUND_JAVA:-}"; }
base() { in_envelope "$1" "$base_launcher" "$base_jar" "${BASE_JAVA:-${TASKBOUND_JAVA:-}}"; }
prepare() { # WORKSPACE SIDE, before the clock starts: the agent runs as the workspace's owner (nobody here),
  # with a private /tmp and an environment allow-list: the stand-ins' CAs go in the workspace, Claude Code's settings by name
  [ "$2" = outside ] && return 0
  cp "$work/cas.pem" "$1/.cas.pem"
  chown -R nobody:nogroup "$1"
}
in_envelope() { # WORKSPACE LAUNCHER JAR JAVA (the jar and java exported only when given, as the launcher reads them)
  (cd "$1" && { [ -z "$3" ] || export TASKBOUND_JAR="$3"; } && { [ -z "$4" ] || export TASKBOUND_JAVA="$4"; } \
    && HOME="$work/home-in" NODE_EXTRA_CA_CERTS="$1/.cas.pem" ${prio[@]+"${prio[@]}"} "$2" run --task BENCH \
    --policy "$work/policy.yml" --out "$work/out" --timings \
    --pass-env ANTHROPIC_API_KEY,ANTHROPIC_BASE_URL,NODE_EXTRA_CA_CERTS,DISABLE_AUTOUPDATER \
    --pass-env CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC -- claude -p "$prompt" --allowedTools Bash) > "$1.log" 2>&1
}
check() { # the conversation completed and the tool ran
  grep -q "Wrote agent-wrote.txt" "$1.log" && [ -f "$1/agent-wrote.txt" ] \
    || { echo "agent-overhead: run $1 did not complete:" >&2; tail -20 "$1.log" >&2; exit 1; }
}
timed() { # SIDE INDEX: one run, its wall time in microseconds appended to SIDE.txt
  local side=$1 i=$2 ws="$work/ws-$1-$2"
  mkdir -p "$ws"
  prepare "$ws" "$side"
  local t0 t1; t0=$(now); "$side" "$ws" || { echo "agent-overhead: the $side run in $ws failed:" >&2; tail -20 "$ws.log" >&2; exit 1; }; t1=$(now)
  check "$ws"
  echo $(( (t1 - t0) / 1000 )) >> "$work/$side.txt"
  grep -E '^  timing ' "$ws.log" | awk '{print $2, $3}' >> "$work/phases-$side.txt" || true
}
sides="outside inside"
[ -z "$base_jar" ] || sides="outside inside base"

rotate() { local k=$(( $1 % ($# - 1) )); shift; local a=("$@"); echo "${a[@]:k}" "${a[@]:0:k}"; }
for side in $sides; do : > "$work/$side.txt"; timed "$side" warm; done # warm-up: page cache, the launchers' class-data archives
for side in $sides; do : > "$work/$side.txt"; : > "$work/phases-$side.txt"; done
for i in $(seq 1 "$runs"); do
  # the order rotates run by run, so no side always runs first or after the same one
  for side in $(rotate "$i" $sides); do timed "$side" "$i"; done
done

median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
out=$(median "$work/outside.txt"); in=$(median "$work/inside.txt")
echo "Claude Code $("$claude_bin/claude" --version | cut -d' ' -f1), scripted conversation (2 model turns, 1 Bash tool call), runs: $runs each, interleaved"
echo "model calls seen by the stand-ins: host $(grep -c . "$work/api-host/requests.log") (inside), namespace $(grep -c . "$work/api-ns/requests.log") (outside), warm-up included"
awk -v o="$out" -v i="$in" 'BEGIN {
  printf "outside (bare netns):        median %8.1f ms\n", o / 1000
  printf "inside (bin/taskbound run):  median %8.1f ms\n", i / 1000
  printf "added by Taskbound:          %8.1f ms  (%.0f%% of the inside run)\n", (i - o) / 1000, 100 * (i - o) / i
}'
echo "all runs (ms): outside $(awk '{printf "%.0f ", $1/1000}' "$work/outside.txt")"
echo "               inside  $(awk '{printf "%.0f ", $1/1000}' "$work/inside.txt")"
echo "phases of the inside runs (median, ms; agent = Claude Code's own run in the sandbox):"
for phase in $(awk '{print $1}' "$work/phases-inside.txt" | awk '!seen[$0]++'); do
  awk -v p="$phase" '$1==p {print $2}' "$work/phases-inside.txt" > "$work/p.txt"
  printf '  %-28s %8.1f\n' "$phase" "$(median "$work/p.txt")"
done
if [ -n "$base_jar" ]; then
  b=$(median "$work/base.txt")
  echo "the base build, interleaved (${BASE_REF:-$base_jar}; its launcher: $base_launcher; java: ${BASE_JAVA:-${TASKBOUND_JAVA:-java}}):"
  awk -v o="$out" -v i="$in" -v b="$b" 'BEGIN {
    printf "  inside, base build:          median %8.1f ms  (adds %.1f ms)\n", b / 1000, (b - o) / 1000
    printf "  inside, this build:          median %8.1f ms  (adds %.1f ms; ratio of what they add %.2f)\n", i / 1000, (i - o) / 1000, (i - o) / (b - o)
  }'
  echo "  all base runs (ms): $(awk '{printf "%.0f ", $1/1000}' "$work/base.txt")"
  echo "  phases, base / this build (median, ms):"
  for phase in $(awk '{print $1}' "$work/phases-base.txt" "$work/phases-inside.txt" | awk '!seen[$0]++'); do
    awk -v p="$phase" '$1==p {print $2}' "$work/phases-base.txt" > "$work/pb.txt"
    awk -v p="$phase" '$1==p {print $2}' "$work/phases-inside.txt" > "$work/p.txt"
    printf '    %-28s %8s %8s\n' "$phase" "$( [ -s "$work/pb.txt" ] && median "$work/pb.txt" || echo -)" \
      "$( [ -s "$work/p.txt" ] && median "$work/p.txt" || echo -)"
  done
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
