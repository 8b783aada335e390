#!/usr/bin/env bash
# policy check at scale (issue 18, item 3): wall time and peak RSS of
#   bin/taskbound policy check --ceiling CEILING TASK
# for N task rules under a ceiling of N rules (N = 1k, 10k, 20k; IPv4 addresses under /24 blocks,
# and names under **. domains), and for two 1 MiB files (one comment line; 64-byte comment lines).
# The base build (c3ced25, before the fix, built from a git worktree in a temp dir) and this build
# run in the same invocation, interleaved, through the same launcher and JVM flags.
#
# Usage: bench/policy-scale.sh [RUNS]   (default 3 runs per case for this build, medians shown; the base build
# runs once per case, bounded by BASE_TIMEOUT seconds of wall time, default 120, since it is
# quadratic; a base run cut short shows its CPU time so far as a lower bound)
# Env: BASE_JAR=path skips building the base; BASE_COMMIT (default c3ced25).
# No network; files under a temp dir, removed at exit.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
base_commit=${BASE_COMMIT:-c3ced25}
base_timeout=${BASE_TIMEOUT:-120}
new_jar=$here/shared-core/target/taskbound.jar
work=$(mktemp -d /tmp/policy-scale.XXXXXX)
cleanup() {
  if [ -d "$work/base-src" ]; then
    git -C "$here" worktree remove --force "$work/base-src" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

start="$(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
[ -f "$new_jar" ] || { echo "build first: ./mvnw -q -Djenkins.skip -DskipTests package" >&2; exit 2; }
base_jar=${BASE_JAR:-}
if [ -z "$base_jar" ]; then
  echo "building the base $base_commit in $work/base-src ..." >&2
  git -C "$here" worktree add --detach "$work/base-src" "$base_commit" >/dev/null 2>&1
  (cd "$work/base-src" && ./mvnw -B -q -o -Djenkins.skip -pl shared-core -DskipTests package >/dev/null 2>&1)
  cp "$work/base-src/shared-core/target/taskbound.jar" "$work/base.jar"
  base_jar=$work/base.jar
fi

# One measurement: "wall-s cpu-s peak-KiB exit-code" (time -v's figures; cpu = user + system, the
# figure that machine load moves least; a timeout shows as exit 124).
measure() { # jar timeout args...
  local jar=$1 limit=$2; shift 2
  local out=$work/time.txt
  set +e
  # time outside timeout, so a run cut short still reports the CPU and memory it had used.
  TASKBOUND_JAR=$jar /usr/bin/time -v timeout "$limit" "$here/bin/taskbound" policy check "$@" \
    >/dev/null 2>"$out"
  local rc=$?
  set -e
  local wall cpu rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$out")
  cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.2f", s}' "$out")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out")
  if grep -q "Command exited with non-zero status" "$out"; then
    rc=$(awk -F'status ' '/Command exited with non-zero status/ {print $2}' "$out")
  fi
  echo "${wall:-$limit} ${cpu:-0} ${rss:-0} $rc"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

printf '| case | base wall s | base CPU s | base MiB | base exit | new wall s | new CPU s | new MiB (max) | new exit | CPU ratio |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
run_case() { # label args...
  local label=$1; shift
  local bw bc brss brc nw nc nrss nrc
  read -r bw bc brss brc <<<"$(measure "$base_jar" "$base_timeout" "$@")"
  local walls=() cpus=() rss_max=0 one
  for _ in $(seq "$runs"); do
    read -r nw nc nrss nrc <<<"$(measure "$new_jar" 120 "$@")"
    walls+=("$nw"); cpus+=("$nc")
    [ "$nrss" -gt "$rss_max" ] && rss_max=$nrss
  done
  local mw mc
  mw=$(printf '%s\n' "${walls[@]}" | median)
  mc=$(printf '%s\n' "${cpus[@]}" | median)
  local shown_bw=$bw shown_bc=$bc cmp=""
  if [ "$brc" = 124 ]; then shown_bw=">$base_timeout (timeout)"; shown_bc=">$bc"; cmp=">"; fi
  printf '| %s | %s | %s | %d | %s | %s | %s | %d | %s | %s |\n' "$label" "$shown_bw" "$shown_bc" $((brss / 1024)) "$brc" \
    "$mw" "$mc" $((rss_max / 1024)) "$nrc" "$cmp$(awk -v b="$bc" -v n="$mc" 'BEGIN {printf "%.1fx", b / n}')"
}

for n in 1000 10000 20000; do
  python3 "$here/bench/policy-scale-gen.py" "$work/$n" "$n"
  run_case "ipv4 ${n} under ${n} CIDRs" --ceiling "$work/$n/ipv4-ceiling.yml" "$work/$n/ipv4-task.yml"
  run_case "names ${n} under ${n} **.domains" --ceiling "$work/$n/names-ceiling.yml" "$work/$n/names-task.yml"
done
python3 "$here/bench/policy-scale-gen.py" "$work/c" comment
run_case "1 MiB, one comment line" "$work/c/one-line.yml"
run_case "1 MiB of 64-byte comment lines" "$work/c/lines.yml"
echo
echo "Start: $start. End: $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg). $(nproc) cores, $(java -version 2>&1 | sed -n 1p)."
