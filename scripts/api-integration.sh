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

# shellcheck source=lib/python-suite.sh
. "$root/scripts/lib/python-suite.sh"
suite_venv api-integration "${OMEGA_API_VENV:-$HOME/.cache/omega-exec/api-venv}" \
    "$root/Tests/api-integration/requirements.txt" OMEGA_API_VENV
suite_venv_done

suite_binaries api-integration

junit=()
[ -n "${OMEGA_API_JUNIT:-}" ] && junit=(--junitxml="$OMEGA_API_JUNIT" -o junit_suite_name=api-integration)
status=0
started=$(date +%s)
"$SUITE_PYTHON" -m pytest -q -p no:cacheprovider "${junit[@]}" "$root/Tests/api-integration" "$@" || status=$?
echo "api-integration: pytest exit $status after $(( $(date +%s) - started )) s" >&2
exit "$status"
