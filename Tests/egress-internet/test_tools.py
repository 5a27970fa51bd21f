"""The starter tools with egress through the whole pipeline (`omega-exec try`): web.fetch_extract reaches
only what the policy grants it, hop by hop; notify.webhook_send delivers a signed body after an approval,
and its secret is in no event and no output. Each refusal is checked three ways: the answer, the
`egress.connection` event, and the servers' logs (nothing arrived)."""

from __future__ import annotations

import json

import egress_support as support
from egress_support import WEB_FETCH, WEBHOOK_SEND, one, policy
from internet import ALLOWED_IP, FORBIDDEN_IP, TLS_IP, WEBHOOK_SECRET

FETCH = "web.fetch_extract"
SEND = "notify.webhook_send"


def fetch_policy(*hosts: str) -> dict:
    """A read_web grant to web.fetch_extract opening `hosts` (no "hosts" field at all when none)."""
    return policy("read_web", FETCH, list(hosts) if hosts else None)


def tool_error(result: support.Result) -> dict:
    """The tool's own error object ({"code", "message"}) carried by a TOOL_FAILED result."""
    assert result.code == "TOOL_FAILED", str(result)
    assert result.status == support.EXIT_CODES["TOOL_FAILED"], str(result)
    return result.json["details"]["toolError"]["error"]


# MARK: - web.fetch_extract


def test_fetch_extract_returns_title_text_and_links_of_a_granted_host(appliance, mark) -> None:
    result = appliance.try_tool(WEB_FETCH, {"url": "http://allowed.test/"}, policy_doc=fetch_policy("allowed.test:80"))
    assert result.status == 0 and result.json["success"] is True, str(result)
    output = result.json["output"]
    assert output["url"] == "http://allowed.test/" and output["status"] == 200
    assert output["title"] == "Allowed Test Page"
    assert "Welcome to the allowed test site" in output["text"]
    assert "This page is served by the egress test internet. It has several links." in output["text"]
    assert "Café crème & entities <ok>." in output["text"]
    for hidden in ("SCRIPT-MUST-NOT-APPEAR", "NOSCRIPT-MUST-NOT-APPEAR", "c0ffee", "margin"):
        assert hidden not in output["text"]
    assert output["links"] == [
        {"url": "http://allowed.test/about", "text": "About us"},
        {"url": "http://allowed.test/docs/guide.html", "text": "The guide"},
        {"url": "http://forbidden.test/elsewhere", "text": "Elsewhere"},
    ]
    assert output["truncated"] is False and output["contentType"].startswith("text/html")

    records = appliance.egress_events(result.run_id)
    record = one(records, host="allowed.test")
    assert record["verdict"] == "allowed" and record["port"] == 80 and record["method"] == "GET"
    assert record["address"] == ALLOWED_IP and record["reason"] == "closed"
    assert record["bytesDown"] > 1000 and record["bytesUp"] > 0
    assert len(records) == 1
    # The proxy forwarded origin-form with Connection: close; the site saw one request.
    requests = [r for r in mark.web() if r["event"] == "request"]
    assert [(r["site"], r["target"]) for r in requests] == [("allowed.test", "/")]
    assert requests[0]["headers"].get("Connection", "").lower() == "close"


def test_fetch_extract_without_a_policy_grant_is_refused_before_the_jail(appliance, mark) -> None:
    result = appliance.try_tool(WEB_FETCH, {"url": "http://allowed.test/"}, policy_doc=None)
    assert result.status == support.EXIT_CODES["POLICY_DENIED"] and result.code == "POLICY_DENIED", str(result)
    assert result.json["details"].get("reason") == "no_hosts_granted", str(result)
    events = appliance.events(result.run_id)
    assert not [e for e in events if e["type"] in ("tool.started", "egress.connection")], events
    assert mark.web() == [] and mark.dns() == []


def test_fetch_extract_with_a_grant_without_hosts_is_refused(appliance, mark) -> None:
    result = appliance.try_tool(WEB_FETCH, {"url": "http://allowed.test/"}, policy_doc=fetch_policy())
    assert result.code == "POLICY_DENIED", str(result)
    assert result.json["details"].get("reason") == "no_hosts_granted", str(result)
    assert not [e for e in appliance.events(result.run_id) if e["type"] in ("tool.started", "egress.connection")]
    assert mark.web() == [] and mark.dns() == []


def test_fetch_extract_of_a_host_outside_the_grant_fails_not_granted(appliance, mark) -> None:
    result = appliance.try_tool(WEB_FETCH, {"url": "http://forbidden.test/"}, policy_doc=fetch_policy("allowed.test:80"))
    error = tool_error(result)
    assert error["code"] == "EGRESS_REFUSED"
    assert "not_granted" in error["message"] and "forbidden.test" in error["message"]
    assert "Traceback" not in result.json["details"].get("stderrTail", "")
    record = one(appliance.egress_events(result.run_id), host="forbidden.test")
    assert record["verdict"] == "refused" and record["reason"] == "not_granted" and record["bytesDown"] == 0
    assert mark.reached(FORBIDDEN_IP) == []
    assert [q for q in mark.dns() if q.get("name") == "forbidden.test"] == [], "a name outside the grant is not even resolved"


def test_fetch_extract_redirect_to_a_forbidden_host_is_refused_at_the_second_hop(appliance, mark) -> None:
    result = appliance.try_tool(WEB_FETCH, {"url": "http://redirect.test/to-forbidden"},
                                policy_doc=fetch_policy("allowed.test:80", "redirect.test:80"))
    error = tool_error(result)
    assert error["code"] == "EGRESS_REFUSED" and "forbidden.test" in error["message"]
    records = appliance.egress_events(result.run_id)
    first = one(records, host="redirect.test")
    assert first["verdict"] == "allowed" and first["address"] == ALLOWED_IP
    second = one(records, host="forbidden.test")
    assert second["verdict"] == "refused" and second["reason"] == "not_granted"
    assert [(r["site"], r["target"]) for r in mark.web() if r["event"] == "request"] == [("redirect.test", "/to-forbidden")]
    assert mark.reached(FORBIDDEN_IP) == []


def test_fetch_extract_follows_a_redirect_between_granted_hosts(appliance, mark) -> None:
    result = appliance.try_tool(WEB_FETCH, {"url": "http://redirect.test/to-allowed"},
                                policy_doc=fetch_policy("allowed.test:80", "redirect.test:80"))
    assert result.status == 0, str(result)
    output = result.json["output"]
    assert output["url"] == "http://allowed.test/" and output["redirects"] == ["http://redirect.test/to-allowed"]
    assert output["title"] == "Allowed Test Page"
    records = appliance.egress_events(result.run_id)
    assert [(r["host"], r["verdict"]) for r in records] == [("redirect.test", "allowed"), ("allowed.test", "allowed")]


def test_fetch_extract_refuses_a_redirect_to_another_scheme(appliance, mark) -> None:
    result = appliance.try_tool(WEB_FETCH, {"url": "http://redirect.test/to-ftp"},
                                policy_doc=fetch_policy("redirect.test:80", "allowed.test:80"))
    assert tool_error(result)["code"] == "UNSUPPORTED_REDIRECT"
    assert [r["host"] for r in appliance.egress_events(result.run_id)] == ["redirect.test"]


def test_fetch_extract_stops_at_max_bytes(appliance) -> None:
    result = appliance.try_tool(WEB_FETCH, {"url": "http://allowed.test/big", "maxBytes": 100000, "maxTextChars": 500},
                                policy_doc=fetch_policy("allowed.test:80"))
    assert result.status == 0, str(result)
    output = result.json["output"]
    assert output["bytes"] == 100000 and output["truncated"] is True
    assert len(output["text"]) == 500 and output["textTruncated"] is True
    record = one(appliance.egress_events(result.run_id), host="allowed.test")
    assert record["verdict"] == "allowed" and record["bytesUp"] > 0


def test_fetch_extract_of_a_name_resolving_to_a_private_address_fails_address_refused(appliance, mark) -> None:
    result = appliance.try_tool(WEB_FETCH, {"url": "http://private.test/"}, policy_doc=fetch_policy("private.test:80"))
    error = tool_error(result)
    assert error["code"] == "EGRESS_REFUSED" and "address_refused" in error["message"]
    record = one(appliance.egress_events(result.run_id), host="private.test")
    assert record["verdict"] == "refused" and record["reason"] == "address_refused"
    assert record["addressRefusal"] == "private"
    assert mark.reached("10.77.0.5") == []


def test_fetch_extract_over_https_names_an_unverifiable_certificate(appliance, mark, tls) -> None:
    """https goes through a CONNECT tunnel with TLS end to end: the tunnel reaches tls.test, whose
    self-signed certificate the tool refuses with a clear error (not a traceback), sending no request."""
    result = appliance.try_tool(WEB_FETCH, {"url": "https://tls.test/"}, policy_doc=fetch_policy("tls.test"))
    error = tool_error(result)
    assert "cannot be set up" not in error["message"], (
        f"OpenSSL cannot start in the jail (its seccomp profile must allow getrandom): {error}")
    assert error["code"] == "TLS_ERROR" and "tls.test" in error["message"], error
    assert "could not be verified" in error["message"], error
    record = one(appliance.egress_events(result.run_id), host="tls.test")
    assert record["method"] == "CONNECT" and record["port"] == 443 and record["verdict"] == "allowed"
    assert record["address"] == TLS_IP and record["bytesUp"] > 0
    arrived = mark.reached(TLS_IP, port=443)
    assert [r["event"] for r in arrived] == ["connect"], "the handshake, and no request"


def test_fetch_extract_examples_pass_against_the_test_internet(appliance) -> None:
    """`omega-exec test` runs the manifest's examples (http://example.com/, served here) with a grant."""
    done = appliance.cli("test", str(WEB_FETCH), "--json", policy_doc=fetch_policy("example.com:80"))
    assert done.status == 0, str(done)


def test_fetch_extract_own_deadline_ends_a_dripping_page(appliance) -> None:
    result = appliance.try_tool(WEB_FETCH, {"url": "http://slow.test/drip", "timeoutSeconds": 2},
                                policy_doc=fetch_policy("slow.test:80"))
    assert tool_error(result)["code"] == "TIMEOUT"
    record = one(appliance.egress_events(result.run_id), host="slow.test")
    assert record["verdict"] == "allowed" and record["reason"] in ("closed", "run_ended")
    assert record["durationMs"] < 10000


def test_a_slow_host_is_ended_by_the_tools_time_limit(appliance) -> None:
    """A package whose limit (4 s) is shorter than the site's answer (20 s): the run times out, and the
    connection's event says it ended (the proxy closes what the run left open)."""
    package = appliance.package_copy(WEB_FETCH, limits={"timeoutSeconds": 4})
    result = appliance.try_tool(package, {"url": "http://slow.test/"}, policy_doc=fetch_policy("slow.test:80"))
    assert result.code == "TIMEOUT" and result.status == support.EXIT_CODES["TIMEOUT"], str(result)
    record = one(appliance.egress_events(result.run_id), host="slow.test")
    assert record["verdict"] == "allowed" and record["reason"] in ("run_ended", "closed")
    assert record["durationMs"] < 15000


# MARK: - notify.webhook_send


WEBHOOK_INPUT = {"url": "http://hooks.test/omega", "event": "order.created",
                 "payload": {"orderId": "A-1001", "total": 42.5}, "timestamp": 1700000000}


def send_policy(*hosts: str) -> dict:
    return policy("send_webhook", SEND, list(hosts))


def test_webhook_send_needs_an_approval_then_delivers_a_signed_body(appliance, mark) -> None:
    grant = send_policy("hooks.test:80")
    paused = appliance.try_tool(WEBHOOK_SEND, WEBHOOK_INPUT, policy_doc=grant)
    assert paused.code == "APPROVAL_REQUIRED" and paused.status == 68, str(paused)
    assert mark.web() == [], "nothing is sent before the approval"

    result = appliance.resume(paused.run_id, policy_doc=grant, approve=True, env={"WEBHOOK_SECRET": WEBHOOK_SECRET})
    assert result.status == 0 and result.json["success"] is True, str(result)
    output = result.json["output"]
    assert output["status"] == 200 and output["delivered"] is True
    assert output["responseBody"] == '{"received":true}' and output["location"] is None
    assert output["id"].startswith("whd_")

    posts = [r for r in mark.web() if r["event"] == "request" and r["method"] == "POST"]
    assert len(posts) == 1 and posts[0]["site"] == "hooks.test" and posts[0]["verified"] is True, posts
    body = json.loads(posts[0]["body"])
    assert body == {"id": output["id"], "event": "order.created", "payload": {"orderId": "A-1001", "total": 42.5},
                    "timestamp": 1700000000}
    assert posts[0]["headers"]["X-Webhook-Id"] == output["id"]
    assert posts[0]["headers"]["X-Signature-256"] == output["signature"]

    record = one(appliance.egress_events(paused.run_id), host="hooks.test")
    assert record["verdict"] == "allowed" and record["method"] == "POST" and record["address"] == ALLOWED_IP
    # The secret is in no event, no output, no CLI text.
    everything = appliance.events_text(paused.run_id) + paused.stdout + paused.stderr + result.stdout + result.stderr
    assert WEBHOOK_SECRET not in everything


def test_webhook_send_reports_a_redirect_without_following_it(appliance, mark) -> None:
    result = appliance.try_tool(WEBHOOK_SEND, dict(WEBHOOK_INPUT, url="http://hooks.test/redirect"), approve=True,
                                env={"WEBHOOK_SECRET": WEBHOOK_SECRET}, policy_doc=send_policy("hooks.test:80"))
    assert result.status == 0, str(result)
    output = result.json["output"]
    assert output["status"] == 307 and output["delivered"] is False and output["location"] == "/elsewhere"
    assert [r["target"] for r in mark.web() if r["event"] == "request"] == ["/redirect"]
    assert len(appliance.egress_events(result.run_id)) == 1


def test_webhook_send_to_a_host_outside_the_grant_fails_not_granted(appliance, mark) -> None:
    result = appliance.try_tool(WEBHOOK_SEND, dict(WEBHOOK_INPUT, url="http://forbidden.test/hook"), approve=True,
                                env={"WEBHOOK_SECRET": WEBHOOK_SECRET}, policy_doc=send_policy("hooks.test:80"))
    error = tool_error(result)
    assert error["code"] == "EGRESS_REFUSED" and "not_granted" in error["message"]
    record = one(appliance.egress_events(result.run_id), host="forbidden.test")
    assert record["verdict"] == "refused" and record["reason"] == "not_granted"
    assert mark.reached(FORBIDDEN_IP) == []
    assert WEBHOOK_SECRET not in result.stdout + result.stderr + appliance.events_text(result.run_id)


def test_webhook_send_examples_pass_against_the_test_internet(appliance) -> None:
    done = appliance.cli("test", str(WEBHOOK_SEND), "--json", "--env", f"WEBHOOK_SECRET={WEBHOOK_SECRET}",
                         policy_doc=send_policy("hooks.example.com:80"))
    assert done.status == 0, str(done)
