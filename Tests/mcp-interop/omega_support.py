"""Shared machinery of the MCP interop suite: the appliance's binaries, a fresh home per test,
temporary tool packages, `omega-exec serve`, an `mcp` client with a recorded transcript that is
validated against the `mcp_types` models of the revision in use, a scripted human for elicitations,
and raw stdio / HTTP peers for hostile frames.

Nothing here is a test; conftest.py wires it into fixtures.
"""

from __future__ import annotations

import base64
import contextlib
import html.parser
import json
import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2
import mcp_types as types
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage
from mcp_types import methods as wire
from mcp_types.jsonrpc import JSONRPCError as WireError
from pydantic import ValidationError

REPO = Path(__file__).resolve().parents[2]
BIN_DIR = Path(os.environ.get("OMEGA_BIN_DIR", REPO / ".build" / "debug"))
OMEGA = BIN_DIR / "omega-exec"
MANIFESTS = REPO / "Manifests"

MODERN = "2026-07-28"
LEGACY = "2025-11-25"  # what mode="legacy" negotiates (mcp_types LATEST_HANDSHAKE_VERSION)
MODES = {"2026-07-28": MODERN, "legacy": LEGACY}

PROTOCOL_VERSION_KEY = "io.modelcontextprotocol/protocolVersion"
CLIENT_CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities"
RUN_ID_KEY = "dev.omega-exec/runId"
VERDICT_KEY = "dev.omega-exec/verdict"

# Fields a 2026-07-28 result carries that a 2025-11-25 result must not (they are outside its contract).
MODERN_ONLY_RESULT_FIELDS = {"resultType", "ttlMs", "cacheScope", "inputRequests", "requestState"}


def modern_meta(capabilities: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """The `_meta` envelope every 2026-07-28 request carries."""
    meta = {PROTOCOL_VERSION_KEY: MODERN, CLIENT_CAPABILITIES_KEY: capabilities or {}}
    meta.update(extra)
    return meta


# MARK: - The home


class Home:
    """A fresh OMEGA_HOME (starter tools from the repo's Manifests) and the CLI over it."""

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
            OMEGA_LOG_LEVEL=os.environ.get("OMEGA_INTEROP_LOG_LEVEL", "info"),
        )
        self.env = env

    # The CLI

    def cli(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(OMEGA), *args], env=self.env, capture_output=True, text=True, timeout=timeout, cwd=self.root
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"omega-exec {' '.join(args)} exited {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
            )
        return done

    def cli_json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json").stdout)

    def runs(self) -> list[dict[str, Any]]:
        return self.cli_json("runs", "list", "--limit", "500")

    def run(self, run_id: str) -> dict[str, Any]:
        return self.cli_json("runs", "show", run_id)

    def run_text(self, run_id: str) -> str:
        return self.cli("runs", "show", run_id, "--json").stdout

    def runs_of(self, tool_id: str) -> list[dict[str, Any]]:
        return [r for r in self.runs() if r.get("toolId") == tool_id]

    def install(self, folder: Path) -> None:
        self.cli("install", str(folder), "--allow-unsigned")

    def pin(self, reference: str) -> None:
        self.cli("registry", "pin", reference)

    def api_key(self, name: str = "interop") -> str:
        return self.cli_json("keys", "create", "--name", name)["secret"]

    # Packages

    def package(
        self,
        tool_id: str,
        *,
        command: list[str],
        files: dict[str, str] | None = None,
        description: str = "A tool built by the MCP interop suite.",
        title: str | None = None,
        keywords: list[str] | None = None,
        input_schema: dict[str, Any] | None = None,
        output_schema: dict[str, Any] | None = None,
        env: list[dict[str, Any]] | None = None,
        scopes: list[str] | None = None,
        risk: dict[str, Any] | None = None,
        timeout_seconds: int = 30,
    ) -> Path:
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
            "title": title or f"Interop {tool_id}",
            "description": description,
            "keywords": keywords or ["interop"],
            "input": input_schema or {"type": "object"},
            "env": env or [],
            "scopes": scopes or [],
            "risk": risk or {"level": "low", "externalWrite": False, "readOnly": True},
            "execution": {"binding": "sandbox_job", "command": command},
            "limits": {"timeoutSeconds": timeout_seconds, "memoryMB": 128, "pids": 16, "outputBytes": 1048576},
            "examples": [{"name": "basic", "input": {}}],
        }
        if output_schema is not None:
            manifest["output"] = output_schema
        (folder / "omega.json").write_text(json.dumps(manifest, indent=2))
        (folder / "omega.json").chmod(0o644)
        return folder

    # The sealing key (the home's owner has it: used to simulate the clock passing a state's expiry)

    def state_sealing_key(self) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key = (self.dir / "vault" / "vault.key").read_bytes()
        blob = (self.dir / "vault" / "vault.sealed").read_bytes()
        document = json.loads(AESGCM(key).decrypt(blob[:12], blob[12:], None))
        return base64.b64decode(document["entries"]["system"]["MCP_STATE_SEALING_KEY"])

    def vault_text(self) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key = (self.dir / "vault" / "vault.key").read_bytes()
        blob = (self.dir / "vault" / "vault.sealed").read_bytes()
        return AESGCM(key).decrypt(blob[:12], blob[12:], None).decode()


def make_home() -> Home:
    root = Path(tempfile.mkdtemp(prefix="omega-interop-"))
    # The jail's unprivileged uid must traverse to the installed packages.
    root.chmod(0o755)
    return Home(root)


def remove_home(home: Home) -> None:
    shutil.rmtree(home.root, ignore_errors=True)


# MARK: - Sealed tokens (the host's format: "ost1." + base64url(nonce ‖ ciphertext ‖ tag), ChaCha20-Poly1305)


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def open_token(key: bytes, token: str, purpose: str = "request-state") -> dict[str, Any]:
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    assert token.startswith("ost1.")
    raw = _b64url_decode(token[5:])
    return json.loads(ChaCha20Poly1305(key).decrypt(raw[:12], raw[12:], f"omega-exec/{purpose}".encode()))


def seal_token(key: bytes, document: dict[str, Any], purpose: str = "request-state") -> str:
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    nonce = secrets.token_bytes(12)
    text = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return "ost1." + _b64url(nonce + ChaCha20Poly1305(key).encrypt(nonce, text, f"omega-exec/{purpose}".encode()))


def alter_token(token: str) -> str:
    """The same token with one bit of its ciphertext flipped (still well-formed base64url)."""
    raw = bytearray(_b64url_decode(token[5:]))
    raw[20] ^= 0x01
    return "ost1." + _b64url(bytes(raw))


# MARK: - omega-exec serve


@dataclass
class Serve:
    process: subprocess.Popen[str]
    base_url: str
    api_key: str
    log: Path

    @property
    def mcp_url(self) -> str:
        return self.base_url + "/mcp"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def serve_available() -> tuple[bool, str]:
    """Whether this build has `omega-exec serve` (it is being written concurrently)."""
    done = subprocess.run([str(OMEGA), "serve", "--help"], capture_output=True, text=True, timeout=30)
    text = done.stdout + done.stderr
    ok = done.returncode == 0 and "--listen" in text
    return ok, text.strip().splitlines()[0] if text.strip() else f"exit {done.returncode}"


def start_serve(home: Home, *, key_name: str = "interop") -> Serve:
    ok, why = serve_available()
    if not ok:
        raise AssertionError(
            f"`{OMEGA} serve` is not available in this build ({why}); the HTTP transport and the "
            "credential page cannot be tested"
        )
    api_key = home.api_key(key_name)
    log = home.logs / f"serve-{key_name}.log"
    errfile = open(log, "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [str(OMEGA), "serve", "--listen", "127.0.0.1:0"],
        env=home.env,
        stdout=subprocess.PIPE,
        stderr=errfile,
        text=True,
        cwd=home.root,
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
        deadline = time.monotonic() + 30
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
            raise AssertionError(f"omega-exec serve did not print 'listening on http://…' in 30 s\nstdout: {seen}\n"
                                 f"stderr: {log.read_text(errors='replace')}")
    except BaseException:
        stop_process(process)  # never leak a server, whatever went wrong while waiting for it
        raise
    return Serve(process=process, base_url=base_url, api_key=api_key, log=log)


def stop_process(process: subprocess.Popen[Any], grace: float = 10) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


# MARK: - Transcript


@dataclass
class Frame:
    direction: str  # "in" (server → client) or "out" (client → server)
    message: dict[str, Any]


class Transcript:
    """Every JSON-RPC message the client sent and received, validated per revision on demand."""

    def __init__(self) -> None:
        self.frames: list[Frame] = []

    def record(self, direction: str, item: Any) -> None:
        if isinstance(item, SessionMessage):
            dumped = item.message.model_dump(by_alias=True, mode="json", exclude_unset=True)
            self.frames.append(Frame(direction, dumped))

    @property
    def received(self) -> list[dict[str, Any]]:
        return [f.message for f in self.frames if f.direction == "in"]

    @property
    def sent(self) -> list[dict[str, Any]]:
        return [f.message for f in self.frames if f.direction == "out"]

    def text_received(self) -> str:
        return json.dumps(self.received, ensure_ascii=False)

    def notifications(self, method: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m.get("method") == method and "id" not in m]

    def server_requests(self, method: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.received if "method" in m and "id" in m and (method is None or m["method"] == method)]

    def responses_to(self, method: str) -> list[dict[str, Any]]:
        ids = {json.dumps(m["id"]) for m in self.sent if m.get("method") == method and "id" in m}
        return [m for m in self.received if "method" not in m and json.dumps(m.get("id")) in ids]

    def validate(self, version: str) -> int:
        """Validates every received message against the `mcp_types` models of `version`; returns how many.

        Responses are matched to the request the client sent; results are checked with the
        revision's result model (`SERVER_RESULTS[(method, version)]`), errors with the JSON-RPC
        error model, notifications and server requests with their revision's models. A 2025-11-25
        result must not carry 2026-07-28-only fields.
        """
        methods_by_id = {json.dumps(m["id"]): m["method"] for m in self.sent if "method" in m and "id" in m}
        problems: list[str] = []
        count = 0
        for message in self.received:
            count += 1
            try:
                if "method" in message and "id" in message:
                    wire.parse_server_request(message["method"], version, message.get("params"))
                elif "method" in message:
                    wire.parse_server_notification(message["method"], version, message.get("params"))
                elif "error" in message:
                    WireError.model_validate(message)
                else:
                    method = methods_by_id.get(json.dumps(message.get("id")))
                    if method is None:
                        problems.append(f"response to an id the client never sent: {message}")
                        continue
                    result = message["result"]
                    wire.validate_server_result(method, version, result)
                    if version != MODERN:
                        foreign = MODERN_ONLY_RESULT_FIELDS & set(result)
                        if foreign:
                            problems.append(f"{version} result of {method} carries {sorted(foreign)}")
                    elif "resultType" not in result:
                        problems.append(f"2026-07-28 result of {method} lacks resultType")
            except (KeyError, ValidationError) as error:
                problems.append(f"{type(error).__name__} for {json.dumps(message)[:600]}: {error}")
        assert not problems, "invalid messages from the host:\n" + "\n".join(problems)
        return count


class _RecordingReceive:
    def __init__(self, inner: Any, transcript: Transcript) -> None:
        self._inner = inner
        self._transcript = transcript

    @property
    def last_context(self) -> Any:
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> Any:
        item = await self._inner.receive()
        self._transcript.record("in", item)
        return item

    def __aiter__(self) -> _RecordingReceive:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _RecordingReceive:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


class _RecordingSend:
    def __init__(self, inner: Any, transcript: Transcript) -> None:
        self._inner = inner
        self._transcript = transcript

    async def send(self, item: Any) -> None:
        self._transcript.record("out", item)
        await self._inner.send(item)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _RecordingSend:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


class RecordingTransport:
    """Wraps an `mcp` transport so that every message crossing it lands in a transcript."""

    def __init__(self, inner: Any, transcript: Transcript) -> None:
        self._inner = inner
        self._transcript = transcript

    async def __aenter__(self) -> tuple[Any, Any]:
        read, write = await self._inner.__aenter__()
        return _RecordingReceive(read, self._transcript), _RecordingSend(write, self._transcript)

    async def __aexit__(self, *exc: Any) -> Any:
        return await self._inner.__aexit__(*exc)


# MARK: - A scripted human


def _has(params: Any, name: str) -> Any:
    return getattr(params, name, None)


class FormParser(html.parser.HTMLParser):
    """The forms of a page: action, method and inputs (name → (type, value))."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get").lower(), "inputs": {}})
        elif tag in ("input", "textarea", "select") and self.forms and a.get("name"):
            self.forms[-1]["inputs"][a["name"]] = (a.get("type", "text").lower(), a.get("value", ""))


@dataclass
class Human:
    """Answers the client's elicitations as a person would.

    Approvals (form mode): `approve` decides accept or decline. Credentials (URL mode): the person
    opens the page, enters `secrets` into the form, submits it, and tells the client `accept`.
    """

    approve: bool = True
    secrets: dict[str, str] = field(default_factory=dict)
    seen: list[Any] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)

    def kinds(self) -> list[str]:
        return [("url" if _has(p, "url") else "form") for p in self.seen]

    async def __call__(self, context: Any, params: Any) -> types.ElicitResult | types.ErrorData:
        self.seen.append(params)
        if _has(params, "url"):
            await self.fill_credential_page(params.url)
            return types.ElicitResult(action="accept")
        return types.ElicitResult(action="accept" if self.approve else "decline")

    async def fill_credential_page(self, url: str) -> None:
        async with httpx2.AsyncClient(timeout=30, follow_redirects=True) as http:
            page = await http.get(url)
            assert page.status_code == 200, f"GET {url} → {page.status_code}: {page.text[:500]}"
            assert "text/html" in page.headers.get("content-type", ""), page.headers
            parser = FormParser()
            parser.feed(page.text)
            forms = [f for f in parser.forms if f["method"] == "post"]
            assert forms, f"the credential page has no POST form: {page.text[:2000]}"
            form = forms[0]
            data: dict[str, str] = {}
            for name, (kind, value) in form["inputs"].items():
                if name in self.secrets:
                    data[name] = self.secrets[name]
                elif kind in ("hidden", "submit"):
                    data[name] = value
            missing = set(self.secrets) - set(form["inputs"])
            assert not missing, f"the credential page's form lacks fields {missing}: {form}"
            action = urllib.parse.urljoin(str(page.url), form["action"] or str(page.url))
            answer = await http.post(action, data=data)
            self.pages.append({"url": url, "form": form, "status": answer.status_code, "body": answer.text,
                               "action": action, "data": data})
            assert 200 <= answer.status_code < 300, f"POST {action} → {answer.status_code}: {answer.text[:500]}"


    async def replay_last_form(self, value: str) -> httpx2.Response:
        """Posts the last credential form again (a used ticket), with `value` for every secret."""
        page = self.pages[-1]
        data = {k: (value if k in self.secrets else v) for k, v in page["data"].items()}
        async with httpx2.AsyncClient(timeout=30) as http:
            return await http.post(page["action"], data=data)


# MARK: - Connecting an mcp Client


@dataclass
class Session:
    client: Client
    transcript: Transcript
    version: str
    transport: str
    errlog: Path | None = None


@contextlib.asynccontextmanager
async def connect(
    home: Home,
    *,
    transport: str,
    mode: str,
    serve: Serve | None = None,
    human: Human | None = None,
    credential_page: bool = False,
    api_key: str | None = None,
    validate: bool = True,
    read_timeout: float | None = 90,
) -> AsyncIterator[Session]:
    """An `mcp` Client in `mode` over `transport` ("stdio": `omega-exec mcp` as a subprocess;
    "http": `serve`'s POST /mcp). Every message is recorded and, on a clean exit, validated."""
    transcript = Transcript()
    errlog: Path | None = None
    if transport == "stdio":
        args = ["mcp"]
        if credential_page:
            assert serve is not None, "the credential page is served by omega-exec serve"
            args += ["--credential-page", serve.base_url]
        errlog = home.logs / f"mcp-{secrets.token_hex(4)}.log"
        params = StdioServerParameters(command=str(OMEGA), args=args, env=home.env, cwd=str(home.root))
        errfile = open(errlog, "w")  # noqa: SIM115
        inner: Any = stdio_client(params, errlog=errfile)
    elif transport == "http":
        assert serve is not None
        errfile = None
        http = create_mcp_http_client(headers={"Authorization": f"Bearer {api_key or serve.api_key}"})
        inner = _with_http_client(serve.mcp_url, http)
    else:
        raise ValueError(transport)
    client = Client(
        RecordingTransport(inner, transcript),
        mode=mode,
        elicitation_callback=human,
        read_timeout_seconds=read_timeout,
        cache=None,
    )
    try:
        try:
            async with client:
                session = Session(client, transcript, client.protocol_version, transport, errlog)
                assert session.version == MODES[mode], (session.version, mode)
                yield session
        except BaseExceptionGroup as group:
            # The client's task groups wrap what the test raised; report the one failure plainly.
            leaves = _leaves(group)
            if len(leaves) == 1:
                raise leaves[0] from None
            raise
        if validate:
            transcript.validate(MODES[mode])
    finally:
        if errfile is not None:
            errfile.close()


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    found: list[BaseException] = []
    for error in group.exceptions:
        found.extend(_leaves(error) if isinstance(error, BaseExceptionGroup) else [error])
    return found


@contextlib.asynccontextmanager
async def _with_http_client(url: str, http: httpx2.AsyncClient) -> AsyncIterator[Any]:
    async with http:
        async with streamable_http_client(url, http_client=http) as streams:
            yield streams


# MARK: - Tool results


def tool_payload(result: types.CallToolResult) -> Any:
    """The structured content of a tool result, or its text parsed as JSON."""
    if result.structured_content is not None:
        return result.structured_content
    text = "".join(c.text for c in result.content if isinstance(c, types.TextContent))
    return json.loads(text)


def result_meta(result: types.CallToolResult) -> dict[str, Any]:
    return dict(result.meta or {})


# MARK: - Processes


def processes_matching(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
    return [line.strip() for line in out.splitlines() if marker in line and "ps -eo" not in line]


async def wait_for_processes(marker: str, present: bool, timeout: float, minimum: int = 1) -> list[str]:
    """Polls `ps` until at least `minimum` processes carrying `marker` are there (present) or none is
    (not present), or `timeout` seconds passed; returns the last sight."""
    deadline = anyio.current_time() + timeout
    while True:
        seen = processes_matching(marker)
        if (len(seen) >= minimum if present else not seen) or anyio.current_time() >= deadline:
            return seen
        await anyio.sleep(0.02)


def wait_for_run_status(home: Home, tool_id: str, status: str, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    runs: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        runs = home.runs_of(tool_id)
        if runs and runs[0].get("status") == status:
            return runs[0]
        time.sleep(0.1)
    raise AssertionError(f"no {status} run of {tool_id} within {timeout} s: {json.dumps(runs)[:2000]}")
