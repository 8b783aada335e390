#!/usr/bin/env bash
# The five-minute demo: starts a local API on 127.0.0.1:18080, then runs a stand-in agent inside a
# task envelope with examples/policies/demo.yml. Needs Linux with unshare/ip (util-linux, iproute2),
# curl and Java 17; builds the CLI first if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

jar=shared-core/target/taskbound.jar
[ -f "$jar" ] || ./mvnw -B -q -Djenkins.skip -DskipTests package

java examples/DemoServer.java 18080 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -s -o /dev/null http://127.0.0.1:18080/ && break
  kill -0 "$server" 2>/dev/null || { echo "demo: the demo API did not start" >&2; exit 1; }
  sleep 0.1
done

set +e
bin/taskbound run --task DEMO-1 --policy examples/policies/demo.yml --out taskbound-evidence \
  -- sh examples/demo-agent.sh
status=$?
set -e
# sed -n 1p reads to the end: an early-exiting head would SIGPIPE ls under pipefail.
latest=$(ls -t taskbound-evidence/DEMO-1-*.zip 2>/dev/null | sed -n 1p || true)
if [ -n "$latest" ]; then
  echo
  bin/taskbound verify "$latest"
fi
exit $status
