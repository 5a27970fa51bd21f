#!/usr/bin/env python3
"""web.fetch_extract: fetch one web page and extract its title, readable text and links.

Reads one JSON object on stdin ({"url": "...", ...}), writes one JSON object on stdout. Standard library
only. In the jail the only way out is the appliance's egress proxy (HTTP_PROXY / HTTPS_PROXY, DESIGN §11):
plain http goes to it as an absolute-form GET, https as a CONNECT tunnel (TLS end to end with the site,
verified against the system CA store). The proxy decides which hosts are reachable; when it refuses, its
answer carries `X-Omega-Egress: <reason>` and the tool fails with EGRESS_REFUSED naming the reason and the
host. Redirects are followed by the tool itself (at most 5, http/https only), so every hop goes through the
proxy again and may be refused on its own.
"""

from __future__ import annotations

import codecs
import http.client
import json
import re
import socket
import ssl
import sys
import time
import urllib.request
from html.parser import HTMLParser
from typing import Any, NoReturn
from urllib.parse import urldefrag, urljoin, urlsplit

MAX_INPUT_BYTES = 64 * 1024
MAX_URL_CHARS = 2048
MAX_REDIRECTS = 5
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
LIMIT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_LINKS = 100
LIMIT_MAX_LINKS = 1000
DEFAULT_MAX_TEXT_CHARS = 20000
LIMIT_MAX_TEXT_CHARS = 200000
DEFAULT_TIMEOUT_SECONDS = 20
LIMIT_TIMEOUT_SECONDS = 25
MAX_LINK_TEXT_CHARS = 200
MAX_PROXY_HEAD_BYTES = 64 * 1024
USER_AGENT = "omega-exec-web-fetch/1.0 (+https://github.com/omega-exec)"
ALLOWED_KEYS = {"url", "maxBytes", "maxLinks", "maxTextChars", "timeoutSeconds"}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
SKIPPED_TAGS = {"script", "style", "noscript", "template", "svg", "math"}
BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "summary", "table", "td", "th", "tr", "ul", "title", "body",
}
META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
WHITESPACE_RE = re.compile(r"\s+")


class ToolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def fail(error: ToolError) -> NoReturn:
    print(f"web_fetch_extract: {error.message}", file=sys.stderr)
    print(json.dumps({"error": {"code": error.code, "message": error.message}}))
    sys.exit(2)


# MARK: - Input


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


def int_option(doc: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = doc.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ToolError("INVALID_INPUT", f"'{key}' must be an integer from {low} to {high}")
    return value


def check_url(url: Any, what: str = "'url'") -> str:
    """An absolute http(s) URL with a host, no credentials, no spaces or control characters."""
    if not isinstance(url, str) or not url:
        raise ToolError("INVALID_INPUT", f"{what} is required and must be a string")
    if len(url) > MAX_URL_CHARS or any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise ToolError("INVALID_INPUT", f"{what} must be at most {MAX_URL_CHARS} characters without spaces or control characters")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise ToolError("INVALID_INPUT", f"{what} is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ToolError("INVALID_INPUT", f"{what} must be an http:// or https:// URL (got {parts.scheme or 'no'} scheme)")
    if not parts.hostname:
        raise ToolError("INVALID_INPUT", f"{what} has no host")
    if parts.username is not None or parts.password is not None:
        raise ToolError("INVALID_INPUT", f"{what} must not contain credentials (user:password@)")
    return url


# MARK: - Fetching


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise ToolError("TIMEOUT", f"the fetch did not finish within {self.seconds:g} s")
        return left


def proxy_for(scheme: str, host: str) -> tuple[str, int] | None:
    """The proxy the environment names for `scheme` (HTTP_PROXY / HTTPS_PROXY, NO_PROXY honoured), or None."""
    proxies = urllib.request.getproxies()
    proxy = proxies.get(scheme)
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    if "://" not in proxy:
        proxy = "http://" + proxy
    parts = urlsplit(proxy)
    if parts.scheme != "http" or not parts.hostname:
        raise ToolError("FETCH_FAILED", f"unsupported proxy {proxy!r} in the environment (want http://host:port)")
    return parts.hostname, parts.port or 80


def refused(reason: str, status: int, host: str, port: int) -> ToolError:
    return ToolError(
        "EGRESS_REFUSED",
        f"the egress proxy refused the connection to {host}:{port}: {reason} (HTTP {status}); "
        "the appliance's policy does not let this tool reach that host",
    )


def read_proxy_head(sock: socket.socket) -> bytes:
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
        if len(head) > MAX_PROXY_HEAD_BYTES:
            break
    return head


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
            head = read_proxy_head(sock)
            lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            status_line = lines[0].split(" ", 2)
            if len(status_line) < 2 or not status_line[1].isdigit():
                raise ToolError("FETCH_FAILED", f"the proxy gave no HTTP answer to CONNECT {authority}")
            status = int(status_line[1])
            if status != 200:
                headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
                reason = headers.get("x-omega-egress")
                if reason:
                    raise refused(reason, status, host, port)
                raise ToolError("FETCH_FAILED", f"the proxy answered CONNECT {authority} with HTTP {status}")
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


def open_connection(url: str, deadline: Deadline) -> tuple[http.client.HTTPConnection, str]:
    """A connection for `url` and the request target to send on it."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    timeout = min(deadline.remaining(), 15.0)
    proxy = proxy_for(scheme, host)
    if scheme == "https":
        context = tls_context()
        if proxy:
            return TunnelledHTTPSConnection(proxy, host, port, timeout=timeout, context=context), path
        return http.client.HTTPSConnection(host, port, timeout=timeout, context=context), path
    if proxy:
        # Absolute form: http.client sends Host from the URL's authority.
        absolute = f"http://{parts.netloc.rsplit('@', 1)[-1]}{path}"
        return http.client.HTTPConnection(proxy[0], proxy[1], timeout=timeout), absolute
    return http.client.HTTPConnection(host, port, timeout=timeout), path


def fetch_once(url: str, max_bytes: int, deadline: Deadline) -> dict[str, Any]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    connection, target = open_connection(url, deadline)
    try:
        try:
            connection.request("GET", target, headers={
                "User-Agent": USER_AGENT,
                "Accept": "text/html,application/xhtml+xml,text/*;q=0.9,*/*;q=0.1",
                "Accept-Encoding": "identity",
                "Connection": "close",
            })
            response = connection.getresponse()
        except ToolError:
            raise
        except ssl.SSLCertVerificationError as exc:
            raise ToolError("TLS_ERROR", f"the certificate of {host} could not be verified: {exc.verify_message or exc} "
                            "(is the system CA store available to the tool?)") from None
        except ssl.SSLError as exc:
            raise ToolError("TLS_ERROR", f"TLS with {host}:{port} failed: {exc}") from None
        except (socket.timeout, TimeoutError):
            raise ToolError("TIMEOUT", f"{host}:{port} did not answer in time") from None
        except (OSError, http.client.HTTPException) as exc:
            raise ToolError("FETCH_FAILED", f"cannot fetch {url}: {exc}") from None

        reason = response.getheader("X-Omega-Egress")
        if reason and response.status in (400, 403, 429, 431, 502):
            raise refused(reason, response.status, host, port)
        result: dict[str, Any] = {
            "status": response.status,
            "location": response.getheader("Location"),
            "contentType": response.getheader("Content-Type") or "",
        }
        if 300 <= response.status < 400 and result["location"]:
            result["body"], result["truncated"] = b"", False
            return result
        body = bytearray()
        truncated = False
        try:
            while len(body) <= max_bytes:
                deadline.remaining()  # a page that drips never trips the socket's timeout
                chunk = response.read1(min(65536, max_bytes + 1 - len(body)))
                if not chunk:
                    break
                body += chunk
            if len(body) > max_bytes:
                del body[max_bytes:]
                truncated = True
        except (socket.timeout, TimeoutError):
            raise ToolError("TIMEOUT", f"{host}:{port} stopped sending before the page was complete") from None
        except http.client.IncompleteRead as exc:
            body += exc.partial
            truncated = True  # the connection ended early (by the site, or the proxy's byte cap)
        except (OSError, http.client.HTTPException) as exc:
            if not body:
                raise ToolError("FETCH_FAILED", f"reading {url} failed: {exc}") from None
            truncated = True
        result["body"], result["truncated"] = bytes(body), truncated
        return result
    finally:
        connection.close()


def fetch(url: str, max_bytes: int, deadline: Deadline) -> tuple[str, dict[str, Any], list[str]]:
    """Follows at most MAX_REDIRECTS redirects; returns the final URL, its response and the hops."""
    hops: list[str] = []
    current = url
    while True:
        response = fetch_once(current, max_bytes, deadline)
        if not (300 <= response["status"] < 400 and response.get("location")):
            return current, response, hops
        if len(hops) >= MAX_REDIRECTS:
            raise ToolError("TOO_MANY_REDIRECTS", f"more than {MAX_REDIRECTS} redirects (last: {current})")
        following = urldefrag(urljoin(current, response["location"].strip()))[0]
        scheme = urlsplit(following).scheme.lower()
        if scheme not in ("http", "https"):
            raise ToolError("UNSUPPORTED_REDIRECT", f"{current} redirects to a {scheme or 'relative'}: URL, which is not followed")
        try:
            check_url(following, "the redirect target")
        except ToolError as exc:
            raise ToolError("UNSUPPORTED_REDIRECT", f"{current} redirects to an unusable URL: {exc.message}") from None
        hops.append(current)
        current = following


# MARK: - Decoding and extraction


def media_type(content_type: str) -> tuple[str, str | None]:
    main, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("'\"")
    return main.strip().lower(), charset


def usable_charset(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(body: bytes, header_charset: str | None, is_html: bool) -> tuple[str, str]:
    charset = usable_charset(header_charset)
    if charset is None and body.startswith(codecs.BOM_UTF8):
        charset = "utf-8"
    if charset is None and is_html:
        match = META_CHARSET_RE.search(body[:4096])
        charset = usable_charset(match.group(1).decode("ascii", "replace")) if match else None
    charset = charset or "utf-8"
    text = body.decode(charset, errors="replace")
    return text.lstrip("\ufeff"), charset


def collapse(text: str) -> str:
    return WHITESPACE_RE.sub(" ", text).strip()


class PageExtractor(HTMLParser):
    """Title, readable text (blocks on their own lines) and links of an HTML document."""

    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.title: str | None = None
        self._title_parts: list[str] = []
        self._in_title = False
        self._skip_depth = 0
        self._blocks: list[str] = []
        self._current: list[str] = []
        self.links: list[tuple[str, list[str]]] = []
        self._link: list[str] | None = None

    def _flush(self) -> None:
        text = collapse("".join(self._current))
        if text:
            self._blocks.append(text)
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and self.title is None:
            self._in_title = True
            return
        if tag == "base" and not self.links:
            href = dict(attrs).get("href")
            if href:
                self.base_url = urljoin(self.base_url, href.strip())
        if tag in SKIPPED_TAGS:
            self._skip_depth += 1
            return
        if tag in BLOCK_TAGS:
            self._flush()
        if tag == "a" and self._skip_depth == 0:
            href = dict(attrs).get("href")
            if href is not None:
                self._link = []
                self.links.append((href, self._link))
        if tag == "img" and self._link is not None:
            alt = dict(attrs).get("alt")
            if alt:
                self._link.append(alt)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            return  # <script/> or <svg/> opens nothing
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self._link = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            self.title = collapse("".join(self._title_parts))
            return
        if tag in SKIPPED_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if tag == "a":
            self._link = None
        if tag in BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title_parts.append(data)
            return
        if self._skip_depth:
            return
        self._current.append(data)
        if self._link is not None:
            self._link.append(data)

    def text(self) -> str:
        self._flush()
        return "\n".join(self._blocks)


def absolute_links(raw: list[tuple[str, list[str]]], base: str, limit: int) -> tuple[list[dict[str, str]], int]:
    """http(s) links made absolute, without fragments, deduplicated (first text wins), capped at `limit`;
    also the number of distinct links found."""
    seen: dict[str, dict[str, str]] = {}
    for href, parts in raw:
        href = href.strip()
        if not href or href.startswith("#"):
            continue
        try:
            url = urldefrag(urljoin(base, href))[0]
            scheme = urlsplit(url).scheme.lower()
        except ValueError:
            continue
        if scheme not in ("http", "https") or len(url) > MAX_URL_CHARS:
            continue
        text = collapse("".join(parts))[:MAX_LINK_TEXT_CHARS]
        if url in seen:
            if not seen[url]["text"] and text:
                seen[url]["text"] = text
            continue
        seen[url] = {"url": url, "text": text}
    links = list(seen.values())
    return links[:limit], len(links)


def extract(doc: dict[str, Any]) -> dict[str, Any]:
    url = check_url(doc.get("url"))
    max_bytes = int_option(doc, "maxBytes", DEFAULT_MAX_BYTES, 1, LIMIT_MAX_BYTES)
    max_links = int_option(doc, "maxLinks", DEFAULT_MAX_LINKS, 0, LIMIT_MAX_LINKS)
    max_text = int_option(doc, "maxTextChars", DEFAULT_MAX_TEXT_CHARS, 0, LIMIT_MAX_TEXT_CHARS)
    deadline = Deadline(int_option(doc, "timeoutSeconds", DEFAULT_TIMEOUT_SECONDS, 1, LIMIT_TIMEOUT_SECONDS))

    final_url, response, hops = fetch(url, max_bytes, deadline)
    body: bytes = response["body"]
    content_type = response["contentType"]
    kind, header_charset = media_type(content_type)
    if not kind:
        head = body[:512].lstrip().lower()
        kind = "text/html" if head.startswith((b"<!doctype html", b"<html")) else "application/octet-stream"
    is_html = kind in HTML_TYPES
    if not is_html and not kind.startswith("text/"):
        raise ToolError(
            "UNSUPPORTED_CONTENT_TYPE",
            f"{final_url} is {kind} (HTTP {response['status']}); only HTML and other text/* pages can be extracted",
        )
    text, charset = decode(body, header_charset, is_html)
    title: str | None = None
    links: list[dict[str, str]] = []
    link_count = 0
    if is_html:
        parser = PageExtractor(final_url)
        parser.feed(text)
        parser.close()
        title = parser.title
        readable = parser.text()
        links, link_count = absolute_links(parser.links, parser.base_url, max_links)
    else:
        readable = "\n".join(line for line in (collapse(line) for line in text.splitlines()) if line)
    text_truncated = len(readable) > max_text
    return {
        "url": final_url,
        "status": response["status"],
        "contentType": content_type,
        "charset": charset,
        "bytes": len(body),
        "truncated": response["truncated"],
        "redirects": hops,
        "title": title,
        "text": readable[:max_text],
        "textTruncated": text_truncated,
        "links": links,
        "linkCount": link_count,
    }


def main() -> None:
    try:
        result = extract(read_input())
    except ToolError as exc:
        fail(exc)
    except Exception as exc:  # never a traceback: an unexpected failure is still one clear error object
        fail(ToolError("FETCH_FAILED", f"unexpected failure: {type(exc).__name__}: {exc}"))
    print(
        f"web_fetch_extract: {result['url']} HTTP {result['status']}, {result['bytes']} bytes"
        f"{' (truncated)' if result['truncated'] else ''}, {len(result['links'])} links",
        file=sys.stderr,
    )
    json.dump(result, sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
