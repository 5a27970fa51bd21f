#!/usr/bin/env python3
"""notify.webhook_send: sign a webhook delivery and POST it to the receiver.

The body, the delivery id and the headers are exactly those of notify.webhook_prepare: canonical JSON
(sorted keys, no spaces, UTF-8) of {id, event, payload, timestamp}, signed with HMAC-SHA256 using the
secret from the WEBHOOK_SECRET environment variable (GitHub-style `X-Signature-256: sha256=<hex>`). The
tool sends it itself, through the appliance's egress proxy (HTTP_PROXY / HTTPS_PROXY in the jail, DESIGN
§11): an absolute-form POST for http, a CONNECT tunnel for https. Redirects are never followed (a 3xx is
the outcome, with its Location). The secret is never printed, logged or written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import re
import socket
import ssl
import sys
import time
import urllib.request
from typing import Any, NoReturn
from urllib.parse import urlsplit

MAX_INPUT_BYTES = 1024 * 1024
MAX_BODY_BYTES = 256 * 1024
MAX_RESPONSE_BYTES = 64 * 1024
MAX_PROXY_HEAD_BYTES = 64 * 1024
DEFAULT_TIMEOUT_SECONDS = 15
LIMIT_TIMEOUT_SECONDS = 25
SECRET_VARIABLE = "WEBHOOK_SECRET"
USER_AGENT = "omega-exec-webhook/1.0"
EVENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
ALLOWED_KEYS = {"url", "event", "payload", "timestamp", "timeoutSeconds"}


class ToolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def fail(error: ToolError) -> NoReturn:
    print(f"webhook_send: {error.message}", file=sys.stderr)
    print(json.dumps({"error": {"code": error.code, "message": error.message}}))
    sys.exit(2)


# MARK: - Input and signing (identical to notify.webhook_prepare)


def read_input() -> dict[str, Any]:
    raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    if len(raw) > MAX_INPUT_BYTES:
        raise ToolError("INPUT_TOO_LARGE", f"input exceeds {MAX_INPUT_BYTES} bytes")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ToolError("INVALID_INPUT", f"stdin is not a JSON document: {exc}") from None
    if not isinstance(doc, dict):
        raise ToolError("INVALID_INPUT", "input must be a JSON object")
    unknown = sorted(set(doc) - ALLOWED_KEYS)
    if unknown:
        raise ToolError("INVALID_INPUT", f"unknown input field(s): {', '.join(unknown)}")
    return doc


def validate_url(url: Any) -> str:
    if not isinstance(url, str) or not url:
        raise ToolError("INVALID_INPUT", "'url' is required and must be a string")
    if len(url) > 2048 or any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise ToolError("INVALID_INPUT", "'url' must be at most 2048 characters without spaces or control characters")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise ToolError("INVALID_INPUT", f"'url' is not a valid URL: {exc}") from None
    if parts.scheme not in ("https", "http"):
        raise ToolError("INVALID_INPUT", "'url' must be an http:// or https:// URL")
    if not parts.hostname:
        raise ToolError("INVALID_INPUT", "'url' has no host")
    if parts.username is not None or parts.password is not None:
        raise ToolError("INVALID_INPUT", "'url' must not contain credentials (user:password@); the signature authenticates the delivery")
    if parts.fragment:
        raise ToolError("INVALID_INPUT", "'url' must not contain a #fragment")
    return url


def canonical(value: Any) -> str:
    """Deterministic JSON text: sorted keys, no insignificant whitespace, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def prepare(doc: dict[str, Any], secret: str) -> dict[str, Any]:
    url = validate_url(doc.get("url"))
    event = doc.get("event")
    if not isinstance(event, str) or not EVENT_RE.match(event):
        raise ToolError("INVALID_INPUT", "'event' must be 1-100 characters of letters, digits, '_', '.', ':' or '-' (e.g. 'order.created')")
    if "payload" not in doc:
        raise ToolError("INVALID_INPUT", "'payload' is required (any JSON value)")
    timestamp = doc.get("timestamp")
    if timestamp is None:
        timestamp = int(time.time())
    elif isinstance(timestamp, bool) or not isinstance(timestamp, int) or not 0 <= timestamp < 2**40:
        raise ToolError("INVALID_INPUT", "'timestamp' must be a Unix time in seconds (a non-negative integer)")

    content = {"event": event, "payload": doc["payload"], "timestamp": timestamp}
    try:
        delivery_id = "whd_" + hashlib.sha256(canonical({**content, "url": url}).encode("utf-8")).hexdigest()[:24]
        body = canonical({"id": delivery_id, **content})
    except ValueError as exc:  # NaN/Infinity cannot be sent as JSON
        raise ToolError("INVALID_INPUT", f"'payload' cannot be encoded as JSON: {exc}") from None
    body_bytes = body.encode("utf-8")
    if len(body_bytes) > MAX_BODY_BYTES:
        raise ToolError("PAYLOAD_TOO_LARGE", f"the body is {len(body_bytes)} bytes; the limit is {MAX_BODY_BYTES}")
    signature = hmac.new(secret.encode("utf-8"), body_bytes, hashlib.sha256).hexdigest()
    return {
        "id": delivery_id,
        "method": "POST",
        "url": url,
        "headers": {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Webhook-Event": event,
            "X-Webhook-Id": delivery_id,
            "X-Webhook-Timestamp": str(timestamp),
            "X-Signature-256": f"sha256={signature}",
        },
        "body": body,
        "bodySha256": hashlib.sha256(body_bytes).hexdigest(),
        "bodyBytes": len(body_bytes),
    }


# MARK: - Sending


def proxy_for(scheme: str, host: str) -> tuple[str, int] | None:
    """The proxy the environment names for `scheme` (HTTP_PROXY / HTTPS_PROXY, NO_PROXY honoured), or None."""
    proxy = urllib.request.getproxies().get(scheme)
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    if "://" not in proxy:
        proxy = "http://" + proxy
    parts = urlsplit(proxy)
    if parts.scheme != "http" or not parts.hostname:
        raise ToolError("SEND_FAILED", f"unsupported proxy {proxy!r} in the environment (want http://host:port)")
    return parts.hostname, parts.port or 80


def refused(reason: str, status: int, host: str, port: int) -> ToolError:
    return ToolError(
        "EGRESS_REFUSED",
        f"the egress proxy refused the connection to {host}:{port}: {reason} (HTTP {status}); "
        "the appliance's policy does not let this tool reach that host",
    )


class TunnelledHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS through an HTTP proxy's CONNECT that keeps the proxy's refusal headers (http.client's own
    tunnel drops them, and with them the X-Omega-Egress reason)."""

    def __init__(self, proxy: tuple[str, int], host: str, port: int, **kwargs: Any) -> None:
        super().__init__(host, port, **kwargs)
        self.proxy = proxy
        self.target = (host, port)

    def connect(self) -> None:
        host, port = self.target
        sock = socket.create_connection(self.proxy, self.timeout)
        try:
            authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            sock.sendall(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {USER_AGENT}\r\n\r\n".encode("ascii"))
            head = b""
            while b"\r\n\r\n" not in head and len(head) <= MAX_PROXY_HEAD_BYTES:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                head += chunk
            lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            status_line = lines[0].split(" ", 2)
            if len(status_line) < 2 or not status_line[1].isdigit():
                raise ToolError("SEND_FAILED", f"the proxy gave no HTTP answer to CONNECT {authority}")
            status = int(status_line[1])
            if status != 200:
                headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
                if headers.get("x-omega-egress"):
                    raise refused(headers["x-omega-egress"], status, host, port)
                raise ToolError("SEND_FAILED", f"the proxy answered CONNECT {authority} with HTTP {status}")
            self.sock = self._context.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise


def tls_context() -> ssl.SSLContext:
    """The default client context (system CA store, hostname checks); a clear error when OpenSSL cannot start."""
    try:
        return ssl.create_default_context()
    except (ssl.SSLError, OSError) as exc:
        raise ToolError("TLS_ERROR", f"TLS cannot be set up in this environment: {exc}") from None


def send(delivery: dict[str, Any], timeout: float) -> dict[str, Any]:
    url = delivery["url"]
    parts = urlsplit(url)
    scheme = parts.scheme
    host = parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    proxy = proxy_for(scheme, host)
    connection: http.client.HTTPConnection
    if scheme == "https":
        context = tls_context()
        if proxy:
            connection = TunnelledHTTPSConnection(proxy, host, port, timeout=timeout, context=context)
        else:
            connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    elif proxy:
        connection = http.client.HTTPConnection(proxy[0], proxy[1], timeout=timeout)
        target = f"http://{parts.netloc}{target}"  # absolute form; Host comes from it
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)

    body = delivery["body"].encode("utf-8")
    started = time.monotonic()
    try:
        try:
            connection.request("POST", target, body=body, headers={**delivery["headers"], "Connection": "close"})
            response = connection.getresponse()
            reason = response.getheader("X-Omega-Egress")
            if reason and response.status in (400, 403, 429, 431, 502):
                raise refused(reason, response.status, host, port)
            data = response.read(MAX_RESPONSE_BYTES + 1)
        except ToolError:
            raise
        except ssl.SSLCertVerificationError as exc:
            raise ToolError("TLS_ERROR", f"the certificate of {host} could not be verified: {exc.verify_message or exc} "
                            "(is the system CA store available to the tool?)") from None
        except ssl.SSLError as exc:
            raise ToolError("TLS_ERROR", f"TLS with {host}:{port} failed: {exc}") from None
        except (socket.timeout, TimeoutError):
            raise ToolError("TIMEOUT", f"{host}:{port} did not answer within {timeout:g} s") from None
        except http.client.IncompleteRead as exc:
            data = exc.partial
        except (OSError, http.client.HTTPException) as exc:
            raise ToolError("SEND_FAILED", f"cannot deliver to {url}: {exc}") from None
    finally:
        connection.close()
    duration_ms = round((time.monotonic() - started) * 1000)
    truncated = len(data) > MAX_RESPONSE_BYTES
    return {
        "status": response.status,
        "delivered": 200 <= response.status < 300,
        "location": response.getheader("Location") if 300 <= response.status < 400 else None,
        "responseContentType": response.getheader("Content-Type") or "",
        "responseBody": data[:MAX_RESPONSE_BYTES].decode("utf-8", errors="replace"),
        "responseTruncated": truncated,
        "durationMs": duration_ms,
    }


def main() -> None:
    try:
        doc = read_input()
        secret = os.environ.get(SECRET_VARIABLE, "")
        if not secret:
            raise ToolError("MISSING_SECRET", f"the environment variable {SECRET_VARIABLE} is not set or empty")
        timeout = doc.get("timeoutSeconds", DEFAULT_TIMEOUT_SECONDS)
        if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= LIMIT_TIMEOUT_SECONDS:
            raise ToolError("INVALID_INPUT", f"'timeoutSeconds' must be an integer from 1 to {LIMIT_TIMEOUT_SECONDS}")
        delivery = prepare(doc, secret)
        del secret
        outcome = send(delivery, float(timeout))
    except ToolError as exc:
        fail(exc)
    except Exception as exc:  # never a traceback (which could quote local values): one clear error object
        fail(ToolError("SEND_FAILED", f"unexpected failure: {type(exc).__name__}"))
    result = {
        "id": delivery["id"],
        "event": delivery["headers"]["X-Webhook-Event"],
        "url": delivery["url"],
        "signature": delivery["headers"]["X-Signature-256"],
        "bodySha256": delivery["bodySha256"],
        "bodyBytes": delivery["bodyBytes"],
        **outcome,
    }
    print(f"webhook_send: delivery {result['id']} to {result['url']}: HTTP {result['status']} in {result['durationMs']} ms",
          file=sys.stderr)
    json.dump(result, sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
