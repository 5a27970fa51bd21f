"""Machinery of the web console suite (adapted from Tests/api-integration/api_support.py, imported from
nowhere): a fresh OMEGA_HOME with the repo's starter tools and the suite's own packages, API keys,
`omega-exec serve` (URL read from its `listening on` line, stopped with SIGTERM), a small REST client
for setting up and cross-checking what the page shows, and process helpers.

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
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
BIN_DIR = Path(os.environ.get("OMEGA_BIN_DIR", REPO / ".build" / "debug"))
OMEGA = BIN_DIR / "omega-exec"
MANIFESTS = REPO / "Manifests"
CONVERSATIONS = "/api/omega/conversations"

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

COUNT_MESSAGE = "Count the words in: the quick brown fox"
WEBHOOK_MESSAGE = "Prepare a signed webhook delivery of event order.created to https://hooks.example.com/omega"
PLAN_MESSAGE = "Count the words in: one two three four five"
FAILING_MESSAGE = "Evaluate the python code: 1/0"

SLEEPER_TOOL = "consoletest.sleeper"
SLEEPER_MESSAGE = "Hibernate the sleeper"
HOSTILE_TOOL = "consoletest.hostile_echo"
HOSTILE_ECHO = "<img src=x onerror=window.__pwned=2><b>bold</b>"
HOSTILE_MESSAGE = f"Show the mischievous hostile markup of: {HOSTILE_ECHO}"
HOSTILE_BIG_BYTES = 5 * 1024 * 1024
HOSTILE_STRINGS = {
    "img": "<img src=x onerror=alert(1)>",
    "script": "<script>window.__pwned=1</script>",
    "link": "javascript:alert(1)",
    "markdownLink": "[click me](javascript:alert(1))",
}


@dataclass
class Key:
    id: str
    name: str
    user: str
    secret: str


class Home:
    """A fresh OMEGA_HOME (starter tools from the repo's Manifests, the suite's packages installed)."""

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
            OMEGA_LOG_LEVEL=os.environ.get("OMEGA_CONSOLE_LOG_LEVEL", "info"),
        )
        # The console's files straight from disk (the other engineer's latest), only when asked for.
        if os.environ.get("OMEGA_CONSOLE_DIR"):
            env["OMEGA_CONSOLE_DIR"] = os.environ["OMEGA_CONSOLE_DIR"]
        self.env = env
        # Every process of this home's sleeper carries this in its argv (a valid `sleep` operand: ~60 s).
        self.sleeper_marker = f"60.{random.randrange(10**8, 10**9)}"

    def cli(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(OMEGA), *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout, cwd=self.root, input="")
        if check and done.returncode != 0:
            raise AssertionError(f"omega-exec {' '.join(args)} exited {done.returncode}\n"
                                 f"stdout: {done.stdout}\nstderr: {done.stderr}")
        return done

    def create_key(self, name: str, user: str) -> Key:
        made = json.loads(self.cli("keys", "create", "--name", name, "--user", user, "--json").stdout)
        assert made["user"] == user and made["secret"], made
        return Key(id=made["id"], name=made["name"], user=made["user"], secret=made["secret"])

    def install(self, folder: Path) -> None:
        self.cli("install", str(folder), "--allow-unsigned")

    def package(self, tool_id: str, *, command: list[str], files: dict[str, str] | None = None, title: str,
                description: str, keywords: list[str], input_schema: dict[str, Any], timeout_seconds: int = 30,
                output_bytes: int = 1048576, memory_mb: int = 128, example: dict[str, Any] | None = None,
                env: list[dict[str, Any]] | None = None) -> Path:
        """Writes a sandbox_job package (omega.json plus `files`) and returns its folder."""
        folder = self.packages / tool_id
        folder.mkdir(mode=0o755)
        for name, text in (files or {}).items():
            path = folder / name
            path.write_text(text)
            path.chmod(0o755)
        manifest: dict[str, Any] = {
            "schemaVersion": 1, "id": tool_id, "version": "1.0.0", "title": title, "description": description,
            "keywords": keywords, "input": input_schema, "env": env or [], "scopes": [],
            "risk": {"level": "low", "externalWrite": False, "readOnly": True},
            "execution": {"binding": "sandbox_job", "command": command},
            "limits": {"timeoutSeconds": timeout_seconds, "memoryMB": memory_mb, "pids": 16,
                       "outputBytes": output_bytes},
            "examples": [{"name": "basic", "input": example if example is not None else {}}],
        }
        (folder / "omega.json").write_text(json.dumps(manifest, indent=2))
        (folder / "omega.json").chmod(0o644)
        return folder

    def install_suite_tools(self) -> None:
        self.install(self.package(
            SLEEPER_TOOL,
            command=["/bin/sh", "-c", f"sleep {self.sleeper_marker} & sleep {self.sleeper_marker}; wait",
                     "consoletest-sleeper"],
            title="Hibernating sleeper",
            description="Hibernates: the sleeper sleeps a minute and prints nothing "
                        "(the console suite's long run, to cancel).",
            keywords=["hibernate", "sleeper", "sleep"],
            input_schema={"type": "object", "additionalProperties": False, "properties": {}},
            timeout_seconds=120,
        ))
        # Markup, script, javascript: links and one 5 MB string: the console must show them as text.
        hostile = (
            "import json, sys\n"
            "doc = json.load(sys.stdin)\n"
            f"out = {json.dumps(HOSTILE_STRINGS)}\n"
            "out['echo'] = doc.get('text', '')\n"
            # `zz_big` sorts last: the markup comes first in canonical (sorted-key) JSON and excerpts.
            f"out['zz_big'] = 'A' * {HOSTILE_BIG_BYTES - 8} + '<b>END</b>'\n"
            "sys.stdout.write(json.dumps(out))\n"
        )
        self.install(self.package(
            HOSTILE_TOOL, command=["python3", "/tool/main.py"], files={"main.py": hostile},
            title="Mischievous hostile markup",
            description="Shows mischievous hostile markup: echoes HTML, a script, javascript: links and "
                        "a 5 MB string (the console suite's hostile output).",
            keywords=["mischievous", "hostile", "markup", "mischief"],
            input_schema={"type": "object", "additionalProperties": False, "required": ["text"],
                          "properties": {"text": {"type": "string", "maxLength": 1000,
                                                  "description": "Text to echo."}}},
            output_bytes=8388608, memory_mb=256, example={"text": "hi"},
        ))

    def sleeper_processes(self) -> list[str]:
        return processes_matching(self.sleeper_marker)


def make_home() -> Home:
    root = Path(tempfile.mkdtemp(prefix="omega-console-"))
    root.chmod(0o755)  # the jail's unprivileged uid must traverse to the installed packages
    home = Home(root)
    home.install_suite_tools()
    return home


def kill_sleepers(home: Home) -> list[str]:
    left = home.sleeper_processes()
    for line in left:  # only this home's sleepers (their argv carries its marker)
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(line.split()[0]), signal.SIGKILL)
    return left


def remove_home(home: Home) -> None:
    kill_sleepers(home)
    shutil.rmtree(home.root, ignore_errors=True)


# MARK: - The server


@dataclass
class Server:
    home: Home
    process: subprocess.Popen[str]
    base_url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, grace: float = 20) -> int | None:
        return stop_process(self.process, grace)


def start_server(home: Home, *args: str) -> Server:
    """`omega-exec serve --listen 127.0.0.1:0 ARGS`; stderr to a log file, the URL read from stdout."""
    log = home.logs / f"serve-{len(list(home.logs.iterdir()))}.log"
    errfile = open(log, "w")  # noqa: SIM115 - closed once the process has it
    command = [str(OMEGA), "serve", "--listen", "127.0.0.1:0", *args]
    process = subprocess.Popen(command, env=home.env, stdout=subprocess.PIPE, stderr=errfile, text=True,
                               cwd=home.root, start_new_session=True)
    errfile.close()
    try:
        lines: queue.Queue[str] = queue.Queue()

        def drain() -> None:  # reads stdout for the process's life: it never blocks on a full pipe
            assert process.stdout is not None
            for line in process.stdout:
                lines.put(line)

        threading.Thread(target=drain, daemon=True).start()
        deadline = time.monotonic() + 60
        base_url, seen = None, ""
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
            raise AssertionError(f"{' '.join(command)} did not print 'listening on http://…' in 60 s "
                                 f"(exit {process.poll()})\nstdout: {seen}\nstderr: {log.read_text()[-4000:]}")
    except BaseException:
        stop_process(process)  # never leak a server
        raise
    return Server(home=home, process=process, base_url=base_url, log=log)


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


# MARK: - REST (setup and cross-checks; the tests drive the page)


class Api:
    def __init__(self, server: Server, key: Key) -> None:
        self.server = server
        self.key = key
        self.session = requests.Session()

    def request(self, method: str, path: str, body: Any = None, expect: int | None = 200,
                timeout: float = 60) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.key.secret}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        response = self.session.request(method, self.server.base_url + path, data=data, headers=headers,
                                        timeout=timeout)
        if expect is not None:
            assert response.status_code == expect, \
                f"{method} {path} → {response.status_code} (want {expect}): {response.text[:1500]}"
        return response

    def conversation(self, cid: str) -> dict[str, Any]:
        return self.request("GET", f"{CONVERSATIONS}/{cid}").json()

    def run(self, run_id: str) -> dict[str, Any]:
        return self.request("GET", f"/api/runs/{run_id}").json()

    def start_run(self, tool_id: str, tool_input: dict[str, Any]) -> str:
        made = self.request("POST", f"/api/tools/{tool_id}/runs", {"input": tool_input, "wait": False},
                            expect=None)
        assert made.status_code in (201, 202), f"POST /api/tools/{tool_id}/runs → {made.status_code}: {made.text}"
        return made.json()["runId"]

    def wait_run(self, run_id: str, statuses: tuple[str, ...], timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        run: dict[str, Any] = {}
        while time.monotonic() < deadline:
            run = self.run(run_id)
            if run.get("status") in statuses:
                return run
            time.sleep(0.1)
        raise AssertionError(f"run {run_id} not {statuses} within {timeout} s: {json.dumps(run)[:1500]}")


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
