#!/usr/bin/env bash
# TLS benchmark, all on loopback: the API proxy terminating TLS against nginx terminating TLS and proxy_passing to
# the same upstream (both with the same certificate, a test-made CA's ECDSA P-256 or, with KEY=rsa, RSA-2048).
#
# Three rows, each the median of interleaved rounds (nginx, then the proxy, in every round):
# - keep-alive: wrk at $CONNECTIONS connections, many requests per TLS connection;
# - Connection: close: wrk, one request per TLS connection (the script reports how many of wrk's handshakes were
#   resumptions, from an nginx server block that logs \$ssl_session_reused);
# - new connections as kubectl makes them: hey with keep-alive disabled (Go's TLS client keeps no sessions unless
#   told to, like kubectl), so every request is a full handshake.
#
# Usage: [ROUNDS=3] [KEY=ec|rsa] benchmarks/tls.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-64}
rounds=${ROUNDS:-3}
key_type=${KEY:-ec}
. benchmarks/common.sh
begin_benchmark vzauth-tls-bench
upstream_port=18580; nginx_tls_port=18581; issuer_port=18582; proxy_port=18583; mgmt_port=18584; probe_port=18585
install_tools
build_release vzauth
BIN="$BIN_DIR/vzauth"

# A CA and a server certificate for 127.0.0.1.
if [ "$key_type" = rsa ]; then keyopt=(-newkey rsa:2048); else keyopt=(-newkey ec -pkeyopt ec_paramgen_curve:P-256); fi
openssl req -x509 -nodes "${keyopt[@]}" -keyout "$work/ca.key" -out "$work/ca.crt" -days 2 -subj "/CN=bench CA" 2>/dev/null
openssl req -nodes "${keyopt[@]}" -keyout "$work/server.key" -out "$work/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$work/ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days 2 \
    -extfile "$work/ext" -out "$work/server.crt" 2>/dev/null

make_issuer_and_body "$issuer_port"
cat > "$work/nginx.conf" <<NGINX
$(nginx_conf_head 2)
$(nginx_api_server "$upstream_port")
    # The baseline: nginx terminating TLS (session tickets on, its default) and proxying to the upstream.
    server {
        listen 127.0.0.1:$nginx_tls_port ssl;
        ssl_certificate $work/server.crt;
        ssl_certificate_key $work/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / { proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
    # Only to learn whether wrk resumes sessions (logging would slow the baseline down).
    log_format reuse "\$ssl_session_reused";
    server {
        listen 127.0.0.1:$probe_port ssl;
        ssl_certificate $work/server.crt;
        ssl_certificate_key $work/server.key;
        access_log $work/reuse.log reuse;
        location / { default_type application/json; root $work; try_files /body.json =404; }
    }
    server {
        listen 127.0.0.1:$issuer_port;
        location / { root $work/www; default_type application/json; }
    }
}
NGINX
"$NGINX" -c "$work/nginx.conf" -p "$work"

write_kubeconfig "$upstream_port"
start_api_proxy "$proxy_port" "$mgmt_port" proxy.log \
    --tls-cert-file "$work/server.crt" --tls-private-key-file "$work/server.key"
wait_ready "http://127.0.0.1:$mgmt_port/readyz" || { echo "proxy not ready:"; cat "$work/proxy.log"; exit 1; }
token=$(cat "$work/token")
path=/20210501/api/v1/namespaces/default/pods
nginx_url="https://127.0.0.1:$nginx_tls_port$path"
proxy_url="https://127.0.0.1:$proxy_port$path"
for url in "$nginx_url" "$proxy_url"; do
    status=$(curl -s --cacert "$work/ca.crt" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$url")
    [ "$status" = 200 ] || { echo "$url answered $status, expected 200"; cat "$work/proxy.log"; exit 1; }
done

# Prints "requests_per_second non2xx" of an hey run without keep-alive (a full TLS handshake per request).
hey_new_connections() {
    local out
    out=$(hey -z "${duration}s" -c "$connections" -disable-keepalive -H "Authorization: Bearer $token" "$1")
    echo "$out" >>"$work/hey.log"
    python3 - "$out" <<'PY'
import re, sys
text = sys.argv[1]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
codes = re.findall(r"\[(\d+)\]\s+(\d+) responses", text)
errors = sum(int(count) for code, count in codes if not code.startswith("2"))
print(f"{rps:.0f} {errors}")
PY
}

wrk -t1 -c1 -d1s -H "Connection: close" "https://127.0.0.1:$probe_port$path" >/dev/null
reused=$(python3 -c 'import sys; v=[l.strip() for l in open(sys.argv[1])]; r=sum(x == "r" for x in v); print(f"{r} of {len(v)}")' "$work/reuse.log")

# Interleaved rounds; every line: keep-alive nginx/proxy, close nginx/proxy, new-connection nginx/proxy, errors.
header="Authorization: Bearer $token"
wrk -t2 -c"$connections" -d2s -H "$header" "$nginx_url" >/dev/null
wrk -t2 -c"$connections" -d2s -H "$header" "$proxy_url" >/dev/null
for _ in $(seq 1 "$rounds"); do
    read -r nk _ _ _ _ <<<"$(measure -H "$header" "$nginx_url")"
    read -r pk _ _ _ ek <<<"$(measure -H "$header" "$proxy_url")"
    read -r nc _ _ _ _ <<<"$(measure -H "$header" -H "Connection: close" "$nginx_url")"
    read -r pc _ _ _ ec <<<"$(measure -H "$header" -H "Connection: close" "$proxy_url")"
    read -r nn _ <<<"$(hey_new_connections "$nginx_url")"
    read -r pn en <<<"$(hey_new_connections "$proxy_url")"
    echo "$nk $pk $nc $pc $nn $pn $((ek + ec + en))" >>"$work/rounds"
done

echo
echo "vzauth TLS benchmark: $(date -u +%Y-%m-%d), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $key_type key, $connections connections, ${duration}s per run, $rounds interleaved rounds, loopback"
python3 - "$work/rounds" <<'PY'
import statistics, sys
rounds = [list(map(float, line.split())) for line in open(sys.argv[1]) if line.strip()]
rows = [("keep-alive (wrk)", 0), ("Connection: close (wrk, resumed sessions)", 2),
        ("new connections, full handshakes (hey)", 4)]
print(f"{'':44} {'nginx req/s':>12} {'vzauth req/s':>13} {'ratio':>7}  rounds")
for label, column in rows:
    ratios = sorted(r[column + 1] / r[column] for r in rounds)
    median = sorted(rounds, key=lambda r: r[column + 1] / r[column])[len(rounds) // 2]
    print(f"{label:44} {median[column]:12.0f} {median[column + 1]:13.0f} {median[column + 1] / median[column]:7.2f}  "
          + ",".join(f"{x:.2f}" for x in ratios))
print(f"non-2xx responses through the proxy: {int(sum(r[6] for r in rounds))}")
PY
echo "wrk with Connection: close resumed $reused TLS sessions (nginx probe)"
