#!/usr/bin/env bash
# The jail against bubblewrap, in one run (these machines are noisy: compare ratios, not ms).
#
#   Benchmarks/bench.sh [RUNS]        (default 300 runs per case; needs root for cgroups)
#
# For /bin/true and `python3 -c pass` it times:
#   (a) omega-exec jail as a process         (hyperfine, one process per run)
#   (b) the jail called in-process in a loop (omega-bench: p50/p99 plus jobs/s with 1 and 2 streams)
#   (c) bubblewrap with equivalent flags      (hyperfine)
# and prints medians, p99 and the ratios to bubblewrap.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-300}"

need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
scripts/setup.sh >/dev/null 2>&1
BIN=.build/release/omega-exec
BENCH=.build/release/omega-bench
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

BWRAP="bwrap --unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/bin /bin --symlink usr/sbin /sbin --proc /proc --dev /dev --tmpfs /tmp"

stats() { # hyperfine JSON -> "p50 p99" in ms
    python3 - "$1" <<'PY'
import json, sys
t = sorted(x * 1000 for x in json.load(open(sys.argv[1]))["results"][0]["times"])
pick = lambda p: t[min(len(t) - 1, round((len(t) - 1) * p))]
print(f"{pick(0.5):.3f} {pick(0.99):.3f}")
PY
}

throughput() { # jobs/s of a command line run $RUNS times by 2 parallel streams
    local start end
    start=$(date +%s.%N)
    seq "$RUNS" | xargs -P 2 -I{} sh -c "$1 >/dev/null"
    end=$(date +%s.%N)
    python3 -c "print('%.0f' % ($RUNS / ($end - $start)))"
}

printf '%-18s %-34s %9s %9s %10s\n' program runner p50_ms p99_ms vs_bwrap
for prog in "/bin/true" "python3 -c pass"; do
    hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$out/bwrap.json" "$BWRAP $prog" >/dev/null 2>&1
    hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$out/cli.json" "$BIN jail -- $prog" >/dev/null 2>&1
    read -r bw50 bw99 < <(stats "$out/bwrap.json")
    read -r cli50 cli99 < <(stats "$out/cli.json")
    # shellcheck disable=SC2086
    inproc=$($BENCH --runs "$RUNS" --json -- $prog)
    read -r ip50 ip99 j1 j2 < <(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%.3f %.3f %.0f %.0f" % (d["p50"], d["p99"], d["jobs1"], d["jobs2"]))' "$inproc")
    ratio() { python3 -c "print(f'{$1/$2:.2f}x')"; }
    printf '%-18s %-34s %9s %9s %10s\n' "$prog" "(c) bubblewrap" "$bw50" "$bw99" "1.00x"
    printf '%-18s %-34s %9s %9s %10s\n' "$prog" "(a) omega-exec jail (process)" "$cli50" "$cli99" "$(ratio "$cli50" "$bw50")"
    printf '%-18s %-34s %9s %9s %10s\n' "$prog" "(b) jail in-process" "$ip50" "$ip99" "$(ratio "$ip50" "$bw50")"
    bwjobs=$(throughput "$BWRAP $prog")
    echo "    jobs/s, 2 parallel streams: jail in-process $j2 (1 stream $j1); bubblewrap $bwjobs"
done
echo "cgroup backend: $($BIN doctor --json | python3 -c 'import json,sys; print([c["detail"] for c in json.load(sys.stdin)["checks"] if c["name"]=="cgroups"][0])')"
