#!/usr/bin/env bash
# Sets up, builds and runs every test (unit, kernel-level and end-to-end through the real binary).
# Run as root for the cgroup and rootless tests (they skip, saying why, otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --debug
export PATH="/opt/swift/usr/bin:$PATH"
if swift format --version >/dev/null 2>&1; then
    swift format lint --recursive Sources Tests Benchmarks 2>lint.log || true
    echo "swift format lint: $(grep -c 'warning\|error' lint.log || true) findings (see lint.log)"
fi
swift build --build-tests
swift test --skip-build 2>&1 | tee test.log
# The agent host driven by a client nobody here wrote: the PyPI `mcp` package, over stdio and HTTP.
scripts/mcp-interop.sh
