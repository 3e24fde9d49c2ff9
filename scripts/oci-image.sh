#!/usr/bin/env bash
# Turns the root filesystem tarball of scripts/rootfs.sh into an OCI image archive, without any container engine
# (bash, tar, gzip, sha256sum and python3's standard library only). The image is what the Containerfile builds:
# one layer (the tarball's contents), Entrypoint ["/vzauth"], Cmd ["--help"], User 65532:65532, os linux, the
# architecture of this machine (uname -m in OCI's names: amd64, arm64, ...).
#
# The archive is an OCI image layout in a tar (oci-layout, index.json, blobs/sha256/...), plus the manifest.json
# that `docker save` also writes, so that every loader takes it:
#   ctr -n k8s.io images import vzauth.tar       (containerd, e.g. a kubelet's node; named after --tag)
#   podman load -i vzauth.tar
#   docker load -i vzauth.tar                     (manifest.json; Docker >= 25 also reads the OCI index)
#   skopeo copy oci-archive:vzauth.tar docker://registry.example.com/vzauth:1.0.0
#   kind load image-archive vzauth.tar
# The index names the image twice: `org.opencontainers.image.ref.name` is the tag as given (vzauth:latest), and
# `io.containerd.image.name` the fully qualified name (docker.io/library/vzauth:latest) containerd and Docker use,
# which is also the name the kubelet asks for when a pod says `image: vzauth:latest`.
#
# Deterministic: the layer is the tarball's own tar (scripts/rootfs.sh sorts it and dates it 0) recompressed with
# `gzip -n`, the config's dates are SOURCE_DATE_EPOCH (default 0), and the archive's entries are sorted, dated 0
# and owned by root; the same rootfs tarball gives the same bytes.
#
# Usage: scripts/oci-image.sh [--tag NAME[:TAG]] [ROOTFS_TARBALL [OUTPUT]]
#   --tag         the image name (default vzauth:latest)
#   ROOTFS_TARBALL  default .build/rootfs.tar.gz (gzip-compressed or plain tar)
#   OUTPUT        default .build/vzauth-oci.tar
# Example: scripts/rootfs.sh && scripts/oci-image.sh --tag vzauth:latest && ctr -n k8s.io images import .build/vzauth-oci.tar
set -euo pipefail
cd "$(dirname "$0")/.."

tag="vzauth:latest"
positional=()
while [[ $# -gt 0 ]]; do
    case "$1" in
    --tag) tag="${2:?oci-image: --tag needs a value}"; shift 2 ;;
    --tag=*) tag="${1#--tag=}"; shift ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    -*) echo "oci-image: unknown option $1 (see --help)" >&2; exit 1 ;;
    *) positional+=("$1"); shift ;;
    esac
done
[[ ${#positional[@]} -le 2 ]] || { echo "oci-image: at most ROOTFS_TARBALL and OUTPUT (see --help)" >&2; exit 1; }
input="${positional[0]:-.build/rootfs.tar.gz}"
output="${positional[1]:-.build/vzauth-oci.tar}"

for tool in tar gzip sha256sum python3 uname; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "oci-image: $tool not found; install it" >&2
        exit 1
    fi
done
if [[ ! -f "$input" ]]; then
    echo "oci-image: $input is missing; run scripts/rootfs.sh first (it writes ROOTFS_DIR.tar.gz)" >&2
    exit 1
fi

# The name: [REGISTRY/]PATH[:TAG], lower case path components as Docker references allow; no digest.
if ! [[ "$tag" =~ ^([a-zA-Z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$ ]]; then
    echo "oci-image: --tag '$tag' is not an image reference like vzauth:latest or registry.example.com/vzauth:1.0.0" >&2
    exit 1
fi
[[ "${tag##*/}" == *:* ]] || tag="$tag:latest"
# Fully qualified as Docker and containerd normalize it: a first component without '.' or ':' (and not
# localhost) is a Docker Hub path, and a single-component Docker Hub name is under library/.
full="$tag"
first="${tag%%/*}"
if [[ "$tag" != */* ]] || [[ "$first" != *.* && "$first" != *:* && "$first" != localhost ]]; then
    full="docker.io/$tag"
    [[ "$tag" == */* ]] || full="docker.io/library/$tag"
fi

case "$(uname -m)" in
x86_64 | amd64) arch=amd64 variant= ;;
aarch64 | arm64) arch=arm64 variant=v8 ;;
armv7l | armv7*) arch=arm variant=v7 ;;
armv6l) arch=arm variant=v6 ;;
i386 | i686) arch=386 variant= ;;
ppc64le) arch=ppc64le variant= ;;
s390x) arch=s390x variant= ;;
riscv64) arch=riscv64 variant= ;;
*) echo "oci-image: no OCI architecture name known for $(uname -m)" >&2; exit 1 ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/image/blobs/sha256"
blobs="$work/image/blobs/sha256"

# 1. The layer: the uncompressed tar's digest is the diff_id, the gzip's the layer digest.
if gzip -t "$input" 2>/dev/null; then
    gzip -dc "$input" >"$work/layer.tar"
else
    cp "$input" "$work/layer.tar"
fi
listing="$(tar -tf "$work/layer.tar")" || { echo "oci-image: $input is not a tar archive" >&2; exit 1; }
if ! grep -qx '\(\./\)\{0,1\}vzauth' <<<"$listing"; then
    echo "oci-image: $input has no /vzauth (the entrypoint); is it scripts/rootfs.sh's tarball?" >&2
    exit 1
fi
diff_id="$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
gzip -n -9 -c "$work/layer.tar" >"$work/layer.tar.gz"
layer="$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)"
layer_size="$(stat -c %s "$work/layer.tar.gz")"
mv "$work/layer.tar.gz" "$blobs/$layer"
rm "$work/layer.tar"

# 2. Config, manifest, index (and Docker's manifest.json), written by python3 for correct JSON.
created="$(date -u -d "@${SOURCE_DATE_EPOCH:-0}" +%Y-%m-%dT%H:%M:%SZ)"
python3 - "$work/image" "$tag" "$full" "$arch" "$variant" "$created" "$diff_id" "$layer" "$layer_size" <<'PY'
import hashlib, json, os, sys

root, tag, full, arch, variant, created, diff_id, layer, layer_size = sys.argv[1:]
blobs = os.path.join(root, "blobs", "sha256")

def blob(obj):
    data = json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return digest, len(data)

def write(name, obj):
    with open(os.path.join(root, name), "w") as f:
        json.dump(obj, f, separators=(",", ":"), sort_keys=True)

platform = {"architecture": arch, "os": "linux"}
if variant:
    platform["variant"] = variant
config = dict(platform)
config.update({
    "created": created,
    "config": {
        "User": "65532:65532",
        "Entrypoint": ["/vzauth"],
        "Cmd": ["--help"],
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    },
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]},
    "history": [{"created": created, "created_by": "scripts/rootfs.sh; scripts/oci-image.sh"}],
})
config_digest, config_size = blob(config)
manifest_digest, manifest_size = blob({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": "sha256:" + config_digest, "size": config_size},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": "sha256:" + layer, "size": int(layer_size)}],
})
write("oci-layout", {"imageLayoutVersion": "1.0.0"})
write("index.json", {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": "sha256:" + manifest_digest,
        "size": manifest_size,
        "platform": platform,
        "annotations": {
            "io.containerd.image.name": full,
            "org.opencontainers.image.ref.name": tag,
        },
    }],
})
# docker load (the format `docker save` writes next to the OCI layout): the config and layers by path.
write("manifest.json", [{
    "Config": "blobs/sha256/" + config_digest,
    "RepoTags": [tag],
    "Layers": ["blobs/sha256/" + layer],
}])
PY

# 3. The archive: sorted, dated 0, owned by root.
mkdir -p "$(dirname "$output")"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=ustar -C "$work/image" \
    -cf "$output.tmp" oci-layout index.json manifest.json blobs
mv "$output.tmp" "$output"
manifest="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$work/image/index.json")"
echo "oci-image: $output ($(stat -c %s "$output") bytes): $tag ($full), linux/$arch${variant:+/$variant}, manifest $manifest, layer sha256:$layer ($layer_size bytes)"
