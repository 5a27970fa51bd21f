#!/usr/bin/env bash
# The HTTP endpoint's conversations API and run route under load, against the pipeline in-process and
# `omega-exec try`, in one run (these machines are noisy: compare within a run).
#
#   Benchmarks/endpoint-bench.sh [--seconds S] [--conversations N] [--messages-per-conversation N]
#                                [--verify-sample N] [--calls N] [--concurrency C] [--throughput-seconds S]
#                                [--ramp-seconds S] [--quick] [--work DIR] [--scratch-path DIR]
#
# 1. Builds endpoint-bench, omega-exec-suite, omega-exec and omega-jail-init (release, --scratch-path,
#    default .build).
# 2. A fresh home (DIR/home, starter tools from Manifests): one API key per 50 conversations (at least 2,
#    `omega-exec keys create --json`; a key holds at most 64 streams), then
#    `omega-exec serve --listen 127.0.0.1:0 --rate-limit 1000000 --rate-burst 100000` (the port from its
#    `listening on http://…` line; the default offline model).
# 3. endpoint-bench (see Benchmarks/endpoint-bench/main.swift):
#    load: N (default 100) clients for S (default 60) seconds, each posting "Count the words in: the
#          quick brown fox" to its conversation and reading the SSE stream to message.completed; every
#          stream checked (consecutive ids, message.created first, message.completed last), then a
#          sample of conversations' stored events against the received ones (lost events); time to
#          first event (target: p99 <= 50 ms; also apart for each client's first message, as all start
#          at once unless --ramp-seconds spreads them) and to completion, events/s, where the time goes
#    runs: --calls (default 100) sequential calls, interleaved: OmegaService.run in-process (own home),
#          POST /api/tools/text.stats/runs, GET /healthz, the /api gate alone; as many
#          `omega-exec try Manifests/text_stats --input …` processes; the HTTP layer's added time
#          (target: <= 2 ms at p50); then C (default 8) at once for --throughput-seconds (default 20):
#          runs/s through the API and with parallel `try` processes
#    parts: the server's pieces timed alone in-process; messages in-process vs over HTTP, one at a time
# 4. Stops the server (SIGTERM; it must exit 0) and prints a summary against the targets.
# --quick: 10 conversations for 5 s, 10 calls, 3 s of throughput (a smoke run). Output on stdout
# (progress on stderr), both also in DIR/report-<date>.txt (default DIR: /tmp/endpoint-bench); the server's
# log in DIR/serve.err. Exits 1 when the load had errors or lost events or anything failed, 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

DURATION=60
CONVERSATIONS=100
PER_CONVERSATION=0
VERIFY_SAMPLE=20
CALLS=100
CONCURRENCY=8
THROUGHPUT_SECONDS=20
RAMP=0
WORK=/tmp/endpoint-bench
SCRATCH=.build
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) DURATION="$2"; shift 2 ;;
        --conversations) CONVERSATIONS="$2"; shift 2 ;;
        --messages-per-conversation) PER_CONVERSATION="$2"; shift 2 ;;
        --verify-sample) VERIFY_SAMPLE="$2"; shift 2 ;;
        --calls) CALLS="$2"; shift 2 ;;
        --concurrency) CONCURRENCY="$2"; shift 2 ;;
        --throughput-seconds) THROUGHPUT_SECONDS="$2"; shift 2 ;;
        --ramp-seconds) RAMP="$2"; shift 2 ;;
        --quick) DURATION=5; CONVERSATIONS=10; CALLS=10; THROUGHPUT_SECONDS=3; shift ;;
        --work) WORK="$2"; shift 2 ;;
        --scratch-path) SCRATCH="$2"; shift 2 ;;
        -h|--help) sed -n '2,31p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
for value in "$DURATION" "$CONVERSATIONS" "$CALLS" "$CONCURRENCY" "$THROUGHPUT_SECONDS"; do
    [[ "$value" =~ ^[1-9][0-9]*$ ]] \
        || { echo "--seconds, --conversations, --calls, --concurrency and --throughput-seconds take a positive integer, not $value" >&2; exit 2; }
done
for value in "$PER_CONVERSATION" "$VERIFY_SAMPLE" "$RAMP"; do
    [[ "$value" =~ ^[0-9]+$ ]] \
        || { echo "--messages-per-conversation, --verify-sample and --ramp-seconds take an integer >= 0, not $value" >&2; exit 2; }
done
KEYS=$(( (CONVERSATIONS + 49) / 50 ))
[ "$KEYS" -ge 2 ] || KEYS=2

export PATH=/opt/swift/usr/bin:$PATH
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
REPORT="$WORK/report-$(date +%Y%m%d-%H%M%S).txt"
: >"$REPORT"
exec > >(tee -a "$REPORT") 2> >(tee -a "$REPORT" >&2)

# One product per `swift build` (given several --product, SwiftPM builds only the last).
for product in endpoint-bench omega-exec-suite omega-exec omega-jail-init; do
    echo "building $product (release, --scratch-path $SCRATCH)" >&2
    swift build -c release --product "$product" --scratch-path "$SCRATCH" >"$WORK/build-$product.log" 2>&1 \
        || { tail -40 "$WORK/build-$product.log" >&2; exit 1; }
done
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
OMEGA="$BIN/omega-exec"

export OMEGA_STARTER_TOOLS="$ROOT/Manifests"
export OMEGA_HOME="$WORK/home"
rm -rf "$OMEGA_HOME" "$WORK/keys" "$WORK/bench.out"
SERVE_PID=
cleanup() {
    if [ -n "$SERVE_PID" ] && kill -0 "$SERVE_PID" 2>/dev/null; then
        kill -TERM "$SERVE_PID" 2>/dev/null || true
        wait "$SERVE_PID" 2>/dev/null || true
    fi
    rm -f "$WORK/keys"
}
trap cleanup EXIT

echo "== keys: $KEYS (user bench), for $CONVERSATIONS conversations" >&2
( umask 077; : >"$WORK/keys" )
for i in $(seq 1 "$KEYS"); do
    "$OMEGA" keys create --name "bench-$i" --user bench --json 2>/dev/null \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])' >>"$WORK/keys"
done

"$OMEGA" serve --listen 127.0.0.1:0 --rate-limit 1000000 --rate-burst 100000 >"$WORK/serve.out" 2>"$WORK/serve.err" &
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
    exit 1
fi
echo "== server: $URL (pid $SERVE_PID, home $OMEGA_HOME)" >&2

BENCH_RC=0
"$BIN/endpoint-bench" --url "$URL" --keys-file "$WORK/keys" --seconds "$DURATION" --conversations "$CONVERSATIONS" \
    --messages-per-conversation "$PER_CONVERSATION" --verify-sample "$VERIFY_SAMPLE" --calls "$CALLS" \
    --concurrency "$CONCURRENCY" --throughput-seconds "$THROUGHPUT_SECONDS" --omega "$OMEGA" \
    $( [ "$RAMP" -gt 0 ] && echo --ramp-seconds "$RAMP" ) \
    --manifests "$ROOT/Manifests" --user bench --server-pid "$SERVE_PID" | tee "$WORK/bench.out" || BENCH_RC=$?

SERVE_RC=0
kill -TERM "$SERVE_PID" 2>/dev/null || true
wait "$SERVE_PID" || SERVE_RC=$?
SERVE_PID=

python3 - "$WORK/bench.out" "$BENCH_RC" "$SERVE_RC" <<'PY'
import json, sys
path, bench_rc, serve_rc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
try:
    with open(path) as f:
        result = json.loads(f.read().strip().splitlines()[-1])
except (OSError, ValueError, IndexError):
    result = {}
load, runs = result.get("load", {}), result.get("runs", {})
def f(v, digits=1):
    return f"{v:.{digits}f}" if isinstance(v, (int, float)) else "-"
print("== summary")
if load:
    first, done = load["firstEvent"], load["completed"]
    print(f"load: {load['conversations']} conversations for {f(load['seconds'], 0)} s: "
          f"{load['messagesCompleted']} messages completed, {load['errors']} errors"
          f"{' (+' + str(load['otherErrors']) + ' other)' if load['otherErrors'] else ''}, "
          f"{load['lostEvents']} lost events ({load['verifiedConversations']} conversations checked), "
          f"{f(load['eventsPerSecond'])} events/s")
    print(f"  time to first event p50 {f(first['p50Ms'], 2)} ms, p99 {f(first['p99Ms'], 2)} ms "
          f"(target p99 <= 50 ms: {'met' if load['firstEventTargetMet'] else 'NOT MET'}); "
          f"time to completion p50 {f(done['p50Ms'])} ms, p99 {f(done['p99Ms'])} ms")
    first_burst, later = load["firstEventFirstMessages"], load["firstEventLaterMessages"]
    print(f"  time to first event of each client's first message p99 {f(first_burst['p99Ms'], 2)} ms "
          f"({first_burst['count']}), of the later ones p50 {f(later['p50Ms'], 2)} ms, p99 {f(later['p99Ms'], 2)} ms "
          f"({later['count']})")
if runs:
    api, inproc, tried, tp = runs["api"], runs["inProcess"], runs["try"], runs["throughput"]
    print(f"runs: API p50 {f(api['p50Ms'], 2)} / p99 {f(api['p99Ms'], 2)} ms, in-process p50 {f(inproc['p50Ms'], 2)} / "
          f"p99 {f(inproc['p99Ms'], 2)} ms, try p50 {f(tried['p50Ms'], 2)} / p99 {f(tried['p99Ms'], 2)} ms")
    print(f"  HTTP layer adds {f(runs['httpAddedP50Ms'], 3)} ms at p50 (target <= 2 ms: "
          f"{'met' if runs['httpTargetMet'] else 'NOT MET'}), {f(runs['httpAddedP99Ms'], 3)} ms at p99; "
          f"API/try {f(runs['apiOverTryP50'], 3)}x at p50")
    print(f"  throughput at {tp['concurrency']}: API {f(tp['apiRunsPerSecond'])} runs/s, try {f(tp['tryRunsPerSecond'])} runs/s")
if serve_rc != 0:
    print(f"FAIL: omega-exec serve exited {serve_rc} on SIGTERM")
if bench_rc != 0 or not result:
    print(f"FAIL: endpoint-bench exited {bench_rc}" + ("" if result else " without a summary"))
PY

if [ "$BENCH_RC" -ne 0 ] || [ "$SERVE_RC" -ne 0 ]; then
    echo "report: $REPORT (failed)" >&2
    exit 1
fi
echo "report: $REPORT" >&2
