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
# The real model server for the adapters' tests builds (once; cached outside the repository) beside the
# Swift build, so a fresh machine pays for both at the same time.
scripts/llama-server.sh build >llama-build.log 2>&1 &
llama_build=$!
swift build --build-tests
if ! wait "$llama_build"; then
    echo "llama-server could not be built (see llama-build.log); the real-server model adapter tests will skip"
    tail -5 llama-build.log || true
fi
# A real model server for the model adapters' tests (llama.cpp's llama-server; built once, cached in
# ~/.cache/omega-exec). When it cannot be built or started, say why and go on: those tests then skip.
if llama_out=$(scripts/llama-server.sh start); then
    OMEGA_TEST_LLAMA_URL=$(printf '%s\n' "$llama_out" | sed -n 's/^OMEGA_TEST_LLAMA_URL=//p')
    export OMEGA_TEST_LLAMA_URL
    trap 'scripts/llama-server.sh stop || true' EXIT
else
    echo "llama-server did not start (see above): the real-server model adapter tests will skip"
fi
swift test --skip-build 2>&1 | tee test.log
# The agent host driven by a client nobody here wrote: the PyPI `mcp` package, over stdio and HTTP.
scripts/mcp-interop.sh
scripts/api-integration.sh  # The REST API (conversations, runs, SSE, keys, limits, shutdown) over real HTTP: Tests/api-integration.
scripts/api-contract.sh  # The HTTP API against its contract (docs/openapi.json), driven by PyPI schemathesis.
scripts/egress-internet.sh  # Egress by host against a small internet of network namespaces: Tests/egress-internet.
scripts/console-e2e.sh  # The web console in a real browser: Playwright (PyPI) driving Debian's chromium, flows A–D.
