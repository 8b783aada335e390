#!/bin/sh
# A stand-in for a coding agent. It runs inside the task envelope, so its only way out is the
# Taskbound gateway, which applies examples/policies/demo.yml.
echo "agent: I am $TASKBOUND_SPIFFE_ID"

echo "agent: 1) calling the demo API, which the policy allows"
curl -sS --max-time 10 http://api.demo.test:18080/issues/42 || exit 1

echo "agent: 2) calling example.com, which the policy does not allow"
if curl -sS --max-time 10 -o /dev/null https://example.com/ 2>/tmp/blocked.err; then
  echo "agent: example.com answered: egress is NOT restricted" >&2
  exit 1
fi
echo "agent:    blocked: $(cat /tmp/blocked.err)"

echo "agent: 3) going around the proxy, straight to the demo API's address"
if curl -sS --max-time 5 --noproxy '*' -o /dev/null http://127.0.0.1:18080/ 2>/dev/null; then
  echo "agent: the direct connection worked: the sandbox leaks" >&2
  exit 1
fi
echo "agent:    no route: the sandbox has only loopback"
echo "agent: done"
