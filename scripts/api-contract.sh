#!/usr/bin/env bash
# Contract suite of the HTTP endpoint: schemathesis (PyPI), a property-based tester nobody here wrote,
# drives `omega-exec serve` from the OpenAPI document the server itself serves at GET /openapi.json
# (docs/openapi.json, embedded by scripts/openapi-embed.sh) with `--checks all`: every response's
# status, headers, content type and body (each SSE event too) must be the documented ones, generated
# valid requests must be accepted, invalid ones refused, and no key must mean 401.
#
#   scripts/api-contract.sh [extra `schemathesis run` options...]   e.g. --seed 1, --phases fuzzing
#
# Environment:
#   OMEGA_BIN_DIR           where the binaries are (default .build/debug)
#   OMEGA_API_VENV          the venv (default $HOME/.cache/omega-exec/api-venv, shared with
#                           scripts/api-integration.sh; see below)
#   OMEGA_API_MAX_EXAMPLES  test cases per operation and phase (default 50: about 2,000 cases in
#                           one to two minutes)
#   OMEGA_API_DOCUMENT      test this file instead of the served document (while editing
#                           docs/openapi.json, before scripts/openapi-embed.sh and a rebuild)
#
# Needs the debug binaries (scripts/setup.sh --debug, or swift build) and python3 with venv (Debian:
# python3-venv, installed by scripts/setup.sh). The server runs on a fresh temporary OMEGA_HOME with
# the repository's starter tools, on 127.0.0.1 and a free port. The JUnit report goes to
# api-contract.xml at the repository root, the server's log to api-contract.log. Exit status:
# schemathesis's (0 only when every check passed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# schemathesis and its whole closure, pinned, so that a fresh machine gets exactly what this suite was
# proven with. The venv is shared with other suites (scripts/api-integration.sh): it is made only when
# missing, one script at a time, and these packages are installed into it only when they are not there
# at exactly these versions (never removing what others put there).
requirements='anyio==4.16.0
certifi==2026.10.19.post1
charset-normalizer==3.5.3
click==8.5.1
graphql-core==3.3.2
harfile==0.6.0
hypothesis==6.170.17
hypothesis-graphql==0.13.5
idna==3.20
iniconfig==2.3.1
jsonschema_rs==0.60.3
markdown-it-py==4.3.0
MarkupSafe==3.0.4
mdurl==0.1.2
packaging==26.4
pluggy==1.7.0
Pygments==2.21.0
pyrate-limiter==4.6.0
pytest==9.2.0
PyYAML==6.0.4
requests==2.34.2
rich==15.0.0
schemathesis==4.32.5
sortedcontainers==2.4.0
typing_extensions==4.16.0
urllib3==2.8.0
Werkzeug==3.1.9'
pins=$(mktemp)
printf '%s\n' "$requirements" > "$pins"
# shellcheck source=lib/python-suite.sh
. "$root/scripts/lib/python-suite.sh"
suite_venv api-contract "${OMEGA_API_VENV:-$HOME/.cache/omega-exec/api-venv}" "$pins" OMEGA_API_VENV
suite_venv_done
rm -f "$pins"
venv=$(dirname "$(dirname "$SUITE_PYTHON")")

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

key=$("${omega_env[@]}" "$omega" keys create --name api-contract --user contract --json 2>"$work/keys.err" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])') \
    || { echo "api-contract: omega-exec keys create failed:" >&2; cat "$work/keys.err" >&2; exit 1; }

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

# One real run (the starter tool text.stats), so that the run operations are tested on a run that
# exists rather than only on generated ids (which are all 404). A failed run is a run too.
run_id=$(python3 - "$url" "$key" <<'PY' || true
import json, sys, urllib.error, urllib.request

url, key = sys.argv[1], sys.argv[2]
request = urllib.request.Request(
    url + "/api/tools/text.stats/runs", method="POST",
    data=json.dumps({"input": {"text": "Omega Exec runs each tool in a jail. It records every run."}}).encode(),
    headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=120) as response:
        body = json.load(response)
except urllib.error.HTTPError as error:
    body = json.load(error)
print(body.get("runId", ""))
PY
)
echo "api-contract: run ${run_id:-(none: the run operations get generated ids only)} for the run operations" >&2

# Checks: all of them (--checks all), but
# - unsupported_method: to a method a path does not take, the server answers 404 (NOT_FOUND under
#   /api, Hummingbird's empty 404 elsewhere), not 405 with `Allow` (RFC 9110 §15.5.6): a known gap
#   of the server (its router has no 405), not of the contract.
# - ensure_resource_availability: 404 NOT_FOUND also names what a body refers to inside a
#   conversation (a `messageId` or `planId` it does not hold), which this check takes for the
#   conversation created just before being gone. (Disabling it per operation does not work:
#   `--checks all` on the command line wins over the config file.)
# Per operation (the config file below):
# - runTool: positive_data_acceptance also accepts 400, since a tool's `input` is checked against
#   that tool's own input schema in the registry, which no document of the endpoint can state; and
#   not_a_server_error accepts 500, 503 and 504, the documented statuses of a tool that failed,
#   is unavailable or timed out (TOOL_FAILED, SANDBOX_FAILURE where the jail cannot run, …): they
#   report the tool, not the server, and their body must still be the documented error object.
# - searchTools: positive_data_acceptance also accepts 400, since `q` must hold a searchable word
#   (a run of letters or digits of at most 48 bytes, after camelCase splitting), which JSON Schema
#   cannot state exactly.
# - the run operations get the run made above as their `id`.
# The SSE operations are checked like the others: each event is validated against the document's
# event schema, its `data` as JSON against the `contentSchema` of its type.
config="$work/schemathesis.toml"
cat > "$config" <<'TOML'
[[operations]]
include-operation-id = "runTool"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429", "5xx"]
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "500", "503", "504"]

[[operations]]
include-operation-id = "searchTools"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429", "5xx"]
TOML
if [ -n "$run_id" ]; then
    printf '\n[[operations]]\ninclude-operation-id = ["getRun", "streamRunEvents", "cancelRun"]\nparameters = { "path.id" = "%s" }\n' \
        "$run_id" >> "$config"
fi

# The document under test is the one the server serves; OMEGA_API_DOCUMENT=docs/openapi.json tests
# the file instead (while editing it, before scripts/openapi-embed.sh and a rebuild).
schema="$url/openapi.json"
schema_options=()
if [ -n "${OMEGA_API_DOCUMENT:-}" ]; then
    schema=$(cd "$root" && realpath "$OMEGA_API_DOCUMENT")
    schema_options=(--url "$url")
fi

# One worker: hypothesis describes its strategies by parsing source with `ast`, which CPython 3.11
# can fail at from two threads at once ("AST constructor recursion depth mismatch").
out="$work/schemathesis.out"
set +e
"$venv/bin/schemathesis" --config-file "$config" run "$schema" "${schema_options[@]}" \
    --header "Authorization: Bearer $key" \
    --checks all \
    --exclude-checks unsupported_method,ensure_resource_availability \
    --max-examples "${OMEGA_API_MAX_EXAMPLES:-50}" \
    --request-timeout 60 \
    --workers 1 \
    --generation-database none \
    --no-color \
    --report junit --report-junit-path "$root/api-contract.xml" \
    "$@" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e
cases=$(sed -n 's/^ *\([0-9][0-9]*\) generated.*/\1/p' "$out" | tail -n 1)
echo "api-contract: ${cases:-an unknown number of} test cases generated" >&2
echo "api-contract: JUnit report at $root/api-contract.xml (schemathesis exit $status)" >&2
exit "$status"
