# taskbound-hook.bash AGENT API CAPABILITY PROXY_PORT: run by taskbound-hook (never directly, and
# with bash -p: no BASH_ENV, no functions from the environment): one HTTP/1.1 POST of the hook
# event to the agent API through the sandbox's proxy port on 127.0.0.1 as the hook's capability
# file names it (absolute-form request, Connection: close), without starting curl. Prints the body
# of a 200 and exits 0; anything else exits 2 with the reason on stderr (the agent blocks: fail closed).
export LC_ALL=C # lengths in bytes
agent=$1 api=$2 cap=$3 port=$4
refuse() {
  echo "taskbound-hook: $1, so Taskbound's gate cannot decide; refused" >&2
  exit 2
}
[[ $port =~ ^[0-9]{1,5}$ ]] || refuse "the proxy port '$port' is not a port"
[[ $api =~ ^http://([A-Za-z0-9.-]+:[0-9]{1,5})$ ]] || refuse "the agent API address is not http://host:port"
host=${BASH_REMATCH[1]}
# $(cat), not $(</dev/stdin): Claude Code gives the event on a socket, which /dev/stdin cannot reopen
event=$(cat) || refuse "the hook event could not be read"
exec 3<>"/dev/tcp/127.0.0.1/$port" || refuse "the session's gateway did not answer"
printf 'POST %s/v1/hooks/%s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
  "$api" "$agent" "$host" "$cap" "${#event}" "$event" >&3 || refuse "the session's gateway did not take the event"
IFS=$' \r' read -r -t 600 -u 3 _ status _ || refuse "the session's agent API did not answer"
length=
while IFS= read -r -t 600 -u 3 line && line=${line%$'\r'} && [ -n "$line" ]; do
  [[ $line =~ ^[Cc]ontent-[Ll]ength:\ *([0-9]{1,9})$ ]] && length=${BASH_REMATCH[1]}
done
[ -n "$length" ] || refuse "the session's answer had no Content-Length (HTTP ${status:-none})"
body=
[ "$length" -eq 0 ] || IFS= read -r -N "$length" -t 600 -u 3 body || refuse "the session's answer was cut short"
exec 3<&-
if [ "$status" = 200 ]; then
  printf '%s\n' "$body"
  exit 0
fi
echo "taskbound-hook: the session refused the hook event (HTTP ${status:-none}): $body" >&2
exit 2
