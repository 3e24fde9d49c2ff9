#!/usr/bin/env bash
# Memory per open watch, and memory given back once they close, for `vzauth api-proxy`, on loopback.
#
# A small Python upstream answers every request with the head of a chunked response and then a chunk every 20 s (a
# watch with nothing to report); a Python client opens WATCHES watches through the proxy with a valid token and holds
# them. The proxy's resident memory is read idle (after one request), with every watch open, right after they all
# closed, and 70 s later (the proxy returns free memory every 30 s).
#
# Usage: [WATCHES=5000] benchmarks/watches.sh
set -euo pipefail
cd "$(dirname "$0")/.."
watches=${WATCHES:-5000}
duration=10; connections=1
. benchmarks/common.sh
begin_benchmark vzauth-watches
upstream_port=18780; issuer_port=18782; proxy_port=18783; mgmt_port=18784
install_tools
build_release vzauth
BIN="$BIN_DIR/vzauth"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -gt $((watches * 2 + 256)) ] || { echo "the open-file limit ($(ulimit -n)) is too low for $watches watches"; exit 1; }

make_issuer_and_body "$issuer_port"
cat > "$work/nginx.conf" <<NGINX
$(nginx_conf_head 1)
    server {
        listen 127.0.0.1:$issuer_port;
        location / { root $work/www; default_type application/json; }
    }
}
NGINX
"$NGINX" -c "$work/nginx.conf" -p "$work"

# The upstream: every request gets a chunked head at once, then a chunk every 20 s until the client goes.
cat > "$work/upstream.py" <<'PY'
import asyncio, sys
async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            await writer.drain()
            while True:
                await asyncio.sleep(20)
                writer.write(b"2\r\n{}\r\n")
                await writer.drain()
    except Exception:
        pass
    finally:
        writer.close()
async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]), backlog=4096)
    async with server:
        await server.serve_forever()
asyncio.run(main())
PY
python3 "$work/upstream.py" "$upstream_port" &
pids+=("$!")

write_kubeconfig "$upstream_port"
start_api_proxy "$proxy_port" "$mgmt_port" proxy.log
proxy_pid=$started_pid
wait_ready "http://127.0.0.1:$mgmt_port/readyz" || { echo "proxy not ready:"; cat "$work/proxy.log"; exit 1; }
token=$(cat "$work/token")
rss() { awk '/VmRSS/ {print $2}' "/proc/$proxy_pid/status"; }

# The client: opens the watches, reports when every head arrived, holds them until told, then closes them all.
cat > "$work/client.py" <<'PY'
import asyncio, sys
port, token, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
request = (f"GET /api/v1/namespaces/default/pods?watch=true HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           f"Authorization: Bearer {token}\r\n\r\n").encode()
async def watch(opened):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:40]
    opened.append(writer)
async def main():
    opened = []
    for start in range(0, count, 500):
        await asyncio.gather(*(watch(opened) for _ in range(start, min(count, start + 500))))
    print("open", len(opened), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for writer in opened:
        writer.close()
    print("closed", flush=True)
asyncio.run(main())
PY
curl -fsS -o /dev/null -m 2 -H "Authorization: Bearer $token" "http://127.0.0.1:$proxy_port/api/v1/pods" || true
sleep 2
idle=$(rss)
coproc CLIENT { python3 "$work/client.py" "$proxy_port" "$token" "$watches"; }
read -r word opened <&"${CLIENT[0]}"
[ "$word" = open ] && [ "$opened" = "$watches" ] || { echo "the client opened $opened of $watches watches"; exit 1; }
sleep 5
open_rss=$(rss)
echo >&"${CLIENT[1]}"
read -r _ <&"${CLIENT[0]}"
sleep 5
closed_rss=$(rss)
sleep 65
later_rss=$(rss)

echo
echo "vzauth open watches: $(date -u +%Y-%m-%d), $(nproc) cores, $watches watches through the API proxy (default threads)"
python3 - "$idle" "$open_rss" "$closed_rss" "$later_rss" "$watches" <<'PY'
import sys
idle, opened, closed, later, count = map(int, sys.argv[1:])
print(f"resident memory idle:                 {idle / 1024:.1f} MB")
print(f"with {count} watches open:           {opened / 1024:.1f} MB, {(opened - idle) / count:.1f} KiB per watch (aim <= 8)")
print(f"5 s after they all closed:            {closed / 1024:.1f} MB")
print(f"70 s after they all closed:           {later / 1024:.1f} MB, {(later - idle) / 1024:+.1f} MB from idle (aim within 25 MB)")
PY
