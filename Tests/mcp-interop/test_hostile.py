"""Hostile frames, written by hand to `omega-exec mcp`'s stdin and POSTed to `omega-exec serve`'s /mcp:
each gets the JSON-RPC error (or isError result) the host promises, the host keeps answering, and
the run store records nothing it should not."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest

import omega_support as support
from omega_support import LEGACY, MODERN
from raw_peers import (RawHTTP, RawPeer, RawStdio, Reply, socket_closed_within, unsupported_version_data,
                       validate_reply)

WEBHOOK_INPUT = {"url": "https://hooks.example.com/omega", "event": "order.created", "payload": {"n": 1},
                 "timestamp": 1700000000}
TEN_MB = 10 * 1024 * 1024


@pytest.fixture
def raw(home: support.Home, serve: Any, transport: str, mode: str) -> Iterator[RawPeer]:
    peer: RawPeer = RawStdio(home, mode) if transport == "stdio" else RawHTTP(serve.get(), mode)
    yield peer
    peer.close()


def status(transport: str, http: int) -> int:
    """The HTTP status a refusal must carry over HTTP (stdio replies are all '200' here)."""
    return http if transport == "http" else 200


def assert_no_runs(home: support.Home) -> None:
    runs = home.runs()
    assert runs == [], f"a refused frame was recorded as a run: {json.dumps(runs)[:1000]}"


def assert_runs_settled(home: support.Home) -> list[dict[str, Any]]:
    runs = home.runs()
    unsettled = [r for r in runs if r.get("status") in ("created", "running")]
    assert not unsettled, f"runs left unsettled: {json.dumps(unsettled)[:1000]}"
    return runs


# MARK: - Frames


def test_malformed_json(raw: RawPeer, home: support.Home, transport: str) -> None:
    reply = raw.send_bytes(b'{"jsonrpc": "2.0", "id": 41, "method": "tools/list", \n')
    validate_reply(reply, None, raw.version)
    assert reply.status == status(transport, 400)
    assert reply.error["code"] == -32700
    assert reply.message["id"] is None
    raw.still_serving()
    # Not an object, a batch, a bad jsonrpc: -32600.
    for data, expect_id in ((b"42\n", None), (b'[{"jsonrpc":"2.0","id":1,"method":"ping"}]\n', None),
                            (b'{"jsonrpc":"1.0","id":43,"method":"ping"}\n', 43)):
        reply = raw.send_bytes(data, expect_id=expect_id)
        validate_reply(reply, None, raw.version)
        assert reply.error["code"] == -32600, (data, reply)
        assert reply.status == status(transport, 400)
    raw.still_serving()
    assert_no_runs(home)


def test_ten_megabyte_frame(raw: RawPeer, home: support.Home, transport: str) -> None:
    padding = "a" * TEN_MB
    body = raw.frame("tools/list", {"cursor": padding}, id=44)
    started = time.monotonic()
    if transport == "http":
        assert isinstance(raw, RawHTTP)
        reply = raw.post_over_socket(json.dumps(body).encode(), raw.headers_for(body))
    else:
        reply = raw.send_bytes(json.dumps(body).encode() + b"\n")
    assert time.monotonic() - started < 20
    if transport == "http":
        assert reply.status == 413, (reply.status, reply.message)
        if reply.message is not None:
            validate_reply(reply, None, raw.version)
            assert reply.error["code"] == -32600 and reply.reason == "frame_too_large"
    else:
        validate_reply(reply, None, raw.version)
        assert reply.error["code"] == -32600
        assert reply.reason == "frame_too_large", reply
        assert reply.error["data"].get("limit", 0) < TEN_MB
    raw.still_serving()
    assert_no_runs(home)


def test_wrong_protocol_version(raw: RawPeer, home: support.Home, transport: str, mode: str) -> None:
    if mode == "2026-07-28":
        reply = raw.call("tools/list", meta={support.PROTOCOL_VERSION_KEY: "2099-01-01"})
        assert reply.error["code"] == -32022
        assert reply.status == status(transport, 400)
        data = unsupported_version_data(reply)
        assert MODERN in data.supported and LEGACY in data.supported
        # A version that is not even a string: invalid params on stdio; over HTTP no header can equal
        # a non-string version, so the header check (-32020) answers first.
        bad = raw.send(raw.frame("tools/list", meta={support.PROTOCOL_VERSION_KEY: 20260728}),
                       **({"headers": {"MCP-Protocol-Version": "20260728"}} if transport == "http" else {}))
        validate_reply(bad, None, MODERN)
        assert bad.error["code"] == (-32020 if transport == "http" else -32602), bad
    else:
        # initialize with a revision the host does not speak: it answers with one it does (spec).
        reply = raw.call("initialize", {"protocolVersion": "1999-01-01", "capabilities": {},
                                        "clientInfo": {"name": "raw", "version": "1"}})
        assert reply.result["protocolVersion"] in ("2025-11-25", "2025-06-18", "2025-03-26")
        # A 2026-07-28 envelope with an unknown version, from a legacy client: -32022 as well.
        modern = {support.PROTOCOL_VERSION_KEY: "2099-01-01", support.CLIENT_CAPABILITIES_KEY: {}}
        refused = raw.send(raw.frame("tools/list", meta=modern),
                           **({"headers": {"MCP-Protocol-Version": "2099-01-01"}} if transport == "http" else {}))
        validate_reply(refused, None, LEGACY)
        assert refused.error["code"] == -32022
        assert LEGACY in unsupported_version_data(refused).supported
    raw.still_serving()
    assert_no_runs(home)


def test_missing_meta(home: support.Home, serve: Any, transport: str) -> None:
    """No `_meta` envelope and no initialize: -32602; a half envelope: -32602."""
    peer: RawPeer = RawStdio(home, "2026-07-28") if transport == "stdio" else RawHTTP(serve.get(), "2026-07-28")
    try:
        for params in (None, {"_meta": {support.PROTOCOL_VERSION_KEY: MODERN}}, {"_meta": "nope"}):
            body: dict[str, Any] = {"jsonrpc": "2.0", "id": next(peer.ids), "method": "tools/list"}
            if params is not None:
                body["params"] = params
            reply = peer.send(body)
            validate_reply(reply, None, MODERN)
            assert reply.error["code"] == -32602, (params, reply)
            assert reply.status == status(transport, 400)
        call = {"jsonrpc": "2.0", "id": next(peer.ids), "method": "tools/call",
                "params": {"name": "registry_execute", "arguments": {"toolId": "text.stats", "input": {"text": "x"}}}}
        reply = peer.send(call)
        assert reply.error["code"] == -32602
        peer.still_serving()
    finally:
        peer.close()
    assert_no_runs(home)


def test_unknown_method(raw: RawPeer, home: support.Home, transport: str) -> None:
    reply = raw.call("tools/explode", {"x": 1})
    assert reply.error["code"] == -32601
    assert reply.status == status(transport, 404)
    # An unknown notification is ignored, not answered.
    note = raw.send(raw.frame("notifications/whatever", {}, id=None))
    assert note.message is None and note.status == 202
    raw.still_serving()
    assert_no_runs(home)


def test_tool_not_offered(raw: RawPeer, home: support.Home, transport: str) -> None:
    reply = raw.call("tools/call", {"name": "no.such_tool", "arguments": {}})
    assert reply.error["code"] == -32602
    assert reply.reason == "unknown_tool"
    assert reply.status == status(transport, 400)
    # Installed but not pinned: not offered under its own name either.
    reply = raw.call("tools/call", {"name": "text.stats", "arguments": {"text": "x"}})
    assert reply.error["code"] == -32602 and reply.reason == "unknown_tool"
    raw.still_serving()
    assert_no_runs(home)


def test_input_breaking_the_schema(raw: RawPeer, home: support.Home, transport: str) -> None:
    """A schema violation is a tool-level failure: an isError result with INVALID_INPUT (HTTP 200)."""
    home.pin("text.stats")
    for name, arguments in (("registry_execute", {"toolId": "text.stats", "input": {"text": 42}}),
                            ("text.stats", {"text": "ok", "topWords": "many"}),
                            ("registry_execute", {"toolId": "text.stats", "input": {"text": "x"}, "extra": 1})):
        reply = raw.call("tools/call", {"name": name, "arguments": arguments})
        assert reply.status == 200
        result = reply.result
        assert result["isError"] is True, result
        assert result["structuredContent"]["details"]["code"] == "INVALID_INPUT", result
        assert result["structuredContent"]["success"] is False
    raw.still_serving()
    for run in assert_runs_settled(home):
        assert run["status"] == "failed", run
        assert run["result"]["details"]["code"] == "INVALID_INPUT", run


# MARK: - requestState


def paused_approval(raw: RawPeer, arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A real requestState: registry_execute of notify.webhook_prepare pauses for an approval."""
    reply = raw.call("tools/call", {"name": "registry_execute", "arguments": arguments},
                     capabilities={"elicitation": {"form": {}, "url": {}}})
    result = reply.result
    assert result["resultType"] == "input_required", result
    assert set(result["inputRequests"]) == {"approval"}
    return result["requestState"], result


def retry(raw: RawPeer, arguments: dict[str, Any], state: str, action: str = "accept",
          responses: dict[str, Any] | None = None) -> Reply:
    params: dict[str, Any] = {"name": "registry_execute", "arguments": arguments, "requestState": state}
    params["inputResponses"] = responses if responses is not None else {"approval": {"action": action}}
    body = raw.frame("tools/call", params, capabilities={"elicitation": {"form": {}, "url": {}}})
    reply = raw.send(body)
    validate_reply(reply, "tools/call", MODERN)
    return reply


@pytest.mark.parametrize("mode", ["2026-07-28"], indirect=False)
def test_request_state_attacks(raw: RawPeer, home: support.Home, transport: str) -> None:
    """A forged, altered, expired, misbound or replayed requestState is refused with -32602; the reasons
    tell expired, misbound and replayed apart (forged and altered both fail AEAD verification and get one
    reason: telling them apart would leak why a token does not verify). Expiry is reached by re-sealing
    the state with the home's own key and a past `exp` (the home's owner holds the key; waiting 15
    minutes is not an option), which also proves the host checks `exp` after the seal."""
    arguments = {"toolId": "notify.webhook_prepare", "input": WEBHOOK_INPUT}
    state, _ = paused_approval(raw, arguments)
    key = home.state_sealing_key()
    document = support.open_token(key, state)
    assert document["kind"] == "approval" and document["method"] == "tools/call"

    forged = retry(raw, arguments, support.seal_token(secrets.token_bytes(32), document))
    altered = retry(raw, arguments, support.alter_token(state))
    garbage = retry(raw, arguments, "ost1.not-a-token")
    expired = retry(raw, arguments, support.seal_token(key, {**document, "exp": int(time.time() * 1000) - 1000,
                                                              "nonce": "expired-" + secrets.token_hex(4)}))
    other_caller = retry(raw, arguments, support.seal_token(key, {**document, "caller": "key:key_0000000000000000",
                                                                   "nonce": "caller-" + secrets.token_hex(4)}))
    other_input = retry(raw, {**arguments, "input": {**WEBHOOK_INPUT, "event": "order.deleted"}}, state)
    no_answer = retry(raw, arguments, state, responses={})
    for name, reply in (("forged", forged), ("altered", altered), ("garbage", garbage), ("expired", expired),
                        ("other caller", other_caller), ("other input", other_input), ("no answer", no_answer)):
        assert reply.message is not None and "error" in reply.message, (name, reply)
        assert reply.error["code"] == -32602, (name, reply)
        assert reply.status == status(transport, 400), (name, reply.status)
        raw.still_serving()
    assert forged.reason == altered.reason == garbage.reason == "invalid_request_state"
    assert expired.reason == "request_state_expired"
    assert other_caller.reason == other_input.reason == "request_state_mismatch"
    assert no_answer.reason == "missing_input_response"

    # The real state, used once (declined: the run is cancelled), then replayed.
    declined = retry(raw, arguments, state, action="decline")
    assert declined.result["isError"] is True
    replayed = retry(raw, arguments, state, action="accept")
    assert replayed.error["code"] == -32602 and replayed.reason == "request_state_replayed", replayed
    reasons = {forged.reason, expired.reason, other_caller.reason, no_answer.reason, replayed.reason}
    assert len(reasons) == 5, reasons
    raw.still_serving()

    runs = assert_runs_settled(home)
    assert [r["toolId"] for r in runs] == ["notify.webhook_prepare"], runs
    assert runs[0]["status"] == "cancelled"
    events = [e["type"] for e in home.run(runs[0]["id"])["events"]]
    assert events.count("approval.requested") == 1 and "tool.started" not in events, events


# MARK: - HTTP only


@pytest.mark.parametrize("transport", ["http"])
def test_http_authorization_and_headers(home: support.Home, serve: Any, transport: str) -> None:
    srv = serve.get()
    peer = RawHTTP(srv, "2026-07-28")
    try:
        body = peer.frame("tools/list")
        for auth in (None, "Bearer omx_nope", "Basic Zm9vOmJhcg=="):
            headers = peer.headers_for(body)
            headers.pop("Authorization")
            if auth:
                headers["Authorization"] = auth
            response = peer.http.post(srv.mcp_url, content=json.dumps(body).encode(), headers=headers)
            assert response.status_code == 401, (auth, response.status_code, response.text[:300])
            assert srv.api_key not in response.text
        mismatch = peer.send(peer.frame("tools/list"), headers={"Mcp-Method": "tools/call"})
        validate_reply(mismatch, None, MODERN)
        assert mismatch.status == 400 and mismatch.error["code"] == -32020
        wrong_header = peer.send(peer.frame("tools/list"), headers={"MCP-Protocol-Version": "2025-11-25"})
        assert wrong_header.error["code"] == -32020
        name = peer.send(peer.frame("tools/call", {"name": "registry_search", "arguments": {"query": "x"}}),
                         headers={"Mcp-Name": "registry_execute"})
        assert name.error["code"] == -32020
        peer.still_serving()
        health = peer.http.get(srv.base_url + "/healthz")
        assert health.status_code == 200
    finally:
        peer.close()
    legacy = RawHTTP(srv, "legacy")
    try:
        legacy.session_id = "00000000-0000-0000-0000-000000000000"
        gone = legacy.send(legacy.frame("ping"))
        assert gone.status == 404, (gone.status, gone.message)
    finally:
        legacy.close()
    assert_no_runs(home)


@pytest.mark.parametrize("transport", ["http"])
def test_http_connection_after_a_413(home: support.Home, serve: Any, transport: str) -> None:
    """After the 413 for a 10 MB body the connection is in a defined state (RFC 9112 §9.6, §9.3): either
    the 413 says `Connection: close` and the server closes it, or it stays usable: once the client has
    sent the rest of the body, the next request on the same connection is answered."""
    import socket as sockets
    import urllib.parse

    from raw_peers import _http_message_complete

    srv = serve.get()
    peer = RawHTTP(srv, "2026-07-28")
    url = urllib.parse.urlsplit(srv.mcp_url)
    conn = sockets.create_connection((url.hostname, url.port), timeout=30)
    try:
        body = json.dumps(peer.frame("tools/list", {"cursor": "a" * TEN_MB})).encode()
        head = f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in peer.headers_for(peer.frame("tools/list")).items()) + "\r\n"
        received = bytearray()
        import threading

        def reader() -> None:
            try:
                while not _http_message_complete(bytes(received)):
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    received.extend(chunk)
            except OSError:
                return

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        wrote_all = True
        try:
            conn.sendall(head.encode() + body)
        except OSError:
            wrote_all = False  # the server closed while we wrote: fine if it said so
        thread.join(30)
        first = bytes(received)
        assert first.startswith(b"HTTP/1.1 413"), first[:200]
        says_close = b"\r\nconnection: close" in first.split(b"\r\n\r\n")[0].lower()
        if says_close:
            assert socket_closed_within(conn, 3.0), \
                "the 413 said Connection: close, but the server still held the connection open 3 s later"
        else:
            assert wrote_all, "the server closed the connection after a 413 that did not say Connection: close"
            listing = peer.frame("tools/list")
            second = _exchange(conn, url, listing, peer.headers_for(listing))
            assert second.startswith(b"HTTP/1.1 200"), (
                "a 413 without Connection: close, then the rest of the body: the next request on the same "
                f"connection got {second[:200]!r}")
        peer.still_serving()
    finally:
        conn.close()
        peer.close()


@pytest.mark.parametrize("transport", ["http"])
def test_http_connection_reuse_after_a_streamed_call(home: support.Home, serve: Any, transport: str) -> None:
    """A connection the server closes after a response must say so in that response (`Connection:
    close`); otherwise a client reusing it, as the `mcp` client's httpx2 pool does, loses its next
    request ("Server disconnected without sending a response")."""
    import socket as sockets
    import urllib.parse

    srv = serve.get()
    peer = RawHTTP(srv, "2026-07-28")
    url = urllib.parse.urlsplit(srv.mcp_url)
    try:
        for accept in ("application/json, text/event-stream", "application/json"):
            conn = sockets.create_connection((url.hostname, url.port), timeout=30)
            try:
                call = peer.frame("tools/call", {"name": "registry_execute",
                                                 "arguments": {"toolId": "text.stats", "input": {"text": "a b c"}}})
                first = _exchange(conn, url, call, {**peer.headers_for(call), "Accept": accept})
                assert first.startswith(b"HTTP/1.1 200"), first[:200]
                says_close = b"\r\nconnection: close" in first.split(b"\r\n\r\n")[0].lower()
                if not says_close:
                    listing = peer.frame("tools/list")
                    second = _exchange(conn, url, listing, peer.headers_for(listing))
                    assert second.startswith(b"HTTP/1.1 200"), (
                        f"Accept: {accept}: the server closed the connection right after the tools/call response "
                        f"without 'Connection: close' in it; the next request on it got {second[:200]!r}")
            finally:
                conn.close()
    finally:
        peer.close()


def _exchange(conn: Any, url: Any, body: dict[str, Any], headers: dict[str, str]) -> bytes:
    """One request on an open connection; the whole response (b"" when the server closed it)."""
    from raw_peers import _http_message_complete

    data = json.dumps(body).encode()
    head = f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Length: {len(data)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    try:
        conn.sendall(head.encode() + data)
    except OSError:
        return b""
    received = b""
    try:
        while not _http_message_complete(received):
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
    except OSError:
        pass
    return received
