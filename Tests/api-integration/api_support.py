"""Shared machinery of the REST API suite: the appliance's binaries, a fresh OMEGA_HOME with the
repo's starter tools and the suite's own packages, `omega-exec serve` with API keys, an HTTP client
that records every response it gets (so that a test can prove a secret is in none of them), an SSE
reader, and a raw socket client for what a polite HTTP library refuses to send.

Nothing here is a test; conftest.py wires it into fixtures.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
BIN_DIR = Path(os.environ.get("OMEGA_BIN_DIR", REPO / ".build" / "debug"))
OMEGA = BIN_DIR / "omega-exec"
MANIFESTS = REPO / "Manifests"

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CONVERSATIONS = "/api/omega/conversations"

# The suite's own tools (installed into every home): the offline planner finds each by the words of the
# message that asks for it, fills its input from the message, and runs it.
KEYED_TOOL = "apitest.keyed_digest"
KEYED_VAR = "APITEST_SIGNING_KEY"
KEYED_MESSAGE = "Make a keyed digest of: hello from the api suite"
SHARED_TOOL = "apitest.shared_fingerprint"
SHARED_VAR = "APITEST_SHARED_KEY"
SHARED_MESSAGE = "Compute the shared fingerprint of: a message bob sends"
SLEEPER_TOOL = "apitest.sleeper"
SLEEPER_MESSAGE = "Hibernate the sleeper"
COUNT_MESSAGE = "Count the words in: the quick brown fox"
FAILING_MESSAGE = "Evaluate the python code: 1/0"


# MARK: - The home


@dataclass
class Key:
    id: str
    name: str
    user: str
    secret: str


class Home:
    """A fresh OMEGA_HOME (starter tools from the repo's Manifests, the suite's packages installed) and
    the CLI over it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir = root / "home"
        self.dir.mkdir(mode=0o755)
        self.packages = root / "src"
        self.packages.mkdir(mode=0o755)
        self.logs = root / "logs"
        self.logs.mkdir(mode=0o755)
        env = {k: v for k, v in os.environ.items() if not k.startswith("OMEGA_")}
        env.update(
            OMEGA_HOME=str(self.dir),
            OMEGA_STARTER_TOOLS=str(MANIFESTS),
            OMEGA_LOG_LEVEL=os.environ.get("OMEGA_API_LOG_LEVEL", "info"),
        )
        self.env = env
        # Every process of this home's sleeper carries this in its argv (a valid `sleep` operand: ~60 s).
        self.sleeper_marker = f"60.{random.randrange(10**8, 10**9)}"

    def cli(self, *args: str, check: bool = True, timeout: float = 60, stdin: str | None = None
            ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(OMEGA), *args], env=self.env, capture_output=True, text=True, timeout=timeout, cwd=self.root,
            input=stdin if stdin is not None else "",
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"omega-exec {' '.join(args)} exited {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
            )
        return done

    def cli_json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json").stdout)

    def run(self, run_id: str) -> dict[str, Any]:
        return self.cli_json("runs", "show", run_id)

    def create_key(self, name: str, user: str) -> Key:
        made = self.cli_json("keys", "create", "--name", name, "--user", user)
        assert made["user"] == user and made["secret"], made
        return Key(id=made["id"], name=made["name"], user=made["user"], secret=made["secret"])

    def revoke_key(self, key: Key) -> None:
        self.cli("keys", "revoke", key.id)

    def set_credential(self, name: str, value: str, scope: str) -> None:
        self.cli("credentials", "set", name, "--scope", scope, stdin=value)

    def install(self, folder: Path) -> None:
        self.cli("install", str(folder), "--allow-unsigned")

    def package(self, tool_id: str, *, command: list[str], files: dict[str, str] | None = None,
                title: str, description: str, keywords: list[str], input_schema: dict[str, Any],
                env: list[dict[str, Any]] | None = None, timeout_seconds: int = 30,
                example: dict[str, Any] | None = None) -> Path:
        """Writes a sandbox_job package (omega.json plus `files`) and returns its folder."""
        folder = self.packages / tool_id
        folder.mkdir(mode=0o755)
        for name, text in (files or {}).items():
            path = folder / name
            path.write_text(text)
            path.chmod(0o755)
        manifest: dict[str, Any] = {
            "schemaVersion": 1,
            "id": tool_id,
            "version": "1.0.0",
            "title": title,
            "description": description,
            "keywords": keywords,
            "input": input_schema,
            "env": env or [],
            "scopes": [],
            "risk": {"level": "low", "externalWrite": False, "readOnly": True},
            "execution": {"binding": "sandbox_job", "command": command},
            "limits": {"timeoutSeconds": timeout_seconds, "memoryMB": 128, "pids": 16, "outputBytes": 1048576},
            "examples": [{"name": "basic", "input": example if example is not None else {}}],
        }
        (folder / "omega.json").write_text(json.dumps(manifest, indent=2))
        (folder / "omega.json").chmod(0o644)
        return folder

    def install_suite_tools(self) -> None:
        text_input = {
            "type": "object",
            "additionalProperties": False,
            "required": ["text"],
            "properties": {"text": {"type": "string", "maxLength": 10000, "description": "The text to work on."}},
        }
        digest = (
            "import hashlib, hmac, json, os, sys\n"
            "doc = json.load(sys.stdin)\n"
            "key = os.environ['{var}'].encode()\n"
            "print(json.dumps({{'length': len(key), 'sha256': hashlib.sha256(key).hexdigest(),\n"
            "                  'hmac': hmac.new(key, doc['text'].encode(), hashlib.sha256).hexdigest()}}))\n"
        )
        self.install(self.package(
            KEYED_TOOL, command=["python3", "/tool/main.py"], files={"main.py": digest.format(var=KEYED_VAR)},
            title="Keyed digest",
            description="Makes a keyed digest (HMAC-SHA256) of a text with the signing key "
                        f"{KEYED_VAR}; the API integration suite's credential tool.",
            keywords=["keyed digest", "keyed", "digest", "hmac"],
            input_schema=text_input, example={"text": "hello"},
            env=[{"name": KEYED_VAR, "description": "Signing key of the API integration suite",
                  "required": True, "secret": True}],
        ))
        self.install(self.package(
            SHARED_TOOL, command=["python3", "/tool/main.py"], files={"main.py": digest.format(var=SHARED_VAR)},
            title="Shared fingerprint",
            description=f"Computes the shared fingerprint of a text with the owner's {SHARED_VAR}; "
                        "the API integration suite's shared-conversation tool.",
            keywords=["shared fingerprint", "shared", "fingerprint"],
            input_schema=text_input, example={"text": "hello"},
            env=[{"name": SHARED_VAR, "description": "Shared key of the API integration suite",
                  "required": True, "secret": True}],
        ))
        self.install(self.package(
            SLEEPER_TOOL,
            command=["/bin/sh", "-c", f"sleep {self.sleeper_marker} & sleep {self.sleeper_marker}; wait",
                     "apitest-sleeper"],
            title="Hibernating sleeper",
            description="Hibernates: the sleeper sleeps a minute and prints nothing "
                        "(the API integration suite's long run, to cancel).",
            keywords=["hibernate", "sleeper", "sleep"],
            input_schema={"type": "object", "additionalProperties": False, "properties": {}},
            timeout_seconds=120,
        ))

    def sleeper_processes(self) -> list[str]:
        return processes_matching(self.sleeper_marker)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.iterdir()) if p.is_file())


def make_home(install: bool = True) -> Home:
    root = Path(tempfile.mkdtemp(prefix="omega-apitest-"))
    # The jail's unprivileged uid must traverse to the installed packages.
    root.chmod(0o755)
    home = Home(root)
    if install:
        home.install_suite_tools()
    return home


def remove_home(home: Home) -> None:
    for line in home.sleeper_processes():
        # Only the sleepers this home's server started (their argv carries the home's marker).
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(line.split()[0]), signal.SIGKILL)
    shutil.rmtree(home.root, ignore_errors=True)


# MARK: - The server


@dataclass
class Server:
    home: Home
    process: subprocess.Popen[str]
    base_url: str
    log: Path
    args: list[str]

    @property
    def host_port(self) -> tuple[str, int]:
        host, port = self.base_url.removeprefix("http://").rsplit(":", 1)
        return host, int(port)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 20) -> int | None:
        """SIGTERM, then wait (SIGKILL after `grace` seconds); returns the exit status."""
        return stop_process(self.process, grace)

    def kill9(self) -> int:
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        return self.process.wait(30)


def start_server(home: Home, *args: str, name: str = "serve") -> Server:
    """`omega-exec serve --listen 127.0.0.1:0 ARGS` on `home`; its stderr goes to a log file, and the
    URL is read from the `listening on http://HOST:PORT` line on stdout."""
    log = home.logs / f"{name}-{len(list(home.logs.iterdir()))}.log"
    errfile = open(log, "w")  # noqa: SIM115 - closed once the process has it
    command = [str(OMEGA), "serve", "--listen", "127.0.0.1:0", *args]
    process = subprocess.Popen(
        command, env=home.env, stdout=subprocess.PIPE, stderr=errfile, text=True, cwd=home.root,
        start_new_session=True,
    )
    errfile.close()
    try:
        lines: queue.Queue[str] = queue.Queue()

        def drain() -> None:  # reads stdout for the process's life, so it can never block on a full pipe
            assert process.stdout is not None
            for line in process.stdout:
                lines.put(line)

        threading.Thread(target=drain, daemon=True).start()
        deadline = time.monotonic() + 60
        base_url = None
        seen = ""
        while base_url is None and time.monotonic() < deadline and process.poll() is None:
            try:
                line = lines.get(timeout=0.1)
            except queue.Empty:
                continue
            seen += line
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                base_url = match.group(1).rstrip("/")
        if base_url is None:
            stop_process(process)
            raise AssertionError(
                f"{' '.join(command)} did not print 'listening on http://…' in 60 s (exit {process.poll()})\n"
                f"stdout: {seen}\nstderr: {log.read_text(errors='replace')[-4000:]}"
            )
    except BaseException:
        stop_process(process)  # never leak a server, whatever went wrong while waiting for it
        raise
    return Server(home=home, process=process, base_url=base_url, log=log, args=list(args))


def stop_process(process: subprocess.Popen[Any], grace: float = 20) -> int | None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGKILL)
            process.wait(30)
    return process.returncode


# MARK: - Server-Sent Events


@dataclass
class Event:
    id: int | None
    type: str
    data: Any
    raw: str = ""


def parse_sse_lines(lines: Iterator[str]) -> Iterator[Event]:
    """Events from the lines of a `text/event-stream` (`id:`, `event:`, `data:` fields, `:` comments,
    a blank line ends an event). `data` is parsed as JSON (the server's is always one compact line)."""
    ident: str | None = None
    kind = "message"
    data: list[str] = []
    raw: list[str] = []
    for line in lines:
        if line == "":
            if data or ident is not None:
                text = "\n".join(data)
                try:
                    value: Any = json.loads(text) if text else None
                except json.JSONDecodeError:
                    value = text
                yield Event(int(ident) if ident is not None and ident.isdigit() else None, kind, value,
                            "\n".join(raw))
            ident, kind, data, raw = None, "message", [], []
            continue
        raw.append(line)
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "id":
            ident = value
        elif name == "event":
            kind = value
        elif name == "data":
            data.append(value)


def _response_lines(response: requests.Response) -> Iterator[str]:
    buffer = b""
    for chunk in response.iter_content(chunk_size=None):
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line.rstrip(b"\r").decode("utf-8", errors="replace")
    if buffer:
        yield buffer.decode("utf-8", errors="replace")
    yield ""


@dataclass
class Stream:
    """An open SSE response; iterate it for its events (each one recorded)."""

    response: requests.Response
    recorder: list[str]
    events: list[Event] = field(default_factory=list)
    _source: Iterator[Event] | None = None

    def __iter__(self) -> Iterator[Event]:
        # One parser for the response's life: iterating again goes on where the last loop stopped.
        if self._source is None:
            self._source = parse_sse_lines(_response_lines(self.response))
        for event in self._source:
            self.events.append(event)
            self.recorder.append(event.raw)
            yield event

    def read_all(self, deadline: float = 120) -> list[Event]:
        """Every event until the server ends the stream (or `deadline` seconds pass: an assertion)."""
        end = time.monotonic() + deadline
        for _ in self:
            assert time.monotonic() < end, f"the stream did not end in {deadline} s: {[e.type for e in self.events]}"
        return self.events

    def until(self, *types: str, deadline: float = 60) -> Event:
        """Reads until an event of one of `types` arrives; returns it."""
        end = time.monotonic() + deadline
        for event in self:
            if event.type in types:
                return event
            assert time.monotonic() < end, f"no {types} within {deadline} s: {[e.type for e in self.events]}"
        raise AssertionError(f"the stream ended without {types}: {[e.type for e in self.events]}")

    def close(self) -> None:
        self.response.close()

    def types(self) -> list[str]:
        return [e.type for e in self.events]


# MARK: - The HTTP client


class Api:
    """`requests` against one server with one key (or none); every response body and SSE event is
    kept in `recorder` (shared by the whole session) for the secret checks."""

    def __init__(self, server: Server, key: Key | None, recorder: list[str]) -> None:
        self.server = server
        self.key = key
        self.recorder = recorder
        self.session = requests.Session()

    def with_key(self, key: Key | None) -> Api:
        return Api(self.server, key, self.recorder)

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.key is not None:
            headers["Authorization"] = f"Bearer {self.key.secret}"
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, *, json_body: Any = None, data: bytes | str | None = None,
                headers: dict[str, str] | None = None, timeout: float = 60) -> requests.Response:
        extra = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body)
            extra.setdefault("Content-Type", "application/json")
        response = self.session.request(method, self.server.base_url + path, data=data,
                                        headers=self.headers(extra), timeout=timeout)
        self.recorder.append(f"{method} {path} -> {response.status_code}\n{dict(response.headers)}\n{response.text}")
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, json_body=body if body is not None else {}, **kwargs)

    def json(self, method: str, path: str, expect: int = 200, body: Any = None, **kwargs: Any) -> Any:
        if method == "POST":
            response = self.post(path, body, **kwargs)
        else:
            response = self.request(method, path, **kwargs)
        assert response.status_code == expect, f"{method} {path} → {response.status_code} (want {expect}): {response.text[:2000]}"
        return response.json()

    def stream(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
               expect: int = 200) -> Stream:
        """Opens an SSE response (`Accept: text/event-stream`)."""
        extra = {"Accept": "text/event-stream", **(headers or {})}
        data = None
        if method == "POST":
            data = json.dumps(body if body is not None else {})
            extra["Content-Type"] = "application/json"
        response = self.session.request(method, self.server.base_url + path, data=data, headers=self.headers(extra),
                                        stream=True, timeout=(10, 90))
        if response.status_code != expect:
            text = response.text
            self.recorder.append(f"{method} {path} -> {response.status_code}\n{text}")
            raise AssertionError(f"{method} {path} → {response.status_code} (want {expect}): {text[:2000]}")
        assert response.headers.get("content-type", "").startswith("text/event-stream"), response.headers
        self.recorder.append(f"{method} {path} -> {response.status_code}\n{dict(response.headers)}")
        return Stream(response, self.recorder)

    # Conversations

    def create_conversation(self, title: str | None = None) -> dict[str, Any]:
        body = {"title": title} if title is not None else {}
        response = self.post(CONVERSATIONS, body)
        assert response.status_code == 201, f"POST {CONVERSATIONS} → {response.status_code}: {response.text[:1000]}"
        return response.json()

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        return self.json("GET", f"{CONVERSATIONS}/{conversation_id}")

    def send(self, conversation_id: str, content: str | None = None, **body: Any) -> Stream:
        if content is not None:
            body["content"] = content
        return self.stream("POST", f"{CONVERSATIONS}/{conversation_id}/messages", body)

    def run(self, run_id: str) -> dict[str, Any]:
        return self.json("GET", f"/api/runs/{run_id}")

    def wait_run(self, run_id: str, status: str, timeout: float = 15) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        run: dict[str, Any] = {}
        while time.monotonic() < deadline:
            run = self.run(run_id)
            if run.get("status") == status:
                return run
            time.sleep(0.1)
        raise AssertionError(f"run {run_id} not {status} within {timeout} s: {json.dumps(run)[:2000]}")


def error_code(response: requests.Response) -> str | None:
    try:
        return response.json()["details"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def assert_error(response: requests.Response, status: int, code: str, naming: str | None = None) -> dict[str, Any]:
    """A DESIGN §5 error object with `status` and `code`; `naming` must appear in its message or field."""
    assert response.status_code == status, f"want {status} {code}, got {response.status_code}: {response.text[:1500]}"
    body = response.json()
    assert body.get("success") is False, body
    assert isinstance(body.get("error"), str) and body["error"], body
    assert body["details"]["code"] == code, body
    if naming is not None:
        named = body["error"] + " " + json.dumps(body["details"].get("field", ""))
        assert naming in named, f"the error does not name {naming!r}: {body}"
    return body


# MARK: - Raw HTTP


@dataclass
class RawResponse:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    head: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def raw_exchange(server: Server, request: bytes, timeout: float = 15) -> RawResponse | None:
    """Sends `request` bytes as they are on a new connection and reads one response (until the server
    closes, or the body's Content-Length / last chunk); None when the server closed without answering."""
    host, port = server.host_port
    with socket.create_connection((host, port), timeout=timeout) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            data += chunk
            parsed = _parse_response(data)
            if parsed is not None and parsed[1]:
                break
    if not data:
        return None
    parsed = _parse_response(data, final=True)
    assert parsed is not None, data[:2000]
    return parsed[0]


def _parse_response(data: bytes, final: bool = False) -> tuple[RawResponse, bool] | None:
    if b"\r\n\r\n" not in data:
        return None
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    parts = lines[0].decode("latin-1").split(" ", 2)
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    headers = []
    for line in lines[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    response = RawResponse(status, reason, headers, rest, head)
    length = response.header("content-length")
    if length is not None:
        complete = len(rest) >= int(length)
        response.body = rest[: int(length)]
        return response, complete
    if (response.header("transfer-encoding") or "").lower() == "chunked":
        body, complete = _dechunk(rest)
        response.body = body
        return response, complete
    return response, final


def _dechunk(data: bytes) -> tuple[bytes, bool]:
    body = b""
    while True:
        if b"\r\n" not in data:
            return body, False
        size_line, data = data.split(b"\r\n", 1)
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            return body, True
        if len(data) < size + 2:
            return body + data[:size], False
        body += data[:size]
        data = data[size + 2:]


# MARK: - Processes


def processes_matching(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
    return [line.strip() for line in out.splitlines() if marker in line and "ps -eo" not in line]


def wait_for(predicate: Any, timeout: float, interval: float = 0.05) -> Any:
    """Polls `predicate` until it returns something truthy or `timeout` passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def wait_sleepers(home: Home, present: bool, timeout: float, minimum: int = 3) -> list[str]:
    """Polls until at least `minimum` of the home's sleeper processes run (present) or none does (not
    present), or `timeout` seconds pass; returns the last sight."""
    deadline = time.monotonic() + timeout
    while True:
        seen = home.sleeper_processes()
        if (len(seen) >= minimum if present else not seen) or time.monotonic() >= deadline:
            return seen
        time.sleep(0.05)


def audit_available(home: Home) -> tuple[bool, str]:
    """Whether this build has `omega-exec audit verify` and `audit list` (being written concurrently)."""
    for sub in ("verify", "list"):
        done = subprocess.run([str(OMEGA), "audit", sub, "--help"], env=home.env, capture_output=True, text=True,
                              timeout=30)
        if done.returncode != 0:
            text = (done.stdout + done.stderr).strip().splitlines()
            return False, f"`omega-exec audit {sub}` is not in this build ({text[0] if text else done.returncode})"
    return True, ""


def audit_records(home: Home) -> list[dict[str, Any]]:
    """`omega-exec audit list --json`: a JSON array, or one JSON object a line."""
    text = home.cli("audit", "list", "--json").stdout.strip()
    if not text:
        return []
    try:
        value = json.loads(text)
        if isinstance(value, dict):
            for key in ("records", "entries", "items"):
                if isinstance(value.get(key), list):
                    return value[key]
            return [value]
        return value
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
