# Shared by the Python test suites' scripts (sourced, not run): their venv and the appliance's binaries.
#
#   suite_venv NAME VENV REQUIREMENTS_FILE VENV_VARIABLE
#       Makes the venv VENV when missing (refusing to replace a folder that is not a venv), then installs
#       REQUIREMENTS_FILE (name==version lines) into it only when a package is missing or at another
#       version, so a venv another suite shares keeps what it has. One setup at a time per venv (flock on
#       VENV.lock, held until suite_venv_done). Sets SUITE_PYTHON. Exits 2 when python3 or venv is missing.
#   suite_venv_done
#       Releases the venv's lock (call it before the tests run).
#   suite_binaries NAME
#       Checks omega-exec, omega-exec-suite and omega-jail-init in ${OMEGA_BIN_DIR:-.build/debug} and
#       exports OMEGA_BIN_DIR; exits 2 naming what is missing.

suite_venv() {
    local name=$1 venv=$2 requirements=$3 variable=$4
    mkdir -p "$(dirname "$venv")"
    exec 9>"$venv.lock"
    flock 9
    if [ ! -x "$venv/bin/python" ]; then
        command -v python3 >/dev/null 2>&1 || { echo "$name: python3 is needed (apt-get install python3 python3-venv)" >&2; exit 2; }
        if [ -e "$venv" ] && [ ! -f "$venv/pyvenv.cfg" ] && [ -n "$(ls -A "$venv" 2>/dev/null)" ]; then
            echo "$name: $venv exists and is not a venv; refusing to replace it (set $variable)" >&2
            exit 2
        fi
        echo "$name: creating the venv at $venv" >&2
        rm -rf "$venv"
        if ! python3 -m venv "$venv"; then
            echo "$name: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2
            rm -rf "$venv"
            exit 2
        fi
    fi
    # Installed at exactly the pinned versions? (pip is asked only when not.)
    if ! "$venv/bin/python" - "$requirements" <<'PY'
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
PY
    then
        echo "$name: installing $(grep -v '^#' "$requirements" | xargs) into $venv" >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: -r "$requirements" >&2 \
            || { echo "$name: pip install failed" >&2; exit 2; }
    fi
    SUITE_PYTHON="$venv/bin/python"
}

suite_venv_done() { exec 9>&-; }

suite_binaries() {
    local name=$1 bin="${OMEGA_BIN_DIR:-$root/.build/debug}" missing=() b
    for b in omega-exec omega-exec-suite omega-jail-init; do
        [ -x "$bin/$b" ] || missing+=("$bin/$b")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "$name: missing binaries: ${missing[*]}" >&2
        echo "  build them: swift build --product omega-exec-suite && swift build --product omega-exec && swift build --product omega-jail-init" >&2
        exit 2
    fi
    export OMEGA_BIN_DIR="$bin"
}
