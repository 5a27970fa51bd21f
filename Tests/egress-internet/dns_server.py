#!/usr/bin/env python3
"""The test internet's DNS server: UDP and TCP on one address, A and AAAA from a fixed zone, NXDOMAIN
for names it does not know (NOERROR with no answer for a known name without that record type), TTL 0,
and one JSON line per query it receives in the log file (so a test can prove that nothing asked it).

    dns_server.py --listen 11.0.0.53 --port 53 --log /path/dns.jsonl --ready /path/ready

Rebinding: a name `rebind.test` or `rebind-<anything>.test` answers its first A query with 11.0.0.10
and every later one with 127.0.0.1 (a counter per name).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import socket
import socketserver
import struct
import threading
import time

A, AAAA = 1, 28
ALLOWED = "11.0.0.10"
ZONE: dict[str, dict[int, list[str]]] = {
    "allowed.test": {A: [ALLOWED]},
    "forbidden.test": {A: ["11.0.0.20"]},
    "tls.test": {A: ["11.0.0.30"]},
    "redirect.test": {A: [ALLOWED]},
    "slow.test": {A: [ALLOWED]},
    "infinite.test": {A: [ALLOWED]},
    "hooks.test": {A: [ALLOWED]},
    "example.com": {A: [ALLOWED]},
    "hooks.example.com": {A: [ALLOWED]},
    "private.test": {A: ["10.77.0.5"]},
    "loopback.test": {A: ["127.0.0.1"]},
    "metadata.test": {A: ["169.254.169.254"]},
    "mixed.test": {A: [ALLOWED, "10.77.0.5"]},
    "v6.test": {AAAA: ["2a0b:4000::10"]},
}

_lock = threading.Lock()
_rebind_counts: dict[str, int] = {}
_log_file = None


def log(record: dict) -> None:
    with _lock:
        _log_file.write(json.dumps(record) + "\n")
        _log_file.flush()


def parse_question(message: bytes) -> tuple[int, int, str, int, int, bytes]:
    """(id, flags, name, qtype, qclass, the question's bytes)."""
    ident, flags, qdcount = struct.unpack("!HHH", message[:6])
    if qdcount != 1:
        raise ValueError("one question expected")
    labels = []
    offset = 12
    while True:
        length = message[offset]
        if length == 0:
            offset += 1
            break
        if length & 0xC0:
            raise ValueError("compression in a question")
        labels.append(message[offset + 1:offset + 1 + length].decode("ascii", "replace"))
        offset += 1 + length
    qtype, qclass = struct.unpack("!HH", message[offset:offset + 4])
    return ident, flags, ".".join(labels).lower().rstrip("."), qtype, qclass, message[12:offset + 4]


def records(name: str, qtype: int) -> list[str] | None:
    """The addresses for (name, qtype); [] for a known name without that type; None: NXDOMAIN."""
    if name == "rebind.test" or (name.startswith("rebind-") and name.endswith(".test")):
        if qtype != A:
            return []
        with _lock:
            count = _rebind_counts.get(name, 0)
            _rebind_counts[name] = count + 1
        return [ALLOWED] if count == 0 else ["127.0.0.1"]
    entry = ZONE.get(name)
    if entry is None:
        return None
    return entry.get(qtype, [])


def answer(message: bytes, proto: str, peer: str) -> bytes | None:
    try:
        ident, flags, name, qtype, qclass, question = parse_question(message)
    except (ValueError, IndexError, struct.error):
        log({"t": time.time(), "proto": proto, "peer": peer, "malformed": True})
        return None
    addresses = records(name, qtype) if qclass == 1 else None
    log({"t": time.time(), "proto": proto, "peer": peer, "name": name, "type": qtype,
         "answer": addresses})
    rcode = 3 if addresses is None else 0
    rd = flags & 0x0100
    header = struct.pack("!HHHHHH", ident, 0x8000 | 0x0400 | rd | 0x0080 | rcode, 1, len(addresses or []), 0, 0)
    body = question
    for address in addresses or []:
        packed = ipaddress.ip_address(address).packed
        rtype = A if len(packed) == 4 else AAAA
        body += struct.pack("!HHHIH", 0xC00C, rtype, 1, 0, len(packed)) + packed
    return header + body


class UDPHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        reply = answer(data, "udp", self.client_address[0])
        if reply is not None:
            sock.sendto(reply, self.client_address)


class TCPHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(5)
        try:
            while True:
                head = self._read(2)
                if head is None:
                    return
                (length,) = struct.unpack("!H", head)
                data = self._read(length)
                if data is None:
                    return
                reply = answer(data, "tcp", self.client_address[0])
                if reply is None:
                    return
                self.request.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            return

    def _read(self, n: int) -> bytes | None:
        data = b""
        while len(data) < n:
            chunk = self.request.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data


class UDPServer(socketserver.ThreadingUDPServer):
    allow_reuse_address = True
    daemon_threads = True


class TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main() -> None:
    global _log_file
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--log", required=True)
    parser.add_argument("--ready", required=True)
    args = parser.parse_args()
    _log_file = open(args.log, "a", encoding="utf-8")
    udp = UDPServer((args.listen, args.port), UDPHandler)
    tcp = TCPServer((args.listen, args.port), TCPHandler)
    threading.Thread(target=udp.serve_forever, daemon=True).start()
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    with open(args.ready, "w") as handle:
        handle.write("ready\n")
    threading.Event().wait()


if __name__ == "__main__":
    main()
