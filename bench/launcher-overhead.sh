#!/usr/bin/env bash
# What the launcher script itself costs: `bin/taskbound --version` against the same java with the
# same flags and class-data archive started directly, and (with BASE_REF, a commit) the launcher
# of that commit on the same jar, interleaved.
#
#   bench/launcher-overhead.sh [RUNS]     (default 20; at least 10)
#   BASE_REF=<commit> bench/launcher-overhead.sh   compare with that commit's bin/taskbound
#
# No network; a scratch cache directory; the jar of this tree (built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
[ "$runs" -ge 10 ] || { echo "RUNS must be at least 10" >&2; exit 2; }
jar=$PWD/shared-core/target/taskbound.jar
# a jar older than any main source is rebuilt: the bench measures what the sources say
[ -f "$jar" ] && [ -z "$(find shared-core/src/main -newer "$jar" -print -quit)" ] || ./mvnw -B -q -Djenkins.skip -DskipTests package

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"
export XDG_CACHE_HOME="$work/cache" TASKBOUND_JAR="$jar" TASKBOUND_HOME="$work/home" TASKBOUND_RUNTIME_DIR="$work/rt"
mkdir -p "$work/rt" "$work/ws"
ours=$PWD/bin/taskbound
base=""
if [ -n "${BASE_REF:-}" ]; then
  git show "$BASE_REF:bin/taskbound" > "$work/base-taskbound"
  chmod 755 "$work/base-taskbound"
  base=$work/base-taskbound
fi
[ "$(id -u)" -ne 0 ] || chown 65534:65534 "$work/ws"
warm() { (cd "$work/ws" && "$1" run --task BENCH --out "$work/out" -- true > /dev/null 2>&1); }
# each launcher writes its archive on a first run
warm "$ours"
[ -z "$base" ] || warm "$base"
archive=""
for a in "$work"/cache/taskbound/*.jsa; do if [ -f "$a.b2" ]; then archive=$a; fi; done
[ -n "$archive" ] || { echo "launcher-overhead: no archive written" >&2; exit 1; }
flags=$(sed -n 's/^jvm_flags="\(.*\)"$/\1/p' "$ours")

now() { date +%s%N; }
timed() { local f=$1; shift; local t0 t1; t0=$(now); "$@" > /dev/null 2>&1; t1=$(now); echo $(( (t1 - t0) / 1000 )) >> "$work/$f"; }
for i in $(seq 1 "$runs"); do
  # shellcheck disable=SC2086
  timed direct.txt java $flags -XX:SharedArchiveFile="$archive" -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off -jar "$jar" --version
  timed ours.txt "$ours" --version
  [ -z "$base" ] || timed base.txt "$base" --version
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
d=$(median "$work/direct.txt"); o=$(median "$work/ours.txt")
echo "runs: $runs (interleaved); load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
awk -v d="$d" -v o="$o" 'BEGIN {
  printf "java + archive --version (direct):  median %7.1f ms\n", d / 1000
  printf "bin/taskbound --version:            median %7.1f ms  (launcher adds %.1f ms)\n", o / 1000, (o - d) / 1000 }'
if [ -n "$base" ]; then
  b=$(median "$work/base.txt")
  awk -v d="$d" -v b="$b" -v o="$o" -v r="$BASE_REF" 'BEGIN {
    printf "bin/taskbound of %-12s --version: median %7.1f ms  (launcher adds %.1f ms)\n", r, b / 1000, (b - d) / 1000
    printf "launcher cost, this / base: %.2f\n", (o - d) / (b - d) }'
fi
