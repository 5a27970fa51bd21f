"""Handshake, listing, search and a real tool run, through the `mcp` client, in every transport × mode."""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types
import pytest
from mcp import Client

import omega_support as support
from omega_support import MODERN, RUN_ID_KEY, VERDICT_KEY

pytestmark = pytest.mark.anyio

STATS = json.loads((support.MANIFESTS / "text_stats" / "omega.json").read_text())
ENGLISH = next(e for e in STATS["examples"] if e["name"] == "english")


async def test_handshake(session_factory: Any, mode: str) -> None:
    """2026-07-28: server/discover names both revisions; legacy: initialize settles 2025-11-25."""
    async with session_factory() as s:
        if mode == "legacy":
            init = s.client.session.initialize_result
            assert init is not None
            assert init.protocol_version == "2025-11-25"
            assert init.server_info.name == "omega-exec"
            assert init.capabilities.tools is not None
            assert init.instructions and "registry_search" in init.instructions
            await s.client.send_ping()
        else:
            raw = await s.client.session.send_discover(MODERN)
            support.wire.validate_server_result("server/discover", MODERN, raw)
            discover = types.DiscoverResult.model_validate(raw)
            assert MODERN in discover.supported_versions
            assert "2025-11-25" in discover.supported_versions
            assert discover.result_type == "complete"
            assert discover.cache_scope == "public" and discover.ttl_ms >= 0
            assert discover.capabilities.tools is not None
            assert (raw.get("_meta") or {}).get("io.modelcontextprotocol/serverInfo", {}).get("name") == "omega-exec"
        listed = await s.client.list_tools()
        assert {"registry_search", "registry_execute", "plan"} <= {t.name for t in listed.tools}


async def test_auto_mode_discovers_the_modern_revision(home: support.Home, serve: Any, transport: str) -> None:
    """The client's own negotiation (mode='auto': probe server/discover, fall back to initialize) picks 2026-07-28."""
    transcript = support.Transcript()
    if transport == "stdio":
        inner: Any = support.stdio_client(
            support.StdioServerParameters(command=str(support.OMEGA), args=["mcp"], env=home.env),
            errlog=open(home.logs / "auto.log", "w"),  # noqa: SIM115
        )
    else:
        srv = serve.get()
        inner = support._with_http_client(
            srv.mcp_url, support.create_mcp_http_client(headers={"Authorization": f"Bearer {srv.api_key}"})
        )
    async with Client(support.RecordingTransport(inner, transcript), mode="auto", cache=None) as client:
        assert client.protocol_version == MODERN
        assert client.server_info is not None and client.server_info.name == "omega-exec"
        assert [m["method"] for m in transcript.sent if "method" in m][:1] == ["server/discover"]
        await client.list_tools()
    transcript.validate(MODERN)


async def test_tools_list_pagination(home: support.Home, session_factory: Any) -> None:
    """More tools than a page (50): two pages, a cursor, no duplicates, every offered tool once."""
    index = home.root / "index.jsonl"
    ids = [f"interop.paged_{n:03d}" for n in range(60)]
    index.write_text(
        "".join(
            json.dumps({"id": i, "version": "1.0.0", "description": f"Paged tool number {n} of the interop suite",
                        "title": f"Paged {n}"}) + "\n"
            for n, i in enumerate(ids)
        )
    )
    home.cli("registry", "import", str(index))
    policy = home.root / "workspace-policy.json"
    policy.write_text(json.dumps({"policyVersion": 1, "pins": ids[:50]}))
    home.env["OMEGA_POLICY"] = str(policy)
    home.pin("text.stats")  # and one through the CLI, at the user level
    pins = home.cli("registry", "pins").stdout
    assert "interop.paged_049" in pins and "text.stats" in pins, pins
    expected = {"registry_search", "registry_execute", "plan", "text.stats", *ids[:50]}

    async with session_factory() as s:
        first = await s.client.list_tools()
        assert first.next_cursor, "54 tools with a page size of 50 must give a second page"
        assert len(first.tools) == 50
        second = await s.client.list_tools(cursor=first.next_cursor)
        assert second.next_cursor is None
        names = [t.name for t in first.tools] + [t.name for t in second.tools]
        assert len(names) == len(set(names)), f"duplicates across pages: {sorted(n for n in names if names.count(n) > 1)}"
        assert set(names) == expected
        stats = next(t for t in first.tools + second.tools if t.name == "text.stats")
        assert stats.input_schema["type"] == "object" and "text" in stats.input_schema["properties"]
        assert stats.output_schema is not None and stats.annotations is not None
        assert stats.annotations.read_only_hint is True
        # A cursor the host did not issue is a -32602.
        with pytest.raises(support.MCPError) as refused:
            await s.client.list_tools(cursor="not-a-cursor")
        assert refused.value.code == -32602


async def test_registry_search_finds_a_starter_tool(session_factory: Any) -> None:
    async with session_factory() as s:
        result = await s.client.call_tool("registry_search", {"query": "word count readability statistics"})
        assert not result.is_error, result
        found = support.tool_payload(result)["results"]
        ids = [r["id"] for r in found]
        assert "text.stats" in ids, ids
        stats = next(r for r in found if r["id"] == "text.stats")
        for key in ("id", "version", "title", "description", "score", "installed", "verified", "requiredEnvVars",
                    "risk", "scopes", "binding"):
            assert key in stats, (key, stats)
        assert stats["binding"] == "sandbox_job" and stats["requiredEnvVars"] == []
        webhook = await s.client.call_tool("registry_search", {"query": "sign webhook delivery hmac"})
        hit = next(r for r in support.tool_payload(webhook)["results"] if r["id"] == "notify.webhook_prepare")
        assert [v["name"] for v in hit["requiredEnvVars"]] == ["WEBHOOK_SECRET"]


async def test_registry_execute_text_stats(home: support.Home, session_factory: Any) -> None:
    """A real run: the tool's exact output, the run id and the jail's verdict in _meta, the run recorded."""
    async with session_factory() as s:
        result = await s.client.call_tool("registry_execute", {"toolId": "text.stats", "input": ENGLISH["input"]})
        assert not result.is_error, result
        payload = support.tool_payload(result)
        assert payload["success"] is True
        assert payload["output"] == ENGLISH["output"]
        meta = support.result_meta(result)
        run_id = meta.get(RUN_ID_KEY)
        assert isinstance(run_id, str) and run_id == payload["runId"]
        verdict = meta.get(VERDICT_KEY)
        assert verdict and verdict["status"] == "ok" and verdict["exitCode"] == 0 and verdict["signal"] is None
        assert verdict["wallMs"] > 0
        text = "".join(c.text for c in result.content if isinstance(c, types.TextContent))
        assert json.loads(text)["output"] == ENGLISH["output"]
    run = home.run(run_id)
    assert run["status"] == "completed" and run["toolId"] == "text.stats"
    kinds = [e["type"] for e in run["events"]]
    assert kinds[0] == "run.created" and kinds[-1] == "run.completed" and "tool.finished" in kinds


async def test_pinned_tool_under_its_own_name(home: support.Home, session_factory: Any) -> None:
    """A pinned tool is offered under its id; its structured result is its own output (checked by the
    client against the tool's outputSchema)."""
    home.pin("text.stats")
    async with session_factory() as s:
        listed = await s.client.list_tools()
        assert "text.stats" in {t.name for t in listed.tools}
        result = await s.client.call_tool("text.stats", ENGLISH["input"])
        assert not result.is_error, result
        assert result.structured_content == ENGLISH["output"]
        assert isinstance(support.result_meta(result).get(RUN_ID_KEY), str)
