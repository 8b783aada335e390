#!/usr/bin/env bash
# The launcher's own start, up to its exec of java: bin/taskbound --version with a copy of /bin/echo
# as TASKBOUND_JAVA (the JVM's start, ~0.5 s of noise, left out; echo shows the archive was taken)
# and an archive in place that is still the file its record names (the path of every start after
# the first), against BASE_REF's launcher, interleaved.
#
#   bench/launcher-stat.sh [RUNS]         (default 200; at least 20)
#   BASE_REF=<commit>                      the launcher to compare with (default b7e8f0a: two `stat`)
#   OLD=<n>                                n archives of other builds in the cache too (default 0)
#
# No network, no JVM; a scratch cache directory.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-200}
[ "$runs" -ge 20 ] || { echo "RUNS must be at least 20" >&2; exit 2; }
base_ref=${BASE_REF:-b7e8f0a}
old=${OLD:-0}

work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
chmod 700 "$work"
mkdir -p "$work/ours" "$work/base" "$work/cache/taskbound" "$work/ws"
chmod 700 "$work/cache" "$work/cache/taskbound"
cp bin/taskbound "$work/ours/taskbound"
git show "$base_ref:bin/taskbound" > "$work/base/taskbound"
chmod 755 "$work/ours/taskbound" "$work/base/taskbound"
echo jar > "$work/taskbound.jar" # only looked at, never run
cp /bin/echo "$work/java"
export XDG_CACHE_HOME=$work/cache TASKBOUND_JAR=$work/taskbound.jar TASKBOUND_JAVA=$work/java
unset TASKBOUND_DEBUG

# An archive for LAUNCHER recorded as the launcher records one: its checksum, then its id as a file.
seed() {
  local id archive
  id=$(stat -L -c %d.%i.%s.%Y.%Z -- "$TASKBOUND_JAVA" "$TASKBOUND_JAR" "$1" | paste -sd-)
  archive=$work/cache/taskbound/taskbound-$id.jsa
  head -c 1048576 /dev/urandom > "$archive"
  chmod 444 "$archive"
  { b2sum < "$archive" | cut -d' ' -f1; stat -c %d.%i.%s.%.9Y.%.9Z -- "$archive"; } > "$archive.b2"
}
seed "$work/ours/taskbound"
seed "$work/base/taskbound"
for i in $(seq 1 "$old"); do
  : > "$work/cache/taskbound/taskbound-$i.1.1.1.1-2.2.2.2.2-3.3.3.3.3.jsa"
  : > "$work/cache/taskbound/taskbound-$i.1.1.1.1-2.2.2.2.2-3.3.3.3.3.jsa.b2"
done
cd "$work/ws"
for side in ours base; do # each takes its archive, or the comparison means nothing
  case $("$work/$side/taskbound" --version) in
    *SharedArchiveFile*) ;;
    *) echo "launcher-stat: the $side launcher did not take its archive" >&2; exit 1 ;;
  esac
done

declare -A cpu=([ours]=0 [base]=0)
children_cpu() { local f; read -r -a f < /proc/$$/stat; echo $((f[15] + f[16])); } # cutime + cstime, ticks
timed() { # microseconds of one `--version` by LAUNCHER, appended to its file; its CPU ticks summed
  local t0 t1 c0
  c0=$(children_cpu)
  t0=${EPOCHREALTIME/./}
  "$work/$1/taskbound" --version > /dev/null
  t1=${EPOCHREALTIME/./}
  echo $((t1 - t0)) >> "$work/$1.txt"
  cpu[$1]=$((cpu[$1] + $(children_cpu) - c0))
}
for _ in $(seq 1 "$runs"); do
  timed base
  timed ours
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
b=$(median "$work/base.txt")
o=$(median "$work/ours.txt")
echo "runs: $runs each (interleaved), $old other archives in the cache; load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
awk -v b="$b" -v o="$o" -v r="$base_ref" -v bc="${cpu[base]}" -v oc="${cpu[ours]}" -v n="$runs" -v hz="$(getconf CLK_TCK)" 'BEGIN {
  bc = bc * 1000 / hz / n; oc = oc * 1000 / hz / n
  printf "launcher of %-10s to the exec of java: median %6.2f ms, CPU %5.2f ms a run\n", r, b / 1000, bc
  printf "this launcher        to the exec of java: median %6.2f ms, CPU %5.2f ms a run  (wall %+.2f ms, ratio %.2f; CPU ratio %.2f)\n", o / 1000, oc, (o - b) / 1000, o / b, oc / bc }'
