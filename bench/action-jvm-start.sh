#!/usr/bin/env bash
# One JVM start inside the action image (issue 12's step runs three: the action, the core's child,
# the forwarder): 'docker run' of the image with java running a core command that loads the policy
# code ('taskbound policy explain' of a small Task), against the same in a base image (an earlier
# build, e.g. one without the application class-data archive). Interleaved, one warm-up each, RUNS
# each; medians and the ratio. --network none: nothing leaves the container.
#
#   BASE_ACTION_IMAGE=<tag> [ACTION_IMAGE=<tag>] bench/action-jvm-start.sh [RUNS]   (default 10)
set -euo pipefail
runs=${1:-10}
image=${ACTION_IMAGE:-$(docker images --format '{{.CreatedAt}}\t{{.Repository}}:{{.Tag}}' taskbound/action \
  | sort -r | sed -n 1p | cut -f 2)}
base=${BASE_ACTION_IMAGE:?set BASE_ACTION_IMAGE to the image to compare with}
for i in "$image" "$base"; do
  docker image inspect "$i" >/dev/null 2>&1 || { echo "action-jvm-start: no image $i" >&2; exit 2; }
done
ms() { echo $(( $(date +%s%N) / 1000000 )); }
one() { # IMAGE -> milliseconds
  local t0; t0=$(ms)
  docker run --rm --network none --entrypoint sh "$1" -c \
    "printf 'apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  ttl: 5m\n' > /tmp/p.yml && java -cp /opt/taskbound/taskbound-action.jar dev.taskbound.core.cli.Main policy explain /tmp/p.yml" \
    >/dev/null 2>&1 || { echo "action-jvm-start: the command failed in $1" >&2; exit 1; }
  echo $(( $(ms) - t0 ))
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }
echo "image: $image; base: $base; $runs runs each, interleaved; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
one "$base" >/dev/null; one "$image" >/dev/null
b=(); a=()
for i in $(seq 1 "$runs"); do
  b+=("$(one "$base")"); a+=("$(one "$image")")
  printf '  run %2d: base %5d ms   image %5d ms\n' "$i" "${b[-1]}" "${a[-1]}"
done
mb=$(printf '%s\n' "${b[@]}" | median); ma=$(printf '%s\n' "${a[@]}" | median)
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "median base: $mb ms; median image: $ma ms; image/base: $(awk -v a="$ma" -v b="$mb" 'BEGIN {printf "%.2f", a/b}')"
