"""The test internet itself, seen from the client namespace WITHOUT the proxy: names resolve through the
suite's DNS server (UDP and TCP), and every internal target the proxy must refuse is really reachable
from where the proxy runs. So when a later test sees a refusal, it is the policy, not a missing route."""

from __future__ import annotations

import json
import sys

import pytest

from internet import ALLOWED_IP, DNS_IP, METADATA_IP, PRIVATE_IP, V6_IP, Internet

CLIENT_PROBE = r"""
import json, socket, struct, sys
out = {}
for name in sys.argv[1].split(","):
    try:
        out[name] = sorted({i[4][0] for i in socket.getaddrinfo(name, 80, proto=socket.IPPROTO_TCP)})
    except socket.gaierror as exc:
        out[name] = "gaierror"
def get(host, port, site):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family); s.settimeout(5); s.connect((host, port))
    s.sendall(f"GET /echo HTTP/1.0\r\nHost: {site}\r\n\r\n".encode()); data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk: break
        data += chunk
    return data.split(b"\r\n", 1)[0].decode()
out["http"] = {f"{h}:{p}": get(h, p, "probe.test") for h, p in json.loads(sys.argv[2])}
q = struct.pack("!HHHHHH", 7, 0x100, 1, 0, 0, 0) + b"\x07allowed\x04test\x00" + struct.pack("!HH", 1, 1)
t = socket.create_connection((sys.argv[3], 53), timeout=3); t.sendall(struct.pack("!H", len(q)) + q)
reply = t.recv(4096); out["tcp_dns_answers"] = struct.unpack("!H", reply[2 + 6:2 + 8])[0]
print(json.dumps(out))
"""


def client_probe(internet: Internet, names: list[str], targets: list[tuple[str, int]]) -> dict:
    done = internet.in_client([sys.executable, "-c", CLIENT_PROBE, ",".join(names), json.dumps(targets), DNS_IP],
                              timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_names_resolve_through_the_suites_dns_server_only(internet: Internet, mark) -> None:
    names = ["allowed.test", "forbidden.test", "private.test", "loopback.test", "metadata.test", "mixed.test",
             "v6.test", "example.com", "no-such-name.test"]
    out = client_probe(internet, names, [])
    assert out["allowed.test"] == [ALLOWED_IP]
    assert out["forbidden.test"] == ["11.0.0.20"]
    assert out["private.test"] == [PRIVATE_IP]
    assert out["loopback.test"] == ["127.0.0.1"]
    assert out["metadata.test"] == [METADATA_IP]
    assert out["mixed.test"] == sorted([ALLOWED_IP, PRIVATE_IP])
    assert out["v6.test"] == [V6_IP]
    assert out["example.com"] == [ALLOWED_IP]  # never the real one: the client namespace has no other way out
    assert out["no-such-name.test"] == "gaierror"
    asked = {q["name"] for q in mark.dns()}
    assert set(names) <= asked, "every lookup went to the suite's DNS server"
    assert out["tcp_dns_answers"] == 1, "the DNS server answers over TCP too"
    assert any(q["proto"] == "tcp" for q in mark.dns())


def test_internal_targets_are_really_reachable_from_the_proxys_namespace(internet: Internet, mark) -> None:
    targets = [(ALLOWED_IP, 80), ("11.0.0.20", 80), (PRIVATE_IP, 80), (METADATA_IP, 80), ("127.0.0.1", 80),
               (ALLOWED_IP, 443), (ALLOWED_IP, 8080)] + ([(V6_IP, 80)] if internet.ipv6 else [])
    out = client_probe(internet, [], targets)
    for host, port in targets:
        assert out["http"][f"{host}:{port}"].endswith("200 OK"), (host, port, out)
    for host, port in targets:
        assert mark.reached(host, port=port), f"{host}:{port} logged nothing"


def test_rebind_names_answer_a_public_address_once_then_loopback(internet: Internet) -> None:
    name = "rebind-selftest.test"
    first = client_probe(internet, [name], [])[name]
    second = client_probe(internet, [name], [])[name]
    third = client_probe(internet, [name], [])[name]
    assert (first, second, third) == ([ALLOWED_IP], ["127.0.0.1"], ["127.0.0.1"])


@pytest.mark.parametrize("path", ["/", "/big"])
def test_allowed_site_serves_its_pages(internet: Internet, mark, path: str) -> None:
    code = ("import urllib.request,sys;r=urllib.request.urlopen('http://allowed.test'+sys.argv[1],timeout=10);"
            "print(r.status,len(r.read()))")
    done = internet.in_client([sys.executable, "-c", code, path], env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    status, size = done.stdout.split()
    assert status == "200" and int(size) > (3 << 20 if path == "/big" else 0) - 1
    assert [r["target"] for r in mark.web() if r["event"] == "request"] == [path]
