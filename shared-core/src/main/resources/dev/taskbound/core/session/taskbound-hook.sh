#!/bin/sh
# taskbound-hook AGENT: an agent's hook command inside a Taskbound sandbox (docs/hooks.md).
# Forwards the hook event (JSON on stdin) to the session's agent API, through the session's
# gateway with the session's capability, and prints the session's answer, which is in the agent's
# documented hook output format. Written by the session and read-only in the sandbox; the decision
# is the session's. Anything but an answer from the session blocks (exit 2): fail closed.
agent=${1:-claude-code}
case $agent in
  claude-code) ;;
  *) echo "taskbound-hook: unknown agent '$agent'; accepted: claude-code" >&2; exit 2 ;;
esac
if [ -z "${TASKBOUND_AGENT_API:-}" ] || [ -z "${TASKBOUND_AGENT_TOKEN:-}" ]; then
  echo "taskbound-hook: TASKBOUND_AGENT_API or TASKBOUND_AGENT_TOKEN is not set, so Taskbound's gate cannot decide; refused" >&2
  exit 2
fi
nl='
'
# The capability reaches curl as a configuration line on descriptor 4 (a here-document), never on
# its command line; the event is curl's standard input as the agent gave it (a pipe or a socket).
reply=$(curl --silent --show-error --max-time 600 --config /dev/fd/4 --request POST \
    --header 'Content-Type: application/json' --data-binary @- \
    --write-out "${nl}%{http_code}" "$TASKBOUND_AGENT_API/v1/hooks/$agent" 4<<EOF
header = "Authorization: Bearer $TASKBOUND_AGENT_TOKEN"
EOF
) || {
  echo "taskbound-hook: the session's agent API did not answer, so Taskbound's gate cannot decide; refused" >&2
  exit 2
}
status=${reply##*"$nl"}
body=${reply%"$nl"*}
if [ "$status" = 200 ]; then
  printf '%s\n' "$body"
  exit 0
fi
echo "taskbound-hook: the session refused the hook event (HTTP $status): $body" >&2
exit 2
