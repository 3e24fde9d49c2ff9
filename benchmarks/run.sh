#!/usr/bin/env bash
# API proxy benchmark, all on loopback, bounded in time (about 3 minutes after the build with 3 rounds).
#
# One nginx serves a small JSON body (the "API server") and, in a second server block, proxy_passes to it with
# keep-alive (the fair two-hop baseline). vzauth api-proxy forwards to the same upstream with a valid RS256 token.
# wrk measures throughput and closed-loop latency, hey open-loop latency at a fixed rate; the script prints
# requests/s, p50/p99 latency, the ratios and the added latency, then the proxy's resident memory.
#
# Usage: [ROUNDS=3] benchmarks/run.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-64}
rounds=${ROUNDS:-3}
. benchmarks/common.sh
begin_benchmark vzauth-bench
upstream_port=18480; nginx_proxy_port=18481; issuer_port=18482; proxy_port=18483; mgmt_port=18484
single_port=18485; single_mgmt_port=18486
install_tools
build_release vzauth vzauth-token-bench
BIN="$BIN_DIR/vzauth"

make_issuer_and_body "$issuer_port"
cat > "$work/nginx.conf" <<NGINX
$(nginx_conf_head 2)
$(nginx_api_server "$upstream_port")
    server {
        listen 127.0.0.1:$nginx_proxy_port;
        location / { proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
    server {
        listen 127.0.0.1:$issuer_port;
        location / { root $work/www; default_type application/json; }
    }
}
NGINX
"$NGINX" -c "$work/nginx.conf" -p "$work"

write_kubeconfig "$upstream_port"
start_api_proxy "$proxy_port" "$mgmt_port" proxy.log
proxy_pid=$started_pid
# The same proxy with one event-loop thread: on 2 cores shared with nginx and wrk it leaves the upstream room.
start_api_proxy "$single_port" "$single_mgmt_port" single.log --event-loop-threads 1
wait_ready "http://127.0.0.1:$mgmt_port/readyz" || { echo "proxy not ready:"; cat "$work/proxy.log"; exit 1; }
wait_ready "http://127.0.0.1:$single_mgmt_port/readyz" || { echo "proxy not ready:"; cat "$work/single.log"; exit 1; }
token=$(cat "$work/token")
path=/20210501/api/v1/namespaces/default/pods
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://127.0.0.1:$proxy_port$path")
[ "$status" = 200 ] || { echo "proxy answered $status, expected 200"; cat "$work/proxy.log"; exit 1; }

# Warm up (connections, caches), then measure.
wrk -t2 -c"$connections" -d2s "http://127.0.0.1:$upstream_port$path" >/dev/null
read -r d_rps d_p50 d_p99 _ _ <<<"$(measure "http://127.0.0.1:$upstream_port$path")"
# nginx proxy_pass and the proxy alternate for $rounds rounds; the round with the median ratio is reported.
interleave "$work/rounds" "http://127.0.0.1:$nginx_proxy_port$path" "Authorization: Bearer $token" \
    "http://127.0.0.1:$proxy_port$path" "http://127.0.0.1:$single_port$path"
read -r n_rps n_p50 n_p99 v_rps v_p50 v_p99 v_errors ratios <<<"$(median_round "$work/rounds")"
read -r sn_rps _ sn_p99 s_rps s_p50 s_p99 s_errors s_ratios <<<"$(median_round "$work/rounds" 7)"
# Added latency, measured against direct in interleaved rounds for the proxy and for nginx proxy_pass (the cost of
# a second hop alone on this machine): closed loop at 4 connections (wrk; each reply triggers the next request, so
# the cores stay busy) and open loop at a fixed 1,000 requests/s (hey).
latency_seconds=5; latency_connections=4; latency_rate=1000
direct_url="http://127.0.0.1:$upstream_port$path"; nginx_url="http://127.0.0.1:$nginx_proxy_port$path"
proxy_url="http://127.0.0.1:$proxy_port$path"
read -r c_v_p50 c_v_p99 c_n_p50 c_n_p99 c_errors <<<"$(added_latency wrk_latency "$direct_url" "$nginx_url" "Authorization: Bearer $token" "$proxy_url")"
read -r o_v_p50 o_v_p99 o_n_p50 o_n_p99 o_errors <<<"$(added_latency hey_latency "$direct_url" "$nginx_url" "Authorization: Bearer $token" "$proxy_url")"
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$proxy_pid/status")
served=$(curl -fsS "http://127.0.0.1:$mgmt_port/metrics" | awk '/^vzauth_api_proxy_requests_total\{code="200"\}/ {print $2}')

echo
echo "vzauth API proxy benchmark: $(date -u +%Y-%m-%d), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, wrk -t2 -c$connections -d${duration}s, loopback"
printf '%-34s %12s %10s %10s\n' "target" "requests/s" "p50 ms" "p99 ms"
printf '%-34s %12s %10s %10s\n' "nginx upstream, direct" "$d_rps" "$d_p50" "$d_p99"
printf '%-34s %12s %10s %10s\n' "nginx proxy_pass (baseline)*" "$n_rps" "$n_p50" "$n_p99"
printf '%-34s %12s %10s %10s\n' "vzauth api-proxy, bearer token*" "$v_rps" "$v_p50" "$v_p99"
printf '%-34s %12s %10s %10s\n' "  the same, --event-loop-threads 1*" "$s_rps" "$s_p50" "$s_p99"
echo "* the median of $rounds interleaved rounds"
python3 - "$n_rps" "$v_rps" "$n_p99" "$v_p99" "$rss_kb" "$served" "$((v_errors + s_errors + c_errors + o_errors))" "$ratios" "$rounds" \
    "$c_v_p50" "$c_v_p99" "$c_n_p50" "$c_n_p99" "$o_v_p50" "$o_v_p99" "$o_n_p50" "$o_n_p99" "$s_ratios" "$sn_rps" "$s_rps" "$sn_p99" "$s_p99" <<'PY'
import sys
n_rps, v_rps, n_p99, v_p99, rss_kb, served, errors, ratios, rounds = sys.argv[1:10]
c_v_p50, c_v_p99, c_n_p50, c_n_p99, o_v_p50, o_v_p99, o_n_p50, o_n_p99 = map(float, sys.argv[10:18])
# The one-thread proxy's median round, with the baseline measured in that same round.
s_ratios = sys.argv[18]
sn_rps, s_rps, sn_p99, s_p99 = map(float, sys.argv[19:23])
n_rps, v_rps, n_p99, v_p99 = map(float, (n_rps, v_rps, n_p99, v_p99))
print(f"throughput vs nginx proxy_pass:    {v_rps / n_rps:.2f}x (median of interleaved rounds {ratios}; first bar 0.50x)")
print(f"  with one event-loop thread:      {s_rps / sn_rps:.2f}x (rounds {s_ratios})")
print(f"p99 under full load vs proxy_pass: {v_p99 / n_p99:.2f}x; one event-loop thread: {s_p99 / sn_p99:.2f}x"
      " (wrk, nginx and the proxy share the 2 cores; the upstream waits for a CPU)")
print(f"added latency over direct (median of {rounds} interleaved rounds; bar: p99 < 2 ms):")
print(f"  4 connections, closed loop:      vzauth p50 {c_v_p50:+.3f} ms, p99 {c_v_p99:+.3f} ms;"
      f" nginx proxy_pass p50 {c_n_p50:+.3f} ms, p99 {c_n_p99:+.3f} ms")
print(f"  1,000 requests/s, open loop:     vzauth p50 {o_v_p50:+.3f} ms, p99 {o_v_p99:+.3f} ms;"
      f" nginx proxy_pass p50 {o_n_p50:+.3f} ms, p99 {o_n_p99:+.3f} ms")
print(f"proxy resident memory:             {int(rss_kb) / 1024:.1f} MB after {int(float(served or 0))} proxied requests (bar < 60 MB after 100,000)")
print(f"non-2xx responses through proxy:   {errors}")
PY
echo
echo "token verification (µs per token; uncached = full signature check, cached = verified-token cache hit):"
"$BIN_DIR/vzauth-token-bench"
