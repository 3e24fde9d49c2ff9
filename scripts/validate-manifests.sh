#!/usr/bin/env bash
# Renders every kustomization under deploy/ (the base, each overlay alone and with every optional
# component that fits it, each example) with `kubectl kustomize`, and validates the output (and the CRDs in
# deploy/crds) strictly and offline:
# built-in kinds against Kubernetes 1.32's schemas (kubernetes-validate from PyPI, strict: unknown fields are
# errors), custom resources against the CRDs in deploy/crds, ServiceMonitors skipped (their CRD is the Prometheus
# Operator's). See scripts/validate_manifests.py for the rules.
# Needs: kubectl (with its built-in kustomize) and `pip install kubernetes-validate` (.ci/run installs it).
# Usage: scripts/validate-manifests.sh [KUBERNETES_VERSION]   (default 1.32.0)
set -euo pipefail
cd "$(dirname "$0")/.."

version="${1:-1.32.0}"

if ! command -v kubectl >/dev/null 2>&1; then
    echo "validate-manifests: kubectl not found; install it (Debian: apt-get install kubernetes-client)" >&2
    exit 1
fi
if ! python3 -c 'import kubernetes_validate' 2>/dev/null; then
    echo "validate-manifests: the Python module kubernetes_validate is missing; run: pip install kubernetes-validate" >&2
    exit 1
fi

out="$(mktemp -d)"
# Kustomize refuses absolute paths to bases and components, so the combinations with components are written as
# kustomizations inside deploy/ (a hidden folder, removed on exit).
combo="$(mktemp -d -p deploy .validate.XXXXXX)"
trap 'rm -rf "$out" "$combo"' EXIT

# kustomization (relative to deploy/) -> rendered file
render() {
    local dir="$1" name="$2"
    if ! kubectl kustomize "deploy/$dir" >"$out/$name.yaml"; then
        echo "validate-manifests: kubectl kustomize deploy/$dir failed (message above); fix that kustomization" >&2
        exit 1
    fi
    echo "rendered deploy/$dir ($(grep -c '^kind:' "$out/$name.yaml") objects)"
}

# An overlay with components: a kustomization in $combo naming them.
render_with() {
    local overlay="$1" name="$2"
    shift 2
    mkdir -p "$combo/$name"
    {
        echo "apiVersion: kustomize.config.k8s.io/v1beta1"
        echo "kind: Kustomization"
        echo "resources: [../../$overlay]"
        echo "components:"
        for component in "$@"; do echo "- ../../components/$component"; done
    } >"$combo/$name/kustomization.yaml"
    render "${combo#deploy/}/$name" "$name"
}

# The CRDs are plain files (no kustomization, so that `kubectl apply -f deploy/crds/` and `kubectl wait -f
# deploy/crds/` keep working): validated as they are.
cat deploy/crds/*.yaml >"$out/crds.yaml"
render base base
render overlays/admin-cluster admin-cluster
render overlays/managed-cluster managed-cluster
render examples/grafana-sidecar grafana-sidecar
render examples/verrazzano-resources verrazzano-resources
render_with overlays/admin-cluster admin-cluster+components servicemonitor network-policy user-impersonation
render_with overlays/managed-cluster managed-cluster+components servicemonitor network-policy

# Every kustomization must be covered above: a new overlay or example nobody renders would go unvalidated.
covered="base overlays/admin-cluster overlays/managed-cluster examples/grafana-sidecar examples/verrazzano-resources components/servicemonitor components/network-policy components/user-impersonation"
while IFS= read -r file; do
    dir="${file#deploy/}"
    dir="${dir%/kustomization.yaml}"
    case " $covered " in
    *" $dir "*) ;;
    *)
        echo "validate-manifests: deploy/$dir/kustomization.yaml is not rendered by $0; add it there" >&2
        exit 1
        ;;
    esac
done < <(find deploy -name kustomization.yaml -not -path "$combo/*" | sort)

# The checker itself must refuse an unknown field, or a pass above would mean nothing.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata: {}\nunknownField: 1\n' >"$out/must-fail.yaml"
if python3 scripts/validate_manifests.py deploy/crds "$version" "$out/must-fail.yaml" >/dev/null; then
    echo "validate-manifests: the validator accepted an unknown field; is kubernetes-validate's strict mode working?" >&2
    exit 1
fi

python3 scripts/validate_manifests.py deploy/crds "$version" \
    "$out/crds.yaml" "$out/base.yaml" "$out/admin-cluster.yaml" "$out/managed-cluster.yaml" \
    "$out/grafana-sidecar.yaml" "$out/verrazzano-resources.yaml" "$out/admin-cluster+components.yaml" "$out/managed-cluster+components.yaml"
