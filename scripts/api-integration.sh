#!/usr/bin/env bash
# REST API suite: drives `omega-exec serve` (DESIGN §10: conversations, tools, runs, SSE, keys, rate
# limits, shutdown) over real HTTP with pytest + requests.
#
#   scripts/api-integration.sh [pytest args...]     e.g. -k flow, -x, -vv
#
# Needs the debug binaries (scripts/setup.sh --debug, or the swift build commands) and python3 with
# venv (Debian: python3-venv). The venv is ${OMEGA_API_VENV:-$HOME/.cache/omega-exec/api-venv}; other
# suites may share it (and add their own packages), so it is made only when missing and only this
# suite's pinned packages (Tests/api-integration/requirements.txt) are installed into it, when they are
# not there at exactly those versions. OMEGA_BIN_DIR overrides where the binaries are (default
# .build/debug); OMEGA_API_KEEP=1 keeps the test homes; OMEGA_API_JUNIT=FILE writes a JUnit report.
# Exit status: pytest's (0 only when all passed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

requirements="$root/Tests/api-integration/requirements.txt"
venv="${OMEGA_API_VENV:-$HOME/.cache/omega-exec/api-venv}"
mkdir -p "$(dirname "$venv")"

# One setup at a time (another suite's script may be filling the same venv).
exec 9>"$venv.lock"
flock 9

if [ ! -x "$venv/bin/python" ]; then
    command -v python3 >/dev/null 2>&1 || { echo "api-integration: python3 is needed (apt-get install python3 python3-venv)" >&2; exit 2; }
    if [ -e "$venv" ] && [ ! -f "$venv/pyvenv.cfg" ] && [ -n "$(ls -A "$venv" 2>/dev/null)" ]; then
        echo "api-integration: $venv exists and is not a venv; refusing to replace it (set OMEGA_API_VENV)" >&2
        exit 2
    fi
    echo "api-integration: creating the venv at $venv" >&2
    rm -rf "$venv"
    if ! python3 -m venv "$venv"; then
        echo "api-integration: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2
        rm -rf "$venv"
        exit 2
    fi
fi

# Installed at exactly the pinned versions? (pip is asked only when not.)
if ! "$venv/bin/python" - "$requirements" <<'EOF'
import sys
from importlib import metadata

for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, _, version = line.partition("==")
    try:
        if metadata.version(name) != version:
            sys.exit(1)
    except metadata.PackageNotFoundError:
        sys.exit(1)
EOF
then
    echo "api-integration: installing $(grep -v '^#' "$requirements" | xargs) into $venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: -r "$requirements" >&2
fi
flock -u 9

bin="${OMEGA_BIN_DIR:-$root/.build/debug}"
missing=()
for b in omega-exec omega-exec-suite omega-jail-init; do
    [ -x "$bin/$b" ] || missing+=("$bin/$b")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "api-integration: missing binaries: ${missing[*]}" >&2
    echo "  build them: swift build --product omega-exec-suite && swift build --product omega-exec && swift build --product omega-jail-init" >&2
    exit 2
fi
export OMEGA_BIN_DIR="$bin"

junit=()
[ -n "${OMEGA_API_JUNIT:-}" ] && junit=(--junitxml="$OMEGA_API_JUNIT" -o junit_suite_name=api-integration)
status=0
started=$(date +%s)
"$venv/bin/python" -m pytest -q -p no:cacheprovider "${junit[@]}" "$root/Tests/api-integration" "$@" || status=$?
echo "api-integration: pytest exit $status after $(( $(date +%s) - started )) s" >&2
exit "$status"
