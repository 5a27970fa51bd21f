#!/usr/bin/env bash
# Installs what Omega Exec needs on Debian 12 (when missing) and builds it.
#   scripts/setup.sh            release build (.build/release/omega-exec)
#   scripts/setup.sh --debug    debug build, for the tests
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(pkg-config gcc libc6-dev libseccomp-dev libcap-dev libarchive-dev libsqlite3-dev zlib1g-dev xz-utils gzip python3 python3-venv
          util-linux passwd procps iproute2)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    [ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
fi
command -v swift >/dev/null 2>&1 || { echo "setup: Swift 6 is needed (swift.org/install); not found in PATH" >&2; exit 1; }

# The build's output goes to a log, shown only when the build fails (static linking prints
# harmless warnings about glibc functions the Swift runtime references).
mkdir -p .build
log=.build/setup-build.log
if [ "${1:-}" = "--debug" ]; then
    build=(swift build)
else
    build=(swift build -c release --static-swift-stdlib)
fi
echo "setup: ${build[*]} (log: $log)" >&2
if ! "${build[@]}" >"$log" 2>&1; then
    grep -E "error:" "$log" >&2 || tail -40 "$log" >&2
    echo "setup: the build failed; full output in $log" >&2
    exit 1
fi
