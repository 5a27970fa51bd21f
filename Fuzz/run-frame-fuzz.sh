#!/usr/bin/env bash
# Builds the frame-parser fuzzer (Fuzz/frame-fuzz) with libFuzzer and AddressSanitizer into .build-fuzz/
# and runs it for a while on the seed corpus.
#
#   Fuzz/run-frame-fuzz.sh [--seconds N] [--build-only]
#
# --seconds  how long to fuzz (default 600).
# --build-only  build the harness and stop.
#
# The harness compiles the original sources (nothing is copied or changed): Sources/JSON as the module
# `JSON`, then Sources/AgentHost/JSONRPC/*.swift, Sources/AgentHost/State/SealedToken.swift and the
# harness as one module, linked against swift-crypto (built once, in release, into .build-fuzz/crypto).
# New corpus entries go to .build-fuzz/corpus (the seeds in Fuzz/frame-fuzz/corpus are only read);
# crashes go to .build-fuzz/artifacts/. Prints the executions, exec/s and whether anything crashed;
# exits 1 on a crash, 2 when the build fails.
set -euo pipefail

seconds=600
build_only=false
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --build-only) build_only=true; shift ;;
        *) echo "usage: $0 [--seconds N] [--build-only]" >&2; exit 64 ;;
    esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"
out="$root/.build-fuzz"
mkdir -p "$out/modules" "$out/corpus" "$out/artifacts"

build() {
    # swift-crypto, from the version Package.resolved pins, built once.
    if [ ! -f "$out/crypto/release/Modules/Crypto.swiftmodule" ]; then
        echo "== resolving swift-crypto"
        swift package --scratch-path "$out/deps" resolve
        echo "== building swift-crypto (release, once)"
        swift build --package-path "$out/deps/checkouts/swift-crypto" --scratch-path "$out/crypto" \
            -c release --target Crypto
    fi

    local flags=(-parse-as-library -swift-version 6 -O -g -sanitize=fuzzer,address)
    echo "== compiling JSON"
    swiftc "${flags[@]}" -module-name JSON -emit-library -static -emit-module \
        -emit-module-path "$out/modules/JSON.swiftmodule" -o "$out/libJSON.a" Sources/JSON/*.swift

    local crypto_objects=()
    while IFS= read -r object; do crypto_objects+=("$object"); done < <(
        find "$out/crypto/release/Crypto.build" "$out/crypto/release/CryptoBoringWrapper.build" \
            "$out/crypto/release/CCryptoBoringSSL.build" "$out/crypto/release/CCryptoBoringSSLShims.build" \
            -name '*.o' | sort)

    echo "== compiling the harness"
    swiftc "${flags[@]}" -module-name FrameFuzz \
        -I "$out/modules" -I "$out/crypto/release/Modules" \
        Sources/AgentHost/JSONRPC/*.swift Sources/AgentHost/State/SealedToken.swift Fuzz/frame-fuzz/main.swift \
        "$out/libJSON.a" "${crypto_objects[@]}" -lstdc++ -use-ld=lld \
        -o "$out/frame-fuzz"
}

if ! build; then
    echo "frame-fuzz: build failed" >&2
    exit 2
fi
$build_only && exit 0

log="$out/frame-fuzz.log"
echo "== fuzzing for ${seconds}s (log: $log)"
set +e
"$out/frame-fuzz" \
    "$out/corpus" Fuzz/frame-fuzz/corpus \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/" >"$log" 2>&1
status=$?
set -e

executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
echo "executions: ${executions:-unknown}"
echo "exec/s: ${rate:-unknown}"
if [ "$status" -ne 0 ]; then
    echo "crash: yes (libFuzzer exit $status); artifacts:"
    ls -1 "$out/artifacts" >&2 || true
    grep -m1 -A40 -E '==ERROR|Fatal error|invariant violated|deadly signal' "$log" || tail -60 "$log"
    exit 1
fi
echo "crash: none"
