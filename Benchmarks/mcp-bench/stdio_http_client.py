#!/usr/bin/env python3
"""A small MCP client (stdlib only) that times text.stats calls through omega-exec's surfaces.

    stdio_http_client.py stdio      --omega BIN [--calls N] [--warmup W]
    stdio_http_client.py http       --url URL --key SECRET [--calls N] [--warmup W]
    stdio_http_client.py concurrent --url URL --key SECRET [--concurrency C] [--seconds S]
    stdio_http_client.py try        --omega BIN --tool DIR [--calls N] [--warmup W]

stdio:      starts `BIN mcp` and sends N sequential 2026-07-28 tools/call requests (registry_execute,
            toolId text.stats) as newline-delimited JSON-RPC, timing each from the write to its
            response line.
http:       the same calls as POST URL (the /mcp endpoint of `omega-exec serve`) on one keep-alive
            connection, asking for a plain JSON reply (Accept: application/json).
concurrent: C threads, each with its own keep-alive connection, calling for S seconds.
try:        `BIN try DIR --input JSON --json --no-input`, one process per call (the reference).

Every reply is checked: a non-200 status, a request that fails on the wire, an unreadable body, a
JSON-RPC error or an isError result (or, for try, a non-zero exit or no success) is an error; the
first few are printed with their request and response. An idle keep-alive connection the server
has closed (end of file seen before the next request) is reopened, as curl does, and counted in
serverCloses; replies with `Connection: close` are counted in connectionCloseHeaders (the next call
opens a new connection). A server that keeps connections alive leaves both at 0.

Each mode prints a human line on stderr and one JSON summary line on stdout
({"mode", "calls", "errors", "p50Ms", "p99Ms", ...}). The exit status is 1 when any call failed.
"""

import argparse
import http.client
import json
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

PROTOCOL = "2026-07-28"
META = {
    "io.modelcontextprotocol/protocolVersion": PROTOCOL,
    "io.modelcontextprotocol/clientCapabilities": {},
}
TEXT = (
    "The quick brown fox jumps over the lazy dog. Dr. Smith, e.g. the vet, said the fox was fine!\n\n"
    "Was it? Yes: the fox and the dog are friends now, and the fox visits the dog every day."
)
INPUT = {"text": TEXT}
MAX_EXAMPLES = 3


def percentile(values, p):
    """The nearest-rank percentile (as the Swift benches compute it), or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round((len(ordered) - 1) * p)))]


def frame(call_id):
    """One tools/call request as a Python object."""
    return {
        "jsonrpc": "2.0",
        "id": call_id,
        "method": "tools/call",
        "params": {
            "_meta": META,
            "name": "registry_execute",
            "arguments": {"toolId": "text.stats", "input": INPUT},
        },
    }


def problem(message):
    """What is wrong with a decoded JSON-RPC response to a tools/call, or None when it succeeded."""
    if not isinstance(message, dict):
        return "not a JSON object"
    if "error" in message:
        return "JSON-RPC error"
    result = message.get("result")
    if not isinstance(result, dict):
        return "no result object"
    if result.get("isError") is not False:
        return "isError result"
    return None


class Errors:
    """A thread-safe count of failed calls and the first few of them, request and response."""

    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.examples = []

    def add(self, reason, request, response):
        with self.lock:
            self.count += 1
            if len(self.examples) < MAX_EXAMPLES:
                self.examples.append({"reason": reason, "request": request, "response": response})

    def report(self, mode):
        for example in self.examples:
            print(f"{mode} error: {example['reason']}", file=sys.stderr)
            print(f"  request:  {example['request']}", file=sys.stderr)
            print(f"  response: {example['response']}", file=sys.stderr)


def summary(mode, latencies, errors, warm=None, extra=None):
    """Prints the human line (stderr) and the JSON line (stdout); returns the exit status (1: a call failed)."""
    warm = warm or Errors()
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    record = {"mode": mode, "calls": len(latencies) + errors.count, "ok": len(latencies), "errors": errors.count,
              "warmupErrors": warm.count, "p50Ms": p50, "p99Ms": p99}
    record.update(extra or {})
    warm.report(mode + " warm-up")
    errors.report(mode)
    shown = " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items() if k != "mode")
    print(f"{mode}: {shown}", file=sys.stderr)
    print(json.dumps(record), flush=True)
    return 1 if errors.count or warm.count else 0


# MARK: stdio


def run_stdio(args):
    """Sequential tools/call over `omega-exec mcp`'s stdin/stdout."""
    process = subprocess.Popen(
        [args.omega, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=sys.stderr, bufsize=0)
    warm, errors = Errors(), Errors()
    latencies = []

    def call(call_id, errors):
        request = json.dumps(frame(call_id), separators=(",", ":")).encode() + b"\n"
        start = time.perf_counter()
        process.stdin.write(request)
        while True:  # skip anything that is not this call's response (notifications)
            line = process.stdout.readline()
            if not line:
                errors.add("the server closed its stdout", request.decode().strip(), "(end of file)")
                return None
            try:
                message = json.loads(line)
            except ValueError:
                errors.add("unreadable line", request.decode().strip(), line.decode(errors="replace").strip())
                return None
            if isinstance(message, dict) and message.get("id") == call_id and "method" not in message:
                break
        elapsed = (time.perf_counter() - start) * 1000
        reason = problem(message)
        if reason:
            errors.add(reason, request.decode().strip(), line.decode(errors="replace").strip())
            return None
        return elapsed

    try:
        for i in range(args.warmup):
            if call(f"w{i}", warm) is None and process.poll() is not None:
                break
        for i in range(args.calls):
            if process.poll() is not None:
                errors.add(f"the server exited ({process.returncode})", "(none sent)", "(none)")
                break
            elapsed = call(i + 1, errors)
            if elapsed is not None:
                latencies.append(elapsed)
            elif process.poll() is not None:
                break
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return summary("stdio", latencies, errors, warm, {"warmup": args.warmup})


# MARK: HTTP


class Client:
    """One keep-alive connection to the /mcp endpoint."""

    def __init__(self, url, key, timeout=120):
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = parsed.hostname, parsed.port or 80, parsed.path or "/mcp"
        self.timeout = timeout
        self.headers = {
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "MCP-Protocol-Version": PROTOCOL,
            "Mcp-Method": "tools/call",
            "Mcp-Name": "registry_execute",
        }
        self.connection = None
        self.connects = 0
        self.server_closes = 0
        self.close_headers = 0

    def connect(self):
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self.connection.connect()
        self.connects += 1

    def call(self, call_id, errors):
        """One tools/call; returns its latency in ms, or None (counted in `errors`)."""
        body = json.dumps(frame(call_id), separators=(",", ":")).encode()
        shown = f"POST {self.path} {body.decode()}"
        if self.connection is not None and self.closed_by_server():
            # The server closed the idle connection after its last response (without
            # `Connection: close`): reconnect, as curl and pooling clients do, and count it.
            self.server_closes += 1
            self.connection.close()
            self.connection = None
        if self.connection is None:
            try:
                self.connect()
            except OSError as error:
                errors.add(f"connect: {error}", shown, "(no connection)")
                return None
        start = time.perf_counter()
        try:
            self.connection.request("POST", self.path, body=body, headers=self.headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.connection = None
            errors.add(f"transport: {type(error).__name__}: {error}", shown, "(none)")
            return None
        elapsed = (time.perf_counter() - start) * 1000
        if response.will_close:
            self.close_headers += 1
            self.connection.close()
            self.connection = None
        text = data.decode(errors="replace")
        if response.status != 200:
            errors.add(f"HTTP {response.status}", shown, f"{response.status} {dict(response.getheaders())} {text}")
            return None
        try:
            message = json.loads(data)
        except ValueError:
            errors.add("unreadable body", shown, f"{response.getheader('Content-Type')} {text[:2000]}")
            return None
        reason = problem(message)
        if reason:
            errors.add(reason, shown, text[:4000])
            return None
        return elapsed

    def closed_by_server(self):
        """Whether the idle connection's socket has seen end of file (or an error)."""
        sock = self.connection.sock
        if sock is None:
            return True
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def close(self):
        if self.connection is not None:
            self.connection.close()


def run_http(args):
    """Sequential tools/call on one keep-alive connection."""
    client = Client(args.url, args.key)
    warm, errors = Errors(), Errors()
    for i in range(args.warmup):
        client.call(f"w{i}", warm)
    # Connection counts cover the measured calls only (a connection left open by the warm-up counts).
    client.connects = 1 if client.connection is not None else 0
    client.server_closes = client.close_headers = 0
    latencies = []
    for i in range(args.calls):
        elapsed = client.call(i + 1, errors)
        if elapsed is not None:
            latencies.append(elapsed)
    client.close()
    return summary("http", latencies, errors, warm, {"warmup": args.warmup, "connections": client.connects,
                                                    "serverCloses": client.server_closes,
                                                    "connectionCloseHeaders": client.close_headers})


def run_concurrent(args):
    """C threads, each its own keep-alive connection, calling until S seconds have passed."""
    errors = Errors()
    results = [[] for _ in range(args.concurrency)]
    connects = [0] * args.concurrency
    closes = [0] * args.concurrency
    close_headers = [0] * args.concurrency
    barrier = threading.Barrier(args.concurrency + 1)
    deadline = [0.0]

    def worker(index):
        client = Client(args.url, args.key)
        try:
            client.connect()
        except OSError as error:
            errors.add(f"connect: {error}", f"POST {client.path}", "(no connection)")
            client.connection = None
        barrier.wait()
        n = 0
        while time.perf_counter() < deadline[0]:
            n += 1
            elapsed = client.call(index * 10_000_000 + n, errors)
            if elapsed is not None:
                results[index].append(elapsed)
        connects[index] = client.connects
        closes[index] = client.server_closes
        close_headers[index] = client.close_headers
        client.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(args.concurrency)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + args.seconds
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    latencies = [value for values in results for value in values]
    total = len(latencies) + errors.count
    extra = {
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "wallSeconds": wall,
        "callsPerSecond": total / wall if wall > 0 else 0.0,
        "okPerSecond": len(latencies) / wall if wall > 0 else 0.0,
        "connections": sum(connects),
        "serverCloses": sum(closes),
        "connectionCloseHeaders": sum(close_headers),
    }
    return summary("concurrent", latencies, errors, None, extra)


# MARK: try


def run_try(args):
    """`omega-exec try` as a process per call: the reference."""
    command = [args.omega, "try", args.tool, "--input", json.dumps(INPUT), "--json", "--no-input"]
    warm, errors = Errors(), Errors()
    latencies = []

    def call(errors):
        start = time.perf_counter()
        process = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True)
        elapsed = (time.perf_counter() - start) * 1000
        shown = " ".join(command)
        if process.returncode != 0:
            errors.add(f"exit {process.returncode}", shown,
                       (process.stdout + process.stderr).decode(errors="replace")[:4000])
            return None
        try:
            result = json.loads(process.stdout)
        except ValueError:
            errors.add("unreadable output", shown, process.stdout.decode(errors="replace")[:4000])
            return None
        if not isinstance(result, dict) or result.get("success") is not True:
            errors.add("not a success", shown, process.stdout.decode(errors="replace")[:4000])
            return None
        return elapsed

    for _ in range(args.warmup):
        call(warm)
    for _ in range(args.calls):
        elapsed = call(errors)
        if elapsed is not None:
            latencies.append(elapsed)
    return summary("try", latencies, errors, warm, {"warmup": args.warmup})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    stdio = modes.add_parser("stdio")
    stdio.add_argument("--omega", required=True)
    http_mode = modes.add_parser("http")
    concurrent = modes.add_parser("concurrent")
    for mode in (http_mode, concurrent):
        mode.add_argument("--url", required=True)
        mode.add_argument("--key", required=True)
    try_mode = modes.add_parser("try")
    try_mode.add_argument("--omega", required=True)
    try_mode.add_argument("--tool", required=True)
    for mode in (stdio, http_mode, try_mode):
        mode.add_argument("--calls", type=int, default=200)
        mode.add_argument("--warmup", type=int, default=20)
    concurrent.add_argument("--concurrency", type=int, default=50)
    concurrent.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    run = {"stdio": run_stdio, "http": run_http, "concurrent": run_concurrent, "try": run_try}[args.mode]
    sys.exit(run(args))


if __name__ == "__main__":
    main()
