#!/usr/bin/env bash
# Builds the fuzz package and runs every libFuzzer target for SECONDS seconds (default 20) over its committed corpus.
#
#   Fuzz/run.sh [SECONDS] [TARGET ...]
#
# New inputs go to a temporary corpus directory that is thrown away, so the committed corpus (Fuzz/Corpus/<Target>/)
# only grows by hand. Exits non-zero if the toolchain cannot build fuzzers, the build fails, or any target crashes,
# trips an invariant, leaks, times out or runs out of memory; a failing input is kept under
# Fuzz/.build/fuzz-artifacts/<Target>/ and printed in hex. Installs nothing.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-20}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS] [TARGET ...]" >&2; exit 2; }
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzUpstreamResponseFramer FuzzJOSE FuzzCookies FuzzClientRequestDecoder FuzzRequestPath)

# The flags that make a libFuzzer binary with SwiftPM on Linux (see README.md, "Why these flags").
build_flags=(-c debug --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address)

# 1. Does this toolchain support -sanitize=fuzzer? (Apple's Xcode toolchain does not ship libFuzzer; a swift.org
#    toolchain for Linux does.)
if ! command -v swiftc >/dev/null 2>&1; then
    echo "run.sh: no swiftc on PATH: install a Swift toolchain (swift.org, 6.0 or later) to build the fuzz targets" >&2
    exit 2
fi
probe_dir="$(mktemp -d)"
work_dir="$(mktemp -d)"
trap 'rm -rf "$probe_dir" "$work_dir"' EXIT
cat >"$probe_dir/probe.swift" <<'EOF'
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt { 0 }
EOF
if ! swiftc -parse-as-library -sanitize=fuzzer,address "$probe_dir/probe.swift" -o "$probe_dir/probe" \
        >"$probe_dir/log" 2>&1 \
    || ! "$probe_dir/probe" -runs=1 >>"$probe_dir/log" 2>&1; then
    echo "run.sh: this Swift toolchain cannot build libFuzzer targets (swiftc -sanitize=fuzzer,address failed)." >&2
    echo "run.sh: use a swift.org toolchain for Linux (it ships libclang_rt.fuzzer); Xcode's toolchain does not." >&2
    sed 's/^/    /' "$probe_dir/log" | grep -v 'Cannot export local symbol' | tail -20 >&2
    exit 2
fi

# 2. Build.
echo "== building the fuzz targets ($(swift --version 2>/dev/null | head -1))"
build_start=$SECONDS
build_log="$work_dir/build.log"
build_status=0
swift build "${build_flags[@]}" >"$build_log" 2>&1 || build_status=$?
# ld.gold warns about every ASan helper symbol it cannot export: harmless, and they drown the log.
if [ "$build_status" -ne 0 ]; then
    grep -v 'Cannot export local symbol' "$build_log" | tail -80 >&2 || true
    echo "run.sh: the fuzz build failed (exit $build_status)" >&2
    exit 1
fi
grep -v 'Cannot export local symbol' "$build_log" | tail -3 || true
bin="$(swift build "${build_flags[@]}" --show-bin-path)"
echo "== built in $((SECONDS - build_start)) s"

# 3. Run each target.
# libFuzzer, not Swift's backtracer, must handle a crash (the backtracer takes up to 30 s and eats the report).
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}"
failed=()
summary=()
for target in "${targets[@]}"; do
    corpus="Corpus/$target"
    [ -d "$corpus" ] || { echo "run.sh: no corpus directory $corpus" >&2; exit 2; }
    artifacts=".build/fuzz-artifacts/$target"
    mkdir -p "$artifacts" "$work_dir/$target"
    dict=()
    [ -f "Dictionaries/$target.dict" ] && dict=(-dict="Dictionaries/$target.dict")
    log="$work_dir/$target.log"
    echo "== $target: ${seconds} s over $corpus"
    status=0
    # The first directory receives new inputs (temporary); the committed corpus, regressions included, is only read.
    "$bin/$target" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "${dict[@]}" "$work_dir/$target" "$corpus" >"$log" 2>&1 || status=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1 || true)"
    coverage="$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2 || true)"
    if [ "$status" -ne 0 ]; then
        failed+=("$target")
        summary+=("$(printf '%-28s FAILED (exit %s) after %s executions' "$target" "$status" "${runs:-?}")")
        echo "-- $target failed (exit $status); the end of its log:"
        grep -v '^#[0-9]' "$log" | tail -n 60 || true
        for artifact in "$artifacts"/*; do
            [ -f "$artifact" ] || continue
            echo "-- failing input $artifact:"
            od -An -tx1 -v "$artifact" | head -n 40 || true
        done
    else
        summary+=("$(printf '%-28s ok: %s executions, %s edges covered' "$target" "${runs:-?}" "${coverage:-?}")")
    fi
done

echo "== summary (${seconds} s per target)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "run.sh: ${#failed[@]} target(s) failed: ${failed[*]} (inputs under Fuzz/.build/fuzz-artifacts/)" >&2
    exit 1
fi
