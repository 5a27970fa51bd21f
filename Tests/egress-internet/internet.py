"""A small internet of network namespaces for the egress suite (needs root and iproute2).

    oeg-client  11.0.0.1/24  10.77.0.1/24  169.254.0.1/16  2a0b:4000::1/64       omega-exec runs here
        | veth oeg-c0 <-> oeg-i0
    oeg-inet    11.0.0.10 (allowed.test …)  11.0.0.20 (forbidden.test)  11.0.0.30 (tls.test)  11.0.0.53 (DNS)
                10.77.0.5 (private)  169.254.169.254 (metadata)  2a0b:4000::10 (v6.test)

Every internal target is really reachable from the client namespace (on-link routes, servers listening),
and the client namespace has its own web server on 127.0.0.1:80: a refusal by the proxy proves the policy,
not a missing route. Names resolve only through the suite's DNS server (dns_server.py): commands run in the
client namespace with /etc/resolv.conf, /etc/hosts and /etc/nsswitch.conf bind-mounted over in a private
mount namespace, then `nsenter --net` (not `ip netns exec`, which remounts /sys and hides
/sys/fs/cgroup, which the jail needs).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PREFIX = "oeg-"
CLIENT_NS = "oeg-client"
INET_NS = "oeg-inet"
VETH_CLIENT = "oeg-c0"
VETH_INET = "oeg-i0"

ALLOWED_IP = "11.0.0.10"
FORBIDDEN_IP = "11.0.0.20"
TLS_IP = "11.0.0.30"
DNS_IP = "11.0.0.53"
CLIENT_IP = "11.0.0.1"
PRIVATE_IP = "10.77.0.5"
METADATA_IP = "169.254.169.254"
V6_IP = "2a0b:4000::10"
RAW_PORT = 9000
WEBHOOK_SECRET = "egress-suite-webhook-secret-7f3a91c2"

INET_ADDRESSES = [f"{ALLOWED_IP}/24", f"{FORBIDDEN_IP}/24", f"{TLS_IP}/24", f"{DNS_IP}/24", f"{PRIVATE_IP}/24", f"{METADATA_IP}/16"]
CLIENT_ADDRESSES = [f"{CLIENT_IP}/24", "10.77.0.1/24", "169.254.0.1/16"]


class SetupError(Exception):
    """The internet could not be built (the suite skips, saying why)."""


def run(*argv: str, check: bool = True, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise SetupError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip() or done.stdout.strip()}")
    return done


def namespace_pids(name: str) -> list[int]:
    done = run("ip", "netns", "pids", name, check=False)
    return [int(p) for p in done.stdout.split() if p.isdigit()] if done.returncode == 0 else []


def clean_leftovers() -> None:
    """Removes what a previous (crashed) run left: the processes inside our namespaces (by pid), the
    namespaces, and a stray veth end in the root namespace."""
    for name in (CLIENT_NS, INET_NS):
        pids = namespace_pids(name)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if Path(f"/run/netns/{name}").exists():
            run("ip", "netns", "del", name, check=False)
    for veth in (VETH_CLIENT, VETH_INET):
        if run("ip", "link", "show", veth, check=False).returncode == 0:
            run("ip", "link", "del", veth, check=False)


class Internet:
    """The namespaces, the DNS and web servers, and their logs. `build()` then `teardown()`."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.processes: list[subprocess.Popen[bytes]] = []
        self.dns_log = state / "dns.jsonl"
        self.web_log = state / "web.jsonl"
        self.loopback_log = state / "loopback-web.jsonl"
        self.resolv = state / "resolv.conf"
        self.hosts = state / "hosts"
        self.nsswitch = state / "nsswitch.conf"
        self.ipv6 = True  # whether both namespaces got their IPv6 address (see _namespaces)
        self.tls = False  # whether tls.test serves HTTPS (a self-signed certificate made with openssl)
        self.certificate = state / "tls.test.crt"
        self.key = state / "tls.test.key"

    # MARK: Building

    def build(self) -> None:
        if os.geteuid() != 0:
            raise SetupError("needs root (network namespaces, veth, the jail)")
        clean_leftovers()
        try:
            self._namespaces()
            self._files()
            self._servers()
        except BaseException:
            self.teardown()
            raise

    def _namespaces(self) -> None:
        run("ip", "netns", "add", CLIENT_NS)
        run("ip", "netns", "add", INET_NS)
        run("ip", "link", "add", VETH_CLIENT, "netns", CLIENT_NS, "type", "veth", "peer", "name", VETH_INET,
            "netns", INET_NS)
        for ns, veth, addresses, v6 in (
            (CLIENT_NS, VETH_CLIENT, CLIENT_ADDRESSES, "2a0b:4000::1/64"),
            (INET_NS, VETH_INET, INET_ADDRESSES, f"{V6_IP}/64"),
        ):
            run("ip", "-n", ns, "link", "set", "lo", "up")
            for address in addresses:
                run("ip", "-n", ns, "addr", "add", address, "dev", veth)
            if self.ipv6:
                # A kernel without IPv6 (ipv6.disable=1) still gets the IPv4 internet; the IPv6 tests skip.
                self.ipv6 = run("ip", "-n", ns, "-6", "addr", "add", v6, "dev", veth, "nodad",
                                check=False).returncode == 0
            run("ip", "-n", ns, "link", "set", veth, "up")

    def _files(self) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        self.resolv.write_text(f"nameserver {DNS_IP}\noptions timeout:1 attempts:2\n")
        self.hosts.write_text("127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n")
        original = Path("/etc/nsswitch.conf").read_text() if Path("/etc/nsswitch.conf").exists() else ""
        lines = [line for line in original.splitlines() if not line.startswith("hosts:")]
        self.nsswitch.write_text("\n".join(lines + ["hosts: files dns", ""]))
        for path in (self.resolv, self.hosts, self.nsswitch):
            path.chmod(0o644)
        for log in (self.dns_log, self.web_log, self.loopback_log):
            log.write_text("")
        made = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(self.key),
             "-out", str(self.certificate), "-days", "2", "-subj", "/CN=tls.test",
             "-addext", "subjectAltName=DNS:tls.test"], capture_output=True, timeout=60) if shutil.which("openssl") else None
        self.tls = made is not None and made.returncode == 0

    def _start(self, argv: list[str], name: str) -> None:
        ready = self.state / f"{name}.ready"
        ready.unlink(missing_ok=True)
        stderr = open(self.state / f"{name}.stderr", "wb")
        process = subprocess.Popen([*argv, "--ready", str(ready)], stdin=subprocess.DEVNULL,
                                   stdout=stderr, stderr=stderr, start_new_session=True)
        self.processes.append(process)
        deadline = time.monotonic() + 10
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise SetupError(f"{name} did not start: {(self.state / f'{name}.stderr').read_text()[-2000:]}")
            time.sleep(0.02)

    def _servers(self) -> None:
        python = sys.executable
        in_inet = ["ip", "netns", "exec", INET_NS]  # servers need no cgroups: ip netns exec is fine here
        self._start([*in_inet, python, str(HERE / "dns_server.py"), "--listen", DNS_IP, "--port", "53",
                     "--log", str(self.dns_log)], "dns")
        self._start([*in_inet, python, str(HERE / "web_server.py"),
                     "--http", "0.0.0.0:80", *(["--http", "[::]:80"] if self.ipv6 else []),
                     "--http", f"{ALLOWED_IP}:443", "--http", "0.0.0.0:8080",
                     *(["--https", f"{TLS_IP}:443", "--cert", str(self.certificate), "--key", str(self.key)]
                       if self.tls else []),
                     "--raw", f"{ALLOWED_IP}:{RAW_PORT}", "--raw", f"{FORBIDDEN_IP}:{RAW_PORT}",
                     "--secret", WEBHOOK_SECRET, "--log", str(self.web_log)], "web")
        self._start(["ip", "netns", "exec", CLIENT_NS, python, str(HERE / "web_server.py"),
                     "--http", "127.0.0.1:80", "--log", str(self.loopback_log)], "loopback-web")

    def teardown(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        self.processes.clear()
        clean_leftovers()

    # MARK: Running in the client namespace

    def client_argv(self, argv: list[str]) -> list[str]:
        """`argv` in the client namespace with the suite's resolver files, cgroups untouched."""
        script = ('mount --bind "$1" /etc/resolv.conf && mount --bind "$2" /etc/hosts && '
                  '{ [ ! -e /etc/nsswitch.conf ] || mount --bind "$3" /etc/nsswitch.conf; } && shift 3 && '
                  f'exec nsenter --net=/run/netns/{CLIENT_NS} -- "$@"')
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "oeg-client",
                str(self.resolv), str(self.hosts), str(self.nsswitch), *argv]

    def in_client(self, argv: list[str], *, timeout: float = 60, env: dict[str, str] | None = None,
                  stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.client_argv(argv), capture_output=True, text=True, timeout=timeout, env=env,
                              input=stdin)

    # MARK: Logs

    @staticmethod
    def _read(path: Path) -> list[dict[str, Any]]:
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def dns_queries(self) -> list[dict[str, Any]]:
        return self._read(self.dns_log)

    def web_records(self) -> list[dict[str, Any]]:
        return self._read(self.web_log)

    def loopback_records(self) -> list[dict[str, Any]]:
        return self._read(self.loopback_log)

    def mark(self) -> "LogMark":
        """The logs' current ends: what a test adds after this is what it caused."""
        return LogMark(self)


class LogMark:
    """Positions in the logs; `dns()`, `web()`, `loopback()` return only the records written since."""

    def __init__(self, internet: Internet) -> None:
        self.internet = internet
        self.counts = (len(internet.dns_queries()), len(internet.web_records()), len(internet.loopback_records()))

    def dns(self) -> list[dict[str, Any]]:
        return self.internet.dns_queries()[self.counts[0]:]

    def web(self) -> list[dict[str, Any]]:
        return self.internet.web_records()[self.counts[1]:]

    def loopback(self) -> list[dict[str, Any]]:
        return self.internet.loopback_records()[self.counts[2]:]

    def reached(self, local: str, *, port: int | None = None) -> list[dict[str, Any]]:
        """Connections and requests that arrived at address `local` (and `port`) since the mark."""
        records = self.loopback() if local == "127.0.0.1" else self.web()
        return [r for r in records if r.get("local") == local and (port is None or r.get("lport") == port)]
