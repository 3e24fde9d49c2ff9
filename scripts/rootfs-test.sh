#!/usr/bin/env bash
# Proves the folder scripts/rootfs.sh collects is self-contained: runs vzauth inside it with `unshare --root` (a
# chroot: no /usr, /lib or /etc of this machine is visible), with an empty environment, as the image's user 65532:
#   vzauth version; vzauth api-proxy/oidc-proxy/rbac-controller/sandbox --help; vzauth rbac render on a small input;
#   vzauth api-proxy serving /healthz (sockets opened without any capability, as in the pods).
# Needs root (unshare --root). Slow: it runs scripts/rootfs.sh, whose release build takes several minutes, so CI does not
# run it; run it by hand after changing dependencies or the Containerfile.
# Usage: scripts/rootfs-test.sh [ROOTFS_DIR]   (default .build/rootfs; SKIP_BUILD=1 reuses the release build)
set -euo pipefail
cd "$(dirname "$0")/.."

root="${1:-.build/rootfs}"

if [[ "$(id -u)" != 0 ]]; then
    echo "rootfs-test: unshare --root needs root; run it as root (or in a container as root)" >&2
    exit 1
fi

scripts/rootfs.sh "$root"
root="$(cd "$root" && pwd)"

fail() {
    echo "rootfs-test: FAILED: $*" >&2
    exit 1
}

# Nothing but what rootfs.sh collects: the binary, lib/lib64 with the libraries, etc, tmp (and no shell).
for path in usr bin sbin var home/nonroot/.bashrc bin/sh; do
    [[ ! -e "$root/$path" ]] || fail "$root/$path exists: rootfs.sh collects more than vzauth needs"
done
echo "rootfs-test: $root holds: $(cd "$root" && find . -mindepth 1 -maxdepth 4 | sort | tr '\n' ' ')"

# In the folder, as nonroot, with no environment (no PATH, no LD_LIBRARY_PATH, no HOME).
# unshare rather than plain chroot: a new mount and PID namespace with its own procfs on the folder's /proc (the
# Swift runtime reads its arguments from /proc/self/cmdline, as in a container), gone when the command ends.
unshare_path="$(command -v unshare)"
run() {
    env -i "$unshare_path" --fork --kill-child --pid --mount-proc=/proc --root="$root" --wd=/ --setgid 65532 --setuid 65532 \
        /vzauth "$@"
}

version=$(run version) || fail "vzauth version did not run in the chroot (a missing library or loader?)"
[[ "$version" == "vzauth "* ]] || fail "vzauth version printed '$version', not 'vzauth X.Y.Z' (its arguments lost?)"
echo "rootfs-test: vzauth version: $version"
for command in api-proxy oidc-proxy rbac-controller sandbox; do
    help=$(run "$command" --help) || fail "vzauth $command --help did not run in the chroot"
    grep -q "USAGE: vzauth $command" <<<"$help" || fail "vzauth $command --help printed something else: $help"
    echo "rootfs-test: vzauth $command --help: ok"
done

# rbac render: YAML parsing and the RBAC library, on a project read from standard input.
rendered=$(run rbac render -f - <<'YAML'
apiVersion: clusters.verrazzano.io/v1beta1
kind: VerrazzanoProject
metadata:
  name: hello
  namespace: verrazzano-mc
spec:
  placement:
    clusters:
    - name: local
  security:
    projectAdminSubjects:
    - kind: User
      name: alice
  template:
    namespaces:
    - metadata:
        name: hello
YAML
) || fail "vzauth rbac render did not run in the chroot"
grep -q 'verrazzano-project-admin' <<<"$rendered" || fail "vzauth rbac render printed no project-admin RoleBinding: $rendered"
echo "rootfs-test: vzauth rbac render: $(grep -c '^kind:' <<<"$rendered") objects"
# Serving: the API proxy as UID 65532 without capabilities (as in the manifests' pods) must accept connections.
# A socket option that needs a capability closes every accepted connection, which version and --help never show.
port=$((20000 + RANDOM % 10000))
cat >"$root/tmp/kubeconfig" <<'KUBECONFIG'
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
KUBECONFIG
chmod 0644 "$root/tmp/kubeconfig"
# Started directly, not through run(): `run ... &` backgrounds a subshell, and killing that subshell left unshare
# and the proxy running after the test. unshare --fork ignores SIGTERM while it waits, and --kill-child does not
# survive --setuid (a credential change clears the parent-death signal), so the proxy (unshare's child) is killed
# itself, then unshare.
env -i "$unshare_path" --fork --kill-child --pid --mount-proc=/proc --root="$root" --wd=/ --setgid 65532 --setuid 65532 \
    /vzauth api-proxy --oidc-issuer http://127.0.0.1:1/realms/x --oidc-client-id c --kubeconfig /tmp/kubeconfig \
    --listen 127.0.0.1:0 --management-listen "127.0.0.1:$port" >"$root/tmp/proxy.log" 2>&1 &
proxy=$!
stop_proxy() {
    kill -KILL $(pgrep -P "$proxy") "$proxy" 2>/dev/null || true
    wait "$proxy" 2>/dev/null || true
}
trap stop_proxy EXIT
healthz=""
for _ in $(seq 1 50); do
    healthz=$(curl -s --max-time 2 "http://127.0.0.1:$port/healthz" || true)
    [[ -n "$healthz" ]] && break
    kill -0 "$proxy" 2>/dev/null || break
    sleep 0.2
done
[[ "$healthz" == ok* ]] || fail "the API proxy, run as 65532, did not answer /healthz on 127.0.0.1:$port: $(cat "$root/tmp/proxy.log")"
# This proxy's answer, not another process's on the same (random) port: its log names the port, and it still runs.
grep -q "127.0.0.1:$port listener=management" "$root/tmp/proxy.log" && kill -0 "$proxy" 2>/dev/null \
    || fail "the API proxy did not listen on 127.0.0.1:$port (taken by another process?): $(cat "$root/tmp/proxy.log")"
stop_proxy
trap - EXIT
rm -f "$root/tmp/kubeconfig" "$root/tmp/proxy.log"
echo "rootfs-test: vzauth api-proxy as 65532 answers /healthz: $healthz"
echo "rootfs-test: passed: vzauth runs from $root alone"
