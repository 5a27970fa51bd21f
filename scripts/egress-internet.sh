#!/usr/bin/env bash
# Egress suite: omega-exec's egress proxy (DESIGN §11) against a small internet of network namespaces built
# by the suite itself (Tests/egress-internet/internet.py): its own DNS server and web servers, public-looking
# addresses for the allowed hosts, and internal targets (10.77.0.5, 169.254.169.254, 127.0.0.1) really
# reachable from where the proxy runs, so every refusal proves the policy. Drives `omega-exec try`,
# `omega-exec test`, `runs events` and `omega-exec jail --egress` with pytest.
#
#   scripts/egress-internet.sh [pytest args...]     e.g. -k rebind, -x, -vv
#
# Needs root (network namespaces, veth pairs, the jail), iproute2 (ip), util-linux (unshare, nsenter), the
# debug binaries and python3 with venv; skips (exit 0, saying why) when not root or when network namespaces
# cannot be made here. The venv is ${OMEGA_EGRESS_VENV:-$HOME/.cache/omega-exec/api-venv} (shared with the
# REST API suite: only pytest, at its pinned version). OMEGA_BIN_DIR overrides where the binaries are
# (default .build/debug); OMEGA_EGRESS_KEEP=1 keeps the logs and the home (a failed session's are always
# kept). Writes egress-internet.xml (JUnit). Exit status: pytest's (0 only when all passed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
    echo "egress-internet: skipped: needs root (network namespaces, veth pairs, the jail)" >&2
    exit 0
fi
for tool in ip unshare nsenter; do
    command -v "$tool" >/dev/null 2>&1 || { echo "egress-internet: skipped: $tool is missing (apt-get install iproute2 util-linux)" >&2; exit 0; }
done
probe="oeg-probe-$$"
trap 'ip netns del "$probe" 2>/dev/null || true' EXIT
if ! ip netns add "$probe" 2>/dev/null; then
    echo "egress-internet: skipped: network namespaces cannot be created here (ip netns add failed)" >&2
    exit 0
fi
if ! ip link add "oeg-pa-$$" netns "$probe" type veth peer name "oeg-pb-$$" netns "$probe" 2>/dev/null; then
    echo "egress-internet: skipped: veth pairs cannot be created here" >&2
    exit 0
fi
ip netns del "$probe"
trap - EXIT

# shellcheck source=lib/python-suite.sh
. "$root/scripts/lib/python-suite.sh"
suite_venv egress-internet "${OMEGA_EGRESS_VENV:-$HOME/.cache/omega-exec/api-venv}" \
    "$root/Tests/egress-internet/requirements.txt" OMEGA_EGRESS_VENV
suite_venv_done

suite_binaries egress-internet

status=0
started=$(date +%s)
"$SUITE_PYTHON" -m pytest -q -p no:cacheprovider --junitxml="$root/egress-internet.xml" \
    -o junit_suite_name=egress-internet "$root/Tests/egress-internet" "$@" || status=$?
echo "egress-internet: pytest exit $status after $(( $(date +%s) - started )) s" >&2
exit "$status"
