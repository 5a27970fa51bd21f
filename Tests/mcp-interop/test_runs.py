"""Runs seen through the `mcp` client: cancellation kills the jail, events arrive as progress, and a
failing tool is answered with alternatives."""

from __future__ import annotations

import json
import random
import time
from typing import Any

import anyio
import pytest

import omega_support as support
from omega_support import RUN_ID_KEY

pytestmark = pytest.mark.anyio


def sleeper(home: support.Home) -> str:
    """interop.sleeper: a shell with two 60 s sleeps; every process carries a unique marker in its argv."""
    marker = f"60.{random.randrange(10**8, 10**9)}"
    folder = home.package(
        "interop.sleeper",
        command=["/bin/sh", "-c", f"sleep {marker} & sleep {marker}; wait", "interop-sleeper"],
        description="Sleeps a minute (interop suite).",
        timeout_seconds=120,
    )
    home.install(folder)
    return marker


async def test_cancellation_kills_the_jail(
    home: support.Home, session_factory: Any, transport: str, mode: str
) -> None:
    """stdio: the client's cancellation (notifications/cancelled); HTTP: the client closes the response
    stream (2026-07-28) or posts notifications/cancelled (2025-11-25). The tool's processes are gone
    within a second and the run is recorded cancelled; the host keeps serving."""
    marker = sleeper(home)
    async with session_factory() as s:
        scope = anyio.CancelScope()
        outcome: dict[str, Any] = {}

        async def call() -> None:
            with scope:
                outcome["result"] = await s.client.call_tool("registry_execute", {"toolId": "interop.sleeper", "input": {}})

        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            running = await support.wait_for_processes(marker, present=True, timeout=20, minimum=3)
            assert len(running) >= 3, f"the sleeper (a shell and two sleeps) never ran: {running}"
            cancelled_at = time.monotonic()
            scope.cancel()
        assert "result" not in outcome
        left = await support.wait_for_processes(marker, present=False, timeout=max(0.0, cancelled_at + 1.0 - time.monotonic()))
        elapsed = time.monotonic() - cancelled_at
        assert not left, f"{len(left)} tool processes still alive {elapsed:.2f} s after the cancellation: {left}"
        sent = [m.get("method") for m in s.transcript.sent]
        if transport == "stdio" or mode == "legacy":
            assert "notifications/cancelled" in sent, sent
        run = support.wait_for_run_status(home, "interop.sleeper", "cancelled", timeout=5)
        assert [e["type"] for e in home.run(run["id"])["events"]][-1] == "run.cancelled"
        listed = await s.client.list_tools()
        assert listed.tools
    assert not support.processes_matching(marker)


async def test_progress_relays_run_events(home: support.Home, session_factory: Any) -> None:
    """A call with a progress callback receives notifications/progress for the run's events, in order."""
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with session_factory() as s:
        result = await s.client.call_tool(
            "registry_execute", {"toolId": "text.stats", "input": {"text": "One. Two three."}},
            progress_callback=on_progress,
        )
        assert not result.is_error
        run_id = support.result_meta(result)[RUN_ID_KEY]
        notes = s.transcript.notifications("notifications/progress")
        call_ids = [m["id"] for m in s.transcript.sent if m.get("method") == "tools/call"]
        assert notes and all(n["params"]["progressToken"] == call_ids[0] for n in notes)
    messages = [m for _, _, m in seen]
    progresses = [p for p, _, _ in seen]
    assert progresses == sorted(progresses) and len(set(progresses)) == len(progresses), progresses
    assert messages[0] == "run.created" and messages[-1] == "run.completed", messages
    assert "tool.started" in messages and any(m.startswith("tool.finished") for m in messages), messages
    events = home.run(run_id)["events"]
    assert len(seen) == len(events), (messages, [e["type"] for e in events])
    assert progresses == [float(e["sequence"]) for e in events]


async def test_tool_failure_offers_alternatives(home: support.Home, session_factory: Any) -> None:
    """A tool that exits 1: its isError result carries `alternatives`, each naming its required env vars."""
    words = "Counts the words, sentences and reading time of a text: word count and readability statistics."
    broken = home.package(
        "interop.wordcount_broken",
        command=["/bin/sh", "-c", "echo 'boom' >&2; exit 1"],
        title="Word count (broken)",
        description=words,
        keywords=["text", "word count", "statistics", "readability"],
    )
    keyed = home.package(
        "interop.wordcount_keyed",
        command=["/bin/sh", "-c", "echo '{}'"],
        title="Word count (keyed)",
        description=words,
        keywords=["text", "word count", "statistics", "readability"],
        env=[{"name": "WORDCOUNT_API_KEY", "description": "Key of the word count service", "required": True,
              "secret": True}],
    )
    home.install(broken)
    home.install(keyed)
    async with session_factory() as s:
        result = await s.client.call_tool("registry_execute", {"toolId": "interop.wordcount_broken", "input": {}})
        assert result.is_error
        error = support.tool_payload(result)
        assert error["success"] is False
        assert error["details"]["code"] == "TOOL_FAILED", error
        verdict = support.result_meta(result).get(support.VERDICT_KEY)
        assert verdict and verdict["status"] == "runtime_error" and verdict["exitCode"] == 1
        alternatives = error.get("alternatives")
        assert isinstance(alternatives, list), error
        assert alternatives, f"no alternatives for a failed tool with look-alikes installed: {json.dumps(error)[:1500]}"
        for alternative in alternatives:
            assert isinstance(alternative.get("id"), str) and alternative["id"] != "interop.wordcount_broken"
            assert isinstance(alternative.get("requiredEnvVars"), list), alternative
            assert all(isinstance(v, dict) and isinstance(v.get("name"), str) for v in alternative["requiredEnvVars"])
        by_id = {a["id"]: a for a in alternatives}
        assert "interop.wordcount_keyed" in by_id, list(by_id)
        assert [v["name"] for v in by_id["interop.wordcount_keyed"]["requiredEnvVars"]] == ["WORDCOUNT_API_KEY"]
        run_id = support.result_meta(result)[RUN_ID_KEY]
    assert home.run(run_id)["status"] == "failed"


@pytest.mark.parametrize("transport", ["http"])
async def test_http_closing_the_response_stream_cancels(
    home: support.Home, serve: Any, transport: str, mode: str
) -> None:
    """Raw Streamable HTTP, in both revisions: a tools/call streamed as SSE, whose connection the client
    closes mid-run; the jail is gone within a second and the run is recorded cancelled."""
    from raw_peers import RawHTTP

    marker = sleeper(home)
    peer = RawHTTP(serve.get(), mode)
    try:
        body = peer.frame("tools/call", {"name": "registry_execute",
                                         "arguments": {"toolId": "interop.sleeper", "input": {}}})
        headers = peer.headers_for(body)

        found: dict[str, Any] = {}

        def stream() -> None:
            with peer.http.stream("POST", peer.serve.mcp_url, content=json.dumps(body).encode(),
                                  headers=headers) as response:
                assert response.status_code == 200, response.status_code
                assert response.headers.get("content-type", "").startswith("text/event-stream")
                deadline = time.monotonic() + 20
                for _ in response.iter_raw():
                    running = support.processes_matching(marker)
                    if len(running) >= 3 or time.monotonic() > deadline:
                        found["running"] = running
                        found["closed_at"] = time.monotonic()
                        break  # leaving the iterator closes the response: the stream is gone
            found.setdefault("closed_at", time.monotonic())

        await anyio.to_thread.run_sync(stream)
        assert len(found.get("running", [])) >= 3, f"the sleeper never ran: {found}"
        closed_at = found["closed_at"]
        left = await support.wait_for_processes(marker, present=False, timeout=max(0.0, closed_at + 1.0 - time.monotonic()))
        assert not left, f"tool processes alive {time.monotonic() - closed_at:.2f} s after the stream closed: {left}"
        run = support.wait_for_run_status(home, "interop.sleeper", "cancelled", timeout=5)
        assert [e["type"] for e in home.run(run["id"])["events"]][-1] == "run.cancelled"
        peer.still_serving()
    finally:
        peer.close()


async def test_early_cancellation_is_not_lost(
    home: support.Home, session_factory: Any, transport: str, mode: str
) -> None:
    """A cancellation that arrives right after the request (before the host has started the run) must
    still stop it: no tool process appears (or it is killed at once) and every run is cancelled."""
    marker = sleeper(home)
    async with session_factory() as s:
        for delay in (0.0, 0.005, 0.01, 0.02, 0.03, 0.05):
            scope = anyio.CancelScope()

            async def call() -> None:
                with scope:
                    await s.client.call_tool("registry_execute", {"toolId": "interop.sleeper", "input": {}})

            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                await anyio.sleep(delay)
                scope.cancel()
        # Long enough for a run the host did not cancel to reach its jail (the sleeper starts in < 1 s).
        await anyio.sleep(2.5)
        alive = support.processes_matching(marker)
        runs = home.runs_of("interop.sleeper")
        await s.client.list_tools()
    assert not alive, f"a cancelled call's tool is running 2.5 s later: {alive}; runs: {[r['status'] for r in runs]}"
    assert all(r["status"] == "cancelled" for r in runs), [(r["id"], r["status"]) for r in runs]
