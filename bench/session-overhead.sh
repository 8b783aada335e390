#!/usr/bin/env bash
# Overhead of a whole task envelope: `taskbound run -- true` against plain `true`, measured side by
# side in one run (interleaved, so machine noise hits both alike), plus where the time goes
# (taskbound's own --timings, medians per phase). Loopback only; no network service needed.
# A third side runs the same envelope with the cooperative proxy backend (no namespaces, no bwrap):
# the paired difference is what the netns sandbox itself costs a run, and so the most that starting
# it sooner (during the open) could save.
#
#   bench/session-overhead.sh [RUNS]      (default 15; at least 10)
#
# With BASE_REF (a commit; or BASE_JAR, a jar) it also runs that build's jar interleaved with this
# one and compares their sandbox start alone (the run.sandbox-start phase): for the kernel-surface
# stop, BASE_REF=b41159c (before the seccomp filter and the limits) against the confined start.
# BASE_REF is exported with git archive and built offline in the scratch directory; the repository
# itself is not touched. With a base, the whole `bin/taskbound run -- true` of the base (BASE_REF's
# launcher, else this one, with the base jar) is also interleaved with this build's, and both
# builds' phases are shown side by side with the ratio of their overheads.
#
# RT=1 runs every measured command at real-time priority (chrt -r 5; root), so that a machine busy
# with other work delays them little: the figures then come near those of an idle machine. The
# kernel keeps 5% of each CPU for other work; every command here is short and bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-15}
[ "$runs" -ge 10 ] || { echo "RUNS must be at least 10" >&2; exit 2; }

jar=shared-core/target/taskbound.jar
# a jar older than any main source is rebuilt: the bench measures what the sources say
[ -f "$jar" ] && [ -z "$(find shared-core/src/main -newer "$jar" -print -quit)" ] || ./mvnw -B -q -Djenkins.skip -DskipTests package

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TASKBOUND_HOME="$work/home" TASKBOUND_RUNTIME_DIR="$work/rt"
mkdir -p "$TASKBOUND_RUNTIME_DIR"
cat > "$work/policy.yml" <<'YAML'
apiVersion: taskbound.dev/v1
kind: Task
spec:
  ttl: 5m
  sandbox:
    backends: [netns]
YAML
# the same envelope without the sandbox: proxy variables only (cooperative), for the sandbox's share
cat > "$work/proxy-policy.yml" <<'YAML'
apiVersion: taskbound.dev/v1
kind: Task
spec:
  ttl: 5m
  sandbox:
    backends: [proxy]
    enforcement: cooperative
YAML

base_jar=${BASE_JAR:-}
if [ -z "$base_jar" ] && [ -n "${BASE_REF:-}" ]; then
  mkdir -p "$work/base"
  git archive "$BASE_REF" | tar -x -C "$work/base"
  (cd "$work/base" && ./mvnw -B -q -o -Djenkins.skip -pl shared-core -DskipTests package >/dev/null)
  base_jar="$work/base/shared-core/target/taskbound.jar"
fi
base_launcher="$(pwd)/bin/taskbound"
if [ -n "${BASE_REF:-}" ]; then
  git show "$BASE_REF:bin/taskbound" > "$work/base-taskbound"
  chmod 755 "$work/base-taskbound"
  base_launcher="$work/base-taskbound"
fi

# The agent runs in a scratch workspace; as root, owned by nobody (the sandbox refuses a root-owned
# workspace: the agent never runs as root).
repo=$(pwd)
jar="$repo/$jar"
chmod 755 "$work"
mkdir -p "$work/ws"
[ "$(id -u)" -ne 0 ] || chown 65534:65534 "$work/ws"

now() { date +%s%N; }
export XDG_CACHE_HOME="$work/cache"
prio=()
[ "${RT:-0}" != 1 ] || prio=(chrt -r 5)
policy="$work/policy.yml"
run() { ${prio[@]+"${prio[@]}"} "$@" run --task BENCH --policy "$policy" --out "$work/out" --timings -- true 2> "$work/err.txt"; }
run_proxy() { policy="$work/proxy-policy.yml" run "$@"; }
cd "$work/ws"
run "$repo/bin/taskbound" # warm-up: makes the launcher's class-data archive, as a first use would
run_proxy "$repo/bin/taskbound"
[ -z "$base_jar" ] || TASKBOUND_JAR="$base_jar" run "$base_launcher"
: > "$work/base-envelope.txt"; : > "$work/base-phases.txt"
: > "$work/plain.txt"; : > "$work/envelope.txt"; : > "$work/jar.txt"; : > "$work/phases.txt"; : > "$work/proxy.txt"
for i in $(seq 1 "$runs"); do
  t0=$(now); true; t1=$(now)
  echo $(( (t1 - t0) / 1000 )) >> "$work/plain.txt"
  t0=$(now); run java -jar "$jar"; t1=$(now)
  echo $(( (t1 - t0) / 1000 )) >> "$work/jar.txt"
  t0=$(now); run "$repo/bin/taskbound"; t1=$(now)
  echo $(( (t1 - t0) / 1000 )) >> "$work/envelope.txt"
  grep -E '^  timing ' "$work/err.txt" | awk '{print $2, $3}' >> "$work/phases.txt"
  t0=$(now); run_proxy "$repo/bin/taskbound"; t1=$(now)
  echo $(( (t1 - t0) / 1000 )) >> "$work/proxy.txt"
  if [ -n "$base_jar" ]; then
    t0=$(now); TASKBOUND_JAR="$base_jar" run "$base_launcher"; t1=$(now)
    echo $(( (t1 - t0) / 1000 )) >> "$work/base-envelope.txt"
    grep -E '^  timing ' "$work/err.txt" | awk '{print $2, $3}' >> "$work/base-phases.txt"
    run java -jar "$base_jar"
    grep -E '^  timing run.sandbox-start ' "$work/err.txt" | awk '{print $3}' >> "$work/start-base.txt"
    run java -jar "$jar"
    grep -E '^  timing run.sandbox-start ' "$work/err.txt" | awk '{print $3}' >> "$work/start-ours.txt"
  fi
done

median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
plain=$(median "$work/plain.txt"); envelope=$(median "$work/envelope.txt"); jarrun=$(median "$work/jar.txt")
echo "runs: $runs (interleaved)"
awk -v p="$plain" -v e="$envelope" -v j="$jarrun" 'BEGIN {
  printf "plain true:                          median %8.1f ms\n", p / 1000
  printf "bin/taskbound run -- true:           median %8.1f ms  (overhead %.1f ms)\n", e / 1000, (e - p) / 1000
  printf "java -jar taskbound.jar run -- true: median %8.1f ms  (overhead %.1f ms)\n", j / 1000, (j - p) / 1000
}'
# paired: each netns run against the proxy run right after it
paste "$work/envelope.txt" "$work/proxy.txt" | awk '{print $1 - $2}' > "$work/sandbox-share.txt"
awk -v x="$(median "$work/proxy.txt")" -v d="$(median "$work/sandbox-share.txt")" -v p="$plain" 'BEGIN {
  printf "the same, proxy backend (no sandbox): median %8.1f ms  (overhead %.1f ms)\n", x / 1000, (x - p) / 1000
  printf "the netns sandbox'"'"'s share:           %8.1f ms  (paired median, netns - proxy)\n", d / 1000
}'
echo "phases of bin/taskbound (median of $runs, ms; the rest of the total is JVM start-up and exit):"
for phase in $(awk '{print $1}' "$work/phases.txt" | awk '!seen[$0]++'); do
  awk -v p="$phase" '$1==p {print $2}' "$work/phases.txt" > "$work/p.txt"
  printf '  %-28s %8.1f\n' "$phase" "$(median "$work/p.txt")"
done
if [ -n "$base_jar" ]; then
  benv=$(median "$work/base-envelope.txt")
  echo "the base build, interleaved (${BASE_REF:-$base_jar}; its launcher: $base_launcher):"
  awk -v p="$plain" -v b="$benv" -v e="$envelope" 'BEGIN {
    printf "  base bin/taskbound run -- true:    median %8.1f ms  (overhead %.1f ms)\n", b / 1000, (b - p) / 1000
    printf "  this bin/taskbound run -- true:    median %8.1f ms  (overhead %.1f ms; ratio of overheads %.2f)\n", e / 1000, (e - p) / 1000, (e - p) / (b - p)
  }'
  echo "  phases, base / this build (median, ms):"
  for phase in $(awk '{print $1}' "$work/base-phases.txt" "$work/phases.txt" | awk '!seen[$0]++'); do
    awk -v p="$phase" '$1==p {print $2}' "$work/base-phases.txt" > "$work/pb.txt"
    awk -v p="$phase" '$1==p {print $2}' "$work/phases.txt" > "$work/p.txt"
    printf '    %-28s %8s %8s\n' "$phase" "$( [ -s "$work/pb.txt" ] && median "$work/pb.txt" || echo -)" \
      "$( [ -s "$work/p.txt" ] && median "$work/p.txt" || echo -)"
  done
  base=$(median "$work/start-base.txt"); ours=$(median "$work/start-ours.txt")
  echo "sandbox start alone (run.sandbox-start, java -jar, interleaved, median of $runs, ms):"
  awk -v b="$base" -v o="$ours" 'BEGIN {
    printf "  base %-28s %8.1f\n", "", b
    printf "  this build %-22s %8.1f  (%+.1f ms, ratio %.2f)\n", "", o, o - b, o / b
  }'
fi

# The confinement's own cost without the JVMs around it: the bwrap chain of the netns sandbox
# running `true`, as before (no setup) against confined (the setup shell opening the seccomp program
# on descriptor 3, bwrap --seccomp 3, and as root a pids cgroup made, joined and removed), interleaved.
arch=$(uname -m)
unzip -p "$jar" "dev/taskbound/core/sandbox/seccomp-$arch.bpf" > "$work/seccomp.bpf"
ns=(bwrap --unshare-ipc --unshare-pid --unshare-net --unshare-uts --unshare-cgroup --die-with-parent
    --ro-bind / / --proc /proc --dev /dev --)
if [ "$(id -u)" -eq 0 ]; then
  inner=(setpriv --reuid=65534 --regid=65534 --clear-groups -- bwrap --unshare-user --disable-userns --dev-bind / /
         --die-with-parent --cap-drop ALL)
  cg=/sys/fs/cgroup/pids
  [ -f "$cg/cgroup.procs" ] || cg=""
else
  ns=(bwrap --unshare-user --disable-userns --cap-drop ALL "${ns[@]:1}")
  inner=()
  cg=""
fi
before() { "${ns[@]}" ${inner[@]+"${inner[@]}"} ${inner[@]+--} true; }
dir=""
confined() {
  if [ -n "$cg" ]; then dir="$cg/taskbound-bench-$$"; mkdir "$dir"; echo 4096 > "$dir/pids.max"; fi
  if [ ${#inner[@]} -gt 0 ]; then
    sh -c 'if [ -n "$1" ]; then echo $$ > "$1/cgroup.procs"; fi; exec 3< "$2"; shift 2; exec "$@"' setup "$dir" \
      "$work/seccomp.bpf" "${ns[@]}" "${inner[@]}" --seccomp 3 -- true
  else
    sh -c 'exec 3< "$1"; shift; exec "$@"' setup "$work/seccomp.bpf" "${ns[@]:0:${#ns[@]}-1}" --seccomp 3 -- true
  fi
}
# outside the timed part, as the session removes its cgroup after the sandbox has ended
uncgroup() { if [ -n "$dir" ]; then rmdir "$dir" 2>/dev/null || { sleep 0.05; rmdir "$dir"; }; fi; }
: > "$work/chain-before.txt"; : > "$work/chain-confined.txt"
for i in $(seq 1 $((runs * 3))); do
  t0=$(now); before; t1=$(now); echo $(( (t1 - t0) / 1000 )) >> "$work/chain-before.txt"
  t0=$(now); confined; t1=$(now); echo $(( (t1 - t0) / 1000 )) >> "$work/chain-confined.txt"; uncgroup
done
b=$(median "$work/chain-before.txt"); c=$(median "$work/chain-confined.txt")
echo "the netns chain alone running true (median of $((runs * 3)), interleaved, ms; cgroup: ${cg:-none}):"
awk -v b="$b" -v c="$c" 'BEGIN {
  printf "  before (no seccomp, no limits) %8.1f\n", b / 1000
  printf "  confined                       %8.1f  (%+.1f ms)\n", c / 1000, (c - b) / 1000
}'
