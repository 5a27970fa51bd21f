#!/usr/bin/env bash
# The MCP surfaces against a whole process per call, in one run (these machines are noisy: compare ratios).
#
#   Benchmarks/mcp-bench.sh [--calls N] [--concurrency C] [--seconds S] [--quick] [--work DIR]
#                           [--scratch-path DIR]
#
# Every call is the starter tool text.stats on the same short English text (tools/call of
# registry_execute, 2026-07-28 `_meta`).
# 1. Builds mcp-bench, omega-exec-suite, omega-exec and omega-jail-init (release, --scratch-path, default
#    .build).
# 2. In-process (mcp-bench, its own temporary home): N calls (default 200, after min(20, N/10) warm-up) through
#    OmegaService.run and through MCPHost.receive of the whole frame, interleaved; the MCP layer's
#    added time at p50/p99 (target: <= 1 ms at p50); the same with a trivial /bin/sh tool (less run
#    noise); the layer's parts timed alone.
# 3. Over a fresh home (DIR/home), with stdio_http_client.py (Python, stdlib only):
#    stdio:      `omega-exec mcp`, N sequential calls
#    try:        `omega-exec try Manifests/text_stats --input … --json`, N/4 processes (the reference)
#    http:       `omega-exec serve --listen 127.0.0.1:0`, POST /mcp with an API key (`keys create`),
#                N sequential calls on one keep-alive connection (Accept: application/json; one the server
#                closed is reopened and counted: WARN)
#    concurrent: C (default 50) threads, each its own keep-alive connection, calling for S (default 30)
#                seconds: total calls, calls/s, p50/p99 and errors (any non-200, JSON-RPC error or
#                isError result), FAIL if any
#    and the ratios stdio/try and http/try at p50 and p99.
# --quick: N=20, C=4, S=3 (a smoke run). The output goes to stdout (progress to stderr), both also to
# DIR/report-<date>.txt (default DIR: /tmp/mcp-bench); the last line on stdout is a JSON summary. Exits 1
# when the concurrent run (or any other part) had an error, 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

CALLS=200
CONCURRENCY=50
DURATION=30
WORK=/tmp/mcp-bench
SCRATCH=.build
while [ $# -gt 0 ]; do
    case "$1" in
        --calls) CALLS="$2"; shift 2 ;;
        --concurrency) CONCURRENCY="$2"; shift 2 ;;
        --seconds) DURATION="$2"; shift 2 ;;
        --quick) CALLS=20; CONCURRENCY=4; DURATION=3; shift ;;
        --work) WORK="$2"; shift 2 ;;
        --scratch-path) SCRATCH="$2"; shift 2 ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
for value in "$CALLS" "$CONCURRENCY" "$DURATION"; do
    [[ "$value" =~ ^[1-9][0-9]*$ ]] \
        || { echo "--calls, --concurrency and --seconds take a positive integer, not $value" >&2; exit 2; }
done
TRY_CALLS=$(( CALLS / 4 > 0 ? CALLS / 4 : 1 ))
WARMUP=$(( CALLS / 10 < 20 ? (CALLS / 10 > 2 ? CALLS / 10 : 2) : 20 ))

export PATH=/opt/swift/usr/bin:$PATH
HERE=Benchmarks/mcp-bench
CLIENT="$ROOT/$HERE/stdio_http_client.py"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
REPORT="$WORK/report-$(date +%Y%m%d-%H%M%S).txt"
: >"$REPORT"
exec > >(tee -a "$REPORT") 2> >(tee -a "$REPORT" >&2)

# One product per `swift build` (given several --product, SwiftPM builds only the last).
for product in mcp-bench omega-exec-suite omega-exec omega-jail-init; do
    echo "building $product (release, --scratch-path $SCRATCH)" >&2
    swift build -c release --product "$product" --scratch-path "$SCRATCH" >"$WORK/build-$product.log" 2>&1 \
        || { tail -40 "$WORK/build-$product.log" >&2; exit 1; }
done
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
OMEGA="$BIN/omega-exec"

export OMEGA_STARTER_TOOLS="$ROOT/Manifests"
export OMEGA_HOME="$WORK/home"
rm -rf "$OMEGA_HOME" "$WORK"/*.json
SERVE_PID=
cleanup() {
    if [ -n "$SERVE_PID" ] && kill -0 "$SERVE_PID" 2>/dev/null; then
        kill -TERM "$SERVE_PID" 2>/dev/null || true
        wait "$SERVE_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT

echo "== machine: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); calls $CALLS (warm-up $WARMUP)," \
    "try $TRY_CALLS, concurrency $CONCURRENCY for ${DURATION}s; runs at once: ${OMEGA_MAX_RUNS:-8} in all," \
    "${OMEGA_MAX_RUNS_PER_TOOL:-4} per tool (OMEGA_MAX_RUNS, OMEGA_MAX_RUNS_PER_TOOL)"
echo
echo "== in-process: OmegaService.run vs MCPHost.receive (mcp-bench --calls $CALLS --warmup $WARMUP)"
"$BIN/mcp-bench" --calls "$CALLS" --warmup "$WARMUP" --manifests "$ROOT/Manifests" | tee "$WORK/inprocess.out"
tail -n 1 "$WORK/inprocess.out" >"$WORK/inprocess.json"
echo

# Runs one client mode; its JSON line goes to $WORK/<name>.json, its human lines to stderr.
client() {
    local name="$1"; shift
    local rc=0
    python3 "$CLIENT" "$@" >"$WORK/$name.json" || rc=$?
    [ -s "$WORK/$name.json" ] || echo '{"mode":"'"$name"'","errors":1,"failed":true}' >"$WORK/$name.json"
    return $rc
}
FAILED=()

echo "== stdio: omega-exec mcp, $CALLS sequential calls" >&2
client stdio stdio --omega "$OMEGA" --calls "$CALLS" --warmup "$WARMUP" || FAILED+=(stdio)

echo "== try: omega-exec try Manifests/text_stats --json, $TRY_CALLS processes" >&2
client try try --omega "$OMEGA" --tool "$ROOT/Manifests/text_stats" --calls "$TRY_CALLS" --warmup 2 || FAILED+=(try)

echo "== http: omega-exec serve --listen 127.0.0.1:0" >&2
KEY=$("$OMEGA" keys create --name bench --json 2>/dev/null \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])')
"$OMEGA" serve --listen 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVE_PID=$!
URL=
for _ in $(seq 1 600); do
    URL=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$WORK/serve.out" | head -n 1)
    [ -n "$URL" ] && break
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$URL" ]; then
    echo "omega-exec serve did not print 'listening on' (stdout: $(cat "$WORK/serve.out"); stderr below)" >&2
    tail -20 "$WORK/serve.err" >&2
    FAILED+=(serve)
else
    echo "   $URL/mcp ($HERE, Accept: application/json)" >&2
    client http http --url "$URL/mcp" --key "$KEY" --calls "$CALLS" --warmup "$WARMUP" || FAILED+=(http)
    echo "== concurrent: $CONCURRENCY keep-alive clients for ${DURATION}s" >&2
    client concurrent concurrent --url "$URL/mcp" --key "$KEY" --concurrency "$CONCURRENCY" --seconds "$DURATION" \
        || FAILED+=(concurrent)
fi
cleanup
SERVE_PID=

python3 - "$WORK" "${FAILED[@]+"${FAILED[@]}"}" <<'PY'
import json, os, sys
work, failed = sys.argv[1], sys.argv[2:]
def load(name):
    path = os.path.join(work, name + ".json")
    try:
        with open(path) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return {}
inproc, stdio, tried, http, conc = (load(n) for n in ("inprocess", "stdio", "try", "http", "concurrent"))
trivial = inproc.get("trivial", {})
def ms(v):
    return f"{v:9.3f}" if isinstance(v, (int, float)) else f"{'-':>9}"
def ratio(a, b):
    return a / b if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None
def rx(v):
    return f"{v:.3f}x" if v is not None else "-"
print("== sequential calls (ms)")
print(f"{'path':<52} {'calls':>6} {'errors':>6} {'p50':>9} {'p99':>9}")
rows = [
    ("in-process service.run (mcp-bench a)", inproc.get("calls"), 0, inproc.get("serviceP50Ms"),
     inproc.get("serviceP99Ms")),
    ("in-process MCPHost.receive (mcp-bench b)", inproc.get("calls"), 0, inproc.get("mcpP50Ms"),
     inproc.get("mcpP99Ms")),
    ("  bench.echo (/bin/sh) service.run (a)", trivial.get("calls"), 0, trivial.get("serviceP50Ms"),
     trivial.get("serviceP99Ms")),
    ("  bench.echo (/bin/sh) MCPHost.receive (b)", trivial.get("calls"), 0, trivial.get("mcpP50Ms"),
     trivial.get("mcpP99Ms")),
    ("stdio: omega-exec mcp", stdio.get("calls"), stdio.get("errors"), stdio.get("p50Ms"), stdio.get("p99Ms")),
    ("http: omega-exec serve, keep-alive", http.get("calls"), http.get("errors"), http.get("p50Ms"), http.get("p99Ms")),
    ("try: omega-exec try --json, a process per call (ref)", tried.get("calls"), tried.get("errors"),
     tried.get("p50Ms"), tried.get("p99Ms")),
]
for name, calls, errors, p50, p99 in rows:
    count = lambda v: str(v if v is not None else "-")
    print(f"{name:<52} {count(calls):>6} {count(errors):>6} {ms(p50)} {ms(p99)}")
print()
for name, result in (("text.stats", inproc), ("bench.echo", trivial)):
    if result.get("addedP50Ms") is not None:
        print(f"MCP layer (in-process, {name}) adds {result['addedP50Ms']:.3f} ms at p50 (target <= 1 ms), "
              f"{result['addedP99Ms']:.3f} ms at p99; paired mean {result['pairedAddedMeanMs']:.3f} "
              f"+- {result['pairedAddedMeanCI95Ms']:.3f} ms (95% CI)")
ratios = {
    "stdioOverTryP50": ratio(stdio.get("p50Ms"), tried.get("p50Ms")),
    "stdioOverTryP99": ratio(stdio.get("p99Ms"), tried.get("p99Ms")),
    "httpOverTryP50": ratio(http.get("p50Ms"), tried.get("p50Ms")),
    "httpOverTryP99": ratio(http.get("p99Ms"), tried.get("p99Ms")),
}
print(f"stdio/try: {rx(ratios['stdioOverTryP50'])} at p50, {rx(ratios['stdioOverTryP99'])} at p99")
print(f"http/try:  {rx(ratios['httpOverTryP50'])} at p50, {rx(ratios['httpOverTryP99'])} at p99")
print()
if conc.get("concurrency"):
    print(f"== concurrent: {conc['concurrency']} keep-alive clients for {conc['seconds']:g} s "
          f"(wall {conc['wallSeconds']:.1f} s)")
    print(f"calls {conc['calls']} ({conc['ok']} ok), {conc['callsPerSecond']:.1f} calls/s, "
          f"p50 {ms(conc['p50Ms']).strip()} ms, p99 {ms(conc['p99Ms']).strip()} ms, errors {conc['errors']}, "
          f"connections opened {conc['connections']}")
else:
    print("== concurrent: not run")
for name, result in (("http", http), ("concurrent", conc)):
    if result.get("serverCloses"):
        print(f"WARN: {name}: the server closed an idle keep-alive connection {result['serverCloses']} times "
              f"(without Connection: close); {result['connections']} connections for {result['calls']} calls")
    if result.get("connectionCloseHeaders"):
        print(f"NOTE: {name}: keep-alive not reused: {result['connectionCloseHeaders']} of {result['calls']} replies "
              f"came with Connection: close ({result['connections']} connections opened)")
if conc.get("errors", 1) != 0:
    print("FAIL: the concurrent run had errors" if conc.get("concurrency") else "FAIL: the concurrent run did not run")
if failed:
    print("FAIL: " + ", ".join(failed))
summary = {"bench": "mcp", "inProcess": inproc, "stdio": stdio, "http": http, "try": tried, "concurrent": conc,
           "ratios": ratios, "failed": failed}
print(json.dumps(summary, separators=(",", ":")))
PY

if [ ${#FAILED[@]} -gt 0 ]; then
    echo "report: $REPORT (failed: ${FAILED[*]})" >&2
    exit 1
fi
echo "report: $REPORT" >&2
