#!/bin/sh
# taskbound-hook AGENT: an agent's hook command inside a Taskbound sandbox (docs/hooks.md).
# Forwards the hook event (JSON on stdin) to the session's agent API, through the session's
# gateway with the hook's own capability, and prints the session's answer, which is in the agent's
# documented hook output format. Written by the session and read-only in the sandbox; the decision
# is the session's. Anything but a 200 from the session blocks (exit 2): fail closed.
#
# The endpoint, the hook's capability and the gateway's address (the sandbox's own proxy port) come
# from the file beside this script, never from the environment, which the agent's project settings
# can change (an HTTP_PROXY naming a listener of the agent's own would answer for the session); so
# do the tools: a fixed PATH, curl without ~/.curlrc (-q) and without the proxy variables, bash
# without BASH_ENV or functions from the environment (-p). Bash talks HTTP/1.1 to the gateway
# itself where it can (curl's start-up dominated the round trip: bench/hook-roundtrip.sh); curl is
# the fallback.
#
# The whole exchange ends within 600 s (TASKBOUND_HOOK_DEADLINE may only shorten it), before Claude
# Code's own timeout for the hook (660 s in the managed settings): a hook Claude Code times out, or
# one that ends with any status but 0 and 2, does not block the call. So every failure, a deadline
# passed, a refused connection, a short answer or the client dying on a signal, ends here with 2.
PATH=/usr/local/bin:/usr/bin:/bin
export PATH
unset HTTP_PROXY http_proxy HTTPS_PROXY https_proxy ALL_PROXY all_proxy NO_PROXY no_proxy
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
IFS=' ' read -r api cap proxy < "$dir/hook-capability" || refuse "the hook's capability ($dir/hook-capability) cannot be read"
[ -n "$api" ] && [ -n "$cap" ] || refuse "the hook's capability file is incomplete"
port=${proxy#http://127.0.0.1:}
case $proxy:$port in
  http://127.0.0.1:*:*[!0-9]*|http://127.0.0.1:*:) refuse "the gateway's address in the hook's capability file is not http://127.0.0.1:PORT" ;;
  http://127.0.0.1:*) ;;
  *) refuse "the hook's capability file names no gateway address (http://127.0.0.1:PORT)" ;;
esac
limit=600
case ${TASKBOUND_HOOK_DEADLINE:-} in
  [1-9]|[1-9][0-9]|[1-5][0-9][0-9]) limit=$TASKBOUND_HOOK_DEADLINE ;; # 1 to 599: only shorter
esac
if [ "${TASKBOUND_HOOK_CLIENT:-}" != curl ] && [ -x /bin/bash ]; then
  /bin/bash -p "$dir/taskbound-hook.bash" "$agent" "$api" "$cap" "$port" "$limit"
  client=$?
  [ "$client" = 0 ] && exit 0
  [ "$client" = 2 ] && exit 2
  refuse "the hook's bash client ended with status $client"
fi
nl='
'
# The capability reaches curl as a configuration line on descriptor 4 (a here-document), never on
# its command line; the event is curl's standard input as the agent gave it (a pipe or a socket).
reply=$(curl -q --silent --show-error --max-time "$limit" --config /dev/fd/4 --request POST \
    --header 'Content-Type: application/json' --data-binary @- \
    --write-out "${nl}%{http_code} %{size_download} %header{content-length}" "$api/v1/hooks/$agent" 4<<EOF
header = "Authorization: Bearer $cap"
proxy = "$proxy"
noproxy = ""
EOF
) || refuse "the session's agent API did not answer, or not within $limit s"
body=${reply%"$nl"*}
# the status, and the body's length as received and as announced: an answer cut short (curl takes a
# head that ends early as whole) or without a Content-Length is refused, as the bash client does
IFS=' ' read -r status size length <<EOF
${reply##*"$nl"}
EOF
[ -n "$length" ] && [ "$size" = "$length" ] || refuse "the session's answer (HTTP $status) was cut short or had no Content-Length"
if [ "$status" = 200 ]; then
  printf '%s\n' "$body"
  exit 0
fi
echo "taskbound-hook: the session refused the hook event (HTTP $status): $body" >&2
exit 2
