"""Pauses (DESIGN §5, §9) through the `mcp` client: missing credentials through the credential page,
approvals through a form, and a client that cannot answer either."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

import mcp_types as types
import pytest

import omega_support as support
from omega_support import RUN_ID_KEY

pytestmark = pytest.mark.anyio

WEBHOOK = json.loads((support.MANIFESTS / "webhook_prepare" / "omega.json").read_text())
ORDER = next(e for e in WEBHOOK["examples"] if e["name"] == "order_created")

MISSING_ENV_HINT = "Provide these variables in the 'env' field of your request"


def keyed_tool(home: support.Home) -> None:
    """interop.keyed_echo: needs KEYED_TOKEN (required, secret), no approval; prints its length and SHA-256."""
    folder = home.package(
        "interop.keyed_echo",
        command=["python3", "/tool/main.py"],
        files={
            "main.py": "import hashlib, json, os, sys\n"
            "json.load(sys.stdin)\n"
            "token = os.environ['KEYED_TOKEN'].encode()\n"
            "print(json.dumps({'length': len(token), 'sha256': hashlib.sha256(token).hexdigest()}))\n"
        },
        description="Echoes a digest of its key (interop suite).",
        env=[{"name": "KEYED_TOKEN", "description": "The interop suite's test key", "required": True, "secret": True}],
        output_schema={"type": "object", "required": ["length", "sha256"]},
    )
    home.install(folder)


def assert_secret_absent(secret: str, *texts: str) -> None:
    for n, text in enumerate(texts):
        assert secret not in text, f"the secret leaked into text #{n}: …{text[max(0, text.find(secret) - 200):][:400]}…"


async def test_missing_credentials_round_trip(
    home: support.Home, serve: Any, session_factory: Any, mode: str, transport: str
) -> None:
    """notify.webhook_prepare needs an approval (externalWrite) and WEBHOOK_SECRET: the client's callback
    approves the form and, for the URL-mode elicitation, fills the credential page as the human;
    the final result is the real signed delivery, and the secret is in no MCP message nor run event."""
    secret = "whsec-interop-" + secrets.token_hex(16)
    human = support.Human(approve=True, secrets={"WEBHOOK_SECRET": secret})
    async with session_factory(human=human, credential_page=True) as s:
        result = await s.client.call_tool(
            "registry_execute", {"toolId": "notify.webhook_prepare", "input": ORDER["input"]}
        )
        assert not result.is_error, support.tool_payload(result)
        payload = support.tool_payload(result)
        delivery = payload["output"]
        # The tool's real output, signed with the secret the human typed into the page.
        assert delivery["body"] == ORDER["output"]["body"] and delivery["id"] == ORDER["output"]["id"]
        expected = hmac.new(secret.encode(), delivery["body"].encode(), hashlib.sha256).hexdigest()
        assert delivery["headers"]["X-Signature-256"] == "sha256=" + expected
        run_id = support.result_meta(result)[RUN_ID_KEY]
        assert payload["runId"] == run_id

        kinds = human.kinds()
        assert sorted(kinds) == ["form", "url"], kinds
        url_params = next(p for p in human.seen if getattr(p, "url", None))
        assert url_params.url.startswith(serve.get().base_url + "/credentials/"), url_params.url
        assert "WEBHOOK_SECRET" in url_params.message
        form_params = next(p for p in human.seen if not getattr(p, "url", None))
        assert "notify.webhook_prepare" in form_params.message and "send_webhook" in form_params.message
        assert human.pages and human.pages[0]["status"] < 300

        if mode == "legacy":
            asked = s.transcript.server_requests("elicitation/create")
            assert len(asked) == 2, asked
            assert any(r["params"].get("mode") == "url" and r["params"].get("elicitationId") for r in asked)
        else:
            pauses = [m["result"] for m in s.transcript.responses_to("tools/call") if "result" in m
                      and m["result"].get("resultType") == "input_required"]
            assert len(pauses) == 2, pauses
            assert all(p.get("requestState") for p in pauses)
            retried = [m for m in s.transcript.sent if m.get("method") == "tools/call"]
            assert len(retried) == 3 and all(m["params"].get("requestState") for m in retried[1:])

        assert_secret_absent(secret, s.transcript.text_received(), json.dumps(s.transcript.sent))

    # The page's ticket works once: a replayed form is refused and stores nothing.
    replay = await human.replay_last_form("replayed-" + secrets.token_hex(8))
    assert replay.status_code == 401, (replay.status_code, replay.text[:300])
    assert "replayed-" not in home.vault_text()

    run = home.run(run_id)
    assert run["status"] == "completed"
    types_seen = [e["type"] for e in run["events"]]
    for kind in ("approval.requested", "credentials.requested", "run.paused", "run.resumed", "run.completed"):
        assert kind in types_seen, (kind, types_seen)
    logs = [p.read_text(errors="replace") for p in home.logs.iterdir()]
    assert_secret_absent(secret, home.run_text(run_id), json.dumps(home.runs()), *logs)
    # …but it is in the vault, for the user the page was opened for.
    assert secret in home.vault_text()


async def test_approval_declined(home: support.Home, session_factory: Any) -> None:
    """The human declines the approval form: an isError result, and the run is cancelled."""
    human = support.Human(approve=False)
    async with session_factory(human=human) as s:
        result = await s.client.call_tool(
            "registry_execute", {"toolId": "notify.webhook_prepare", "input": ORDER["input"]}
        )
        assert result.is_error
        assert human.kinds() == ["form"]
        error = support.tool_payload(result)
        assert error["success"] is False
        assert error["details"]["code"] == "POLICY_DENIED"
        run_id = support.result_meta(result)[RUN_ID_KEY]
        # The host still serves the client.
        await s.client.list_tools()
    run = home.run(run_id)
    assert run["status"] == "cancelled", run["status"]
    assert [e["type"] for e in run["events"]][-1] == "run.cancelled"


async def test_client_without_elicitation_gets_missing_env_vars_then_passes_env(
    home: support.Home, session_factory: Any
) -> None:
    """No elicitation capability: the DESIGN §5 MISSING_ENV_VARS object as an isError result; the
    next call passes `env` and succeeds."""
    keyed_tool(home)
    token = "kt-" + secrets.token_hex(12)
    async with session_factory(human=None) as s:
        first = await s.client.call_tool("registry_execute", {"toolId": "interop.keyed_echo", "input": {}})
        assert first.is_error
        assert first.structured_content is not None, "the §5 object must be the structured content"
        error = first.structured_content
        assert error["success"] is False
        assert error["error"] == "Missing required environment variables"
        details = error["details"]
        assert details["code"] == "MISSING_ENV_VARS"
        assert details["missingVars"] == [{"name": "KEYED_TOKEN", "description": "The interop suite's test key"}]
        assert details["hint"] == MISSING_ENV_HINT
        text = "".join(c.text for c in first.content if isinstance(c, types.TextContent))
        assert "MISSING_ENV_VARS" in text
        assert not s.transcript.server_requests("elicitation/create")

        second = await s.client.call_tool(
            "registry_execute", {"toolId": "interop.keyed_echo", "input": {}, "env": {"KEYED_TOKEN": token}}
        )
        assert not second.is_error, support.tool_payload(second)
        output = support.tool_payload(second)["output"]
        assert output == {"length": len(token), "sha256": hashlib.sha256(token.encode()).hexdigest()}
        run_id = support.result_meta(second)[RUN_ID_KEY]
        assert_secret_absent(token, s.transcript.text_received())
    assert home.run(run_id)["status"] == "completed"
    assert_secret_absent(token, home.run_text(run_id), json.dumps(home.runs()))
