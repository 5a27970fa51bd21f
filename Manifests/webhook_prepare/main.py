#!/usr/bin/env python3
"""notify.webhook_prepare: build and sign a webhook delivery, and put it in the run's outbox.

The tool never opens a connection (the jail has no network). It builds the exact HTTP request the
appliance will send: a canonical JSON body, an HMAC-SHA256 signature of the body made with the
secret from the WEBHOOK_SECRET environment variable (GitHub-style `X-Signature-256: sha256=<hex>`),
and a delivery id derived from the content (so a retried delivery keeps its id and receivers can
deduplicate). The delivery is written to /work/out/delivery.json, the outbox the appliance delivers
from, and echoed on stdout. The secret is never printed, logged or written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import sys
import tempfile
import time
from typing import Any, NoReturn
from urllib.parse import urlsplit

MAX_INPUT_BYTES = 1024 * 1024
MAX_BODY_BYTES = 256 * 1024
OUTBOX_DIR = "/work/out"
OUTBOX_FILE = "delivery.json"
SECRET_VARIABLE = "WEBHOOK_SECRET"
USER_AGENT = "omega-exec-webhook/1.0"
EVENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
ALLOWED_KEYS = {"url", "event", "payload", "timestamp"}


class ToolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def fail(error: ToolError) -> NoReturn:
    print(json.dumps({"error": {"code": error.code, "message": error.message}}))
    sys.exit(2)


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


def write_outbox(delivery: dict[str, Any]) -> str:
    """Write the delivery atomically (temp file + rename) so the appliance never reads half a file."""
    try:
        os.makedirs(OUTBOX_DIR, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".delivery-", suffix=".json", dir=OUTBOX_DIR)
        os.fchmod(fd, 0o644)  # readable by the appliance whatever host uid the jail maps to; holds no secret
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(delivery, handle, ensure_ascii=False, indent=2)
            handle.write("\n")
        path = os.path.join(OUTBOX_DIR, OUTBOX_FILE)
        os.replace(temporary, path)
    except OSError as exc:
        raise ToolError("OUTBOX_UNAVAILABLE", f"cannot write the outbox {OUTBOX_DIR}/{OUTBOX_FILE}: {exc.strerror}") from None
    return path


def main() -> None:
    try:
        doc = read_input()
        secret = os.environ.get(SECRET_VARIABLE, "")
        if not secret:
            raise ToolError("MISSING_SECRET", f"the environment variable {SECRET_VARIABLE} is not set or empty")
        delivery = prepare(doc, secret)
        del secret
        outbox = write_outbox(delivery)
    except ToolError as exc:
        print(f"webhook_prepare: {exc.message}", file=sys.stderr)
        fail(exc)
    print(f"webhook_prepare: delivery {delivery['id']} ({delivery['bodyBytes']} bytes) queued in {outbox}", file=sys.stderr)
    json.dump({**delivery, "outbox": outbox}, sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
