"""Raw MCP peers for hostile frames: bytes written to `omega-exec mcp`'s stdin by hand, and bodies
POSTed to `omega-exec serve`'s /mcp with httpx2 (the HTTP library the `mcp` package ships with).
Everything received is validated against the `mcp_types` models of the revision in use."""

from __future__ import annotations

import contextlib
import itertools
import json
import queue
import socket
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import httpx2
import mcp_types as types
from mcp_types import methods as wire
from mcp_types.jsonrpc import JSONRPCError as WireError

import omega_support as support
from omega_support import LEGACY, MODERN


@dataclass
class Reply:
    """One answer: the HTTP status (200 on stdio), the response message (None for 202/no body) and
    what arrived before it (notifications, server requests)."""

    status: int
    message: dict[str, Any] | None
    before: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def error(self) -> dict[str, Any]:
        assert self.message is not None and "error" in self.message, self
        return self.message["error"]

    @property
    def result(self) -> dict[str, Any]:
        assert self.message is not None and "result" in self.message, self
        return self.message["result"]

    @property
    def reason(self) -> str | None:
        data = self.error.get("data")
        return data.get("reason") if isinstance(data, dict) else None


def validate_reply(reply: Reply, method: str | None, version: str) -> None:
    """The reply's frames against the revision's models (errors: the JSON-RPC error model)."""
    for message in reply.before:
        if "id" in message:
            wire.parse_server_request(message["method"], version, message.get("params"))
        else:
            wire.parse_server_notification(message["method"], version, message.get("params"))
    if reply.message is None:
        return
    if "error" in reply.message:
        WireError.model_validate(reply.message)
        return
    assert method is not None
    result = reply.message["result"]
    wire.validate_server_result(method, version, result)
    if version == MODERN:
        assert "resultType" in result, result
    else:
        assert not (support.MODERN_ONLY_RESULT_FIELDS & set(result)), result


class RawPeer:
    """Common request helpers over a raw transport; `era` is "2026-07-28" or "legacy"."""

    era: str
    ids = itertools.count(1)

    @property
    def version(self) -> str:
        return MODERN if self.era == "2026-07-28" else LEGACY

    def frame(self, method: str, params: dict[str, Any] | None = None, *, id: Any = "auto",
              meta: dict[str, Any] | None = None, capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
        """A request in this peer's era (2026-07-28: the `_meta` envelope on every request)."""
        body: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if id is not None:
            body["id"] = next(self.ids) if id == "auto" else id
        params = dict(params or {})
        if self.era == "2026-07-28":
            params["_meta"] = {**support.modern_meta(capabilities), **(meta or {})}
        elif meta:
            params["_meta"] = meta
        if params:
            body["params"] = params
        return body

    def call(self, method: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Reply:
        """Sends a well-formed request of this era and validates what comes back."""
        body = self.frame(method, params, **kwargs)
        reply = self.send(body)
        validate_reply(reply, method, self.version)
        return reply

    def still_serving(self) -> None:
        """The host answers: a ping (legacy) or tools/list (2026-07-28)."""
        if self.era == "legacy":
            reply = self.call("ping")
            assert reply.result == {}, reply
        reply = self.call("tools/list")
        assert any(t["name"] == "registry_execute" for t in reply.result["tools"]), reply

    def send(self, body: dict[str, Any], **kwargs: Any) -> Reply:
        raise NotImplementedError

    def send_bytes(self, data: bytes, *, expect_id: Any = None, **kwargs: Any) -> Reply:
        raise NotImplementedError

    def close(self) -> None:
        pass


class RawStdio(RawPeer):
    """`omega-exec mcp` with its stdin and stdout in our hands."""

    def __init__(self, home: support.Home, era: str, args: list[str] | None = None) -> None:
        self.era = era
        self.home = home
        self.errlog = open(home.logs / f"raw-stdio-{time.monotonic_ns()}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(support.OMEGA), "mcp", *(args or [])], env=home.env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.errlog, cwd=home.root,
        )
        self.inbox: queue.Queue[dict[str, Any] | str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if era == "legacy":
            init = self.call("initialize", {"protocolVersion": LEGACY, "capabilities": {},
                                            "clientInfo": {"name": "raw", "version": "1"}})
            assert init.result["protocolVersion"] == LEGACY
            self.write({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            text = line.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            try:
                self.inbox.put(json.loads(text))
            except json.JSONDecodeError:
                self.inbox.put(text)  # not JSON on stdout: the test that waits for it fails on it

    def write(self, body: dict[str, Any] | bytes) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode() + b"\n"
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def wait_for(self, expect_id: Any, timeout: float = 30) -> Reply:
        before: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no response with id {expect_id!r} in {timeout} s (got {before})"
            item = self.inbox.get(timeout=left)
            assert isinstance(item, dict), f"the host wrote a non-JSON line to stdout: {item[:300]!r}"
            if "method" in item:
                before.append(item)
                continue
            if item.get("id") == expect_id:
                return Reply(200, item, before)
            raise AssertionError(f"unexpected response while waiting for id {expect_id!r}: {item}")

    def send(self, body: dict[str, Any], timeout: float = 30) -> Reply:
        self.write(body)
        if "id" not in body:
            time.sleep(0.2)
            assert self.inbox.empty(), f"a notification was answered: {self.inbox.get()}"
            return Reply(202, None)
        return self.wait_for(body["id"], timeout)

    def send_bytes(self, data: bytes, *, expect_id: Any = None, timeout: float = 30) -> Reply:
        self.write(data)
        return self.wait_for(expect_id, timeout)

    def close(self) -> None:
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.errlog.close()


def parse_sse(text: str) -> list[dict[str, Any]]:
    messages = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        data = "\n".join(line[5:].lstrip(" ") for line in block.split("\n") if line.startswith("data:"))
        if data.strip():
            messages.append(json.loads(data))
    return messages


class RawHTTP(RawPeer):
    """POST /mcp of `omega-exec serve`, by hand."""

    def __init__(self, serve: support.Serve, era: str, api_key: str | None = None) -> None:
        self.era = era
        self.serve = serve
        # A fresh connection per request: the raw tests check frames, not connection reuse (which
        # test_http_connections checks on its own).
        self.http = httpx2.Client(timeout=httpx2.Timeout(30, read=60),
                                  limits=httpx2.Limits(max_keepalive_connections=0))
        self.api_key = api_key or serve.api_key
        self.session_id: str | None = None
        if era == "legacy":
            init = self.call("initialize", {"protocolVersion": LEGACY, "capabilities": {},
                                            "clientInfo": {"name": "raw", "version": "1"}})
            assert init.result["protocolVersion"] == LEGACY
            self.session_id = init.headers.get("mcp-session-id")
            assert self.session_id, f"initialize over HTTP must open a session (Mcp-Session-Id): {init.headers}"
            note = self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
            assert note.status == 202, note

    def headers_for(self, body: dict[str, Any] | None) -> dict[str, str]:
        headers = {
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.api_key}",
        }
        if self.era == "2026-07-28" and body is not None and "method" in body:
            meta = (body.get("params") or {}).get("_meta")
            version = meta.get(support.PROTOCOL_VERSION_KEY, MODERN) if isinstance(meta, dict) else MODERN
            headers["MCP-Protocol-Version"] = str(version)
            headers["Mcp-Method"] = body["method"]
            name = (body.get("params") or {}).get("name")
            if body["method"] == "tools/call" and isinstance(name, str):
                headers["Mcp-Name"] = name
        elif self.era == "legacy":
            headers["MCP-Protocol-Version"] = LEGACY
            if self.session_id:
                headers["Mcp-Session-Id"] = self.session_id
        return headers

    def post(self, data: bytes, headers: dict[str, str], expect_id: Any) -> Reply:
        response = self.http.post(self.serve.mcp_url, content=data, headers=headers)
        kind = response.headers.get("content-type", "")
        messages: list[dict[str, Any]] = []
        if kind.startswith("text/event-stream"):
            messages = parse_sse(response.text)
        elif kind.startswith("application/json") and response.content:
            messages = [response.json()]
        else:
            assert not response.content or response.status_code >= 400, (response.status_code, kind, response.text[:300])
        before = [m for m in messages if "method" in m]
        answers = [m for m in messages if "method" not in m]
        assert len(answers) <= 1, answers
        reply = Reply(response.status_code, answers[0] if answers else None, before, dict(response.headers))
        if reply.message is not None:
            assert reply.message.get("id") == expect_id, (reply.message, expect_id)
        return reply

    def send(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
        merged = {**self.headers_for(body), **(headers or {})}
        return self.post(json.dumps(body).encode(), merged, body.get("id"))

    def send_bytes(self, data: bytes, *, expect_id: Any = None, headers: dict[str, str] | None = None) -> Reply:
        return self.post(data, {**self.headers_for(None), **(headers or {})}, expect_id)

    def post_over_socket(self, data: bytes, headers: dict[str, str]) -> Reply:
        """POSTs `data` on a plain socket, reading the answer while the body is still being written:
        a server may answer a too-large body early (as it should), which would make an HTTP library
        that writes the whole body first fail on the write before it reads the answer. The socket is
        kept in `self.last_socket` (the caller may check whether the server closes it)."""
        url = urllib.parse.urlsplit(self.serve.mcp_url)
        sock = socket.create_connection((url.hostname, url.port), timeout=30)
        head = f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Length: {len(data)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        received = bytearray()
        complete = threading.Event()

        def reader() -> None:
            with contextlib.suppress(OSError):
                while chunk := sock.recv(65536):
                    received.extend(chunk)
                    if _http_message_complete(bytes(received)):
                        break
            complete.set()

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        with contextlib.suppress(OSError):
            sock.sendall(head.encode())
            view = memoryview(data)
            for start in range(0, len(data), 1 << 16):
                if complete.is_set():
                    break
                sock.sendall(view[start:start + (1 << 16)])
        assert complete.wait(30), f"no complete HTTP response in 30 s: {bytes(received[:300])!r}"
        self.last_socket = sock
        text = bytes(received)
        head_text, _, body = text.partition(b"\r\n\r\n")
        lines = head_text.decode("latin-1").split("\r\n")
        assert lines and lines[0].startswith("HTTP/1.1 "), f"no HTTP response: {text[:300]!r}"
        code = int(lines[0].split()[1])
        response_headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        if response_headers.get("transfer-encoding") == "chunked":
            body = _dechunk(body)
        message = json.loads(body) if body.strip() and "json" in response_headers.get("content-type", "") else None
        return Reply(code, message, [], response_headers)

    def close(self) -> None:
        self.http.close()
        last = getattr(self, "last_socket", None)
        if last is not None:
            last.close()


def _http_message_complete(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return body.endswith(b"0\r\n\r\n")


def socket_closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the peer closes `sock` (EOF or reset) within `seconds`, reading and discarding meanwhile."""
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            if not sock.recv(65536):
                return True
    except socket.timeout:
        return False
    except OSError:
        return True
    finally:
        sock.close()
    return False


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out.extend(rest[:size])
        data = rest[size + 2:]
    return bytes(out)


def unsupported_version_data(reply: Reply) -> types.UnsupportedProtocolVersionErrorData:
    return types.UnsupportedProtocolVersionErrorData.model_validate(reply.error.get("data"))
