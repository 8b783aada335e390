# taskbound-hook.bash AGENT API CAPABILITY PROXY_PORT DEADLINE: run by taskbound-hook (never
# directly, and with bash -p: no BASH_ENV, no functions from the environment): one HTTP/1.1 POST of
# the hook event to the agent API through the sandbox's proxy port on 127.0.0.1 as the hook's
# capability file names it (absolute-form request, Connection: close), without starting curl.
# Prints the body of a 200 and exits 0; anything else exits 2 with the reason on stderr (the agent
# blocks: fail closed), and so does an exchange not over DEADLINE seconds after this script started:
# the event is written by a child, whose word that the kernel took it all is awaited with the time
# left (a peer that never reads, or a gateway tied up by the agent, cannot hold the hook past it),
# and every read of the answer waits only for the time left.
export LC_ALL=C # lengths in bytes
agent=$1 api=$2 cap=$3 port=$4 deadline=$5
writer=
refuse() {
  [ -z "$writer" ] || { kill "$writer" && wait "$writer"; } 2> /dev/null
  echo "taskbound-hook: $1, so Taskbound's gate cannot decide; refused" >&2
  exit 2
}
[[ $port =~ ^[0-9]{1,5}$ ]] || refuse "the proxy port '$port' is not a port"
[[ $deadline =~ ^[1-9][0-9]{0,2}$ ]] || refuse "the deadline '$deadline' is not a number of seconds"
[[ $api =~ ^http://([A-Za-z0-9.-]+:[0-9]{1,5})$ ]] || refuse "the agent API address is not http://host:port"
host=${BASH_REMATCH[1]}
# Sets left to the seconds before the deadline; refuses once there are none.
remaining() {
  left=$((deadline - SECONDS))
  ((left > 0)) || refuse "the session did not answer within $deadline s"
}
# $(cat), not $(</dev/stdin): Claude Code gives the event on a socket, which /dev/stdin cannot reopen
event=$(cat) || refuse "the hook event could not be read"
# a connection to loopback is made or refused at once (a full backlog: the kernel gives up within ~2 min)
exec 3<>"/dev/tcp/127.0.0.1/$port" || refuse "the session's gateway did not answer"
remaining
exec 4< <(printf 'POST %s/v1/hooks/%s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
  "$api" "$agent" "$host" "$cap" "${#event}" "$event" >&3 && echo sent)
writer=$!
IFS= read -r -t "$left" -u 4 sent
[ "$sent" = sent ] || refuse "the session's gateway did not take the event within $deadline s, or closed the connection"
writer=
exec 4<&-
remaining
IFS=$' \r' read -r -t "$left" -u 3 _ status _ || refuse "the session's agent API did not answer within $deadline s"
length=
while :; do
  remaining
  IFS= read -r -t "$left" -u 3 line || refuse "the session's answer (HTTP ${status:-none}) ended or stalled in its headers"
  line=${line%$'\r'}
  [ -n "$line" ] || break
  [[ $line =~ ^[Cc]ontent-[Ll]ength:\ *([0-9]{1,9})$ ]] && length=${BASH_REMATCH[1]}
done
[ -n "$length" ] || refuse "the session's answer had no Content-Length (HTTP ${status:-none})"
body=
if [ "$length" -ne 0 ]; then
  remaining
  IFS= read -r -N "$length" -t "$left" -u 3 body || refuse "the session's answer was cut short or stalled"
fi
exec 3<&-
if [ "$status" = 200 ]; then
  printf '%s\n' "$body"
  exit 0
fi
echo "taskbound-hook: the session refused the hook event (HTTP ${status:-none}): $body" >&2
exit 2
