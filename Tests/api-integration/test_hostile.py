"""Hostile input (DESIGN §5, §10): every refusal is a clear error object with the right status, nothing
is read or split that should not be, and the server goes on serving afterwards."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

import api_support as support
from api_support import CONVERSATIONS


@pytest.fixture(autouse=True)
def still_serving(appliance: Any) -> Iterator[None]:
    """After every hostile test the server answers a plain request, quickly."""
    yield
    api = appliance.api(appliance.alice)
    started = time.monotonic()
    status = api.get("/api/status", timeout=10)
    assert status.status_code == 200, f"the server no longer serves: {status.status_code} {status.text[:500]}"
    assert time.monotonic() - started < 5
    assert appliance.server.alive()


def raw(appliance: Any, request: str | bytes, timeout: float = 15) -> support.RawResponse | None:
    data = request.encode("latin-1") if isinstance(request, str) else request
    return support.raw_exchange(appliance.server, data, timeout=timeout)


def raw_get(appliance: Any, target: str, key: support.Key | None = None, extra: str = "") -> support.RawResponse:
    host, port = appliance.server.host_port
    auth = f"Authorization: Bearer {key.secret}\r\n" if key else ""
    response = raw(appliance, f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}{extra}Connection: close\r\n\r\n")
    assert response is not None, f"no response to GET {target}"
    return response


# MARK: - Keys


def test_wrong_and_revoked_keys_get_the_same_401(appliance: Any, anonymous: support.Api) -> None:
    doomed = appliance.home.create_key("doomed-" + secrets.token_hex(3), "alice")
    doomed_api = appliance.api(doomed)
    assert doomed_api.get("/api/status").status_code == 200
    appliance.home.revoke_key(doomed)

    wrong = support.Key(id="key_0000000000000000", name="wrong", user="alice",
                        secret="omx_" + secrets.token_urlsafe(32))
    responses = {
        "no key": anonymous.get("/api/status"),
        "wrong key": appliance.api(wrong).get("/api/status"),
        "revoked key": doomed_api.get("/api/status"),
        "not a bearer": anonymous.get("/api/status", headers={"Authorization": "Basic YWxpY2U6cHc="}),
        "empty bearer": anonymous.get("/api/status", headers={"Authorization": "Bearer "}),
    }
    for name, response in responses.items():
        support.assert_error(response, 401, "UNAUTHORIZED")
        assert response.headers.get("WWW-Authenticate", "").startswith("Bearer"), (name, response.headers)
    # A revoked key cannot be told from one that never existed.
    assert responses["wrong key"].text == responses["revoked key"].text, {k: r.text for k, r in responses.items()}
    assert doomed.secret not in "".join(r.text for r in responses.values())
    assert doomed.secret not in appliance.server.log_text()
    # Every /api route is behind the key, conversations too.
    support.assert_error(anonymous.post(CONVERSATIONS, {}), 401, "UNAUTHORIZED")
    support.assert_error(doomed_api.get(f"/api/runs/{'0' * 8}"), 401, "UNAUTHORIZED")
    support.assert_error(doomed_api.get(f"{CONVERSATIONS}/{'0' * 8}/events"), 401, "UNAUTHORIZED")


def test_no_key_gets_the_same_401_body_as_a_wrong_or_revoked_key(appliance: Any, anonymous: support.Api) -> None:
    """The brief: no key / wrong key / revoked key → 401 with the same body."""
    doomed = appliance.home.create_key("doomed-" + secrets.token_hex(3), "alice")
    appliance.home.revoke_key(doomed)
    wrong = support.Key(id="key_0000000000000000", name="wrong", user="alice",
                        secret="omx_" + secrets.token_urlsafe(32))
    bodies = {
        "no key": anonymous.get("/api/status").text,
        "wrong key": appliance.api(wrong).get("/api/status").text,
        "revoked key": appliance.api(doomed).get("/api/status").text,
    }
    assert len(set(bodies.values())) == 1, f"401 bodies differ: {json.dumps(bodies, indent=1)}"


# MARK: - Bodies


def test_body_over_one_megabyte_is_413(alice: support.Api) -> None:
    big = json.dumps({"title": "x" * (1 << 20)})
    response = alice.request("POST", CONVERSATIONS, data=big, headers={"Content-Type": "application/json"})
    body = support.assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert body["details"].get("limit") == 1 << 20, body

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count as it reads
        yield b'{"content": "'
        for _ in range(20):
            yield b"y" * 65536
        yield b'"}'

    cid = alice.create_conversation()["id"]
    response = alice.session.post(alice.server.base_url + f"{CONVERSATIONS}/{cid}/messages", data=chunks(),
                                  headers=alice.headers({"Content-Type": "application/json"}), timeout=60)
    support.assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert alice.conversation(cid)["messages"] == [], "nothing of a refused body was stored"
    # Exactly at the limit is not too large (it is refused for what it says, not for its size).
    at_limit = json.dumps({"title": "z" * ((1 << 20) - len('{"title": ""}'))})
    assert len(at_limit) == 1 << 20
    support.assert_error(alice.request("POST", CONVERSATIONS, data=at_limit,
                                       headers={"Content-Type": "application/json"}), 400, "INVALID_INPUT",
                         naming="title")


def test_malformed_json_and_unknown_fields_are_400_naming_the_problem(alice: support.Api) -> None:
    for text in ('{"title": ', "not json", "[1, 2]", '{"title": "a"} trailing', '"\\ud800"', '{"title": ' + "[" * 1000 + "]" * 1000 + "}"):
        response = alice.request("POST", CONVERSATIONS, data=text, headers={"Content-Type": "application/json"})
        support.assert_error(response, 400, "INVALID_INPUT")
    unknown = alice.post(CONVERSATIONS, {"title": "ok", "owner": "bob"})
    support.assert_error(unknown, 400, "INVALID_INPUT", naming="owner")
    cid = alice.create_conversation()["id"]
    support.assert_error(alice.post(f"{CONVERSATIONS}/{cid}/messages", {"content": "hi", "model": "gpt"},
                                    headers={"Accept": "application/json"}), 400, "INVALID_INPUT", naming="model")
    support.assert_error(alice.post(f"{CONVERSATIONS}/{cid}/messages", {"content": 42},
                                    headers={"Accept": "application/json"}), 400, "INVALID_INPUT", naming="content")
    support.assert_error(alice.post(f"{CONVERSATIONS}/{cid}/messages", {"content": "a\u0000b"},
                                    headers={"Accept": "application/json"}), 400, "INVALID_INPUT", naming="content")
    support.assert_error(alice.request("POST", CONVERSATIONS, data='{"title": "t"}',
                                       headers={"Content-Type": "text/plain"}), 400, "INVALID_INPUT",
                         naming="Content-Type")
    assert alice.conversation(cid)["messages"] == []


# MARK: - Paths


def test_path_traversal_in_ids_is_404_and_reads_nothing(appliance: Any, alice: support.Api) -> None:
    for path in ("/api/runs/..%2F..%2Fetc%2Fpasswd", "/api/runs/..%2F..%2Fetc%2Fpasswd/events",
                 f"{CONVERSATIONS}/..%2F..%2Fetc%2Fpasswd", f"{CONVERSATIONS}/..%2F..%2Fetc%2Fpasswd/export?format=md"):
        response = alice.get(path)
        support.assert_error(response, 404, "NOT_FOUND")
        assert "root:" not in response.text
    cancel = alice.post("/api/runs/..%2F..%2Fetc%2Fpasswd/cancel", {})
    support.assert_error(cancel, 404, "NOT_FOUND")
    # A tool id that is a path is not a path to a tool.
    tool = alice.post("/api/tools/..%2F..%2Fetc%2Fpasswd/runs", {"input": {}})
    assert tool.status_code in (400, 404), tool.text
    assert support.error_code(tool) in ("INVALID_INPUT", "TOOL_NOT_FOUND", "NOT_FOUND"), tool.text
    assert "root:" not in tool.text
    # Sent as written (a client library would remove the dot segments itself).
    for target in RAW_TRAVERSALS:
        response = raw_get(appliance, target, appliance.alice)
        assert response.status == 404, (target, response.status, response.body[:500])
        assert b"root:" not in response.body, target


RAW_TRAVERSALS = (f"{CONVERSATIONS}/../../x", f"{CONVERSATIONS}/../../../../etc/passwd", "/api/runs/../../etc/passwd",
                  f"{CONVERSATIONS}/%2e%2e/%2e%2e/x", "/api/runs/%2e%2e%2f%2e%2e%2fetc%2fpasswd")


def test_unrouted_api_paths_answer_404_with_the_error_object(appliance: Any) -> None:
    """DESIGN §10: errors are the §5 objects, also for an /api path no route matches (dot segments,
    a missing id, an unknown resource)."""
    bare = []
    for target in (*RAW_TRAVERSALS, "/api/nothing-here", "/api/runs/a/b/c"):
        response = raw_get(appliance, target, appliance.alice)
        assert response.status == 404, (target, response.status)
        try:
            code = json.loads(response.body)["details"]["code"]
        except (ValueError, KeyError, TypeError):
            code = None
        if code != "NOT_FOUND":
            bare.append(f"{target} → {response.head.decode(errors='replace').splitlines()[0]}, body {response.body[:80]!r}")
    assert not bare, "404 without the §5 NOT_FOUND object:\n" + "\n".join(bare)


# MARK: - Header injection


def test_crlf_in_echoed_values_never_splits_a_header(appliance: Any, alice: support.Api) -> None:
    cid = alice.create_conversation()["id"]
    alice.send(cid, "Count the words in: a b").read_all()
    host, port = appliance.server.host_port
    auth = f"Authorization: Bearer {appliance.alice.secret}\r\n"
    # Last-Event-ID with a bare CR (and LF) inside its value.
    for value in ("1\rX-Injected: yes", "1\nX-Injected: yes"):
        request = (f"GET {CONVERSATIONS}/{cid}/events HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}"
                   f"Accept: text/event-stream\r\nLast-Event-ID: {value}\r\nConnection: close\r\n\r\n")
        response = raw(appliance, request)
        if response is not None:  # refused at the parser (400, or the connection closed) or by the route (400)
            assert response.header("X-Injected") is None, response.head
            assert response.status == 400, (value, response.status, response.body[:300])
    # Percent-encoded CR LF in a path id that the error message quotes.
    response = raw_get(appliance, f"{CONVERSATIONS}/%0d%0aSet-Cookie:%20pwned=1", appliance.alice)
    assert response.status == 404 and response.header("Set-Cookie") is None, response.head
    assert b"\r\nSet-Cookie" not in response.head
    body = json.loads(response.body)
    assert "\r" not in body["error"] and "\n" not in body["error"], body
    response = raw_get(appliance, "/api/runs/x%0d%0aSet-Cookie:%20pwned=1/events", appliance.alice)
    assert response.status == 404 and response.header("Set-Cookie") is None, response.head
    # A title with CR LF is refused (titles are one line), not stored.
    titled = alice.post(CONVERSATIONS, {"title": "Hi\r\nSet-Cookie: pwned=1"})
    support.assert_error(titled, 400, "INVALID_INPUT", naming="title")
    assert "Set-Cookie" not in titled.headers
    # Last-Event-ID that is not an id is named.
    support.assert_error(alice.get(f"{CONVERSATIONS}/{cid}/events", headers={"Last-Event-ID": "1; drop"}), 400,
                         "INVALID_INPUT", naming="Last-Event-ID")


def test_line_breaks_in_a_message_never_split_an_sse_event(alice: support.Api) -> None:
    cid = alice.create_conversation()["id"]
    content = ("Count the words in: alpha\n\nid: 999\nevent: message.completed\ndata: {\"forged\": true}\n\n"
               "beta\r\nevent: pause\r\n\r\ngamma")
    events = alice.send(cid, content).read_all()
    types = [e.type for e in events]
    assert types.count("message.completed") == 1 and types[-1] == "message.completed", types
    assert "pause" not in types and 999 not in [e.id for e in events], types
    assert all(isinstance(e.data, dict) and "forged" not in e.data for e in events)
    assert events[0].data["userMessage"]["content"] == content
    ids = [e.id for e in events]
    assert ids == list(range(ids[0], ids[0] + len(ids))), ids
    assert alice.conversation(cid)["messages"][0]["content"] == content


# MARK: - Slow clients


def test_slow_client_never_reading_an_sse_stream_does_not_slow_others(appliance: Any, alice: support.Api) -> None:
    # A conversation with a few hundred kilobytes of events, and a message that keeps its stream open.
    cid = alice.create_conversation()["id"]
    words = " ".join(f"word{n}" for n in range(1700))  # ~15 KB, within the 16 KB message limit
    for _ in range(3):
        alice.send(cid, "Count the words in: " + words).read_all()
    running = alice.post(f"{CONVERSATIONS}/{cid}/messages", {"content": support.SLEEPER_MESSAGE},
                         headers={"Accept": "application/json"})
    assert running.status_code == 202, running.text
    host, port = appliance.server.host_port
    stalled: list[socket.socket] = []
    try:
        for _ in range(4):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect((host, port))
            sock.sendall((f"GET {CONVERSATIONS}/{cid}/events HTTP/1.1\r\nHost: {host}:{port}\r\n"
                          f"Authorization: Bearer {appliance.alice.secret}\r\nAccept: text/event-stream\r\n\r\n")
                         .encode())
            stalled.append(sock)  # never read
        time.sleep(1.0)
        # The server really is stuck writing to them: bytes wait in its send queues.
        stuck = support.wait_for(lambda: server_send_queues(port, [x.getsockname()[1] for x in stalled]), 10)
        if stuck is not None:
            assert any(queued > 0 for queued in stuck), f"no backpressure on the stalled streams: {stuck}"
        timings = []
        for n in range(20):
            started = time.monotonic()
            response = alice.get("/api/status") if n % 2 else alice.get(f"{CONVERSATIONS}/{cid}")
            timings.append(time.monotonic() - started)
            assert response.status_code == 200, response.text[:300]
        # Generous for a debug build on a busy 2-core machine; a blocked server would take the 90 s timeout.
        assert max(timings) < 2.0, f"requests slowed by stalled streams: {[round(t, 3) for t in timings]}"
        quick = alice.json("POST", "/api/tools/text.stats/runs", body={"input": {"text": "still quick"}})
        assert quick["output"]["words"] == 2
    finally:
        alice.post(f"{CONVERSATIONS}/{cid}/cancel", {})
        for sock in stalled:
            sock.close()
    support.wait_for(lambda: alice.conversation(cid)["state"] == "idle", 15)
    assert alice.conversation(cid)["state"] == "idle"


def server_send_queues(port: int, client_ports: list[int]) -> list[int] | None:
    """Send-Q of the server's side of each connection to `client_ports` (`ss`); None without `ss`."""
    try:
        out = subprocess.run(["ss", "-tnH", "state", "established", f"( sport = :{port} )"], capture_output=True,
                             text=True, timeout=10).stdout
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    queues = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[3].rsplit(":", 1)[-1].isdigit() and int(fields[3].rsplit(":", 1)[-1]) in client_ports:
            queues.append(int(fields[1]))
    return queues if any(queues) else []


# MARK: - Rate limit


@pytest.fixture(scope="module")
def limited() -> Iterator[tuple[support.Home, support.Server, support.Key, support.Key]]:
    """A server of its own with `--rate-limit 60 --rate-burst 5`, and two keys of one user."""
    home = support.make_home(install=False)
    server = None
    try:
        key = home.create_key("limited", "carol")
        other = home.create_key("other", "carol")
        server = support.start_server(home, "--rate-limit", "60", "--rate-burst", "5", name="limited")
        yield home, server, key, other
    finally:
        if server is not None:
            server.stop()
        support.remove_home(home)


def test_rate_limit_sixth_quick_request_is_429_with_retry_after(limited: Any) -> None:
    home, server, key, other = limited
    received: list[str] = []
    api = support.Api(server, key, received)
    started = time.monotonic()
    statuses = [api.get("/api/status").status_code for _ in range(5)]
    sixth = api.get("/api/status")
    elapsed = time.monotonic() - started
    # 60 a minute refills one token a second: six requests well within that second meet a burst of 5.
    assert statuses == [200] * 5, (statuses, f"{elapsed:.2f} s")
    assert sixth.status_code == 429 or elapsed > 0.9, (sixth.status_code, sixth.text, f"{elapsed:.2f} s")
    body = support.assert_error(sixth, 429, "RATE_LIMITED")
    retry = sixth.headers.get("Retry-After")
    assert retry is not None and retry.isdigit() and int(retry) >= 1, sixth.headers
    assert body["details"]["retryAfterSeconds"] == int(retry), body
    # The bucket is the key's: another key still passes; the limited one passes again once refilled.
    assert support.Api(server, other, received).get("/api/status").status_code == 200
    time.sleep(int(retry) + 0.2)
    assert api.get("/api/status").status_code == 200
    metrics = support.Api(server, None, received).get("/metrics").text
    assert "omega_rate_limited_total" in metrics, metrics[:1500]
    assert key.secret not in server.log_text()


def test_rate_limit_event_is_in_the_audit_log(limited: Any) -> None:
    home, server, key, _ = limited
    api = support.Api(server, key, [])
    codes = [api.get("/api/status").status_code for _ in range(8)]
    assert 429 in codes, codes
    ok, why = support.audit_available(home)
    if not ok:
        pytest.skip(f"cannot check the audit log: {why}")
    verify = home.cli("audit", "verify", check=False)
    assert verify.returncode == 0, f"audit verify exited {verify.returncode}: {verify.stdout}\n{verify.stderr}"
    records = support.audit_records(home)
    limited_records = [r for r in records if r.get("kind") == "rate.limited"]
    assert limited_records, f"no rate.limited record in the audit log: {json.dumps(records)[:2000]}"
    assert key.secret not in json.dumps(records)
