# Shared by the benchmark scripts: tool installation, the release build, and wrk measurement.
# Expects: $work (scratch directory), $duration, $connections.

# Installs wrk, hey, nginx and python3-cryptography when missing (Debian).
install_tools() {
    local need=()
    command -v wrk >/dev/null || need+=(wrk)
    command -v hey >/dev/null || need+=(hey)
    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
    if [ ${#need[@]} -gt 0 ]; then
        echo "installing ${need[*]}" >&2
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    fi
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    python3 -c 'import cryptography' 2>/dev/null || pip install -q cryptography
}

# Builds the given products in release mode; sets $BIN_DIR.
build_release() {
    echo "building $* (release)..." >&2
    for product in "$@"; do
        swift build -c release --product "$product" 2>&1 | grep -E "error" || true
    done
    BIN_DIR=$(swift build -c release --show-bin-path)
    for product in "$@"; do
        [ -x "$BIN_DIR/$product" ] || { echo "release build of $product failed"; exit 1; }
    done
}

# Waits until URL answers 200 (10 s at most).
wait_ready() {
    for _ in $(seq 1 100); do
        curl -fsS "$1" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# Runs wrk with the given arguments and prints "requests_per_second p50_ms p99_ms total_requests non2xx".
measure() {
    local out
    out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$@")
    echo "$out" >>"$work/wrk.log"
    python3 - "$out" <<'PY'
import re, sys
text = sys.argv[1]
def ms(label):
    m = re.search(r"^\s*%s\s+([\d.]+)(us|ms|s)\s*$" % label, text, re.M)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
total = int(re.search(r"(\d+) requests in", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{rps:.0f} {ms('50%'):.3f} {ms('99%'):.3f} {total} {errors.group(1) if errors else 0}")
PY
}

# Alternates baseline and proxy measurements for $rounds rounds (all see the same machine drift), appending
# "base_rps base_p50 base_p99 proxy_rps proxy_p50 proxy_p99 proxy_errors" per round to FILE, followed by
# "rps p50 p99 errors" of the second proxy when SECOND_PROXY_URL is given (the same header goes to both).
# Usage: interleave FILE BASE_URL PROXY_HEADER PROXY_URL [SECOND_PROXY_URL]
interleave() {
    local file=$1 base_url=$2 header=$3 proxy_url=$4 second_url=${5:-}
    wrk -t2 -c"$connections" -d2s "$base_url" >/dev/null
    wrk -t2 -c"$connections" -d2s -H "$header" "$proxy_url" >/dev/null
    [ -z "$second_url" ] || wrk -t2 -c"$connections" -d2s -H "$header" "$second_url" >/dev/null
    for _ in $(seq 1 "$rounds"); do
        local n v line
        n=$(measure "$base_url")
        v=$(measure -H "$header" "$proxy_url")
        read -r n_rps n_p50 n_p99 _ _ <<<"$n"
        read -r v_rps v_p50 v_p99 _ v_errors <<<"$v"
        line="$n_rps $n_p50 $n_p99 $v_rps $v_p50 $v_p99 $v_errors"
        if [ -n "$second_url" ]; then
            read -r w_rps w_p50 w_p99 _ w_errors <<<"$(measure -H "$header" "$second_url")"
            line="$line $w_rps $w_p50 $w_p99 $w_errors"
        fi
        echo "$line" >>"$file"
    done
}

# Prints the round with the median proxy/baseline ratio (baseline's and proxy's rps, p50, p99), the proxy's errors
# over all rounds, and every round's ratio, comma-separated. PROXY_COLUMN is 3 for the first proxy (default), 7 for
# the second.
# Usage: median_round FILE [PROXY_COLUMN]
median_round() {
    python3 - "$1" "${2:-3}" <<'PY'
import sys
column = int(sys.argv[2])
rounds = [line.split() for line in open(sys.argv[1]) if line.strip()]
ratio = lambda r: float(r[column]) / float(r[0])
rounds.sort(key=ratio)
middle = rounds[len(rounds) // 2]
ratios = ",".join(f"{ratio(r):.2f}" for r in rounds)
errors = sum(int(r[column + 3]) for r in rounds)
print(" ".join(middle[:3] + middle[column:column + 3] + [str(errors), ratios]))
PY
}

# Prints "p50_ms p99_ms non2xx" of a closed-loop wrk run at $latency_connections connections for $latency_seconds.
wrk_latency() {
    local _rps p50 p99 _total errors
    read -r _rps p50 p99 _total errors <<<"$(connections=$latency_connections duration=$latency_seconds measure "$@")"
    echo "$p50 $p99 $errors"
}

# Prints "p50_ms p99_ms non2xx" of an open-loop hey run: 4 workers sending $latency_rate requests/s in all, whatever
# the replies do, for $latency_seconds. Nothing saturates, so this is the latency a hop adds at a steady load.
hey_latency() {
    local out
    out=$(hey -z "${latency_seconds}s" -c 4 -q $((latency_rate / 4)) "$@")
    echo "$out" >>"$work/hey.log"
    python3 - "$out" <<'PY'
import re, sys
text = sys.argv[1]
def ms(p):
    return float(re.search(rf"{p}% in ([\d.]+) secs", text).group(1)) * 1000
codes = re.findall(r"\[(\d+)\]\s+(\d+) responses", text)
errors = sum(int(count) for code, count in codes if not code.startswith("2"))
print(f"{ms(50):.3f} {ms(99):.3f} {errors}")
PY
}

# Measures direct, nginx proxy_pass and the proxy with MEASURE (wrk_latency or hey_latency) for $rounds interleaved
# rounds and prints the medians of the added latency over direct: "proxy_p50 proxy_p99 nginx_p50 nginx_p99 errors".
# Usage: added_latency MEASURE DIRECT_URL NGINX_PROXY_URL PROXY_HEADER PROXY_URL
added_latency() {
    local measure=$1 direct_url=$2 nginx_url=$3 header=$4 proxy_url=$5 file
    file=$(mktemp "$work/latency.XXXXXX")
    for _ in $(seq 1 "$rounds"); do
        echo "$("$measure" "$direct_url") $("$measure" "$nginx_url") $("$measure" -H "$header" "$proxy_url")" >>"$file"
    done
    python3 - "$file" <<'PY'
import statistics, sys
rounds = [list(map(float, line.split())) for line in open(sys.argv[1]) if line.strip()]
# Per round: direct p50 p99 errors, nginx proxy_pass p50 p99 errors, proxy p50 p99 errors.
added = lambda first, base: statistics.median(r[first] - r[base] for r in rounds)
errors = int(sum(r[2] + r[5] + r[8] for r in rounds))
print(f"{added(6, 0):.3f} {added(7, 1):.3f} {added(3, 0):.3f} {added(4, 1):.3f} {errors}")
PY
}

# Makes the test issuer (keys, discovery document, a signed token in $work/token) served from $work/www by nginx at
# ISSUER_PORT, and writes the API server's small JSON body to $work/body.json; sets $issuer.
# Usage: make_issuer_and_body ISSUER_PORT
make_issuer_and_body() {
    issuer="http://127.0.0.1:$1/realms/bench"
    python3 benchmarks/make_issuer.py "$work" "$issuer" verrazzano-pkce
    mkdir -p "$work/www/realms" && mv "$work/issuer" "$work/www/realms/bench"
    cat > "$work/body.json" <<'JSON'
{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"12345"},"items":[{"metadata":{"name":"web-0","namespace":"default"},"status":{"phase":"Running"}}]}
JSON
}

# Writes $work/kubeconfig: the API server at 127.0.0.1:UPSTREAM_PORT over plain HTTP, with a fixed token.
# Usage: write_kubeconfig UPSTREAM_PORT
write_kubeconfig() {
    cat > "$work/kubeconfig" <<KUBE
apiVersion: v1
kind: Config
clusters: [{name: bench, cluster: {server: "http://127.0.0.1:$1"}}]
users: [{name: bench, user: {token: proxy-service-account-token}}]
contexts: [{name: bench, context: {cluster: bench, user: bench}}]
current-context: bench
KUBE
}

# Makes the scratch directory $work (readable by nginx workers, which run as www-data) and the $pids array, and on
# exit stops every process in $pids and every nginx whose pid file is in $work, then removes $work.
# Usage: begin_benchmark NAME
begin_benchmark() {
    work=$(mktemp -d "/tmp/$1.XXXXXX")
    chmod 755 "$work"
    pids=()
    trap end_benchmark EXIT
}

end_benchmark() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for file in "$work"/*.pid; do [ -f "$file" ] && kill "$(cat "$file")" 2>/dev/null || true; done
    rm -rf "$work"
}

# Prints the start of an nginx configuration, up to and including `http {` and its shared settings: WORKERS worker
# processes, the pid file $work/NAME.pid (default nginx), the error log, no access log, long keep-alive.
# Usage: nginx_conf_head WORKERS [NAME]
nginx_conf_head() {
    local name=${2:-nginx}
    cat <<NGINX
worker_processes $1;
pid $work/$name.pid;
error_log $work/$name-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
NGINX
}

# Prints nginx's "API server" (the small JSON body at PORT) and the keep-alive upstream `api` pointing at it.
# Usage: nginx_api_server PORT
nginx_api_server() {
    cat <<NGINX
    # keepalive_requests here too: the upstream default (1,000) would make a proxy_pass baseline reconnect all the time.
    upstream api { server 127.0.0.1:$1; keepalive 128; keepalive_requests 1000000; }
    server {
        listen 127.0.0.1:$1;
        location / { default_type application/json; root $work; try_files /body.json =404; }
    }
NGINX
}

# Starts `vzauth api-proxy` (the binary $BIN, prefixed by $PROXY_PREFIX, e.g. `taskset -c 1`) on PORT with its
# management listener on MGMT_PORT, against $issuer and $work/kubeconfig, logging warnings to $work/LOG; EXTRA flags
# are added. Sets $started_pid and adds it to $pids.
# Usage: start_api_proxy PORT MGMT_PORT LOG [EXTRA ...]
start_api_proxy() {
    local port=$1 management=$2 log=$3
    shift 3
    ${PROXY_PREFIX:-} "$BIN" api-proxy --listen "127.0.0.1:$port" --management-listen "127.0.0.1:$management" \
        --oidc-issuer "$issuer" --oidc-client-id verrazzano-pkce --kubeconfig "$work/kubeconfig" \
        --log-level warning "$@" 2>"$work/$log" &
    started_pid=$!
    pids+=("$started_pid")
}
