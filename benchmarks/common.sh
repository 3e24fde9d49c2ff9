# Shared by the benchmark scripts: tool installation, the release build, and wrk measurement.
# Expects: $work (scratch directory), $duration, $connections.

# Installs wrk, nginx and python3-cryptography when missing (Debian).
install_tools() {
    local need=()
    command -v wrk >/dev/null || need+=(wrk)
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

# Alternates baseline and proxy measurements for $rounds rounds (both see the same machine drift), appending
# "base_rps base_p50 base_p99 proxy_rps proxy_p50 proxy_p99 proxy_errors" per round to FILE.
# Usage: interleave FILE BASE_URL PROXY_HEADER PROXY_URL
interleave() {
    local file=$1 base_url=$2 header=$3 proxy_url=$4
    wrk -t2 -c"$connections" -d2s "$base_url" >/dev/null
    wrk -t2 -c"$connections" -d2s -H "$header" "$proxy_url" >/dev/null
    for _ in $(seq 1 "$rounds"); do
        local n v
        n=$(measure "$base_url")
        v=$(measure -H "$header" "$proxy_url")
        read -r n_rps n_p50 n_p99 _ _ <<<"$n"
        read -r v_rps v_p50 v_p99 _ v_errors <<<"$v"
        echo "$n_rps $n_p50 $n_p99 $v_rps $v_p50 $v_p99 $v_errors" >>"$file"
    done
}

# Prints the round with the median proxy/baseline ratio (its seven fields) and every ratio, comma-separated.
median_round() {
    python3 - "$1" <<'PY'
import sys
rounds = [line.split() for line in open(sys.argv[1]) if line.strip()]
rounds.sort(key=lambda r: float(r[3]) / float(r[0]))
middle = rounds[len(rounds) // 2]
ratios = ",".join(f"{float(r[3]) / float(r[0]):.2f}" for r in rounds)
errors = sum(int(r[6]) for r in rounds)
print(" ".join(middle[:6] + [str(errors), ratios]))
PY
}
