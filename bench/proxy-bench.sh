#!/usr/bin/env bash
# The egress gateway against direct, squid and tinyproxy, side by side in one run, with ratios:
#   1. bulk throughput of a TLS download through a CONNECT tunnel (curl, median of RUNS)
#   2. latency p50/p90/p99 of a new tunnel + small request (1 client thread, paths interleaved), and
#      new tunnels per second with 4 client threads (rounds, paths interleaved round by round)
#   3. CONCURRENT tunnels held open at once: success and each proxy's RSS
#   4. per-command overhead of entering the netns sandbox (SandboxStartBench)
#   5. the inspected path (issue 15): a host the gateway inspects (TLS terminated with a session CA,
#      each request read and decided, TLS to the origin verified) against the same gateway's opaque
#      tunnel and squid with `ssl_bump bump all` (squid-openssl): throughput, p99, connections per second
# The origin is nginx with a self-signed certificate on 127.0.0.1. Taskbound's path is what an
# agent sees: the client runs inside a real netns sandbox whose listening socket was handed to the
# gateway (a standalone JVM, GatewayMain, so its RSS and CPU are its own), so the gateway accepts
# the client's connections itself: one relay hop.
# "gw+fwd" is the forwarding fallback (the container backend, or a JVM that cannot hand the socket
# over): the same forwarder code on the host (ContainerForwarder, the sandbox JVM's flags) in front
# of the same gateway socket, two relay hops; a host client reaches it, so it is interleaved.
# "gw-1hop" (throughput and latency, diagnostic): the same gateway serving a listener on the host's
# loopback (GatewayMain --tcp, Gateway.serveFrom), i.e. taskbound's relay path for a client
# outside any sandbox; its latency is interleaved with direct's and squid's in one client JVM.
# Loopback only. Installs squid, tinyproxy and nginx-light with apt-get when missing (root).
# Every server it starts is stopped on exit.
#
#   bench/proxy-bench.sh [SIZE_MIB] [RUNS] [CONCURRENT]     (defaults 1024 3 1000)
# Environment: SECTIONS (default 12345: which measurements to run), LATENCY_OPS (1000 per path),
#   BASE_CLASSES (section 5: a built base tree, interleaved as "insp-base"), INSPECT_JVM_FLAGS (section 5's gateways),
#   LATENCY_ROUNDS (4: rounds of own-JVM latency clients, 2a'),
#   RATE_THREADS (4), RATE_SECONDS (4 per path and round), RATE_ROUNDS (5), RATE_MAX_OPS (20000).
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${2:-3}
concurrent=${3:-1000}
rate_seconds=${RATE_SECONDS:-4}
rate_rounds=${RATE_ROUNDS:-5}
rate_threads=${RATE_THREADS:-4}
latency_ops=${LATENCY_OPS:-1000}
rate_max_ops=${RATE_MAX_OPS:-20000}
sections=${SECTIONS:-12345}

need=()
command -v squid >/dev/null || need+=(squid-openssl) # squid with TLS, for section 5's ssl_bump
command -v tinyproxy >/dev/null || need+=(tinyproxy)
command -v nginx >/dev/null || need+=(nginx-light)
command -v curl >/dev/null || need+=(curl)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "install ${need[*]} first (apt-get install ${need[*]})" >&2; exit 2; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

[ -d shared-core/target/test-classes/dev/taskbound/core/clients/bench ] \
  || ./mvnw -B -q -o -Djenkins.skip -pl shared-core test-compile
# The sandbox hands its listening socket to the gateway through junixsocket: its jars are needed;
# the inspecting gateway (section 5) needs more of the runtime classpath (BouncyCastle, Jackson).
junixsocket=$(./mvnw -q -Djenkins.skip -pl shared-core dependency:build-classpath \
  -DincludeScope=runtime \
  -Dmdep.outputFile=/dev/stdout)
cp="$PWD/shared-core/target/classes:$PWD/shared-core/target/test-classes:$junixsocket"

ulimit -n 20000 2>/dev/null || true
work=$(mktemp -d /tmp/tb-proxy-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  [ -f "$work/squid.pid" ] && kill "$(cat "$work/squid.pid")" 2>/dev/null || true
  [ -f "$work/squid-bump.pid" ] && kill "$(cat "$work/squid-bump.pid")" 2>/dev/null || true
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # port, name: bounded wait for a TCP listener
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$2 did not listen on 127.0.0.1:$1" >&2; exit 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # user + system time, in clock ticks
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# --- origin: nginx, TLS, a SIZE_MIB file and a small response ---------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext "subjectAltName=IP:127.0.0.1,DNS:origin.test,DNS:opaque.test" -keyout "$work/origin.key" -out "$work/origin.pem" 2>/dev/null
mkdir -p "$work/www" "$work/nginx"
truncate -s "${size_mib}M" "$work/www/big"
origin_port=$(free_port)
cat > "$work/nginx.conf" <<EOF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  keepalive_timeout 120s;
  server {
    listen 127.0.0.1:$origin_port ssl;
    ssl_certificate $work/origin.pem;
    ssl_certificate_key $work/origin.key;
    root $work/www;
    location = /small { return 200 "ok\n"; }
  }
}
EOF
nginx -c "$work/nginx.conf" -p "$work/nginx" -e "$work/nginx/error.log"
wait_port "$origin_port" nginx
origin="127.0.0.1:$origin_port"

# --- squid -------------------------------------------------------------------------------------
squid_port=$(free_port)
chmod 777 "$work"
cat > "$work/squid.conf" <<EOF
http_port 127.0.0.1:$squid_port
acl bench_dst port $origin_port
http_access allow localhost bench_dst
http_access deny all
cache deny all
cache_mem 8 MB
access_log none
cache_log $work/squid-cache.log
pid_filename $work/squid.pid
coredump_dir $work
max_filedescriptors 16384
shutdown_lifetime 0 seconds
EOF
squid -N -f "$work/squid.conf" 2>"$work/squid.err" &
pids+=($!)
wait_port "$squid_port" squid

# --- tinyproxy ---------------------------------------------------------------------------------
tiny_port=$(free_port)
cat > "$work/tinyproxy.conf" <<EOF
Port $tiny_port
Listen 127.0.0.1
Timeout 600
MaxClients 4096
Allow 127.0.0.1
ConnectPort $origin_port
LogLevel Critical
PidFile "$work/tinyproxy.pid"
EOF
tinyproxy -d -c "$work/tinyproxy.conf" >"$work/tinyproxy.log" 2>&1 &
pids+=($!)
tiny_pid=$!
wait_port "$tiny_port" tinyproxy

# --- taskbound: standalone gateway on a Unix socket ----------------------------------------------
# GATEWAY_JVM_FLAGS: by default those bin/taskbound gives `run`, whose JVM runs the gateway in a real session.
gateway_flags=${GATEWAY_JVM_FLAGS-$(sed -n 's/^gateway_jvm_flags="\(.*\)"$/\1/p' bin/taskbound)}
[ -n "${GATEWAY_JVM_FLAGS+set}" ] || [ -n "$gateway_flags" ] || { echo "no gateway_jvm_flags line in bin/taskbound" >&2; exit 1; }
# Both JVMs open the JDK's channel internals, as the jar's manifest does (ListenerHandoff).
opens="--add-opens java.base/sun.nio.ch=ALL-UNNAMED"
onehop_port=$(free_port)
java $gateway_flags $opens -cp "$cp" dev.taskbound.core.clients.bench.GatewayMain "$work/gw.sock" $((concurrent + 100)) \
  "127.0.0.1:$origin_port" --handoff "$work/gw-handoff.sock" --tcp "$onehop_port" > "$work/gateway.out" 2>"$work/gateway.err" &
pids+=($!)
gw_pid=$!
for _ in $(seq 100); do grep -q '^ready' "$work/gateway.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^ready' "$work/gateway.out" || { cat "$work/gateway.err" >&2; exit 1; }
fwd_port=$(free_port)
# The flags of the sandbox's own forwarder JVM (InitCommand).
java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xmx32m -XX:MaxDirectMemorySize=128m -Xss512k \
  -cp "$cp" dev.taskbound.core.sandbox.ContainerForwarder "$work/gw.sock" "$fwd_port" > "$work/fwd.out" 2>&1 &
pids+=($!)
fwd_pid=$!
wait_port "$fwd_port" forwarder
in_sandbox() { java $opens -cp "$cp" dev.taskbound.core.clients.bench.InSandbox "$work/gw.sock" --handoff "$work/gw-handoff.sock" "$@"; }

squid_pid() { # the worker that relays (squid -N runs one process)
  echo "${pids[0]}"
}

echo "date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo);" \
  "$(java -version 2>&1 | sed -n 1p); $(curl --version | sed -n 1p | cut -d' ' -f1-2); $(squid -v | sed -n 1p); $(tinyproxy -v); nginx $(nginx -v 2>&1 | cut -d/ -f2)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (anything above ~0.5 on 2 cores means other work shares the CPUs)"

if [[ $sections == *1* ]]; then
# --- 1. throughput ---------------------------------------------------------------------------
echo
echo "1. throughput: ${size_mib} MiB over TLS through a CONNECT tunnel, curl, median of $runs (MB/s after the first byte)"
curl_args=(-sS -o /dev/null --cacert "$work/origin.pem" -w '%{size_download} %{time_starttransfer} %{time_total}\n' "https://$origin/big")
# Bulk rate = bytes / (total time - time to the first byte): the relay's throughput, without the
# set-up (connect, CONNECT, TLS), which section 2 measures. The time to the first byte is kept too:
# inside a fresh sandbox it includes the wait for the gateway to take the sandbox's listener.
record() { awk -v f="$work/t.$1" '{ printf "%.0f\n", $1 / ($3 - $2) >> f; printf "%.1f\n", $2 * 1000 >> (f ".ttfb"); printf "%.0f\n", $1 / $3 >> (f ".whole") }'; }
: > "$work/t.direct"; : > "$work/t.squid"; : > "$work/t.tinyproxy"; : > "$work/t.taskbound"; : > "$work/t.gw+fwd"; : > "$work/t.gw-1hop"
rm -f "$work"/t.*.ttfb "$work"/t.*.whole
for _ in $(seq "$runs"); do  # interleaved, so machine noise hits every path alike
  curl --noproxy '*' "${curl_args[@]}" | record direct
  before=$(cpu_ticks "${pids[0]}")
  curl -x "http://127.0.0.1:$squid_port" "${curl_args[@]}" | record squid
  echo $(( $(cpu_ticks "${pids[0]}") - before )) >> "$work/cpu.squid"
  curl -x "http://127.0.0.1:$tiny_port" "${curl_args[@]}" | record tinyproxy
  before=$(cpu_ticks "$gw_pid")
  in_sandbox curl "${curl_args[@]}" | record taskbound
  echo $(( $(cpu_ticks "$gw_pid") - before )) >> "$work/cpu.taskbound"
  before=$(( $(cpu_ticks "$gw_pid") + $(cpu_ticks "$fwd_pid") ))
  curl -x "http://127.0.0.1:$fwd_port" "${curl_args[@]}" | record gw+fwd
  echo $(( $(cpu_ticks "$gw_pid") + $(cpu_ticks "$fwd_pid") - before )) >> "$work/cpu.gw+fwd"
  before=$(cpu_ticks "$gw_pid")
  curl -x "http://127.0.0.1:$onehop_port" "${curl_args[@]}" | record gw-1hop
  echo $(( $(cpu_ticks "$gw_pid") - before )) >> "$work/cpu.gw-1hop"
done
direct_tp=$(median < "$work/t.direct")
for path in direct squid tinyproxy taskbound gw+fwd gw-1hop; do
  m=$(median < "$work/t.$path")
  awk -v p="$path" -v m="$m" -v d="$direct_tp" -v all="$(tr '\n' ' ' < "$work/t.$path")" \
    -v ttfb="$(median < "$work/t.$path.ttfb")" -v whole="$(median < "$work/t.$path.whole")" \
    -v dwhole="$(median < "$work/t.direct.whole")" \
    'BEGIN {printf "  %-10s %8.0f MB/s  %.2fx direct   first byte after %6.1f ms; counting it: %4.0f MB/s, %.2fx   (runs: %s)\n", p, m/1e6, m/d, ttfb, whole/1e6, whole/dwhole, all}'
done
ticks=$(getconf CLK_TCK)
for path in squid taskbound gw+fwd gw-1hop; do  # the CPU a relay costs: gw+fwd is two hops, the others one
  awk -v p="$path" -v t="$ticks" -v mib="$size_mib" '{ s += $1 } END { printf "  CPU of the %s relay process(es): %.2f s per GiB relayed\n", p, s / t / NR / (mib / 1024) }' "$work/cpu.$path"
done
fi

if [[ $sections == *2* ]]; then
# --- 2. latency and tunnel rate -----------------------------------------------------------------
# One operation = new TCP connection + CONNECT + TLS handshake + GET /small (Connection: close).
echo
echo "2a. latency, 1 client thread, $latency_ops operations per path; direct, squid, gw-1hop and gw+fwd are taken"
echo "    in turn, operation by operation, in one client JVM (so noise and the client's warm-up hit them alike);"
echo "    gw-1hop is taskbound's relay path for a host client, so it compares with squid like for like"
java -cp "$cp" dev.taskbound.core.clients.bench.TunnelBench latency \
  "direct=direct,squid=127.0.0.1:$squid_port,gw-1hop=127.0.0.1:$onehop_port,gw+fwd=127.0.0.1:$fwd_port" \
  127.0.0.1 "$origin_port" "$work/origin.pem" "$latency_ops" 300 > "$work/latency" 2>"$work/latency.err" \
  || { cat "$work/latency.err" >&2; exit 1; }
# tinyproxy takes ~45 ms an operation; interleaved, its idle gaps would slow the others' wake-ups.
java -cp "$cp" dev.taskbound.core.clients.bench.TunnelBench latency "tinyproxy=127.0.0.1:$tiny_port" \
  127.0.0.1 "$origin_port" "$work/origin.pem" $((latency_ops / 4)) 300 >> "$work/latency" 2>"$work/latency.err" \
  || { cat "$work/latency.err" >&2; exit 1; }
# The client inside the sandbox reaches only the sandbox's loopback: its own client JVM.
in_sandbox java -cp "$cp" dev.taskbound.core.clients.bench.TunnelBench latency "taskbound=env" \
  127.0.0.1 "$origin_port" "$work/origin.pem" "$latency_ops" 300 >> "$work/latency" 2>"$work/latency.err" \
  || { cat "$work/latency.err" >&2; exit 1; }
awk '
  { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } p = v["path"]; names[NR] = p
    p50[p] = v["p50_ms"]; p90[p] = v["p90_ms"]; p99[p] = v["p99_ms"]; err[p] = v["errors"] }
  END {
    for (n = 1; n <= length(names); n++) {
      p = names[n]
      printf "    %-10s p50 %6.3f ms  p90 %6.3f ms  p99 %6.3f ms   added to direct: p50 %+6.3f ms  p99 %+6.3f ms  errors %d\n",
        p, p50[p], p90[p], p99[p], p50[p] - p50["direct"], p99[p] - p99["direct"], err[p]
    }
  }' "$work/latency"

echo
latency_rounds=${LATENCY_ROUNDS:-4}
echo "2a'. latency as the sandboxed client sees it, like for like: direct, squid and taskbound each in a client"
echo "    JVM of its own (as taskbound's must be, inside the sandbox), $latency_rounds rounds in turn, samples pooled"
mkdir -p "$work/samples"
export TUNNELBENCH_SAMPLES_DIR="$work/samples"
per_round=$(( latency_ops / latency_rounds ))
for _ in $(seq "$latency_rounds"); do
  java -cp "$cp" dev.taskbound.core.clients.bench.TunnelBench latency "direct=direct" \
    127.0.0.1 "$origin_port" "$work/origin.pem" "$per_round" 300 > /dev/null 2>"$work/latency.err" || { cat "$work/latency.err" >&2; exit 1; }
  java -cp "$cp" dev.taskbound.core.clients.bench.TunnelBench latency "squid=127.0.0.1:$squid_port" \
    127.0.0.1 "$origin_port" "$work/origin.pem" "$per_round" 300 > /dev/null 2>"$work/latency.err" || { cat "$work/latency.err" >&2; exit 1; }
  in_sandbox java -cp "$cp" dev.taskbound.core.clients.bench.TunnelBench latency "taskbound=env" \
    127.0.0.1 "$origin_port" "$work/origin.pem" "$per_round" 300 > /dev/null 2>"$work/latency.err" || { cat "$work/latency.err" >&2; exit 1; }
done
unset TUNNELBENCH_SAMPLES_DIR
pct() { sort -g "$1" | awk -v q="$2" '{a[NR]=$1} END {i=int(q*NR+0.999999); if (i<1) i=1; print a[i]}'; }
d50=$(pct "$work/samples/direct.samples" 0.5); d99=$(pct "$work/samples/direct.samples" 0.99)
for path in direct squid taskbound; do
  f="$work/samples/$path.samples"
  p50=$(pct "$f" 0.5); p99=$(pct "$f" 0.99)
  awk -v p="$path" -v n="$(wc -l < "$f")" -v a="$p50" -v b="$p99" -v da="$d50" -v db="$d99" \
    'BEGIN { printf "    %-10s p50 %6.3f ms  p99 %6.3f ms   added to direct: p50 %+6.3f ms  p99 %+6.3f ms  (%d samples)\n", p, a, b, a - da, b - db, n }'
done

echo
echo "2b. new tunnels per second, $rate_threads client threads, ${rate_seconds} s per path per round, $rate_rounds rounds"
echo "    (paths interleaved round by round; medians over rounds)"
rate_of() { # label proxy-spec
  if [ "$1" = taskbound ]; then
    in_sandbox java -cp "$cp" dev.taskbound.core.clients.bench.TunnelBench rate env 127.0.0.1 "$origin_port" \
      "$work/origin.pem" "$rate_seconds" "$rate_max_ops" "$rate_threads"
  else
    java -cp "$cp" dev.taskbound.core.clients.bench.TunnelBench rate "$2" 127.0.0.1 "$origin_port" \
      "$work/origin.pem" "$rate_seconds" "$rate_max_ops" "$rate_threads"
  fi
}
: > "$work/rate"
for _ in $(seq "$rate_rounds"); do
  for path in direct squid tinyproxy taskbound gw+fwd; do
    case $path in
      direct) spec=direct ;; squid) spec="127.0.0.1:$squid_port" ;; tinyproxy) spec="127.0.0.1:$tiny_port" ;;
      gw+fwd) spec="127.0.0.1:$fwd_port" ;; *) spec=env ;;
    esac
    case $path in squid) relay_pids="${pids[0]}" ;; gw+fwd) relay_pids="$gw_pid $fwd_pid" ;; taskbound) relay_pids="$gw_pid" ;; *) relay_pids="" ;; esac
    before=0; for p in $relay_pids; do before=$((before + $(cpu_ticks "$p"))); done
    line=$(rate_of "$path" "$spec" 2>"$work/rate.err" | grep '^rate') || { cat "$work/rate.err" >&2; exit 1; }
    echo "$path $line" >> "$work/rate"
    if [ -n "$relay_pids" ]; then  # relay CPU per tunnel: the ops of this round against the ticks it took
      after=0; for p in $relay_pids; do after=$((after + $(cpu_ticks "$p"))); done
      ops=$(echo "$line" | sed -n 's/.*ops=\([0-9]*\).*/\1/p')
      echo "$((after - before)) $ops" >> "$work/rate-cpu.$path"
    fi
  done
done
for path in direct squid tinyproxy taskbound gw+fwd; do
  rates=$(awk -v p="$path" '$1 == p { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "per_second") print kv[2] } }' "$work/rate")
  errors=$(awk -v p="$path" '$1 == p { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "errors") e += kv[2] } } END { print e + 0 }' "$work/rate")
  echo "$path $(echo "$rates" | median) $errors $(echo $rates)"
done > "$work/rate.median"
awk '{ r[$1] = $2; line[NR] = $0 }
  END {
    for (n = 1; n <= NR; n++) {
      split(line[n], f, " "); p = f[1]
      rounds = ""; for (i = 4; i <= length(f); i++) rounds = rounds " " sprintf("%.0f", f[i])
      printf "    %-10s %6.0f tunnels/s  %.2fx direct  %.2fx squid   errors %d   (rounds:%s)\n", p, r[p], r[p] / r["direct"], r[p] / r["squid"], f[3], rounds
    }
  }' "$work/rate.median"
for path in squid taskbound gw+fwd; do  # the CPU the relay process(es) spent per tunnel (warm-up included in the ticks)
  awk -v p="$path" -v t="$(getconf CLK_TCK)" '{ ticks += $1; ops += $2 } END { printf "    CPU of the %s relay process(es): %.0f us per tunnel (the client warm-up is in the ticks, not the count: compare, do not read alone)\n", p, ticks / t / ops * 1e6 }' "$work/rate-cpu.$path"
done
fi

if [[ $sections == *3* ]]; then
# --- 3. concurrent open tunnels -----------------------------------------------------------------
echo
echo "3. $concurrent tunnels open at once (TLS + one keep-alive GET each), proxy RSS while they are open"
hold_of() { # label spec pid-of-proxy
  local label=$1 spec=$2 pid=$3 out="$work/hold.$1" before
  before=$([ -n "$pid" ] && rss_kib "$pid" || echo 0)
  if [ "$label" = taskbound ]; then
    in_sandbox java -cp "$cp" dev.taskbound.core.clients.bench.TunnelBench hold env 127.0.0.1 "$origin_port" \
      "$work/origin.pem" "$concurrent" 6 > "$out" 2>"$out.err" &
  else
    java -cp "$cp" dev.taskbound.core.clients.bench.TunnelBench hold "$spec" 127.0.0.1 "$origin_port" \
      "$work/origin.pem" "$concurrent" 6 > "$out" 2>"$out.err" &
  fi
  local client=$!
  for _ in $(seq 1200); do grep -q '^held' "$out" && break; kill -0 "$client" 2>/dev/null || break; sleep 0.1; done
  local during=0
  [ -n "$pid" ] && during=$(rss_kib "$pid")
  local threads=""
  [ -n "$pid" ] && threads=$(awk '/^Threads/ {print $2}' "/proc/$pid/status")
  wait "$client" || true
  local held alive
  held=$(grep '^held' "$out" || echo "held ok=0 failed=? of=$concurrent")
  alive=$(grep '^after_hold' "$out" || echo "after_hold alive=?")
  printf "  %-10s %s  %s  RSS before %6.1f MiB, with tunnels open %6.1f MiB, threads %s\n" "$label" "$held" "$alive" \
    "$(echo "$before/1024" | bc -l)" "$(echo "$during/1024" | bc -l)" "${threads:--}"
  [ -s "$out.err" ] && grep -v 'Picked up' "$out.err" | sed -n 's/^/    /; 1,3p' || true
}
hold_of direct direct ""
hold_of squid "127.0.0.1:$squid_port" "$(squid_pid)"
hold_of tinyproxy "127.0.0.1:$tiny_port" "$tiny_pid"
hold_of taskbound env "$gw_pid"
fi

if [[ $sections == *4* ]]; then
# --- 4. entering the sandbox ----------------------------------------------------------------------
echo
echo "4. per-command overhead of the netns sandbox (agent 'true'), SandboxStartBench"
java $opens -cp "$cp" dev.taskbound.core.sandbox.SandboxStartBench netns 20 | sed 's/^/  /'
fi

if [[ $sections == *5* ]]; then
# --- 5. the inspected path (issue 15) -------------------------------------------------------------
# Names, since inspection is by host name: origin.test is inspected, opaque.test is the same origin
# through the same gateway as an opaque tunnel (the baseline). squid bumps every tunnel with a CA of
# its own and verifies the origin against origin.pem, as the gateway does. Host clients, one hop each.
echo
echo "5. the inspected path: the gateway inspecting origin.test (session CA, each request read and decided,"
echo "   origin TLS verified) against its own opaque tunnel (opaque.test) and squid 'ssl_bump bump all'"
if [[ $(squid -v) != *--with-openssl* ]]; then
  [ "$(id -u)" -eq 0 ] || { echo "squid without TLS support: install squid-openssl (apt-get install squid-openssl)" >&2; exit 2; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends squid-openssl >/dev/null
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=bench squid bump CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$work/bump-ca.key" -out "$work/bump-ca.pem" 2>/dev/null
certgen=/usr/lib/squid/security_file_certgen
"$certgen" -c -s "$work/ssl_db" -M 16MB >/dev/null
chown -R proxy "$work/ssl_db" 2>/dev/null || true
chmod 644 "$work/bump-ca.key"
printf '127.0.0.1 origin.test opaque.test\n' > "$work/hosts"
bump_port=$(free_port)
cat > "$work/squid-bump.conf" <<SQUIDCONF
http_port 127.0.0.1:$bump_port ssl-bump tls-cert=$work/bump-ca.pem tls-key=$work/bump-ca.key generate-host-certificates=on dynamic_cert_mem_cache_size=16MB
sslcrtd_program $certgen -s $work/ssl_db -M 16MB
sslcrtd_children 8 startup=2 idle=1
ssl_bump bump all
tls_outgoing_options cafile=$work/origin.pem
hosts_file $work/hosts
acl bench_dst port $origin_port
http_access allow localhost bench_dst
http_access deny all
cache deny all
cache_mem 8 MB
access_log none
cache_log $work/squid-bump-cache.log
pid_filename $work/squid-bump.pid
coredump_dir $work
max_filedescriptors 16384
shutdown_lifetime 0 seconds
SQUIDCONF
squid -N -f "$work/squid-bump.conf" 2>"$work/squid-bump.err" &
pids+=($!)
bump_pid=$!
wait_port "$bump_port" squid-bump
start_inspecting() { # name port classpath: an inspecting gateway (INSPECT_JVM_FLAGS: extra flags, e.g. a JFR recording)
  java $gateway_flags ${INSPECT_JVM_FLAGS:-} $opens -cp "$3" dev.taskbound.core.clients.bench.GatewayMain "$work/$1.sock" 4096 \
    "origin.test:$origin_port" "opaque.test:$origin_port" --pin origin.test=127.0.0.1 --pin opaque.test=127.0.0.1 \
    --inspect origin.test --upstream-ca "$work/origin.pem" --ca-out "$work/$1-ca.pem" --tcp "$2" \
    > "$work/$1.out" 2>"$work/$1.err" &
  pids+=($!)
  eval "pid_$(echo "$1" | tr -c 'a-z0-9\n' _)=$!"
  for _ in $(seq 100); do grep -q '^ready' "$work/$1.out" 2>/dev/null && break; sleep 0.1; done
  grep -q '^ready' "$work/$1.out" || { cat "$work/$1.err" >&2; exit 1; }
}
insp_port=$(free_port)
start_inspecting gateway-insp "$insp_port" "$cp"
cp "$work/gateway-insp-ca.pem" "$work/session-ca.pem"
paths5="opaque inspected squid-bump"
# BASE_CLASSES=DIR (a tree where `mvnw -pl shared-core test-compile` ran, e.g. a `git archive` of the
# base commit): a second inspecting gateway built from it, interleaved as "insp-base", so that a
# change to the inspected path is measured against its base in the same run (ratios).
if [ -n "${BASE_CLASSES:-}" ]; then
  base_insp_port=$(free_port)
  start_inspecting gateway-insp-base "$base_insp_port" \
    "$BASE_CLASSES/shared-core/target/classes:$BASE_CLASSES/shared-core/target/test-classes:$junixsocket"
  paths5="opaque inspected insp-base squid-bump"
fi
spec5() { # path -> proxy port, host name, the CA its client trusts
  case $1 in
    opaque) echo "$insp_port opaque.test $work/origin.pem" ;;
    inspected) echo "$insp_port origin.test $work/session-ca.pem" ;;
    insp-base) echo "$base_insp_port origin.test $work/gateway-insp-base-ca.pem" ;;
    squid-bump) echo "$bump_port origin.test $work/bump-ca.pem" ;;
  esac
}
echo "   5a. throughput: ${size_mib} MiB, curl, median of $runs, paths interleaved (MB/s after the first byte)"
for p in $paths5; do : > "$work/t5.$p"; : > "$work/cpu5.$p"; done
relay5() { # path -> the pid of the process that relays it (its CPU per GiB is read less noisily than MB/s under load)
  case $1 in
    opaque|inspected) echo "$pid_gateway_insp" ;;
    insp-base) echo "$pid_gateway_insp_base" ;;
    squid-bump) echo "$bump_pid" ;;
  esac
}
for _ in $(seq "$runs"); do
  for p in $paths5; do
    read -r port host ca <<< "$(spec5 "$p")"
    before=$(cpu_ticks "$(relay5 "$p")")
    curl -sS -o /dev/null -x "http://127.0.0.1:$port" --cacert "$ca" -w '%{size_download} %{time_starttransfer} %{time_total}\n' \
      "https://$host:$origin_port/big" | awk '{ printf "%.0f\n", $1 / ($3 - $2) }' >> "$work/t5.$p"
    echo $(( $(cpu_ticks "$(relay5 "$p")") - before )) >> "$work/cpu5.$p"
  done
done
opaque_tp=$(median < "$work/t5.opaque"); bump_tp=$(median < "$work/t5.squid-bump")
base_tp=$([ -s "$work/t5.insp-base" ] && median < "$work/t5.insp-base" || echo 0)
for p in $paths5; do
  awk -v p="$p" -v m="$(median < "$work/t5.$p")" -v o="$opaque_tp" -v b="$bump_tp" -v base="$base_tp" -v all="$(tr '\n' ' ' < "$work/t5.$p")" \
    'BEGIN { printf "     %-11s %8.0f MB/s  %.2fx opaque  %.2fx squid-bump%s   (runs: %s)\n", p, m/1e6, m/o, m/b,
      (base > 0 && p == "inspected") ? sprintf("  %.2fx insp-base", m/base) : "", all }'
done
echo "       CPU of the relaying process per GiB (median of $runs; squid-bump's main process only, not its helpers):"
for p in $paths5; do
  awk -v p="$p" -v t="$(getconf CLK_TCK)" -v mib="$size_mib" -v c="$(median < "$work/cpu5.$p")" \
    'BEGIN { printf "     %-11s %6.2f s per GiB\n", p, c / t / (mib / 1024) }'
done
rounds5=${LATENCY_ROUNDS:-4}
echo "   5b. latency: new connection + CONNECT + TLS + GET /small, 1 client thread, $latency_ops per path,"
echo "       a client JVM per path (each trusts its own CA), $rounds5 rounds in turn, samples pooled"
mkdir -p "$work/samples5"
export TUNNELBENCH_SAMPLES_DIR="$work/samples5"
for _ in $(seq "$rounds5"); do
  for p in $paths5; do
    read -r port host ca <<< "$(spec5 "$p")"
    java -cp "$cp" dev.taskbound.core.clients.bench.TunnelBench latency "$p=127.0.0.1:$port" \
      "$host" "$origin_port" "$ca" $(( latency_ops / rounds5 )) 300 > /dev/null 2>"$work/latency5.err" \
      || { cat "$work/latency5.err" >&2; exit 1; }
  done
done
unset TUNNELBENCH_SAMPLES_DIR
pct5() { sort -g "$1" | awk -v q="$2" '{a[NR]=$1} END {i=int(q*NR+0.999999); if (i<1) i=1; print a[i]}'; }
o50=$(pct5 "$work/samples5/opaque.samples" 0.5); o99=$(pct5 "$work/samples5/opaque.samples" 0.99)
for p in $paths5; do
  f="$work/samples5/$p.samples"
  awk -v p="$p" -v n="$(wc -l < "$f")" -v a="$(pct5 "$f" 0.5)" -v b="$(pct5 "$f" 0.99)" -v oa="$o50" -v ob="$o99" \
    'BEGIN { printf "     %-11s p50 %6.3f ms  p99 %6.3f ms   added to opaque: p50 %+6.3f ms  p99 %+6.3f ms  (%d samples)\n", p, a, b, a - oa, b - ob, n }'
done
echo "   5c. new connections (CONNECT + TLS + one request) per second, $rate_threads client threads,"
echo "       ${rate_seconds} s per path per round, $rate_rounds rounds, paths interleaved (medians over rounds)"
: > "$work/rate5"
for _ in $(seq "$rate_rounds"); do
  for p in $paths5; do
    read -r port host ca <<< "$(spec5 "$p")"
    line=$(java -cp "$cp" dev.taskbound.core.clients.bench.TunnelBench rate "127.0.0.1:$port" "$host" "$origin_port" \
      "$ca" "$rate_seconds" "$rate_max_ops" "$rate_threads" 2>"$work/rate5.err" | grep '^rate') || { cat "$work/rate5.err" >&2; exit 1; }
    echo "$p $line" >> "$work/rate5"
  done
done
for p in $paths5; do
  rates=$(awk -v p="$p" '$1 == p { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "per_second") print kv[2] } }' "$work/rate5")
  errors=$(awk -v p="$p" '$1 == p { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "errors") e += kv[2] } } END { print e + 0 }' "$work/rate5")
  echo "$p $(echo "$rates" | median) $errors"
done > "$work/rate5.median"
awk '{ r[$1] = $2; e[$1] = $3; n[NR] = $1 } END { for (i = 1; i <= NR; i++) { p = n[i]
  printf "     %-11s %6.0f per second  %.2fx opaque  %.2fx squid-bump%s   errors %d\n", p, r[p], r[p] / r["opaque"], r[p] / r["squid-bump"],
    (p == "inspected" && r["insp-base"] > 0) ? sprintf("  %.2fx insp-base", r[p] / r["insp-base"]) : "", e[p] } }' "$work/rate5.median"
echo "   targets (issue 15): inspected throughput >= squid-bump and >= 0.6x opaque; added p99 < 3 ms over opaque"
fi

echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
