#!/usr/bin/env bash
# The agent API's answer time for a client that keeps its connection and for one that opens a
# connection per request: CALLS `POST /v1/gate/check` each, interleaved, from python3's http.client
# inside a netns sandbox through the gateway (the agent's only way to the API), p50 and p99. The kept
# connection is a CONNECT tunnel through the gateway, as a client that tunnels everything through its
# proxy makes it (Node's undici ProxyAgent does); the gateway answers a plain proxied request once and
# closes. The other is the shipped hook's and CLI's way: a plain proxied request per connection.
# With BASE_JAR, the same run with that jar first, so one run gives both builds side by side.
#
#   bench/agent-api-keepalive.sh [CALLS]    (default 300; at least 50). Root or user namespaces;
#   python3 on the host. Loopback and the sandbox's namespace only; every loop is bounded by CALLS.
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-300}
[ "$calls" -ge 50 ] || { echo "CALLS must be at least 50" >&2; exit 2; }
command -v python3 >/dev/null || { echo "agent-api-keepalive: needs python3" >&2; exit 2; }
jar=shared-core/target/taskbound.jar
# a jar older than any main source is rebuilt: the bench measures what the sources say
[ -f "$jar" ] && [ -z "$(find shared-core/src/main -newer "$jar" -print -quit)" ] || ./mvnw -B -q -Djenkins.skip -DskipTests package

work=$(mktemp -d /tmp/agent-api-keepalive.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/workspace"
cat > "$work/policy.yml" <<'YAML'
apiVersion: taskbound.dev/v1
kind: Task
spec:
  ttl: 30m
  sandbox: {backends: [netns]}
  gate:
    hooks: [claude-code]
YAML
cat > "$work/workspace/measure.py" <<'PY'
import http.client, json, os, sys, time, urllib.parse
calls = int(sys.argv[1])
api = os.environ["TASKBOUND_AGENT_API"].rstrip("/")
target = urllib.parse.urlsplit(api)
proxy = urllib.parse.urlsplit(os.environ["HTTP_PROXY"])
headers = {"Authorization": "Bearer " + os.environ["TASKBOUND_AGENT_TOKEN"], "Content-Type": "application/json"}
body = json.dumps({"action": "tool.bash", "target": "git status", "reason": "bench"})
def ask(conn, prefix=""):
    t = time.perf_counter()
    conn.request("POST", prefix + "/v1/gate/check", body=body, headers=headers)
    r = conn.getresponse(); r.read()
    if r.status != 200:
        sys.exit("gate check answered %d" % r.status)
    return (time.perf_counter() - t) * 1000
def fresh():
    conn = http.client.HTTPConnection(proxy.hostname, proxy.port, timeout=30)
    try:
        return ask(conn, api)
    finally:
        conn.close()
kept = http.client.HTTPConnection(proxy.hostname, proxy.port, timeout=30)
kept.set_tunnel(target.hostname, target.port)
for _ in range(20):
    ask(kept); fresh()
k, f = [], []
for _ in range(calls):
    k.append(ask(kept)); f.append(fresh())
kept.close()
def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
print("result\t%s\t%.2f\t%.2f\t%.2f\t%.2f" % (sys.argv[2], pct(k, 50), pct(k, 99), pct(f, 50), pct(f, 99)))
PY
chmod 755 "$work"
# the agent never runs as root: as root, the workspace belongs to nobody (the agent then runs as it)
if [ "$(id -u)" -eq 0 ]; then chown -R 65534:65534 "$work/workspace"; fi
repo=$PWD
case ${BASE_JAR:-} in ""|/*) ;; *) BASE_JAR=$repo/$BASE_JAR ;; esac # the runs start in the work directory
echo "agent-api-keepalive: $calls gate checks per client, interleaved, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $(date -u +%FT%TZ)"
measure() { # NAME JAR
  (cd "$work/workspace" && TASKBOUND_JAR=$2 "$repo/bin/taskbound" run --task BENCH-API \
    --policy "$work/policy.yml" --out "$work/out-$1" -- python3 "$work/workspace/measure.py" "$calls" "$1" \
    2> "$work/stderr-$1") || { cat "$work/stderr-$1" >&2; exit 1; }
}
printf '| build | kept connection (tunnel) p50 | p99 | connection per request p50 | p99 |\n|---|---:|---:|---:|---:|\n'
{
  [ -z "${BASE_JAR:-}" ] || measure base "$BASE_JAR"
  measure this "$repo/$jar"
} | while IFS=$'\t' read -r mark name k50 k99 f50 f99; do
  [ "$mark" = result ] || continue # the run's own summary
  printf '| %s | %s ms | %s ms | %s ms | %s ms |\n' "$name" "$k50" "$k99" "$f50" "$f99"
done
