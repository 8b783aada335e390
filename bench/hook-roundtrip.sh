#!/usr/bin/env bash
# The agent hook's round trip (issue 16): a PreToolUse event through Taskbound's hook inside the
# sandbox (/etc/claude-code/taskbound-hook: bash or curl -> the gateway -> the agent API -> ToolGate ->
# evidence -> answer), with its bash client (shipped) and its curl fallback (TASKBOUND_HOOK_CLIENT=curl,
# the client before the cut), against a no-op hook command (read the event, print {}), the way Claude Code
# runs a command hook: /bin/sh -c COMMAND with the event on stdin. All three run inside the same sandbox,
# interleaved, CALLS each (after 20 warm-up calls each); p50, p99 and what the hook adds.
#
#   bench/hook-roundtrip.sh [CALLS]     (default 1000; at least 100). Root or user namespaces
#   (a netns sandbox); python3 and curl on the host. Loopback and the sandbox's namespace only.
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-1000}
[ "$calls" -ge 100 ] || { echo "CALLS must be at least 100" >&2; exit 2; }
command -v python3 >/dev/null || { echo "hook-roundtrip: needs python3" >&2; exit 2; }
jar=shared-core/target/taskbound.jar
# a jar older than any main source is rebuilt: the bench measures what the sources say
[ -f "$jar" ] && [ -z "$(find shared-core/src/main -newer "$jar" -print -quit)" ] || ./mvnw -B -q -Djenkins.skip -DskipTests package

work=$(mktemp -d /tmp/hook-roundtrip.XXXXXX)
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
    tools:
      - {action: tool.bash, match: "git push *", decision: deny, reason: "bench rule"}
YAML
cat > "$work/workspace/measure.py" <<'PY'
import json, subprocess, sys, time
calls = int(sys.argv[1])
event = json.dumps({"session_id": "bench", "hook_event_name": "PreToolUse", "cwd": sys.argv[2],
                    "tool_name": "Bash", "tool_use_id": "toolu_bench",
                    "tool_input": {"command": "git status", "description": "bench"}}).encode()
hook = "/bin/sh /etc/claude-code/taskbound-hook claude-code"
curl_hook = "TASKBOUND_HOOK_CLIENT=curl " + hook
noop = "cat >/dev/null; echo '{}'"
def once(cmd):
    t = time.perf_counter()
    r = subprocess.run(["/bin/sh", "-c", cmd], input=event, capture_output=True)
    d = (time.perf_counter() - t) * 1000
    if r.returncode != 0:
        sys.exit("hook failed: " + r.stderr.decode())
    return d
for _ in range(20):
    once(hook); once(curl_hook); once(noop)
h, c, n = [], [], []
for _ in range(calls):
    h.append(once(hook)); c.append(once(curl_hook)); n.append(once(noop))
def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
print("| | p50 | p99 | added p50 | added p99 |")
print("|---|---:|---:|---:|---:|")
print("| no-op hook command | %.1f ms | %.1f ms | | |" % (pct(n, 50), pct(n, 99)))
for name, xs in (("Taskbound hook, curl client (the earlier script)", c), ("Taskbound hook, bash client (shipped)", h)):
    print("| %s | %.1f ms | %.1f ms | %.1f ms | **%.1f ms** |" % (name, pct(xs, 50), pct(xs, 99), pct(xs, 50) - pct(n, 50), pct(xs, 99) - pct(n, 99)))
print("target: added p99 < 20 ms; curl/bash added p99 ratio %.2f" % ((pct(c, 99) - pct(n, 99)) / max(0.1, pct(h, 99) - pct(n, 99))))
PY
chmod 755 "$work"
# the agent never runs as root: as root, the workspace belongs to nobody (the agent then runs as it)
if [ "$(id -u)" -eq 0 ]; then chown -R 65534:65534 "$work/workspace"; fi
repo=$PWD
echo "hook-roundtrip: $calls PreToolUse calls each, interleaved, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $(date -u +%FT%TZ)"
(cd "$work/workspace" && TASKBOUND_JAR=$repo/$jar "$repo/bin/taskbound" run --task BENCH-HOOK --policy "$work/policy.yml" --out "$work/out" \
  -- python3 "$work/workspace/measure.py" "$calls" "$work/workspace" 2> "$work/stderr") \
  || { cat "$work/stderr" >&2; exit 1; }
