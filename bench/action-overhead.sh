#!/usr/bin/env bash
# What the GitHub Action adds to a job step (issue 12): the main step of the action image, run the
# way the runner runs a Docker container action (docker run --rm with the Docker socket, workspace,
# home and file-command mounts, INPUT_* variables, --network host), whose container backend runs
# COMMAND in AGENT_IMAGE, against plain 'docker run --rm --network none AGENT_IMAGE sh -c COMMAND'
# with the same workspace mount. Interleaved, RUNS each after one warm-up each; medians and the
# difference. The agent's containers have no network; nothing leaves loopback.
#
#   bench/action-overhead.sh [RUNS]    (default 10; at least 5). Needs a Docker daemon
#   (scripts/docker-test-env.sh), the agent image (scripts/docker-escape-image.sh) and an action
#   image: ACTION_IMAGE=<tag>, else the newest taskbound/action:* that ActionContainerIT built.
#   BASE_ACTION_IMAGE=<tag> adds a third column, another action image (an earlier build) run in the
#   same interleaving, and the ratio of the two action steps' medians.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
[ "$runs" -ge 5 ] || { echo "RUNS must be at least 5" >&2; exit 2; }
agent=${AGENT_IMAGE:-taskbound/escape-agent:bookworm}
command=${BENCH_COMMAND:-'echo hello > out.txt && cat out.txt > /dev/null'}
image=${ACTION_IMAGE:-$(docker images --format '{{.CreatedAt}}\t{{.Repository}}:{{.Tag}}' taskbound/action \
  | sort -r | sed -n 1p | cut -f 2)}
[ -n "$image" ] && docker image inspect "$image" >/dev/null 2>&1 \
  || { echo "action-overhead: no action image; run ActionContainerIT once or set ACTION_IMAGE" >&2; exit 2; }
base_image=${BASE_ACTION_IMAGE:-}
[ -z "$base_image" ] || docker image inspect "$base_image" >/dev/null 2>&1 \
  || { echo "action-overhead: no image $base_image (BASE_ACTION_IMAGE)" >&2; exit 2; }
docker image inspect "$agent" >/dev/null 2>&1 \
  || { echo "action-overhead: no $agent; run scripts/docker-escape-image.sh $agent" >&2; exit 2; }

work=$(mktemp -d /tmp/tb-action-bench.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

ms() { echo $(( $(date +%s%N) / 1000000 )); }

# A fresh workspace, home and file-command directory per run, as a runner gives each job.
prepare() {
  rm -rf "$work/run"
  mkdir -p "$work/run/workspace/taskbound" "$work/run/home" "$work/run/file_commands"
  cat > "$work/run/workspace/taskbound/policy.yml" <<'POLICY'
apiVersion: taskbound.dev/v1
kind: Task
metadata:
  name: action-bench
spec:
  ttl: 5m
  sandbox: {backends: [container], enforcement: strict}
POLICY
  # As on a GitHub runner, the workspace belongs to the runner's user (1001): the container backend
  # refuses a root-owned one (the agent never runs as root).
  chown -R 1001:1001 "$work/run/workspace"
}

plain() {
  docker run --rm --network none -v "$work/run/workspace:/github/workspace" --workdir /github/workspace \
    "$agent" sh -c "$command" >/dev/null 2>&1
}

action() { run_action "$image"; }
base_action() { run_action "$base_image"; }

run_action() {
  local name="tb-action-bench-$$-$RANDOM"
  docker run --rm --name "$name" --network host \
    -v /var/run/docker.sock:/var/run/docker.sock -v "$work/run/workspace:/github/workspace" \
    -v "$work/run/home:/github/home" -v "$work/run/file_commands:/github/file_commands" --workdir /github/workspace \
    -e GITHUB_ACTIONS=true -e GITHUB_ACTION_REPOSITORY=acme/taskbound -e GITHUB_WORKSPACE=/github/workspace \
    -e HOME=/github/home -e GITHUB_OUTPUT=/github/file_commands/output -e GITHUB_STATE=/github/file_commands/state \
    -e GITHUB_STEP_SUMMARY=/github/file_commands/summary \
    -e "INPUT_TASK=BENCH-1" -e "INPUT_POLICY-FILE=taskbound/policy.yml" -e "INPUT_COMMAND=$command" \
    -e "INPUT_AGENT-IMAGE=$agent" -e "INPUT_SANDBOX=container" \
    "$1" > "$work/action.log" 2>&1 \
    || { echo "action-overhead: the action step failed:" >&2; cat "$work/action.log" >&2; exit 1; }
}

timed() { # FUNCTION -> milliseconds on stdout
  prepare
  local t0; t0=$(ms)
  "$1"
  echo $(( $(ms) - t0 ))
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }

echo "action image: $image ($(docker image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
echo "agent image:  $agent; command: $command; $runs runs each, interleaved, after one warm-up each"
echo "load before:  $(cut -d' ' -f1-3 /proc/loadavg)"
[ -z "$base_image" ] || echo "base image:   $base_image (interleaved with the action image)"
timed plain >/dev/null
timed action >/dev/null
[ -z "$base_image" ] || timed base_action >/dev/null
plain_ms=(); action_ms=(); base_ms=()
for i in $(seq 1 "$runs"); do
  plain_ms+=("$(timed plain)")
  [ -z "$base_image" ] || base_ms+=("$(timed base_action)")
  action_ms+=("$(timed action)")
  if [ -z "$base_image" ]; then
    printf '  run %2d: docker run %5d ms   action step %5d ms\n' "$i" "${plain_ms[-1]}" "${action_ms[-1]}"
  else
    printf '  run %2d: docker run %5d ms   base action step %5d ms   action step %5d ms\n' "$i" "${plain_ms[-1]}" \
      "${base_ms[-1]}" "${action_ms[-1]}"
  fi
done
p=$(printf '%s\n' "${plain_ms[@]}" | median)
a=$(printf '%s\n' "${action_ms[@]}" | median)
if [ -n "$base_image" ]; then
  b=$(printf '%s\n' "${base_ms[@]}" | median)
  echo "median base action step: $b ms (added $(( b - p )) ms)"
  echo "action step / base action step: $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", a/b}')"
fi
echo "load after:   $(cut -d' ' -f1-3 /proc/loadavg)"
echo "median docker run:   $p ms"
echo "median action step:  $a ms"
echo "added by the action: $(( a - p )) ms (x$(awk -v a="$a" -v p="$p" 'BEGIN {printf "%.2f", a/p}'))"
