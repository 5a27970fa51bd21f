"""The appliance's side of the egress suite: `omega-exec` on a fresh OMEGA_HOME, run inside the test
internet's client namespace (internet.Internet.client_argv), with an optional workspace policy
(OMEGA_POLICY); `try`, `runs resume`, `runs events --json` and `jail --egress … --json` with the probe.

Nothing here is a test; conftest.py wires it into fixtures.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from internet import Internet

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BIN_DIR = Path(os.environ.get("OMEGA_BIN_DIR", REPO / ".build" / "debug"))
OMEGA = BIN_DIR / "omega-exec"
MANIFESTS = REPO / "Manifests"
WEB_FETCH = MANIFESTS / "web_fetch_extract"
WEBHOOK_SEND = MANIFESTS / "webhook_send"
EXIT_CODES = {"TOOL_FAILED": 72, "POLICY_DENIED": 77, "APPROVAL_REQUIRED": 68, "MISSING_ENV_VARS": 67,
              "TIMEOUT": 124}


def policy(scope: str, tool: str, hosts: list[str] | None) -> dict[str, Any]:
    """A workspace policy with one allow grant of `scope` to `tool`, opening `hosts` when given."""
    grant: dict[str, Any] = {"scope": scope, "effect": "allow", "tools": [tool], "reason": "egress suite"}
    if hosts is not None:
        grant["hosts"] = hosts
    return {"policyVersion": 1, "grants": [grant]}


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}.test"


@dataclass
class Result:
    """One `omega-exec` command: its exit status, stdout parsed as JSON (None when it is not), the texts."""

    status: int
    json: Any
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"exit {self.status}\nstdout: {self.stdout[-4000:]}\nstderr: {self.stderr[-4000:]}"

    @property
    def code(self) -> str | None:
        details = (self.json or {}).get("details") if isinstance(self.json, dict) else None
        return details.get("code") if isinstance(details, dict) else None

    @property
    def run_id(self) -> str:
        assert isinstance(self.json, dict) and self.json.get("runId"), f"no runId in {self}"
        return self.json["runId"]


class Appliance:
    """A fresh OMEGA_HOME and the CLI over it, run in the client namespace."""

    def __init__(self, internet: Internet, root: Path) -> None:
        self.internet = internet
        self.root = root
        self.home = root / "home"
        self.home.mkdir(mode=0o755)
        self.policies = root / "policies"
        self.policies.mkdir(mode=0o755)
        env = {k: v for k, v in os.environ.items() if not k.startswith("OMEGA_")}
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy",
                     "NO_PROXY", "no_proxy"):
            env.pop(name, None)
        env.update(OMEGA_HOME=str(self.home), OMEGA_STARTER_TOOLS=str(MANIFESTS),
                   OMEGA_LOG_LEVEL=os.environ.get("OMEGA_EGRESS_LOG_LEVEL", "warning"))
        self.env = env

    def cli(self, *args: str, policy_doc: dict[str, Any] | None = None, timeout: float = 90,
            stdin: str = "", in_client: bool = True) -> Result:
        env = dict(self.env)
        if policy_doc is not None:
            text = json.dumps(policy_doc, indent=2, sort_keys=True)
            # One file per content: a paused run resumed with the same policy sees the same file.
            path = self.policies / f"policy-{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"
            if not path.exists():
                path.write_text(text)
                path.chmod(0o644)
            env["OMEGA_POLICY"] = str(path)
        argv = [str(OMEGA), *args]
        if in_client:
            argv = self.internet.client_argv(argv)
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, input=stdin,
                              cwd=self.root)
        try:
            parsed = json.loads(done.stdout) if done.stdout.strip() else None
        except json.JSONDecodeError:
            parsed = None
        return Result(done.returncode, parsed, done.stdout, done.stderr)

    # MARK: Runs

    def try_tool(self, package: Path | str, tool_input: dict[str, Any], *, policy_doc: dict[str, Any] | None,
                 env: dict[str, str] | None = None, approve: bool = False, timeout: float = 90) -> Result:
        args = ["try", str(package), "--input", json.dumps(tool_input), "--json", "--no-input"]
        for name, value in (env or {}).items():
            args += ["--env", f"{name}={value}"]
        if approve:
            args.append("--approve")
        return self.cli(*args, policy_doc=policy_doc, timeout=timeout)

    def resume(self, run_id: str, *, policy_doc: dict[str, Any] | None, env: dict[str, str] | None = None,
               approve: bool = False) -> Result:
        args = ["runs", "resume", run_id, "--json"]
        for name, value in (env or {}).items():
            args += ["--env", f"{name}={value}"]
        if approve:
            args.append("--approve")
        return self.cli(*args, policy_doc=policy_doc)

    def events_text(self, run_id: str) -> str:
        done = self.cli("runs", "events", run_id, "--json", in_client=False)
        assert done.status == 0, f"runs events {run_id}: {done}"
        return done.stdout

    def events(self, run_id: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.events_text(run_id).splitlines() if line.strip()]

    def egress_events(self, run_id: str) -> list[dict[str, Any]]:
        return [event["data"] for event in self.events(run_id) if event["type"] == "egress.connection"]

    # MARK: The bare jail

    def jail(self, egress: list[str], steps: list[dict[str, Any]], *, timeout: float = 60) -> tuple[dict, list[dict]]:
        """`omega-exec jail --json --egress …` running jail_probe.py with `steps`; returns the probe's results
        and the jail result object (whose "egress" holds the connection records)."""
        args = ["jail", "--json", "--timeout", str(int(timeout)), "--memory", "256M", "--pids", "64",
                "--ro-bind", f"{HERE}:/probe"]
        for host in egress:
            args += ["--egress", host]
        args += ["--", "python3", "/probe/jail_probe.py", json.dumps(steps)]
        done = self.cli(*args, timeout=timeout + 30)
        assert isinstance(done.json, dict), f"omega-exec jail printed no result object: {done}"
        verdict = done.json
        assert verdict.get("status") == "ok" and verdict.get("exitCode") == 0, f"the probe did not run cleanly: {done}"
        probe = json.loads(verdict["stdout"])
        return verdict, probe["results"]

    # MARK: Packages

    def package_copy(self, source: Path, *, limits: dict[str, Any] | None = None) -> Path:
        """A copy of a package folder (world-readable) with some manifest limits changed."""
        target = Path(tempfile.mkdtemp(prefix="pkg-", dir=self.root))
        target.chmod(0o755)
        folder = target / source.name
        shutil.copytree(source, folder, ignore=shutil.ignore_patterns("__pycache__"))
        manifest = json.loads((folder / "omega.json").read_text())
        manifest["limits"].update(limits or {})
        (folder / "omega.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        return folder


def refusal(result: dict[str, Any]) -> str | None:
    """The X-Omega-Egress reason of a probe's proxy answer."""
    return (result.get("headers") or {}).get("x-omega-egress")


def one(records: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    """The one record whose fields equal `match`."""
    found = [r for r in records if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"expected one egress record with {match}, got {len(found)}: {records}"
    return found[0]
