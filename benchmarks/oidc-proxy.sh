#!/usr/bin/env bash
# OIDC proxy benchmark and header check, all on loopback, bounded in time (about a minute after the build).
#
# nginx plays the console (a small JSON body, and /api/user answering with the X-WEBAUTH-USER it receives, as
# Grafana's auth-proxy mode reads it) and, in a second server block, proxy_passes to it (the fair two-hop baseline).
# vzauth oidc-proxy forwards to the same console for a browser holding a valid session cookie.
#
# Usage: [ROUNDS=3] benchmarks/oidc-proxy.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-64}
rounds=${ROUNDS:-3}
. benchmarks/common.sh
begin_benchmark vzauth-oidc-bench
console_port=18490; nginx_proxy_port=18491; issuer_port=18492; proxy_port=18493; mgmt_port=18494

install_tools
build_release vzauth vzauth-session-cookie

make_issuer_and_body "$issuer_port"
echo '{"dashboards":[{"uid":"abc","title":"Cluster overview"}]}' > "$work/body.json"
cat > "$work/nginx.conf" <<NGINX
$(nginx_conf_head 2)
    # keepalive_requests here too: the upstream default (1,000) would make the baseline reconnect all the time.
    upstream console { server 127.0.0.1:$console_port; keepalive 128; keepalive_requests 1000000; }
    server {
        listen 127.0.0.1:$console_port;
        location /api/user { default_type application/json; return 200 '{"login":"\$http_x_webauth_user","groups":"\$http_x_forwarded_groups","roles":"\$http_x_proxy_roles","cookie":"\$http_cookie"}'; }
        location / { default_type application/json; root $work; try_files /body.json =404; }
    }
    server {
        listen 127.0.0.1:$nginx_proxy_port;
        location / { proxy_pass http://console; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
    server {
        listen 127.0.0.1:$issuer_port;
        location / { root $work/www; default_type application/json; }
    }
}
NGINX
"$NGINX" -c "$work/nginx.conf" -p "$work"

head -c 48 /dev/urandom | base64 > "$work/cookie-secret"
"$BIN_DIR/vzauth" oidc-proxy --listen "127.0.0.1:$proxy_port" --management-listen "127.0.0.1:$mgmt_port" \
    --oidc-issuer "$issuer" --upstream "http://127.0.0.1:$console_port" --public-url "http://127.0.0.1:$proxy_port" \
    --cookie-secret-file "$work/cookie-secret" --required-role vz_api_access --log-level warning 2>"$work/proxy.log" &
proxy_pid=$!
pids+=("$proxy_pid")
wait_ready "http://127.0.0.1:$mgmt_port/readyz" || { echo "proxy not ready:"; cat "$work/proxy.log"; exit 1; }
cookie=$("$BIN_DIR/vzauth-session-cookie" "$work/cookie-secret" alice verrazzano-admins team-a)
token=$(cat "$work/token")
base="http://127.0.0.1:$proxy_port"

# The header check: a Grafana-style consumer sees the user, never a client-chosen one, and never the proxy's cookie.
check() {  # name expected-substring curl-args...
    local name=$1 expected=$2; shift 2
    local got; got=$(curl -sS "$@")
    if [[ "$got" == *"$expected"* ]]; then echo "ok    $name"; else echo "FAIL  $name: got $got"; failures=$((failures + 1)); fi
}
failures=0
echo "header check against a console reading X-WEBAUTH-USER:"
check "session cookie: the console sees alice" '"login":"alice","groups":"verrazzano-admins,team-a","roles":"vz_api_access"' \
    -H "Cookie: $cookie; grafana_session=own" "$base/api/user"
check "the console's own cookie passes, the proxy's does not" '"cookie":"grafana_session=own"' \
    -H "Cookie: $cookie; grafana_session=own" "$base/api/user"
check "a client-sent X-WEBAUTH-USER is replaced" '"login":"alice"' -H "X-WEBAUTH-USER: admin" -H "Cookie: $cookie" "$base/api/user"
check "bearer token: the console sees the token's user" '"login":"bench"' -H "Authorization: Bearer $token" "$base/api/user"
check "no login, API client: 401" '401' -o /dev/null -w '%{http_code}' -H "X-WEBAUTH-USER: admin" "$base/api/user"
check "no login, browser: redirect to the issuer's login" "$issuer/auth?response_type=code" -o /dev/null -w '%{redirect_url}' \
    -H "Accept: text/html" "$base/d/abc"
[ "$failures" = 0 ] || { echo "$failures header check(s) failed"; exit 1; }

path=/api/dashboards
wrk -t2 -c"$connections" -d2s "http://127.0.0.1:$console_port$path" >/dev/null
read -r d_rps d_p50 d_p99 _ _ <<<"$(measure "http://127.0.0.1:$console_port$path")"
# PROFILE=FILE records a CPU profile of the proxy during the rounds (perf).
if [ -n "${PROFILE:-}" ]; then perf record -F 999 -g -p "$proxy_pid" -o "$PROFILE" -- sleep "$duration" >/dev/null 2>&1 & fi
# nginx proxy_pass and the proxy alternate for $rounds rounds; the round with the median ratio is reported.
interleave "$work/rounds" "http://127.0.0.1:$nginx_proxy_port$path" "Cookie: $cookie" "$base$path"
read -r n_rps n_p50 n_p99 v_rps v_p50 v_p99 v_errors ratios <<<"$(median_round "$work/rounds")"
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$proxy_pid/status")

echo
echo "vzauth OIDC proxy benchmark: $(date -u +%Y-%m-%d), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, wrk -t2 -c$connections -d${duration}s, loopback"
printf '%-34s %12s %10s %10s\n' "target" "requests/s" "p50 ms" "p99 ms"
printf '%-34s %12s %10s %10s\n' "nginx console, direct" "$d_rps" "$d_p50" "$d_p99"
printf '%-34s %12s %10s %10s\n' "nginx proxy_pass (baseline)*" "$n_rps" "$n_p50" "$n_p99"
printf '%-34s %12s %10s %10s\n' "vzauth oidc-proxy, session cookie*" "$v_rps" "$v_p50" "$v_p99"
echo "* the median of $rounds interleaved rounds"
python3 - "$n_rps" "$v_rps" "$rss_kb" "$v_errors" "$ratios" <<'PY'
import sys
n_rps, v_rps, rss_kb, errors, ratios = sys.argv[1:]
print(f"throughput vs nginx proxy_pass:    {float(v_rps) / float(n_rps):.2f}x (median of interleaved rounds {ratios}; first bar 0.50x)")
print(f"proxy resident memory:             {int(rss_kb) / 1024:.1f} MB")
print(f"non-2xx responses through proxy:   {errors}")
PY
