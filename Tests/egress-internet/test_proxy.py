"""The egress proxy against a hostile program: `omega-exec jail --egress HOST[:PORT] --json` runs
jail_probe.py, which talks raw sockets to the jail's relay (127.0.0.1:3128) and around it. Each refusal is
checked three ways: the proxy's answer (status and X-Omega-Egress), the connection record in the result's
"egress", and the servers' and DNS logs (nothing arrived at the target)."""

from __future__ import annotations

import json

import pytest

from egress_support import one, refusal, unique_name
from internet import ALLOWED_IP, CLIENT_IP, DNS_IP, FORBIDDEN_IP, METADATA_IP, PRIVATE_IP, RAW_PORT, V6_IP


def connect(authority: str) -> dict:
    return {"op": "proxy", "send": f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n"}


def get(url: str, host: str) -> dict:
    return {"op": "proxy", "send": f"GET {url} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: probe\r\n\r\n"}


def jail_requests(mark) -> list[dict]:
    """Requests and connections that arrived anywhere since the mark (the suite's servers and the client
    namespace's loopback server)."""
    return mark.web() + mark.loopback()


def test_the_jail_has_no_route_around_the_proxy(appliance, mark) -> None:
    name = unique_name("jail-resolve")
    verdict, results = appliance.jail(["allowed.test:80"], [
        {"op": "env"},
        {"op": "direct", "host": ALLOWED_IP, "port": 80},
        {"op": "direct", "host": ALLOWED_IP, "port": RAW_PORT},
        {"op": "direct", "host": V6_IP, "port": 80},
        {"op": "direct", "host": CLIENT_IP, "port": 80},
        {"op": "resolve", "name": name},
        {"op": "dns", "proto": "udp", "server": DNS_IP, "name": name},
        {"op": "dns", "proto": "tcp", "server": DNS_IP, "name": name},
    ])
    env, *blocked = results
    assert env["env"].get("HTTP_PROXY") == "http://127.0.0.1:3128" and env["env"].get("https_proxy") == "http://127.0.0.1:3128"
    for result in blocked:
        assert "error" in result and not result.get("connected") and not result.get("answered"), result
    assert jail_requests(mark) == [], "nothing reached a server directly"
    assert [q for q in mark.dns() if q.get("name") == name] == [], "no DNS query from the jail reached the server"
    assert mark.dns() == [], "and no other query either"
    assert verdict.get("egress", []) == [], "no connection went through the proxy"


def test_ip_literals_are_refused(appliance, mark) -> None:
    verdict, results = appliance.jail(["allowed.test:80"], [
        connect(f"{ALLOWED_IP}:80"),
        get(f"http://{ALLOWED_IP}/", ALLOWED_IP),
        connect(f"[{V6_IP}]:80"),
        get(f"http://[{V6_IP}]/", f"[{V6_IP}]"),
    ])
    for result in results:
        assert result["status"] == 403 and refusal(result) == "ip_literal", result
    records = verdict["egress"]
    assert len(records) == 4 and all(r["verdict"] == "refused" and r["reason"] == "ip_literal" for r in records), records
    assert jail_requests(mark) == [] and mark.dns() == []


def test_hosts_and_ports_outside_the_grant_are_refused_not_granted(appliance, mark) -> None:
    verdict, results = appliance.jail(["allowed.test:80"], [
        connect("forbidden.test:80"),
        get("http://forbidden.test/", "forbidden.test"),
        connect("allowed.test:8080"),
        get("http://allowed.test:8080/", "allowed.test:8080"),
        connect(f"allowed.test:{RAW_PORT}"),
    ])
    for result in results:
        assert result["status"] == 403 and refusal(result) == "not_granted", result
    records = verdict["egress"]
    assert {(r["host"], r["port"]) for r in records} == {("forbidden.test", 80), ("allowed.test", 8080),
                                                         ("allowed.test", RAW_PORT)}
    assert all(r["verdict"] == "refused" and r["reason"] == "not_granted" for r in records), records
    assert mark.reached(FORBIDDEN_IP) == [] and mark.reached(ALLOWED_IP, port=8080) == []
    assert mark.reached(ALLOWED_IP, port=RAW_PORT) == []
    assert [q for q in mark.dns() if q.get("name") == "forbidden.test"] == []


@pytest.mark.parametrize(("name", "target", "refusals"), [
    ("loopback.test", "127.0.0.1", {"loopback"}),
    ("private.test", PRIVATE_IP, {"private"}),
    ("metadata.test", METADATA_IP, {"metadata", "link_local"}),
    ("mixed.test", PRIVATE_IP, {"private"}),
])
def test_granted_names_resolving_to_internal_addresses_are_refused(appliance, mark, name, target, refusals) -> None:
    verdict, results = appliance.jail([f"{name}:80"], [
        connect(f"{name}:80"),
        get(f"http://{name}/", name),
    ])
    for result in results:
        assert result["status"] == 403 and refusal(result) == "address_refused", result
    records = verdict["egress"]
    assert len(records) == 2, records
    for record in records:
        assert record["verdict"] == "refused" and record["reason"] == "address_refused", record
        assert record["addressRefusal"] in refusals, record
        assert record["bytesDown"] == 0
    assert mark.reached(target) == [], f"something arrived at {target}"
    if name == "mixed.test":
        assert mark.reached(ALLOWED_IP) == [], "a name with one internal address is refused whole"
    assert {q["name"] for q in mark.dns()} == {name}, "the proxy resolved the name itself"


def test_a_connect_tunnel_to_a_granted_host_carries_an_http_exchange(appliance, mark) -> None:
    verdict, results = appliance.jail(["allowed.test"], [
        dict(connect("allowed.test:443"),
             then="GET /echo HTTP/1.1\r\nHost: allowed.test\r\nX-Through: tunnel\r\nConnection: close\r\n\r\n"),
    ])
    (result,) = results
    assert result["status"] == 200, result
    assert result["body"].startswith("HTTP/1.0 200"), result
    echoed = json.loads(result["body"].split("\r\n\r\n", 1)[1])
    assert echoed["target"] == "/echo" and echoed["headers"]["X-Through"] == "tunnel"
    record = one(verdict["egress"], host="allowed.test")
    assert record["method"] == "CONNECT" and record["port"] == 443 and record["verdict"] == "allowed"
    assert record["address"] == ALLOWED_IP and record["bytesUp"] > 0 and record["bytesDown"] > 0
    assert record["reason"] == "closed"
    arrived = [r for r in mark.web() if r["event"] == "request"]
    assert [(r["local"], r["lport"], r["target"]) for r in arrived] == [(ALLOWED_IP, 443, "/echo")]


def test_plain_http_is_forwarded_in_origin_form_with_connection_close(appliance, mark) -> None:
    verdict, results = appliance.jail(["allowed.test:80"], [
        {"op": "proxy", "send": "GET http://allowed.test/echo?x=1 HTTP/1.1\r\nHost: allowed.test\r\n"
                                "Connection: keep-alive\r\n\r\n"},
    ])
    (result,) = results
    assert result["status"] == 200, result
    echoed = json.loads(result["body"])
    assert echoed["target"] == "/echo?x=1"
    assert echoed["headers"].get("Connection", "").lower() == "close"
    record = one(verdict["egress"], host="allowed.test")
    assert record["method"] == "GET" and record["verdict"] == "allowed" and record["port"] == 80


def test_an_ipv6_only_granted_name_is_reached_over_ipv6(appliance, mark, ipv6) -> None:
    verdict, results = appliance.jail(["v6.test:80"], [get("http://v6.test/", "v6.test")])
    (result,) = results
    assert result["status"] == 200 and "IPv6 page" in result["body"], result
    record = one(verdict["egress"], host="v6.test")
    assert record["verdict"] == "allowed" and record["address"] == V6_IP
    assert [r["local"] for r in mark.web() if r["event"] == "request"] == [V6_IP]


def test_dns_rebinding_is_caught_on_the_second_connection(appliance, mark) -> None:
    name = unique_name("rebind")
    verdict, results = appliance.jail([f"{name}:80"], [
        get(f"http://{name}/echo", name),
        get(f"http://{name}/echo", name),
    ])
    first, second = results
    assert first["status"] == 200, first
    assert second["status"] == 403 and refusal(second) == "address_refused", second
    records = [r for r in verdict["egress"] if r["host"] == name]
    assert [(r["verdict"], r["reason"]) for r in records] == [("allowed", "closed"), ("refused", "address_refused")]
    assert records[1]["addressRefusal"] == "loopback"
    assert [r["site"] for r in mark.web() if r["event"] == "request"] == [name], "only the first arrived"
    assert mark.loopback() == [], "nothing reached the client namespace's loopback"
    assert [q["type"] for q in mark.dns() if q.get("name") == name].count(1) >= 2, "the name was resolved per connection"


def test_malformed_requests_are_refused_bad_request(appliance, mark) -> None:
    verdict, results = appliance.jail(["allowed.test:80"], [
        {"op": "proxy", "send": "HELLO\r\n\r\n"},
        {"op": "proxy", "send": "GET /relative HTTP/1.1\r\nHost: allowed.test\r\n\r\n"},
    ])
    for result in results:
        assert result["status"] == 400 and refusal(result) == "bad_request", result
    assert all(r["reason"] == "bad_request" for r in verdict["egress"]), verdict["egress"]
    assert jail_requests(mark) == []
