#!/usr/bin/env bash
# The five-minute demo: starts a local API on 127.0.0.1:18080, then runs a stand-in agent inside a
# task envelope with examples/policies/demo.yml. Needs Linux with unshare/ip (util-linux, iproute2),
# curl and Java 17; builds the CLI first if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# The netns sandbox is built by bubblewrap: on a fresh Debian/Ubuntu machine, as root, install it.
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "demo: installing bubblewrap (the netns sandbox's runtime requirement)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null
  else
    echo "demo: bubblewrap (bwrap) is missing; install it, e.g. sudo apt-get install bubblewrap" >&2
    exit 1
  fi
fi

jar=shared-core/target/taskbound.jar
[ -f "$jar" ] || ./mvnw -B -q -Djenkins.skip -DskipTests package

# Everything the demo starts or makes goes when it ends, however it ends: one trap for all of it.
server=
scratch=
host_record=
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true # the port is free again once the demo has exited
  fi
  if [ -n "$scratch" ]; then rm -rf "$scratch"; fi
  if [ -n "$host_record" ]; then rm -f "$host_record"; fi
}
trap cleanup EXIT

java examples/DemoServer.java 18080 &
server=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null http://127.0.0.1:18080/ && break
  kill -0 "$server" 2>/dev/null || { echo "demo: the demo API did not start" >&2; exit 1; }
  sleep 0.1
done

# The agent never runs as root: it runs as the owner of its workspace (docs/sandbox.md). Run as root
# in a root-owned checkout (a CI machine, a container), the demo gives the agent a scratch
# workspace of its own, owned by nobody (uid 65534), as a CI user's checkout would be.
root=$PWD
workspace=$root
if [ "$(id -u)" -eq 0 ] && [ "$(stat -c %u .)" -eq 0 ]; then
  scratch=$(mktemp -d /tmp/taskbound-demo.XXXXXX)
  workspace=$scratch
  mkdir -p "$workspace/examples"
  cp examples/demo-agent.sh "$workspace/examples/"
  chown -R 65534:65534 "$workspace"
  echo "demo: running as root in a root-owned checkout; the agent's workspace is $workspace (owned by uid 65534)"
fi

# The run prints the evidence key's kid before the agent starts: the host's record of who may seal
# the bundle. Keep a copy of Taskbound's stderr to verify against it.
host_record=$(mktemp)
set +e
(cd "$workspace" && "$root/bin/taskbound" run --task DEMO-1 --policy "$root/examples/policies/demo.yml" \
  --out "$root/taskbound-evidence" -- sh examples/demo-agent.sh) 2>&1 | tee "$host_record"
status=${PIPESTATUS[0]}
set -e
kid=$(sed -n 's/^  evidence key: kid \([A-Za-z0-9_-]*\).*/\1/p' "$host_record" | sed -n 1p)
# sed -n 1p reads to the end: an early-exiting head would SIGPIPE ls under pipefail.
latest=$(ls -t taskbound-evidence/DEMO-1-*.zip 2>/dev/null | sed -n 1p || true)
if [ -n "$latest" ]; then
  echo
  bin/taskbound verify --expect-kid "$kid" "$latest"
fi
exit $status
