#!/usr/bin/env bash
# The agent side of an inspected connection (issue 15): the CPU the server engine spends per
# handshake and per byte of 16 KiB records, the JDK's SSLEngine against BoringSSL's (AgentTls), in
# one JVM, rounds interleaved, two warm-up rounds dropped. Thread CPU time of the server engine's
# calls only, in memory (no sockets), so the figures read the same on a shared machine.
#   bench/agent-tls.sh [HANDSHAKES] [MIB] [ROUNDS]     (defaults 200 64 5)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f shared-core/target/test-classes/dev/taskbound/core/egress/AgentTlsBench.class ] \
  || ./mvnw -B -q -o -Djenkins.skip -pl shared-core test-compile
deps=$(./mvnw -q -o -Djenkins.skip -pl shared-core dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=/dev/stdout)
flags=$(sed -n 's/^gateway_jvm_flags="\(.*\)"$/\1/p' bin/taskbound)  # the gateway's own JVM flags
echo "date: $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores; $(java -version 2>&1 | sed -n 1p); load average $(cut -d' ' -f1-3 /proc/loadavg)"
java $flags -cp "shared-core/target/classes:shared-core/target/test-classes:$deps" \
  dev.taskbound.core.egress.AgentTlsBench "${1:-200}" "${2:-64}" "${3:-5}"
