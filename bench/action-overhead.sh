#!/usr/bin/env bash
# What the GitHub Action adds to a job step (issue 12): the main step of the action image, run the
# way the runner runs a Docker container action (docker run --rm with the Docker socket, workspace,
# home and file-command mounts, INPUT_* variables, --network host), whose container backend runs
# COMMAND in AGENT_IMAGE, against plain 'docker run --rm --network none AGENT_IMAGE sh -c COMMAND'
# with the same workspace mount. Interleaved, RUNS each after one warm-up each; medians and the
# difference. The agent's containers have no network; nothing leaves loopback.
#
#   bench/action-overhead.sh [RUNS]    (default 10; at least 5). Needs a Docker daemon
#   (scripts/docker-test-env.sh), the agent image (scripts/docker-escape-image.sh) and the local
#   build images ActionContainerIT makes (taskbound/jdk:17, taskbound/docker-cli:bookworm).
#
# The action image: ACTION_IMAGE=<tag>, else this checkout's, built (Maven offline, then the
# Dockerfile with the tests' local build arguments) and tagged by the jar's and Dockerfile's hash.
# The base: BASE_ACTION_IMAGE=<tag>, else BASE_REF's (default f201062, the commit before issue 12's
# fourth stop: a forwarder container and its JVM beside the agent's; BASE_REF=none: no base), exported with git archive and
# built the same way in a scratch directory. The base's steps run in the same interleaving; the
# ratio of the two steps' medians follows.
#
# Each action step's phases come from its own evidence bundle (events.jsonl timestamps, the same
# clock): until session.opened (the action container, the JVM, policy and evidence set-up), the
# session's opening (identity, gateway, the Docker preflight) until sandbox.prepared, the sandbox's
# start (forwarder and agent containers) until agent.running, the agent until agent.exited, the
# teardown until session.closed, and the step's end (results, exit, the container's removal).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
[ "$runs" -ge 5 ] || { echo "RUNS must be at least 5" >&2; exit 2; }
agent=${AGENT_IMAGE:-taskbound/escape-agent:bookworm}
command=${BENCH_COMMAND:-'echo hello > out.txt && cat out.txt > /dev/null'}
base_ref=${BASE_REF:-f201062}
docker image inspect "$agent" >/dev/null 2>&1 \
  || { echo "action-overhead: no $agent; run scripts/docker-escape-image.sh $agent" >&2; exit 2; }

# The action image of the checkout in $1, its jar built offline first; tagged by the jar's and the
# Dockerfile's hash, and built only when no image has that tag.
build_image() {
  local dir=$1
  (cd "$dir" && ./mvnw -B -q -o -Djenkins.skip -DskipTests -pl shared-core,github-action -am package >/dev/null)
  local tag
  tag="taskbound/action-bench:$(cat "$dir/github-action/target/taskbound-action.jar" "$dir/Dockerfile" | sha256sum | cut -c1-16)"
  if ! docker image inspect "$tag" >/dev/null 2>&1; then
    for needed in taskbound/jdk:17 taskbound/docker-cli:bookworm taskbound/debian-base:bookworm; do
      docker image inspect "$needed" >/dev/null 2>&1 \
        || { echo "action-overhead: no $needed; run ActionContainerIT once (it builds it)" >&2; exit 2; }
    done
    DOCKER_BUILDKIT=0 docker build --quiet --file "$dir/Dockerfile" --build-arg BUILD_IMAGE=taskbound/jdk:17 \
      --build-arg RUNTIME_IMAGE=taskbound/debian-base:bookworm --build-arg DOCKER_CLI_IMAGE=taskbound/docker-cli:bookworm \
      --build-arg DOCKER_CLI_PATH=/usr/bin/docker --build-arg PREBUILT_JAR=github-action/target/taskbound-action.jar \
      --tag "$tag" "$dir" >/dev/null 2>"$scratch/build.log" \
      || { echo "action-overhead: docker build of $dir failed:" >&2; cat "$scratch/build.log" >&2; exit 1; }
  fi
  echo "$tag"
}

scratch=$(mktemp -d /tmp/tb-action-base.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
image=${ACTION_IMAGE:-}
if [ -z "$image" ]; then
  echo "building this checkout's action image..." >&2
  image=$(build_image "$(pwd)")
fi
docker image inspect "$image" >/dev/null 2>&1 || { echo "action-overhead: no image $image (ACTION_IMAGE)" >&2; exit 2; }
base_image=${BASE_ACTION_IMAGE:-}
if [ -z "$base_image" ] && [ "$base_ref" != none ]; then
  echo "building the action image of $base_ref..." >&2
  mkdir "$scratch/base"
  git archive "$base_ref" | tar -x -C "$scratch/base"
  base_image=$(build_image "$scratch/base")
fi
[ -z "$base_image" ] || docker image inspect "$base_image" >/dev/null 2>&1 \
  || { echo "action-overhead: no image $base_image (BASE_ACTION_IMAGE)" >&2; exit 2; }

work=$(mktemp -d /tmp/tb-action-bench.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work" "$scratch"' EXIT

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

# The phases of the step that just ended ($1 its start, $2 its end, in ns), from its bundle's events;
# one line of milliseconds appended to $3.
phases() {
  local bundle found
  found=("$work"/run/workspace/taskbound-evidence/*.zip)
  bundle=${found[0]}
  [ -f "$bundle" ] || return 0
  unzip -p "$bundle" events.jsonl | python3 -c '
import sys, json, datetime
start, end = int(sys.argv[1]), int(sys.argv[2])
t = {}
for line in sys.stdin:
    e = json.loads(line)
    ts = datetime.datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    t.setdefault(e["type"], int(ts.timestamp() * 1e9))
marks = [start] + [t.get(k) for k in ("session.opened", "sandbox.prepared", "agent.running", "agent.exited", "session.closed")] + [end]
if None not in marks:
    print(" ".join(str(round((b - a) / 1e6)) for a, b in zip(marks, marks[1:])))
' "$1" "$2" >> "$3" || true
}

timed() { # FUNCTION -> milliseconds on stdout
  prepare
  local t0 t1; t0=$(date +%s%N)
  "$1"
  t1=$(date +%s%N)
  [ "$1" = plain ] || phases "$t0" "$t1" "$work/phases-$1.txt"
  echo $(( (t1 - t0) / 1000000 ))
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }

echo "action image: $image ($(docker image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
echo "agent image:  $agent; command: $command; $runs runs each, interleaved, after one warm-up each"
echo "load before:  $(cut -d' ' -f1-3 /proc/loadavg)"
[ -z "$base_image" ] || echo "base image:   $base_image (interleaved with the action image)"
timed plain >/dev/null
timed action >/dev/null
[ -z "$base_image" ] || timed base_action >/dev/null
rm -f "$work"/phases-*.txt # the warm-ups' phases
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
if [ -s "$work/phases-action.txt" ]; then
  echo "phases of the action step, medians in ms (this image${base_image:+ / base image}):"
  names=("until session.opened" "session opening" "sandbox start" "agent" "teardown" "results and exit")
  for i in 0 1 2 3 4 5; do
    col() { [ -s "$1" ] && awk -v c=$((i + 1)) '{print $c}' "$1" | median; }
    this=$(col "$work/phases-action.txt")
    base=$( [ -z "$base_image" ] || col "$work/phases-base_action.txt" || true)
    printf '  %-22s %6s%s\n' "${names[$i]}" "$this" "${base:+ / $base}"
  done
fi
echo "median docker run:   $p ms"
echo "median action step:  $a ms"
echo "added by the action: $(( a - p )) ms (x$(awk -v a="$a" -v p="$p" 'BEGIN {printf "%.2f", a/p}'))"
