#!/usr/bin/env bash
# The egress proxy against direct requests, in one run (compare the ratios: these machines are noisy).
#
#   Benchmarks/egress-bench.sh [--requests N] [--download-mb M] [--spawns S] [--scratch-path DIR]
#
# Builds egress-bench and omega-jail-init (release), then runs them as root inside a network and mount
# namespace of their own: `lo` up with 11.0.0.10/32 on it (a public-looking address the proxy's policy
# allows, reached over loopback), `bench.test` → 11.0.0.10 in a bind-mounted /etc/hosts (with its fully qualified alias `bench.test.`: the proxy looks names up fully qualified) (so the proxy's
# own resolver, getaddrinfo, answers it), and Benchmarks/egress-bench/upstream.py listening on
# 11.0.0.10:8080. Prints the latency of small GETs direct, through the proxy as absolute-form HTTP and
# through a CONNECT tunnel (p50/p99 and the added time at p50; target <= 1 ms), one large download direct
# and tunnelled (target >= 80%), and the jail's spawn time with and without egress.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=2000
DOWNLOAD=256
SPAWNS=100
SCRATCH=.build
while [ $# -gt 0 ]; do
    case "$1" in
        --requests) REQUESTS="$2"; shift 2 ;;
        --download-mb) DOWNLOAD="$2"; shift 2 ;;
        --spawns) SPAWNS="$2"; shift 2 ;;
        --scratch-path) SCRATCH="$2"; shift 2 ;;
        *) echo "usage: $0 [--requests N] [--download-mb M] [--spawns S] [--scratch-path DIR]" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "egress-bench: needs root (network namespaces)" >&2; exit 2; }
export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --scratch-path "$SCRATCH" --product egress-bench >&2
swift build -c release --scratch-path "$SCRATCH" --product omega-jail-init >&2
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
WORK=$(mktemp -d /tmp/egress-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
printf '127.0.0.1 localhost\n11.0.0.10 bench.test bench.test.\n' >"$WORK/hosts"
unshare --net --mount --propagation private bash -c '
    set -euo pipefail
    mount --bind "$1/hosts" /etc/hosts
    ip link set lo up
    ip addr add 11.0.0.10/32 dev lo
    python3 Benchmarks/egress-bench/upstream.py 11.0.0.10 8080 >"$1/upstream.log" 2>&1 &
    for _ in $(seq 50); do grep -q ready "$1/upstream.log" 2>/dev/null && break; sleep 0.1; done
    "$2/egress-bench" --host bench.test --address 11.0.0.10 --port 8080 --requests "$3" --download-mb "$4" \
        --spawns "$5" --json
    kill %1 2>/dev/null || true
' egress-bench "$WORK" "$BIN" "$REQUESTS" "$DOWNLOAD" "$SPAWNS"
