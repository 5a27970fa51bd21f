"""Stopping the server: SIGTERM mid-run cancels cleanly; `kill -9` mid-message leaves the message
interrupted, found so by the next server on the same home, which resumes its streams and takes new
messages."""

from __future__ import annotations

import time
from typing import Any

import api_support as support
from api_support import CONVERSATIONS


def test_sigterm_mid_run_cancels_cleanly_and_exits_0(fresh_home: support.Home, servers: list) -> None:
    key = fresh_home.create_key("alice", "alice")
    server = support.start_server(fresh_home, name="sigterm")
    servers.append(server)
    api = support.Api(server, key, [])
    accepted = api.post(f"/api/tools/{support.SLEEPER_TOOL}/runs", {"input": {}, "wait": False})
    assert accepted.status_code == 202, accepted.text
    tool_run = accepted.json()["runId"]
    cid = api.create_conversation()["id"]
    stream = api.send(cid, support.SLEEPER_MESSAGE)
    message_run = stream.until("tool.started").data["runId"]
    running = support.wait_sleepers(fresh_home, present=True, timeout=20, minimum=6)
    assert len(running) >= 6, f"both sleepers should run: {running}"

    started = time.monotonic()
    status = server.stop(grace=30)
    took = time.monotonic() - started
    assert status == 0, f"exit {status} on SIGTERM; log: {server.log_text()[-3000:]}"
    assert took < 20, f"the graceful shutdown took {took:.1f} s"
    left = support.wait_sleepers(fresh_home, present=False, timeout=5)
    assert not left, f"tool processes outlived the server: {left}"
    for run_id in (tool_run, message_run):
        run = fresh_home.run(run_id)
        assert run["status"] == "cancelled", (run_id, run["status"])
        assert run["events"][-1]["type"] == "run.cancelled", [e["type"] for e in run["events"]]
    try:
        stream.read_all(deadline=10)
    except Exception:  # noqa: BLE001 - the connection may end without a last event; what is stored counts
        pass

    # The next server finds the message cancelled (not interrupted): the shutdown recorded it.
    again = support.start_server(fresh_home, name="after-sigterm")
    servers.append(again)
    api = support.Api(again, key, [])
    detail = api.conversation(cid)
    assistant = detail["messages"][-1]
    assert assistant["status"] == "cancelled", assistant
    assert assistant["toolCalls"][0]["status"] == "cancelled", assistant["toolCalls"]
    assert detail["state"] == "idle", detail


def test_kill_9_mid_message_then_restart_shows_it_interrupted_and_resumes(
    fresh_home: support.Home, servers: list
) -> None:
    key = fresh_home.create_key("alice", "alice")
    server = support.start_server(fresh_home, name="killed")
    servers.append(server)
    api = support.Api(server, key, [])
    cid = api.create_conversation()["id"]
    first = api.send(cid, support.COUNT_MESSAGE).read_all()
    assert first[-1].type == "message.completed"
    before = api.conversation(cid)

    stream = api.send(cid, support.SLEEPER_MESSAGE)
    started = stream.until("tool.started")
    run_id = started.data["runId"]
    seen = started.id
    assert support.wait_sleepers(fresh_home, present=True, timeout=20), "the sleeper never ran"
    assert server.kill9() == -9
    stream.close()
    left = support.wait_sleepers(fresh_home, present=False, timeout=10)
    assert not left, f"the jail outlived its killed server by 10 s: {left}"

    again = support.start_server(fresh_home, name="restarted")
    servers.append(again)
    api = support.Api(again, key, [])
    detail = api.conversation(cid)
    assert detail["state"] == "idle", detail
    messages = detail["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"], messages
    assert messages[:2] == before["messages"], "earlier messages are intact"
    interrupted = messages[-1]
    assert interrupted["status"] == "interrupted", interrupted
    [call] = interrupted["toolCalls"]
    assert call["status"] == "interrupted" and call["runId"] == run_id, call
    resumed = api.stream("GET", f"{CONVERSATIONS}/{cid}/events", headers={"Last-Event-ID": str(seen)}).read_all()
    assert resumed, "nothing after the last event seen"
    assert resumed[0].id == seen + 1, [(e.id, e.type) for e in resumed]
    ids = [e.id for e in resumed]
    assert ids == list(range(seen + 1, seen + 1 + len(ids))), ids
    assert resumed[-1].type == "message.interrupted", [e.type for e in resumed]
    assert resumed[-1].data["messageId"] == interrupted["id"], resumed[-1].data

    after = api.send(cid, "Count the words in: life goes on").read_all()
    assert after[-1].type == "message.completed", [e.type for e in after]
    assert after[0].id == resumed[-1].id + 1, (after[0].id, resumed[-1].id)
    assert len(api.conversation(cid)["messages"]) == 6

    run = api.run(run_id)
    assert run["status"] == "interrupted", f"the run of a killed server should be interrupted: {run['status']}"
