#!/usr/bin/env bash
# Interop suite: drives the MCP host (`omega-exec mcp` over stdio, `omega-exec serve` at POST /mcp)
# with the PyPI `mcp` client (2026-07-28 and legacy modes) and raw hostile frames.
#
#   scripts/mcp-interop.sh [pytest args...]     e.g. -k stdio, -x, -vv
#
# Needs the debug binaries (scripts/setup.sh --debug, or the swift build commands) and python3 with
# venv (Debian: python3-venv, installed by scripts/setup.sh). The venv is made once and cached at
# ${OMEGA_MCP_VENV:-$HOME/.cache/omega-exec/mcp-venv}; it is rebuilt when the pinned requirements
# change. OMEGA_BIN_DIR overrides where the binaries are (default .build/debug). The JUnit report
# goes to mcp-interop.xml at the repository root. Exit status: pytest's (0 only when all passed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

requirements="$root/Tests/mcp-interop/requirements.txt"
venv="${OMEGA_MCP_VENV:-$HOME/.cache/omega-exec/mcp-venv}"
stamp="$venv/.omega-requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)

if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    command -v python3 >/dev/null 2>&1 || { echo "mcp-interop: python3 is needed (apt-get install python3 python3-venv)" >&2; exit 2; }
    echo "mcp-interop: creating the venv at $venv" >&2
    if [ -e "$venv" ] && [ ! -f "$venv/pyvenv.cfg" ] && [ -n "$(ls -A "$venv" 2>/dev/null)" ]; then
        echo "mcp-interop: $venv exists and is not a venv; refusing to replace it (set OMEGA_MCP_VENV)" >&2
        exit 2
    fi
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    if ! python3 -m venv "$venv"; then
        echo "mcp-interop: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2
        rm -rf "$venv"
        exit 2
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: -r "$requirements" >&2
    echo "$want" > "$stamp"
fi

bin="${OMEGA_BIN_DIR:-$root/.build/debug}"
missing=()
for b in omega-exec omega-exec-suite omega-jail-init; do
    [ -x "$bin/$b" ] || missing+=("$bin/$b")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "mcp-interop: missing binaries: ${missing[*]}" >&2
    echo "  build them: swift build --product omega-exec-suite && swift build --product omega-exec && swift build --product omega-jail-init" >&2
    exit 2
fi
export OMEGA_BIN_DIR="$bin"

status=0
"$venv/bin/python" -m pytest -q -p no:cacheprovider --junitxml="$root/mcp-interop.xml" \
    -o junit_suite_name=mcp-interop "$root/Tests/mcp-interop" "$@" || status=$?
echo "mcp-interop: JUnit report at $root/mcp-interop.xml (pytest exit $status)" >&2
exit "$status"
