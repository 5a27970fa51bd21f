"""Tools and runs as resources, cancellation, one message at a time, and a conversation shared by its
id (DESIGN §10)."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

import api_support as support
from api_support import CONVERSATIONS, UUID_RE


def wait_sleepers(home: support.Home, present: bool, timeout: float, minimum: int = 3) -> list[str]:
    """Polls until at least `minimum` of the home's sleeper processes run (present) or none does; returns
    the last sight."""
    return support.wait_sleepers(home, present, timeout, minimum)


def wait_idle(api: support.Api, cid: str, timeout: float = 15) -> dict[str, Any]:
    detail = support.wait_for(lambda: (lambda d: d if d["state"] == "idle" else None)(api.conversation(cid)), timeout)
    assert detail, f"conversation {cid} not idle within {timeout} s: {api.conversation(cid)}"
    return detail


# MARK: - Cancel


def test_cancel_running_message_stops_the_tool_and_records_the_run_cancelled(
    appliance: Any, alice: support.Api
) -> None:
    home = appliance.home
    cid = alice.create_conversation()["id"]
    stream = alice.send(cid, support.SLEEPER_MESSAGE)
    message_id = stream.response.headers.get("X-Message-Id")
    started = stream.until("tool.started")
    assert started.data["toolId"] == support.SLEEPER_TOOL, started.data
    run_id = started.data["runId"]
    running = wait_sleepers(home, present=True, timeout=20)
    assert len(running) >= 3, f"the sleeper (a shell and two sleeps) never ran: {running}"

    cancelled = alice.json("POST", f"{CONVERSATIONS}/{cid}/cancel", body={})
    assert cancelled == {"cancelled": True, "messageId": message_id}, cancelled
    stream.read_all(deadline=30)
    assert stream.types()[-1] == "message.cancelled", stream.types()
    left = wait_sleepers(home, present=False, timeout=5)
    assert not left, f"tool processes still alive after the cancel: {left}"

    detail = wait_idle(alice, cid)
    assistant = detail["messages"][-1]
    assert assistant["status"] == "cancelled", assistant
    assert assistant["toolCalls"][0]["status"] == "cancelled", assistant["toolCalls"]
    # Nothing is left to cancel; the conversation takes a new message.
    support.assert_error(alice.post(f"{CONVERSATIONS}/{cid}/cancel", {}), 409, "INVALID_STATE")
    events = alice.send(cid, "Count the words in: after the cancel").read_all()
    assert events[-1].type == "message.completed", [e.type for e in events]
    run = alice.wait_run(run_id, "cancelled")
    assert run["events"][-1]["type"] == "run.cancelled", [e["type"] for e in run["events"]]


def test_cancel_single_tool_run_kills_its_jail(appliance: Any, alice: support.Api) -> None:
    home = appliance.home
    accepted = alice.post(f"/api/tools/{support.SLEEPER_TOOL}/runs", {"input": {}, "wait": False})
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    run_id = body["runId"]
    assert accepted.headers.get("Location") == f"/api/runs/{run_id}", accepted.headers
    assert body["events"] == f"/api/runs/{run_id}/events", body
    running = wait_sleepers(home, present=True, timeout=20)
    assert len(running) >= 3, f"the sleeper never ran: {running}"
    assert alice.run(run_id)["status"] == "running"

    answer = alice.json("POST", f"/api/runs/{run_id}/cancel", body={})
    assert answer == {"runId": run_id, "cancelled": True}, answer
    left = wait_sleepers(home, present=False, timeout=5)
    assert not left, f"tool processes still alive after the cancel: {left}"
    run = alice.wait_run(run_id, "cancelled")
    assert run["events"][-1]["type"] == "run.cancelled", [e["type"] for e in run["events"]]
    # Cancelling a finished run changes nothing.
    again = alice.json("POST", f"/api/runs/{run_id}/cancel", body={})
    assert again["cancelled"] is False, again
    assert alice.run(run_id)["status"] == "cancelled"


# MARK: - One message at a time


def test_second_message_while_one_runs_is_409_invalid_state(
    appliance: Any, alice: support.Api, alice2: support.Api, bob: support.Api
) -> None:
    cid = alice.create_conversation()["id"]
    first = alice.post(f"{CONVERSATIONS}/{cid}/messages", {"content": support.SLEEPER_MESSAGE},
                       headers={"Accept": "application/json"})
    assert first.status_code == 202, first.text
    ids = first.json()
    assert ids["conversationId"] == cid and UUID_RE.match(ids["messageId"]), ids
    assert ids["events"] == f"{CONVERSATIONS}/{cid}/events", ids
    try:
        for api in (alice, alice2, bob):
            second = api.post(f"{CONVERSATIONS}/{cid}/messages", {"content": "Count the words in: too soon"},
                              headers={"Accept": "application/json"})
            body = support.assert_error(second, 409, "INVALID_STATE")
            assert body["details"]["runningMessageId"] == ids["messageId"], body
        assert alice.conversation(cid)["state"] == "running"
        # The message's events, from where the 202 said they start.
        stream = alice.stream("GET", f"{CONVERSATIONS}/{cid}/events",
                              headers={"Last-Event-ID": str(ids["afterEventId"])})
        created = stream.until("message.created")
        assert created.id == ids["afterEventId"] + 1, created
        stream.until("tool.started")
        wait_sleepers(appliance.home, present=True, timeout=20)
    finally:
        alice.post(f"{CONVERSATIONS}/{cid}/cancel", {"messageId": ids["messageId"]})
    stream.read_all(deadline=30)
    assert stream.types()[-1] == "message.cancelled", stream.types()
    wait_idle(alice, cid)
    assert not wait_sleepers(appliance.home, present=False, timeout=5)
    # Only the first message was stored.
    assert [m["role"] for m in alice.conversation(cid)["messages"]] == ["user", "assistant"]


# MARK: - A shared conversation


def test_shared_conversation_runs_tools_with_the_owners_credentials(
    appliance: Any, alice: support.Api, bob: support.Api
) -> None:
    value = "shared-" + secrets.token_hex(16)
    appliance.home.set_credential(support.SHARED_VAR, value, "user:alice")
    cid = alice.create_conversation(title="Alice's, shared with Bob")["id"]
    assert cid not in json.dumps(bob.json("GET", CONVERSATIONS)), "bob lists only his own conversations"

    stream = bob.send(cid, support.SHARED_MESSAGE)
    events = stream.read_all()
    types = [e.type for e in events]
    assert types[-1] == "message.completed", types
    assert "pause" not in types, "alice's key is in her vault: nothing to ask"
    [finished] = [e.data for e in events if e.type == "tool.finished"]
    assert finished["status"] == "completed", finished
    # The tool got alice's value (it reports only a hash of it).
    assert finished["output"]["sha256"] == hashlib.sha256(value.encode()).hexdigest(), finished
    detail = alice.conversation(cid)
    user, assistant = detail["messages"]
    assert user["author"] == "bob" and assistant["author"] == "alice", detail["messages"]
    assert detail["owner"] == "alice"
    # Bob may post, never store the owner's credentials.
    refused = bob.post(f"{CONVERSATIONS}/{cid}/credentials", {"values": {support.SHARED_VAR: "bob-" + value}})
    support.assert_error(refused, 403, "POLICY_DENIED")
    assert value not in "\n".join(appliance.received)

    # The run is alice's, though bob's key started it (a conversation's runs are visible to its keys).
    run = bob.run(finished["runId"])
    assert run["status"] == "completed", run["status"]
    assert run.get("user") == "alice", (
        f"the run of a message bob posted in alice's conversation must be alice's (`user`): "
        f"{ {k: v for k, v in run.items() if k not in ('events', 'toolRuns', 'result')} }")


# MARK: - Tools and runs


def test_tool_search_finds_text_stats(alice: support.Api) -> None:
    found = alice.json("GET", "/api/tools?q=count words")
    ids = [r["id"] for r in found["results"]]
    assert "text.stats" in ids[:3], ids
    hit = found["results"][ids.index("text.stats")]
    for name in ("id", "version", "description", "score", "installed", "risk", "binding"):
        assert name in hit, (name, hit)
    support.assert_error(alice.get("/api/tools"), 400, "INVALID_INPUT", naming="q")
    support.assert_error(alice.get("/api/tools?q=count&limit=0"), 400, "INVALID_INPUT", naming="limit")


def test_tool_run_returns_output_and_bad_input_and_unknown_tools_are_refused(
    alice: support.Api, alice2: support.Api, bob: support.Api
) -> None:
    done = alice.json("POST", "/api/tools/text.stats/runs", body={"input": {"text": "one two three"}})
    assert done["success"] is True and done["output"]["words"] == 3, done

    bad = alice.post("/api/tools/text.stats/runs", {"input": {"text": 5}})
    support.assert_error(bad, 400, "INVALID_INPUT")
    support.assert_error(alice.post("/api/tools/text.stats/runs", {"input": "text"}), 400, "INVALID_INPUT",
                         naming="input")
    support.assert_error(alice.post("/api/tools/text.stats/runs", {"input": {"text": "a"}, "wait": "yes"}), 400,
                         "INVALID_INPUT", naming="wait")
    unknown = alice.post("/api/tools/no.such_tool/runs", {"input": {}})
    support.assert_error(unknown, 404, "TOOL_NOT_FOUND")
    support.assert_error(alice.get("/api/runs/00000000-0000-4000-8000-000000000000"), 404, "NOT_FOUND")

    run = alice.run(done["runId"])
    assert run["status"] == "completed" and run["toolId"] == "text.stats", run
    assert run["input"] == {"text": "one two three"} and run["result"]["output"]["words"] == 3, run
    # A run of alice's is seen by her other key, never by bob's (the same 404 as a run that does not exist).
    assert alice2.run(done["runId"])["id"] == done["runId"]
    support.assert_error(bob.get(f"/api/runs/{done['runId']}"), 404, "NOT_FOUND")
    support.assert_error(bob.post(f"/api/runs/{done['runId']}/cancel", {}), 404, "NOT_FOUND")


def test_run_events_replay_and_resume_after_last_event_id(alice: support.Api) -> None:
    done = alice.json("POST", "/api/tools/text.stats/runs", body={"input": {"text": "Replay me. Twice."}})
    run = alice.run(done["runId"])
    stored = [(e["sequence"], e["type"]) for e in run["events"]]
    assert len(stored) >= 4, stored

    replay = alice.stream("GET", f"/api/runs/{run['id']}/events").read_all(deadline=30)
    assert [(e.id, e.type) for e in replay] == stored, ([(e.id, e.type) for e in replay], stored)
    assert all(e.data["runId"] == run["id"] and e.data["sequence"] == e.id for e in replay)

    middle = stored[len(stored) // 2][0]
    resumed = alice.stream("GET", f"/api/runs/{run['id']}/events",
                           headers={"Last-Event-ID": str(middle)}).read_all(deadline=30)
    assert [(e.id, e.type) for e in resumed] == [s for s in stored if s[0] > middle], (resumed, stored)
    last = stored[-1][0]
    assert alice.stream("GET", f"/api/runs/{run['id']}/events",
                        headers={"Last-Event-ID": str(last)}).read_all(deadline=30) == []
    support.assert_error(alice.get(f"/api/runs/{run['id']}/events", headers={"Last-Event-ID": "soon"}), 400,
                         "INVALID_INPUT", naming="Last-Event-ID")


def test_conversation_events_resume_after_last_event_id_without_repeat_or_gap(alice: support.Api) -> None:
    cid = alice.create_conversation()["id"]
    first = alice.send(cid, "Count the words in: one").read_all()
    second = alice.send(cid, "Count the words in: one two").read_all()
    everything = alice.stream("GET", f"{CONVERSATIONS}/{cid}/events").read_all(deadline=30)
    assert [e.id for e in everything] == list(range(1, len(everything) + 1)), [e.id for e in everything]
    assert [(e.id, e.type) for e in everything] == [(e.id, e.type) for e in first + second]
    cut = first[-1].id
    after = alice.stream("GET", f"{CONVERSATIONS}/{cid}/events", headers={"Last-Event-ID": str(cut)}).read_all()
    assert [(e.id, e.type, e.data) for e in after] == [(e.id, e.type, e.data) for e in second]


def test_status_and_metrics(alice: support.Api, anonymous: support.Api) -> None:
    status = alice.json("GET", "/api/status")
    assert status["status"] == "ok", status
    assert status["problems"] == [], status
    assert status["executor"]["store"] == "ok", status
    assert "registry" in status and "model" in status, status
    support.assert_error(anonymous.get("/api/status"), 401, "UNAUTHORIZED")

    metrics = anonymous.get("/metrics")
    assert metrics.status_code == 200, metrics.text
    assert metrics.headers["content-type"].startswith("text/plain"), metrics.headers
    assert "omega_http_requests_total" in metrics.text, metrics.text[:2000]
    assert any(line.startswith("omega_http_requests_total{") for line in metrics.text.splitlines()), metrics.text[:2000]

    spec = anonymous.get("/openapi.json")
    assert spec.status_code == 200, spec.text[:500]
    document = spec.json()
    assert document["openapi"].startswith("3.1"), document.get("openapi")
    paths = sorted(document["paths"])
    assert "/api/omega/conversations" in paths, paths
    for suffix in ("/messages", "/credentials", "/plan", "/export", "/events"):
        assert any(p.startswith("/api/omega/conversations/{") and p.endswith(suffix) for p in paths), (suffix, paths)
    for prefix in ("/api/tools", "/api/runs/{"):
        assert any(p.startswith(prefix) for p in paths), (prefix, paths)
