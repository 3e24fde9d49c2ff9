#!/usr/bin/env bash
# What one proxied request costs: CPU time and heap allocations per request, for the API proxy and for nginx
# proxy_pass doing the same second hop, on loopback.
#
# Method (the one the README's figures use):
# - an upstream nginx serves a small JSON body; hey sends N requests over 8 keep-alive connections;
# - the process measured runs on a core of its own (taskset -c 1), with one event-loop thread (the proxy) or one
#   worker (nginx proxy_pass, an nginx instance of its own so that the upstream's work is not counted); hey and the
#   upstream share core 0;
# - CPU is perf's task-clock of the measured process over the run (user + system), divided by N;
# - allocations are uprobes on libc's malloc, calloc, realloc and posix_memalign in the proxy, divided by N
#   (needs root for `perf probe`; skipped with a note otherwise).
#
# With PROFILE=1 it also records where the proxy allocates (perf call graphs on the malloc probe) and prints the
# allocating functions' callers, heaviest first.
#
# Usage: [REQUESTS=50000] [PROFILE=1] benchmarks/cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${REQUESTS:-50000}
duration=10; connections=8
. benchmarks/common.sh
begin_benchmark vzauth-cost
upstream_port=18680; nginx_proxy_port=18681; issuer_port=18682; proxy_port=18683; mgmt_port=18684
install_tools
build_release vzauth
BIN="$BIN_DIR/vzauth"
[ "$(nproc)" -ge 2 ] || { echo "needs 2 cores (the measured process gets one of its own)"; exit 1; }

make_issuer_and_body "$issuer_port"
cat > "$work/upstream.conf" <<NGINX
$(nginx_conf_head 1 upstream)
$(nginx_api_server "$upstream_port")
    server {
        listen 127.0.0.1:$issuer_port;
        location / { root $work/www; default_type application/json; }
    }
}
NGINX
cat > "$work/proxy-nginx.conf" <<NGINX
$(nginx_conf_head 1 proxy-nginx)
    upstream api { server 127.0.0.1:$upstream_port; keepalive 128; keepalive_requests 1000000; }
    server {
        listen 127.0.0.1:$nginx_proxy_port;
        location / { proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
}
NGINX
taskset -c 0 "$NGINX" -c "$work/upstream.conf" -p "$work"
taskset -c 1 "$NGINX" -c "$work/proxy-nginx.conf" -p "$work"

write_kubeconfig "$upstream_port"
PROXY_PREFIX="taskset -c 1" start_api_proxy "$proxy_port" "$mgmt_port" proxy.log --event-loop-threads 1
proxy_pid=$started_pid
wait_ready "http://127.0.0.1:$mgmt_port/readyz" || { echo "proxy not ready:"; cat "$work/proxy.log"; exit 1; }
token=$(cat "$work/token")
path=/20210501/api/v1/namespaces/default/pods
header="Authorization: Bearer $token"
proxy_url="http://127.0.0.1:$proxy_port$path"
nginx_url="http://127.0.0.1:$nginx_proxy_port$path"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "$header" "$proxy_url")
[ "$status" = 200 ] || { echo "proxy answered $status, expected 200"; cat "$work/proxy.log"; exit 1; }
# The nginx worker (not its master) does the proxying.
nginx_worker=$(pgrep -P "$(cat "$work/proxy-nginx.pid")" | head -1)

# Prints the count of EVENTS in PID while hey sends $requests requests to URL (a warm-up run first).
count_during_run() {
    local pid=$1 events=$2 url=$3
    taskset -c 0 hey -n 5000 -c "$connections" -H "$header" "$url" >/dev/null
    perf stat -x, -e "$events" -p "$pid" -- taskset -c 0 hey -n "$requests" -c "$connections" -H "$header" "$url" \
        2>"$work/perf.csv" >"$work/hey.out"
    grep -q "\[200\]	$requests responses" "$work/hey.out" \
        || grep -q "\[200\] *$requests responses" "$work/hey.out" \
        || { echo "not all $requests requests answered 200:" >&2; cat "$work/hey.out" >&2; exit 1; }
    awk -F, '$1 ~ /^[0-9.]+$/ {sum += $1} END {print sum}' "$work/perf.csv"
}

proxy_ms=$(count_during_run "$proxy_pid" task-clock "$proxy_url")
nginx_ms=$(count_during_run "$nginx_worker" task-clock "$nginx_url")

allocations=""
probes=()
for fn in malloc calloc realloc posix_memalign; do
    if perf probe -q -x "$(ldconfig -p | awk '/libc.so.6 .*x86-64/ {print $NF; exit}')" --add "$fn" 2>/dev/null \
        || perf probe -l 2>/dev/null | grep -q "probe_libc:$fn "; then
        probes+=("probe_libc:$fn")
    fi
done
if [ ${#probes[@]} -gt 0 ]; then
    allocations=$(count_during_run "$proxy_pid" "$(IFS=,; echo "${probes[*]}")" "$proxy_url")
fi

if [ -n "${PROFILE:-}" ] && [ ${#probes[@]} -gt 0 ]; then
    taskset -c 0 hey -n 5000 -c "$connections" -H "$header" "$proxy_url" >/dev/null
    perf record -q -o "$work/alloc.data" -e probe_libc:malloc --call-graph dwarf,16384 -p "$proxy_pid" -- \
        taskset -c 0 hey -n 2000 -c "$connections" -H "$header" "$proxy_url" >/dev/null 2>&1
    echo
    echo "where the proxy allocates (the nearest callers outside the allocators, share of malloc calls):"
    perf script -i "$work/alloc.data" 2>/dev/null | swift demangle --simplified | python3 benchmarks/alloc_sites.py
    perf record -q -o "$work/cpu.data" -F 1999 -p "$proxy_pid" -- \
        taskset -c 0 hey -n "$requests" -c "$connections" -H "$header" "$proxy_url" >/dev/null 2>&1
    echo
    echo "where the proxy's CPU time goes (share of samples by binary, then the top functions):"
    # (`head` closes the pipe early: not a failure.)
    { perf report -i "$work/cpu.data" --stdio --no-children --sort dso 2>/dev/null | grep -E '^ +[0-9]' | head -8; } || true
    { perf report -i "$work/cpu.data" --stdio --no-children --sort sym 2>/dev/null | grep -E '^ +[0-9]' \
        | swift demangle --simplified | cut -c1-150 | head -25; } || true
fi

echo
echo "vzauth cost per request: $(date -u +%Y-%m-%d), $(nproc) cores, $requests requests over $connections keep-alive connections, measured process alone on core 1"
python3 - "$proxy_ms" "$nginx_ms" "$requests" "$allocations" <<'PY'
import sys
proxy_ms, nginx_ms, requests = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
allocations = sys.argv[4]
proxy_us, nginx_us = proxy_ms * 1000 / requests, nginx_ms * 1000 / requests
print(f"CPU per request (user + system): vzauth api-proxy {proxy_us:.1f} µs, nginx proxy_pass {nginx_us:.1f} µs, ratio {proxy_us / nginx_us:.2f}x (aim <= 1.5x)")
if allocations:
    print(f"heap allocations per request (malloc, calloc, realloc, posix_memalign in the proxy): {float(allocations) / requests:.1f} (aim <= 6)")
else:
    print("heap allocations: not counted (perf probe needs root)")
PY
