#!/usr/bin/env bash
# Web console suite: drives the console of `omega-exec serve` (pages /, /c/<id>, /runs, /runs/<id>) in
# headless Debian chromium with Playwright for Python + pytest (Tests/console-e2e).
#
#   scripts/console-e2e.sh [pytest args...]     e.g. -k flow_b, -x, -vv
#
# Needs the binaries (scripts/setup.sh --debug, or the swift build commands), python3 with venv
# (Debian: python3-venv) and /usr/bin/chromium (installed here with apt-get when missing: as root, else
# through sudo). Playwright never downloads a browser here: no `playwright install`; it launches
# /usr/bin/chromium. The venv is ${OMEGA_CONSOLE_VENV:-$HOME/.cache/omega-exec/console-venv}, made when
# missing; the pinned packages (Tests/console-e2e/requirements.txt) are installed only when they are not
# there at exactly those versions.
#   OMEGA_BIN_DIR       where omega-exec, omega-exec-suite, omega-jail-init are (default .build/debug)
#   OMEGA_CONSOLE_DIR   passed to `serve` when set: serve the console's files from that folder (no rebuild)
#   OMEGA_CONSOLE_SHOTS screenshots, one per flow end state (default .build/console-shots)
#   OMEGA_CONSOLE_KEEP=1 keep the session's home (a failed session's home is always kept)
#   OMEGA_CONSOLE_JUNIT=FILE  a JUnit report
# Exit status: pytest's (0 only when all passed); 2 when something needed is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# shellcheck source=lib/python-suite.sh
. "$root/scripts/lib/python-suite.sh"
suite_venv console-e2e "${OMEGA_CONSOLE_VENV:-$HOME/.cache/omega-exec/console-venv}" \
    "$root/Tests/console-e2e/requirements.txt" OMEGA_CONSOLE_VENV

# Debian's chromium (never a browser downloaded by Playwright).
chromium=/usr/bin/chromium
if [ ! -x "$chromium" ]; then
    sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    echo "console-e2e: installing Debian's chromium with apt-get" >&2
    if ! { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium; } >&2; then
        echo "console-e2e: apt-get install chromium failed" >&2
        exit 2
    fi
fi
suite_venv_done

suite_binaries console-e2e
export OMEGA_CHROMIUM="$chromium"
export OMEGA_CONSOLE_SHOTS="${OMEGA_CONSOLE_SHOTS:-$root/.build/console-shots}"
mkdir -p "$OMEGA_CONSOLE_SHOTS"
# Playwright must not look for (or fetch) browsers of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

junit=()
[ -n "${OMEGA_CONSOLE_JUNIT:-}" ] && junit=(--junitxml="$OMEGA_CONSOLE_JUNIT" -o junit_suite_name=console-e2e)
status=0
started=$(date +%s)
"$SUITE_PYTHON" -m pytest -q -p no:cacheprovider "${junit[@]}" "$root/Tests/console-e2e" "$@" || status=$?
echo "console-e2e: pytest exit $status after $(( $(date +%s) - started )) s; screenshots in $OMEGA_CONSOLE_SHOTS" >&2
exit "$status"
