#!/usr/bin/env bash
# Interop suite: drives the MCP host (`omega-exec mcp` over stdio, `omega-exec serve` at POST /mcp)
# with the PyPI `mcp` client (2026-07-28 and legacy modes) and raw hostile frames.
#
#   scripts/mcp-interop.sh [pytest args...]     e.g. -k stdio, -x, -vv
#
# Needs the debug binaries (scripts/setup.sh --debug, or the swift build commands) and python3 with
# venv (Debian: python3-venv, installed by scripts/setup.sh). The venv is made once and cached at
# ${OMEGA_MCP_VENV:-$HOME/.cache/omega-exec/mcp-venv}; the pinned requirements are installed into it when
# one is missing or at another version. OMEGA_BIN_DIR overrides where the binaries are (default .build/debug). The JUnit report
# goes to mcp-interop.xml at the repository root. Exit status: pytest's (0 only when all passed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# shellcheck source=lib/python-suite.sh
. "$root/scripts/lib/python-suite.sh"
suite_venv mcp-interop "${OMEGA_MCP_VENV:-$HOME/.cache/omega-exec/mcp-venv}" \
    "$root/Tests/mcp-interop/requirements.txt" OMEGA_MCP_VENV
suite_venv_done
venv=$(dirname "$(dirname "$SUITE_PYTHON")")

suite_binaries mcp-interop

status=0
"$venv/bin/python" -m pytest -q -p no:cacheprovider --junitxml="$root/mcp-interop.xml" \
    -o junit_suite_name=mcp-interop "$root/Tests/mcp-interop" "$@" || status=$?
echo "mcp-interop: JUnit report at $root/mcp-interop.xml (pytest exit $status)" >&2
exit "$status"
