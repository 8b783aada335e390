#!/bin/sh
# taskbound-hook AGENT: an agent's hook command inside a Taskbound sandbox (docs/hooks.md).
# Forwards the hook event (JSON on stdin) to the session's agent API, through the session's
# gateway with the hook's own capability, and prints the session's answer, which is in the agent's
# documented hook output format. Written by the session and read-only in the sandbox; the decision
# is the session's. Anything but a 200 from the session blocks (exit 2): fail closed.
#
# The endpoint and the hook's capability come from the file beside this script, never from the
# environment, which the agent's project settings can change; so do the tools: a fixed PATH, and
# curl without ~/.curlrc (-q). Bash talks HTTP/1.1 to the gateway itself where it can (curl's
# start-up dominated the round trip: bench/hook-roundtrip.sh); curl is the fallback.
PATH=/usr/local/bin:/usr/bin:/bin
export PATH
agent=${1:-claude-code}
case $agent in
  claude-code) ;;
  *) echo "taskbound-hook: unknown agent '$agent'; accepted: claude-code" >&2; exit 2 ;;
esac
dir=${0%/*}
refuse() {
  echo "taskbound-hook: $1, so Taskbound's gate cannot decide; refused" >&2
  exit 2
}
IFS=' ' read -r api cap < "$dir/hook-capability" || refuse "the hook's capability ($dir/hook-capability) cannot be read"
[ -n "$api" ] && [ -n "$cap" ] || refuse "the hook's capability file is incomplete"
proxy=${HTTP_PROXY:-${http_proxy:-}}
case ${TASKBOUND_HOOK_CLIENT:-}:$proxy in
  curl:*) ;;
  *:http://127.0.0.1:[0-9]*)
    if [ -x /bin/bash ]; then
      exec /bin/bash "$dir/taskbound-hook.bash" "$agent" "$api" "$cap" "${proxy#http://127.0.0.1:}"
    fi ;;
esac
nl='
'
# The capability reaches curl as a configuration line on descriptor 4 (a here-document), never on
# its command line; the event is curl's standard input as the agent gave it (a pipe or a socket).
reply=$(curl -q --silent --show-error --max-time 600 --config /dev/fd/4 --request POST \
    --header 'Content-Type: application/json' --data-binary @- \
    --write-out "${nl}%{http_code}" "$api/v1/hooks/$agent" 4<<EOF
header = "Authorization: Bearer $cap"
proxy = "$proxy"
EOF
) || refuse "the session's agent API did not answer"
status=${reply##*"$nl"}
body=${reply%"$nl"*}
if [ "$status" = 200 ]; then
  printf '%s\n' "$body"
  exit 0
fi
echo "taskbound-hook: the session refused the hook event (HTTP $status): $body" >&2
exit 2
