#!/usr/bin/env python3
"""The test internet's web servers: one process, several listening sockets, virtual hosts by the Host
header, and one JSON line per accepted connection and per request in the log file (so a test can prove
what reached which address, and that nothing did).

    web_server.py --http 0.0.0.0:80 --http [::]:80 --raw 11.0.0.10:9000 --log web.jsonl --ready FILE \
        --secret WEBHOOK_SECRET_VALUE

Hosts (any listening socket; the Host header picks the site, its port ignored):
  allowed.test (and any unknown host)  /  an HTML page with a title, text, script/style/noscript and links;
                                       /big  3 MiB of HTML;  /echo  the request as JSON;  /plain  text/plain;
                                       /binary  application/octet-stream
  forbidden.test                       /  a page that must never be fetched through the proxy
  redirect.test                        /to-forbidden → 302 http://forbidden.test/;  /to-allowed → 302
                                       http://allowed.test/;  /to-ftp → 302 ftp://allowed.test/;  /loop → itself
  slow.test                            /  answers after 20 s;  /drip  one byte per second for 60 s
  infinite.test                        /  an endless application/octet-stream
  hooks.test, hooks.example.com        POST: verifies X-Signature-256 (HMAC-SHA256 of the body with --secret),
                                       records the delivery, answers 200 {"received": true} (401 when the
                                       signature is wrong); /redirect answers 307 to /elsewhere
  example.com                          /  a copy of the IANA "Example Domain" page
  v6.test                              /  "IPv6 page"
tls.test (--https, a self-signed certificate) serves the same sites over TLS.
A raw socket (--raw) accepts connections, logs them and whatever bytes arrive, and answers nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.server
import json
import socket
import socketserver
import ssl
import sys
import threading
import time

_lock = threading.Lock()
_log_file = None
SECRET = b""

ALLOWED_PAGE = b"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Allowed  Test   Page</title>
  <style>body { color: #c0ffee; } .hidden { display: none }</style>
  <script>var tracking = "SCRIPT-MUST-NOT-APPEAR"; document.write("no");</script>
</head>
<body>
  <h1>Welcome to the allowed test site</h1>
  <p>This page is served by the   egress test internet.
     It has <b>several</b> links.</p>
  <noscript>NOSCRIPT-MUST-NOT-APPEAR</noscript>
  <ul>
    <li><a href="/about">About us</a></li>
    <li><a href="docs/guide.html#intro">The guide</a></li>
    <li><a href="/about#team">About (again)</a></li>
    <li><a href="http://forbidden.test/elsewhere">Elsewhere</a></li>
    <li><a href="mailto:someone@allowed.test">Mail us</a></li>
    <li><a href="javascript:alert(1)">Script link</a></li>
  </ul>
  <style>p { margin: 0 }</style>
  <p>Caf\xc3\xa9 cr\xc3\xa8me &amp; entities &lt;ok&gt;.</p>
</body>
</html>
"""

EXAMPLE_PAGE = b"""<!doctype html>
<html>
<head>
    <title>Example Domain</title>
    <meta charset="utf-8" />
    <meta http-equiv="Content-type" content="text/html; charset=utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <style type="text/css">
    body { background-color: #f0f0f2; margin: 0; padding: 0; }
    </style>
</head>
<body>
<div>
    <h1>Example Domain</h1>
    <p>This domain is for use in illustrative examples in documents. You may use this
    domain in literature without prior coordination or asking for permission.</p>
    <p><a href="https://www.iana.org/domains/example">More information...</a></p>
</div>
</body>
</html>
"""

BIG_CHUNK = b"<p>" + b"All work and no play makes a big page. " * 25 + b"</p>\n"
BIG_BYTES = 3 * 1024 * 1024


def log(record: dict) -> None:
    record["t"] = time.time()
    with _lock:
        _log_file.write(json.dumps(record) + "\n")
        _log_file.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection; the body ends with the connection
    server_version = "egress-test/1.0"

    def log_message(self, format: str, *args) -> None:  # the JSON log is the record
        pass

    def _site(self) -> str:
        host = (self.headers.get("Host") or "").strip().lower()
        if host.startswith("["):
            return host.split("]")[0] + "]"
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host

    def _record(self, extra: dict | None = None) -> None:
        local = self.connection.getsockname()
        record = {
            "event": "request", "local": local[0], "lport": local[1], "peer": self.client_address[0],
            "method": self.command, "target": self.path, "host": self.headers.get("Host"),
            "site": self._site(), "headers": {k: v for k, v in self.headers.items()},
        }
        record.update(extra or {})
        log(record)

    def _send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8",
              headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _redirect(self, status: int, location: str) -> None:
        self._send(status, b"moved\n", "text/plain", {"Location": location})

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError, TimeoutError, socket.timeout, ssl.SSLError):
            self.close_connection = True

    def do_GET(self) -> None:
        self._record()
        site, path = self._site(), self.path
        if "://" in path:  # an absolute-form target must never reach an origin server from the proxy
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        path = path.split("?", 1)[0]
        if site == "redirect.test":
            targets = {"/to-forbidden": "http://forbidden.test/", "/to-allowed": "http://allowed.test/",
                       "/to-ftp": "ftp://allowed.test/", "/loop": "/loop"}
            if path in targets:
                return self._redirect(302, targets[path])
            return self._send(404, b"no such redirect\n", "text/plain")
        if site == "forbidden.test":
            return self._send(200, b"<html><head><title>Forbidden page</title></head><body>secret stuff</body></html>")
        if site == "slow.test":
            if path == "/drip":
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                for _ in range(60):
                    self.wfile.write(b".")
                    self.wfile.flush()
                    time.sleep(1)
                return
            time.sleep(20)
            return self._send(200, b"<html><head><title>Slow</title></head><body>finally</body></html>")
        if site == "infinite.test":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            chunk = b"\0" * 65536
            sent = 0
            try:
                while True:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            finally:
                log({"event": "stream_end", "site": site, "bytes": sent})
        if site == "example.com":
            return self._send(200, EXAMPLE_PAGE, "text/html; charset=UTF-8")
        if site == "v6.test":
            return self._send(200, b"<html><head><title>IPv6 page</title></head><body>over IPv6</body></html>")
        if site in ("hooks.test", "hooks.example.com"):
            return self._send(405, b"POST only\n", "text/plain", {"Allow": "POST"})
        # allowed.test, raw addresses and anything else
        if path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(BIG_BYTES))
            self.end_headers()
            sent = 0
            while sent < BIG_BYTES:
                piece = (BIG_CHUNK * 64)[: BIG_BYTES - sent]
                self.wfile.write(piece)
                sent += len(piece)
            return
        if path == "/echo":
            body = json.dumps({"method": self.command, "target": self.path,
                               "headers": {k: v for k, v in self.headers.items()}}).encode()
            return self._send(200, body, "application/json")
        if path == "/plain":
            return self._send(200, b"Plain   text\n\nsecond line\n", "text/plain; charset=utf-8")
        if path == "/binary":
            return self._send(200, b"\x89PNG\r\n\x1a\n", "image/png")
        return self._send(200, ALLOWED_PAGE)

    do_HEAD = do_GET

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20))
        site = self._site()
        signature = self.headers.get("X-Signature-256") or ""
        expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        verified = hmac.compare_digest(signature, expected)
        self._record({"body": body.decode("utf-8", "replace"), "verified": verified})
        if site not in ("hooks.test", "hooks.example.com"):
            return self._send(405, b"no POST here\n", "text/plain")
        if self.path.startswith("/redirect"):
            return self._redirect(307, "/elsewhere")
        if not verified:
            return self._send(401, b'{"received":false,"error":"bad signature"}', "application/json")
        return self._send(200, b'{"received":true}', "application/json")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self, address: tuple, family: int) -> None:
        self.address_family = family
        super().__init__(address, Handler, bind_and_activate=False)
        if family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        self.server_bind()
        self.server_activate()

    def server_bind(self) -> None:  # skip HTTPServer's getfqdn (no DNS for the server itself)
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def verify_request(self, request, client_address) -> bool:
        local = request.getsockname()
        log({"event": "connect", "local": local[0], "lport": local[1], "peer": client_address[0]})
        return True


class RawHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        local = self.request.getsockname()
        self.request.settimeout(10)
        received = b""
        try:
            while len(received) < 4096:
                chunk = self.request.recv(4096)
                if not chunk:
                    break
                received += chunk
        except OSError:
            pass
        log({"event": "raw", "local": local[0], "lport": local[1], "peer": self.client_address[0],
             "data": received.decode("latin-1")})


class RawServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def verify_request(self, request, client_address) -> bool:
        local = request.getsockname()
        log({"event": "connect", "local": local[0], "lport": local[1], "peer": client_address[0]})
        return True


def endpoint(text: str) -> tuple[tuple, int]:
    host, _, port = text.rpartition(":")
    if host.startswith("["):
        return (host[1:-1], int(port)), socket.AF_INET6
    return (host, int(port)), socket.AF_INET


def main() -> None:
    global _log_file, SECRET
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", action="append", default=[])
    parser.add_argument("--raw", action="append", default=[])
    parser.add_argument("--https", action="append", default=[])
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--log", required=True)
    parser.add_argument("--ready", required=True)
    parser.add_argument("--secret", default="")
    args = parser.parse_args()
    _log_file = open(args.log, "a", encoding="utf-8")
    SECRET = args.secret.encode()
    servers: list[socketserver.BaseServer] = []
    for text in args.http:
        address, family = endpoint(text)
        servers.append(Server(address, family))
    for text in args.https:
        address, family = endpoint(text)
        server = Server(address, family)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        # The handshake happens in the handler's thread (a client refusing the certificate fails only its own).
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        servers.append(server)
    for text in args.raw:
        address, family = endpoint(text)
        RawServer.address_family = family
        servers.append(RawServer(address, RawHandler))
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    with open(args.ready, "w") as handle:
        handle.write("ready\n")
    sys.stdout.flush()
    threading.Event().wait()


if __name__ == "__main__":
    main()
