#!/usr/bin/env bash
# Builds vzauth for release with the Swift standard library and Foundation linked statically, strips it, and
# collects exactly what it needs at run time into a root filesystem folder plus a tarball that a `FROM scratch`
# image can `ADD` (the Containerfile runs this script in its build stage):
#   /vzauth                                    the stripped binary (the image's entrypoint)
#   /lib64/ld-linux-x86-64.so.2, /lib/...      the dynamic loader and the shared libraries `ldd` lists, copied as
#                                              regular files under the names the loader looks for (symlinks resolved)
#   /etc/ssl/certs/ca-certificates.crt         the CA bundle (swift-nio-ssl and AsyncHTTPClient read this path)
#   /etc/passwd, /etc/group                    root and nonroot (65532) only
#   /etc/nsswitch.conf                         `hosts: files dns`: /etc/hosts (localhost, hostAliases) before DNS
#   /tmp                                       empty, mode 1777 (the manifests mount an emptyDir there)
#   /proc                                      empty mount point (Swift reads its arguments from /proc/self/cmdline)
# Nothing else: no shell, no /usr. What glibc would load behind ldd's back is covered: glibc >= 2.34 has the
# `files` and `dns` NSS modules built into libc.so.6 (no libnss_*.so), ICU data is inside the static Foundation,
# no iconv (gconv) modules or zoneinfo are read (times are UTC). scripts/rootfs-test.sh proves it in a chroot.
#
# Usage: scripts/rootfs.sh [ROOTFS_DIR]     (default .build/rootfs; the tarball is ROOTFS_DIR.tar.gz)
# Environment: SKIP_BUILD=1 reuses an existing release build (e.g. right after one).
set -euo pipefail
cd "$(dirname "$0")/.."

root="${1:-.build/rootfs}"
tarball="${root%/}.tar.gz"

for tool in swift ldd strip tar; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "rootfs: $tool not found; run this in a Swift toolchain image (swift:6.x-bookworm) or install it" >&2
        exit 1
    fi
done

# 1. The release binary. --static-swift-stdlib links the Swift runtime, Foundation and its ICU into the binary,
# leaving only system libraries (glibc, libstdc++, libgcc_s, zlib) to ship.
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    start=$(date +%s)
    nice -n 10 swift build -c release --static-swift-stdlib --product vzauth
    echo "rootfs: release build took $(($(date +%s) - start)) s"
fi
bin="$(swift build -c release --static-swift-stdlib --show-bin-path)/vzauth"
if [[ ! -x "$bin" ]]; then
    echo "rootfs: $bin is missing; build it (swift build -c release --static-swift-stdlib --product vzauth) or drop SKIP_BUILD" >&2
    exit 1
fi

# 2. A fresh folder: nothing left over from an earlier run may hide a missing file.
rm -rf "$root" "$tarball"
mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/proc"
chmod 1777 "$root/tmp"
# /proc: an empty mount point. The Swift runtime on Linux reads the command line from /proc/self/cmdline: without
# procfs vzauth sees no arguments at all (every container runtime mounts it; the chroot test does too).
chmod 0555 "$root/proc"

cp "$bin" "$root/vzauth"
strip --strip-all "$root/vzauth"
size() { stat -c %s "$1"; }
echo "rootfs: vzauth $(size "$bin") bytes unstripped, $(size "$root/vzauth") bytes stripped"

# 3. The shared libraries, as ldd resolves them. A Swift library here means the static stdlib did not apply.
libraries=$(ldd "$root/vzauth" | awk '/=> \// { print $3; next } /^[ \t]*\// { print $1 }' | sort -u)
if grep -q 'libswift\|libFoundation\|lib_FoundationICU\|libdispatch\|libBlocksRuntime' <<<"$libraries"; then
    echo "rootfs: vzauth still links Swift runtime libraries dynamically:" >&2
    grep 'libswift\|libFoundation\|lib_FoundationICU\|libdispatch\|libBlocksRuntime' <<<"$libraries" >&2
    echo "rootfs: build with --static-swift-stdlib (and a toolchain that ships the static libraries)" >&2
    exit 1
fi
for library in $libraries; do
    mkdir -p "$root$(dirname "$library")"
    cp -L "$library" "$root$library"   # -L: the file a symlink points to, under the linked name
    echo "rootfs: $library ($(size "$root$library") bytes)"
done
# The loader the kernel starts is the ELF interpreter; ldd names it too, but check rather than assume.
interpreter=$(readelf -l "$root/vzauth" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
if [[ ! -f "$root$interpreter" ]]; then
    echo "rootfs: the dynamic loader $interpreter (ELF interpreter) was not collected; ldd output changed?" >&2
    exit 1
fi

# 4. CA certificates, users and name resolution.
ca=/etc/ssl/certs/ca-certificates.crt
if [[ ! -f "$ca" ]]; then
    echo "rootfs: $ca is missing; install the ca-certificates package" >&2
    exit 1
fi
cp -L "$ca" "$root$ca"
cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
nonroot:x:65532:
GROUP
echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/nsswitch.conf" "$root$ca"

# 5. The tarball: owned by root, sorted, dated 0, so the same inputs give the same bytes.
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -czf "$tarball" .
echo "rootfs: $root $(du -sb "$root" | cut -f1) bytes, $tarball $(size "$tarball") bytes"
