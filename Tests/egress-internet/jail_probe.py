#!/usr/bin/env python3
"""Runs inside `omega-exec jail` (mounted read-only at /probe): raw socket work against the jail's proxy
relay (127.0.0.1:3128) and around it, as a hostile tool would. Argument: a JSON list of steps; prints one
JSON object {"results": [...]} with one result per step. Never raises: every failure is a result.

Steps:
  {"op": "direct", "host": "11.0.0.10", "port": 80}            a TCP connection that bypasses the proxy
  {"op": "resolve", "name": "x.test"}                           getaddrinfo inside the jail
  {"op": "dns", "proto": "udp"|"tcp", "server": "11.0.0.53", "name": "x.test"}   a raw DNS query
  {"op": "proxy", "send": "CONNECT ...\\r\\n\\r\\n", "then": "GET / ...\\r\\n\\r\\n"?, "max": BYTES?}
      one connection to the proxy: the answer's status, headers and body (after a 200 to CONNECT, `then` is
      sent through the tunnel and the tunnel's bytes are the body); "count" bytes read in all
  {"op": "hold", "count": 20, "send": "CONNECT ...\\r\\n\\r\\n"}   opens `count` proxy connections at once,
      reads each answer's status, keeps all open until all answered, then closes them
  {"op": "repeat", "count": 280, "send": "GET http://... HTTP/1.1\\r\\n...\\r\\n\\r\\n"}   sequential requests;
      the statuses and X-Omega-Egress reasons seen
  {"op": "sleep", "seconds": 0.5}
"""

from __future__ import annotations

import json
import os
import socket
import struct
import sys
import time

PROXY = ("127.0.0.1", 3128)


def read_head(sock: socket.socket, buffer: bytes = b"") -> tuple[bytes, bytes]:
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buffer += chunk
        if len(buffer) > 1 << 20:
            break
    head, _, rest = buffer.partition(b"\r\n\r\n")
    return head, rest


def parse_head(head: bytes) -> tuple[int | None, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2) if lines and lines[0] else []
    status = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None
    headers = {}
    for line in lines[1:]:
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip().lower()] = value.strip()
    return status, headers


def read_rest(sock: socket.socket, initial: bytes, limit: int) -> tuple[bytes, int, str]:
    """Reads until the peer closes (or `limit` bytes are counted); keeps the first 64 KiB."""
    kept = initial[:65536]
    count = len(initial)
    ended = "closed"
    try:
        while count < limit:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            if len(kept) < 65536:
                kept += chunk[: 65536 - len(kept)]
            count += len(chunk)
        else:
            ended = "limit"
    except socket.timeout:
        ended = "timeout"
    except OSError as exc:
        ended = f"error: {exc}"
    return kept, count, ended


def proxy_step(step: dict) -> dict:
    started = time.monotonic()
    sock = socket.create_connection(PROXY, timeout=step.get("timeout", 20))
    try:
        sock.sendall(step["send"].encode("latin-1"))
        head, rest = read_head(sock)
        status, headers = parse_head(head)
        result = {"status": status, "headers": headers, "statusLine": head.split(b"\r\n", 1)[0].decode("latin-1")}
        limit = step.get("max", 1 << 30)
        if status == 200 and step.get("then") is not None and step["send"].startswith("CONNECT"):
            sock.sendall(step["then"].encode("latin-1"))
            body, count, ended = read_rest(sock, rest, limit)
        else:
            body, count, ended = read_rest(sock, rest, limit)
        result.update(body=body.decode("latin-1")[:4000], count=count, ended=ended,
                      seconds=round(time.monotonic() - started, 3))
        return result
    finally:
        sock.close()


def hold_step(step: dict) -> dict:
    sockets = []
    statuses = []
    try:
        for _ in range(step["count"]):
            sock = socket.create_connection(PROXY, timeout=10)
            sock.sendall(step["send"].encode("latin-1"))
            sockets.append(sock)
        for sock in sockets:
            try:
                head, _ = read_head(sock)
                status, headers = parse_head(head)
                statuses.append({"status": status, "reason": headers.get("x-omega-egress")})
            except OSError as exc:
                statuses.append({"status": None, "reason": f"error: {exc}"})
    finally:
        for sock in sockets:
            sock.close()
    return {"answers": statuses}


def repeat_step(step: dict) -> dict:
    answers = []
    for _ in range(step["count"]):
        try:
            sock = socket.create_connection(PROXY, timeout=10)
            try:
                sock.sendall(step["send"].encode("latin-1"))
                head, rest = read_head(sock)
                status, headers = parse_head(head)
                read_rest(sock, rest, 1 << 20)
                answers.append({"status": status, "reason": headers.get("x-omega-egress")})
            finally:
                sock.close()
        except OSError as exc:
            answers.append({"status": None, "reason": f"error: {exc}"})
    return {"answers": answers}


def dns_query(name: str) -> bytes:
    question = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + question + struct.pack("!HH", 1, 1)


def dns_step(step: dict) -> dict:
    query = dns_query(step["name"])
    address = (step["server"], step.get("port", 53))
    if step["proto"] == "udp":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(2)
        try:
            sock.sendto(query, address)
            data, _ = sock.recvfrom(4096)
            return {"answered": True, "bytes": len(data)}
        finally:
            sock.close()
    sock = socket.create_connection(address, timeout=2)
    try:
        sock.sendall(struct.pack("!H", len(query)) + query)
        data = sock.recv(4096)
        return {"answered": bool(data), "bytes": len(data)}
    finally:
        sock.close()


def run(step: dict) -> dict:
    op = step["op"]
    try:
        if op == "direct":
            family = socket.AF_INET6 if ":" in step["host"] else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(3)
            try:
                sock.connect((step["host"], step["port"]))
                return {"op": op, "connected": True}
            finally:
                sock.close()
        if op == "resolve":
            infos = socket.getaddrinfo(step["name"], 80, proto=socket.IPPROTO_TCP)
            return {"op": op, "addresses": sorted({info[4][0] for info in infos})}
        if op == "dns":
            return {"op": op, **dns_step(step)}
        if op == "proxy":
            return {"op": op, **proxy_step(step)}
        if op == "hold":
            return {"op": op, **hold_step(step)}
        if op == "repeat":
            return {"op": op, **repeat_step(step)}
        if op == "sleep":
            time.sleep(step["seconds"])
            return {"op": op}
        if op == "env":
            return {"op": op, "env": {k: v for k, v in os.environ.items() if "proxy" in k.lower()}}
        return {"op": op, "error": "unknown op"}
    except Exception as exc:  # a refusal by the kernel is a result too
        return {"op": op, "error": f"{type(exc).__name__}: {exc}", "errno": getattr(exc, "errno", None)}


def main() -> None:
    steps = json.loads(sys.argv[1])
    print(json.dumps({"results": [run(step) for step in steps]}))


if __name__ == "__main__":
    main()
