#!/usr/bin/env bash
# Multicluster benchmark, all on loopback: one hop (wrk → API proxy → nginx) beside two (wrk → the admin cluster's
# API proxy → the managed cluster's API proxy → nginx), in interleaved rounds; about 2 minutes after the build.
#
# nginx serves a small JSON body (the managed cluster's API server) and the issuer's documents. The managed
# cluster's proxy serves TLS with a test-made CA. The admin cluster's proxy runs with --managed-clusters against
# benchmarks/admin_api.py, an API server that registers cluster managed1 at the managed proxy (status.apiUrl and
# its CA Secret) and allows every SubjectAccessReview. Both proxies accept the same issuer, and each runs one
# event-loop thread: nginx, wrk and three proxies share the machine's cores.
#
# Usage: [ROUNDS=3] benchmarks/two-hop.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-64}
rounds=${ROUNDS:-3}
. benchmarks/common.sh
begin_benchmark vzauth-two-hop
upstream_port=18680; issuer_port=18681; one_port=18682; one_mgmt=18683; managed_port=18684; managed_mgmt=18685
admin_api_port=18686; admin_port=18687; admin_mgmt=18688
install_tools
build_release vzauth
BIN="$BIN_DIR/vzauth"

# A CA and the managed proxy's certificate for 127.0.0.1.
openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$work/ca.key" -out "$work/ca.crt" -days 2 \
    -subj "/CN=bench CA" 2>/dev/null
openssl req -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$work/server.key" -out "$work/server.csr" \
    -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$work/ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days 2 \
    -extfile "$work/ext" -out "$work/server.crt" 2>/dev/null

make_issuer_and_body "$issuer_port"
cat > "$work/nginx.conf" <<NGINX
$(nginx_conf_head 1)
$(nginx_api_server "$upstream_port")
    server {
        listen 127.0.0.1:$issuer_port;
        location / { root $work/www; default_type application/json; }
    }
}
NGINX
"$NGINX" -c "$work/nginx.conf" -p "$work"
write_kubeconfig "$upstream_port"

# One hop: the API proxy in front of nginx, as in benchmarks/run.sh.
start_api_proxy "$one_port" "$one_mgmt" one.log --event-loop-threads 1
# The managed cluster's proxy, over TLS, in front of the same nginx.
start_api_proxy "$managed_port" "$managed_mgmt" managed.log --event-loop-threads 1 \
    --tls-cert-file "$work/server.crt" --tls-private-key-file "$work/server.key"
# The admin cluster's API server and proxy.
python3 benchmarks/admin_api.py "$admin_api_port" managed1 "https://127.0.0.1:$managed_port" "$work/ca.crt" "$work/reviews" &
pids+=("$!")
cat > "$work/admin.kubeconfig" <<KUBE
apiVersion: v1
kind: Config
clusters: [{name: admin, cluster: {server: "http://127.0.0.1:$admin_api_port"}}]
users: [{name: admin, user: {token: admin-proxy-service-account-token}}]
contexts: [{name: admin, context: {cluster: admin, user: admin}}]
current-context: admin
KUBE
"$BIN" api-proxy --listen "127.0.0.1:$admin_port" --management-listen "127.0.0.1:$admin_mgmt" \
    --oidc-issuer "$issuer" --oidc-client-id verrazzano-pkce --kubeconfig "$work/admin.kubeconfig" \
    --managed-clusters --event-loop-threads 1 --log-level warning 2>"$work/admin.log" &
pids+=("$!")
for management in "$one_mgmt" "$managed_mgmt" "$admin_mgmt"; do
    wait_ready "http://127.0.0.1:$management/readyz" || { echo "a proxy is not ready:"; cat "$work"/*.log; exit 1; }
done

token=$(cat "$work/token")
path=/api/v1/namespaces/default/pods
direct_url="http://127.0.0.1:$upstream_port$path"
one_url="http://127.0.0.1:$one_port$path"
two_url="http://127.0.0.1:$admin_port/clusters/managed1$path"
# The admin proxy lists the registrations right after it starts: wait until it routes.
for _ in $(seq 1 50); do
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$two_url")
    [ "$status" = 200 ] && break
    sleep 0.2
done
[ "$status" = 200 ] || { echo "two hops answered $status, expected 200"; cat "$work"/*.log; exit 1; }
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$one_url")
[ "$status" = 200 ] || { echo "one hop answered $status, expected 200"; cat "$work"/*.log; exit 1; }

# Warm up, then interleave direct, one hop and two hops for $rounds rounds, at full load and at 4 connections.
header="Authorization: Bearer $token"
traffic_start=$SECONDS
for url in "$one_url" "$two_url"; do wrk -t2 -c"$connections" -d2s -H "$header" "$url" >/dev/null; done
latency_seconds=5; latency_connections=4
for _ in $(seq 1 "$rounds"); do
    echo "$(measure "$direct_url") $(measure -H "$header" "$one_url") $(measure -H "$header" "$two_url")" >>"$work/full"
    echo "$(wrk_latency "$direct_url") $(wrk_latency -H "$header" "$one_url") $(wrk_latency -H "$header" "$two_url")" >>"$work/light"
done
forwarded=$(curl -fsS "http://127.0.0.1:$admin_mgmt/metrics" | awk '/^vzauth_api_proxy_cluster_requests_total\{cluster="managed1",outcome="forwarded"\}/ {print $2}')

echo
echo "vzauth two-hop benchmark: $(date -u +%Y-%m-%d), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, wrk -t2 -c$connections -d${duration}s, loopback"
python3 - "$work/full" "$work/light" "$rounds" "${forwarded:-0}" "$(grep -c . "$work/reviews" || true)" "$((SECONDS - traffic_start))" <<'PY'
import statistics, sys
# Per round, full load: direct rps p50 p99 total errors, one hop the same, two hops the same.
full = [list(map(float, line.split())) for line in open(sys.argv[1]) if line.strip()]
# Per round, 4 connections: direct p50 p99 errors, one hop the same, two hops the same.
light = [list(map(float, line.split())) for line in open(sys.argv[2]) if line.strip()]
rounds, forwarded, reviews, seconds = sys.argv[3], float(sys.argv[4]), int(sys.argv[5] or 0), float(sys.argv[6])
median = lambda rows, column: statistics.median(row[column] for row in rows)
print(f"{'target':<44} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8}   (medians of {rounds} interleaved rounds)")
for name, base in [("nginx, direct", 0), ("one hop: api-proxy", 5), ("two hops: admin api-proxy -> managed (TLS)", 10)]:
    print(f"{name:<44} {median(full, base):>11.0f} {median(full, base + 1):>8.3f} {median(full, base + 2):>8.3f}")
ratios = sorted(row[10] / row[5] for row in full)
print(f"two hops vs one hop, throughput:   {statistics.median(ratios):.2f}x (rounds {', '.join(f'{r:.2f}' for r in ratios)})")
print(f"added latency at 4 connections over direct: one hop p50 {median(light, 3) - median(light, 0):+.3f} ms, "
      f"p99 {median(light, 4) - median(light, 1):+.3f} ms; two hops p50 {median(light, 6) - median(light, 0):+.3f} ms, "
      f"p99 {median(light, 7) - median(light, 1):+.3f} ms")
errors = int(sum(row[9] + row[14] for row in full) + sum(row[5] + row[8] for row in light))
print(f"non-2xx responses through the proxies: {errors}")
print(f"cluster checks: {reviews} SubjectAccessReviews for {forwarded:.0f} requests forwarded to managed1 by one user"
      f" ({seconds:.0f} s of traffic; a decision is cached for at most 10 s)")
PY
