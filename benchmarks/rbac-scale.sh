#!/usr/bin/env bash
# RBAC controller scale benchmark, on loopback: PROJECTS projects × NAMESPACES namespaces each (4 RoleBindings per
# namespace), reconciled from nothing by `vzauth rbac-controller`, then by a restarted controller that finds
# everything in place.
#
# Each run starts the API server double (TLS, in the benchmark's process) unless KUBECONFIG_FOR_SCALE names a
# cluster (which must serve the CRDs of deploy/crds and have no other projects). Two runs in the same session: the
# baseline writes one object at a time (--max-concurrent-writes 1, how the controller worked before), the second
# with the default bound; the script prints both lines of figures and the ratios.
#
# Figures: converged_s (every project Succeeded), idle_s (the controller's last write or pass), writes (by the
# controller, Events included), peak_rss_mb (the controller's VmHWM), cpu_s (the controller's CPU time), and the
# same for the restart.
#
# Usage: benchmarks/rbac-scale.sh [PROJECTS] [NAMESPACES]
set -euo pipefail
cd "$(dirname "$0")/.."
projects=${1:-1000}
namespaces=${2:-4}

echo "building vzauth and vzauth-rbac-scale-bench (release)..." >&2
swift build -c release --product vzauth 2>&1 | grep -E "error" || true
swift build -c release --product vzauth-rbac-scale-bench 2>&1 | grep -E "error" || true
bin=$(swift build -c release --show-bin-path)

run() {
    local prefix=$1; shift
    local cluster=()
    [ -n "${KUBECONFIG_FOR_SCALE:-}" ] && cluster=(--kubeconfig "$KUBECONFIG_FOR_SCALE")
    "$bin/vzauth-rbac-scale-bench" --vzauth "$bin/vzauth" --projects "$projects" --namespaces "$namespaces" \
        --prefix "$prefix" "${cluster[@]}" -- "$@" 2>/dev/null | tail -1
}

baseline=$(run base --max-concurrent-writes 1)
current=$(run cur)
echo "one write at a time: $baseline"
echo "default (16 writes): $current"
python3 - "$baseline" "$current" <<'PY'
import sys
def figures(line):
    return {k: v for k, v in (item.split("=", 1) for item in line.split() if "=" in item)}
base, cur = figures(sys.argv[1]), figures(sys.argv[2])
for key in ["converged_s", "idle_s", "cpu_s", "peak_rss_mb"]:
    try:
        print(f"{key}: {float(base[key]):.1f} -> {float(cur[key]):.1f} (baseline/current {float(base[key]) / float(cur[key]):.2f})")
    except (KeyError, ValueError, ZeroDivisionError):
        print(f"{key}: {base.get(key)} -> {cur.get(key)}")
PY
