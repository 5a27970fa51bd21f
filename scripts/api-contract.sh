#!/usr/bin/env bash
# Contract suite of the HTTP endpoint: schemathesis (PyPI), a property-based tester nobody here wrote,
# drives `omega-exec serve` from the document the server itself serves at GET /openapi.json
# (docs/openapi.json), and fails on any response that breaks it.
#
#   scripts/api-contract.sh [extra schemathesis run options...]   e.g. --max-examples 5, --seed 1
#
# Needs the debug binaries (scripts/setup.sh --debug, or swift build) and python3 with venv (Debian:
# python3-venv, installed by scripts/setup.sh). The venv is made once and cached at
# ${OMEGA_API_VENV:-$HOME/.cache/omega-exec/api-venv}; it is rebuilt when the pinned version changes.
# OMEGA_BIN_DIR overrides where the binaries are (default .build/debug). The JUnit report goes to
# api-contract.xml at the repository root, the server's log to api-contract.log. Exit status:
# schemathesis's (0 only when every check passed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# The whole closure is pinned by schemathesis's own requirements; this pins schemathesis itself.
schemathesis_version=4.32.5
venv="${OMEGA_API_VENV:-$HOME/.cache/omega-exec/api-venv}"
stamp="$venv/.omega-schemathesis"

if [ ! -x "$venv/bin/schemathesis" ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$schemathesis_version" ]; then
    command -v python3 >/dev/null 2>&1 || { echo "api-contract: python3 is needed (apt-get install python3 python3-venv)" >&2; exit 2; }
    echo "api-contract: creating the venv at $venv (schemathesis $schemathesis_version)" >&2
    if [ -e "$venv" ] && [ ! -f "$venv/pyvenv.cfg" ] && [ -n "$(ls -A "$venv" 2>/dev/null)" ]; then
        echo "api-contract: $venv exists and is not a venv; refusing to replace it (set OMEGA_API_VENV)" >&2
        exit 2
    fi
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    if ! python3 -m venv "$venv"; then
        echo "api-contract: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2
        rm -rf "$venv"
        exit 2
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version" >&2
    echo "$schemathesis_version" > "$stamp"
fi

bin="${OMEGA_BIN_DIR:-$root/.build/debug}"
omega="$bin/omega-exec"
[ -x "$omega" ] || { echo "api-contract: $omega is missing (swift build --product omega-exec)" >&2; exit 2; }

# A fresh home with the starter tools, removed on exit with the server.
work=$(mktemp -d /tmp/omega-api-contract.XXXXXX)
chmod 755 "$work"  # the jail's unprivileged uid must traverse to the tools
mkdir -m 755 "$work/home"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server's environment: this home and the repository's starter tools, none of the caller's
# OMEGA_* settings.
unset_omega=()
while IFS= read -r name; do unset_omega+=(-u "$name"); done < <(env | sed -n 's/^\(OMEGA_[A-Za-z0-9_]*\)=.*/\1/p')
omega_env=(env "${unset_omega[@]}" OMEGA_HOME="$work/home" OMEGA_STARTER_TOOLS="$root/Manifests"
    OMEGA_LOG_LEVEL="${OMEGA_API_LOG_LEVEL:-notice}")

key=$("${omega_env[@]}" "$omega" keys create --name api-contract --user contract --json 2>/dev/null \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])')

# The key's rate limit is raised so that the run tests the routes rather than the limiter (whose 429
# stays documented and is accepted wherever it occurs).
log="$root/api-contract.log"
fifo="$work/stdout"
mkfifo "$fifo"
(cd "$work" && exec "${omega_env[@]}" "$omega" serve --listen 127.0.0.1:0 --rate-limit 100000 --rate-burst 10000 >"$fifo" 2>"$log") &
server_pid=$!
exec 3<"$fifo"
url=""
deadline=$((SECONDS + 30))
while [ -z "$url" ] && [ $SECONDS -lt $deadline ]; do
    if ! IFS= read -r -t 1 line <&3; then
        kill -0 "$server_pid" 2>/dev/null || break
        continue
    fi
    case "$line" in
        *"listening on http://"*) url=$(printf '%s\n' "$line" | sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p') ;;
    esac
done
# Keep reading the server's stdout so that it never blocks on a full pipe.
cat <&3 >/dev/null &
exec 3<&-
if [ -z "$url" ]; then
    echo "api-contract: omega-exec serve did not print 'listening on http://…' in 30 s; its log:" >&2
    cat "$log" >&2
    exit 1
fi
echo "api-contract: omega-exec serve at $url (log: $log)" >&2

# Checks: all of them, but
# - max_response_time: no limit is part of the contract.
# The SSE operations (text/event-stream) are tested like the others: their status codes, headers and
# error bodies are checked; their 200 body is a stream that the document types only as a string (its
# events are listed in the description), which schemathesis does not parse.
status=0
"$venv/bin/schemathesis" run "$url/openapi.json" \
    --header "Authorization: Bearer $key" \
    --checks all \
    --max-examples "${OMEGA_API_MAX_EXAMPLES:-25}" \
    --request-timeout 60 \
    --workers 2 \
    --generation-database none \
    --no-color \
    --report junit --report-junit-path "$root/api-contract.xml" \
    "$@" || status=$?
echo "api-contract: JUnit report at $root/api-contract.xml (schemathesis exit $status)" >&2
exit "$status"
