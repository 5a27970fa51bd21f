"""The PRD's conversation flows through the REST API (DESIGN §10): A (ask, a tool runs, the answer),
B (a missing key pauses, the owner provides it, the same run resumes), C (plan first, then run the
chosen plan), D (a failing tool, with alternatives), and the export."""

from __future__ import annotations

import json
import secrets
from typing import Any

import api_support as support
from api_support import CONVERSATIONS, UUID_RE


def assert_ids_consecutive(events: list[support.Event]) -> None:
    ids = [e.id for e in events]
    assert all(isinstance(i, int) for i in ids), f"an event without a numeric id: {ids}"
    assert all(b == a + 1 for a, b in zip(ids, ids[1:])), f"ids are not strictly increasing by 1: {ids}"


def assert_in_order(types: list[str], expected: list[str]) -> None:
    """`expected` is a subsequence of `types`."""
    position = 0
    for kind in types:
        if position < len(expected) and kind == expected[position]:
            position += 1
    assert position == len(expected), f"events {types} do not contain {expected} in this order"


def only(events: list[support.Event], kind: str) -> support.Event:
    found = [e for e in events if e.type == kind]
    assert len(found) == 1, f"want one {kind}, got {len(found)}: {[e.type for e in events]}"
    return found[0]


# MARK: - Flow A


def test_flow_a_message_runs_text_stats_and_answers_from_its_result(alice: support.Api) -> None:
    created = alice.post(CONVERSATIONS, {})
    assert created.status_code == 201, created.text
    conversation = created.json()
    cid = conversation["id"]
    assert UUID_RE.match(cid), cid
    assert created.headers.get("Location") == f"{CONVERSATIONS}/{cid}", created.headers
    assert conversation["owner"] == "alice" and conversation["state"] == "idle"
    assert conversation["title"] is None

    stream = alice.send(cid, support.COUNT_MESSAGE)
    message_id = stream.response.headers.get("X-Message-Id")
    events = stream.read_all()
    types = [e.type for e in events]
    assert types[0] == "message.created", types
    assert types[-1] == "message.completed", types
    assert_in_order(types, ["message.created", "plan", "token", "tool.started", "tool.finished", "message.completed"])
    first_tool = types.index("tool.started")
    assert "token" in types[types.index("plan"):first_tool], types
    assert_ids_consecutive(events)

    created_event = events[0].data
    assert created_event["assistantMessageId"] == message_id, (created_event, message_id)
    assert created_event["userMessage"]["content"] == support.COUNT_MESSAGE
    plan = only(events, "plan").data
    assert plan["plan"] and plan["plan"][0]["toolId"] == "text.stats", plan
    started = only(events, "tool.started").data
    assert started["toolId"] == "text.stats" and started["name"] == "registry_execute", started
    run_id = started["runId"]
    assert run_id, started
    finished = only(events, "tool.finished").data
    assert finished["runId"] == run_id and finished["status"] == "completed", finished
    assert finished["isError"] is False, finished
    assert finished["output"]["words"] == 4, finished
    completed = events[-1].data
    answer = completed["message"]["content"]
    assert "text.stats" in answer and '"words":4' in answer.replace(" ", ""), answer
    spoken = "".join(e.data["text"] for e in events if e.type == "token")
    assert spoken.replace("\n", "") == answer.replace("\n", ""), (spoken, answer)

    detail = alice.conversation(cid)
    assert detail["title"] == support.COUNT_MESSAGE, detail["title"]
    assert detail["state"] == "idle"
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant"], detail["messages"]
    user, assistant = detail["messages"]
    assert user["content"] == support.COUNT_MESSAGE and user["author"] == "alice"
    assert assistant["id"] == message_id and assistant["status"] == "complete" and assistant["content"] == answer
    assert assistant["replyTo"] == user["id"]
    [call] = assistant["toolCalls"]
    assert call["runId"] == run_id and call["status"] == "completed" and call["toolId"] == "text.stats", call
    assert call["arguments"]["input"]["text"] == "the quick brown fox", call

    run = alice.run(run_id)
    assert run["id"] == run_id and run["status"] == "completed" and run["toolId"] == "text.stats", run
    run_events = [e["type"] for e in run["events"]]
    assert run_events[0] == "run.created" and run_events[-1] == "run.completed", run_events
    assert "tool.started" in run_events and "tool.finished" in run_events, run_events
    sequences = [e["sequence"] for e in run["events"]]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences), sequences


# MARK: - Flow B


def test_flow_b_missing_key_pauses_and_the_owner_resumes_the_same_run(
    appliance: Any, alice: support.Api, bob: support.Api
) -> None:
    secret = "sk-api-suite-" + secrets.token_hex(16)
    cid = alice.create_conversation()["id"]
    stream = alice.send(cid, support.KEYED_MESSAGE)
    events = stream.read_all()
    types = [e.type for e in events]
    assert types[-2:] == ["pause", "message.paused"], types
    assert_ids_consecutive(events)
    pause = events[-2].data
    assert pause["kind"] == "credentials", pause
    assert pause["toolId"] == support.KEYED_TOOL, pause
    request_id = pause["credentialRequestId"]
    assert UUID_RE.match(request_id), pause
    assert [v["name"] for v in pause["missingVars"]] == [support.KEYED_VAR], pause
    assert pause["error"]["details"]["code"] == "MISSING_ENV_VARS", pause
    paused_run = pause["runId"]
    message_id = events[-1].data["messageId"]

    detail = alice.conversation(cid)
    assert detail["state"] == "paused", detail
    assert detail["messages"][-1]["status"] == "paused"
    [ask] = detail["credentialRequests"]
    assert ask["id"] == request_id and ask["status"] == "pending" and ask["runId"] == paused_run, ask

    # Another user's key may not store the owner's credentials.
    refused = bob.post(f"{CONVERSATIONS}/{cid}/credentials",
                       {"credentialRequestId": request_id, "values": {support.KEYED_VAR: secret}})
    support.assert_error(refused, 403, "POLICY_DENIED")
    # A name that was not asked for is named.
    wrong = alice.post(f"{CONVERSATIONS}/{cid}/credentials",
                       {"credentialRequestId": request_id, "values": {"NOT_ASKED_FOR": secret}})
    support.assert_error(wrong, 400, "INVALID_INPUT", naming="NOT_ASKED_FOR")
    assert alice.conversation(cid)["state"] == "paused"

    resumed = alice.stream("POST", f"{CONVERSATIONS}/{cid}/credentials",
                           {"credentialRequestId": request_id, "values": {support.KEYED_VAR: secret}})
    after = resumed.read_all()
    kinds = [e.type for e in after]
    assert_in_order(kinds, ["message.resumed", "tool.finished", "message.completed"])
    assert kinds[0] == "message.resumed" and kinds[-1] == "message.completed", kinds
    assert_ids_consecutive(after)
    assert after[0].id == events[-1].id + 1, (after[0].id, events[-1].id)
    assert after[0].data["messageId"] == message_id and after[0].data["credentialRequestId"] == request_id
    finished = only(after, "tool.finished").data
    assert finished["status"] == "completed" and finished["isError"] is False, finished
    # Resumed from the same step: the same run, paused then resumed.
    assert finished["runId"] == paused_run, (finished["runId"], paused_run)
    assert finished["output"]["length"] == len(secret), finished

    detail = alice.conversation(cid)
    assert detail["state"] == "idle"
    assert detail["messages"][-1]["status"] == "complete"
    assert detail["credentialRequests"][0]["status"] == "provided", detail["credentialRequests"]
    [call] = detail["messages"][-1]["toolCalls"]
    assert call["runId"] == paused_run and call["status"] == "completed", call

    exported_json = alice.get(f"{CONVERSATIONS}/{cid}/export?format=json")
    exported_md = alice.get(f"{CONVERSATIONS}/{cid}/export?format=md")
    replay = alice.stream("GET", f"{CONVERSATIONS}/{cid}/events").read_all()
    assert replay, "the conversation's stream replays its events"
    # The secret is in no response, event or export, nor in the server's log, nor in the run store.
    texts = {
        "responses and events": "\n".join(appliance.received),
        "export json": exported_json.text,
        "export md": exported_md.text,
        "server stderr": appliance.server.log_text(),
        "runs show (CLI)": appliance.home.cli("runs", "show", paused_run, "--json").stdout,
    }
    for where, text in texts.items():
        assert secret not in text, f"the secret leaked into {where}: …{text[max(0, text.find(secret) - 300):][:600]}…"

    # The run resource: the same run, paused then resumed from the step that paused.
    run = alice.run(paused_run)
    assert run["status"] == "completed", run["status"]
    run_types = [e["type"] for e in run["events"]]
    assert_in_order(run_types, ["run.created", "credentials.requested", "run.paused", "run.resumed",
                                "tool.started", "run.completed"])
    assert run_types.count("run.created") == 1, run_types
    assert secret not in json.dumps(run)


# MARK: - Flow C


def test_flow_c_plan_first_then_run_the_chosen_plan(alice: support.Api) -> None:
    cid = alice.create_conversation(title="Plans first")["id"]
    request = "Count the words in: one two three four five"
    plan = alice.json("POST", f"{CONVERSATIONS}/{cid}/plan", body={"content": request})
    plan_id = plan["id"]
    assert UUID_RE.match(plan_id), plan
    assert plan["request"] == request and plan["author"] == "alice", plan
    assert 1 <= len(plan["plans"]) <= 3, plan
    for proposal in plan["plans"]:  # DESIGN §7
        assert isinstance(proposal["confidence"], (int, float)) and 0 <= proposal["confidence"] <= 1, proposal
        assert isinstance(proposal["reasoning"], str) and proposal["reasoning"], proposal
        assert proposal["plan"], proposal
        for number, step in enumerate(proposal["plan"], start=1):
            assert step["stepNumber"] == number, step
            assert step["toolName"] in ("registry_search", "registry_execute"), step
            assert isinstance(step["purpose"], str) and step["purpose"], step
    confidences = [p["confidence"] for p in plan["plans"]]
    assert confidences == sorted(confidences, reverse=True), confidences
    best = plan["plans"][0]["plan"][0]
    assert best["toolName"] == "registry_execute" and best["toolId"] == "text.stats", best
    # Planning runs nothing.
    assert alice.conversation(cid)["messages"] == []

    stream = alice.send(cid, planId=plan_id, choice=1)
    message_id = stream.response.headers.get("X-Message-Id")
    events = stream.read_all()
    types = [e.type for e in events]
    assert_in_order(types, ["message.created", "tool.started", "tool.finished", "message.completed"])
    assert types[-1] == "message.completed", types
    assert_ids_consecutive(events)
    finished = only(events, "tool.finished").data
    assert finished["status"] == "completed" and finished["output"]["words"] == 5, finished

    detail = alice.conversation(cid)
    assert detail["title"] == "Plans first"
    [stored] = detail["plans"]
    assert stored["id"] == plan_id and stored["chosen"] == 1 and stored["messageId"] == message_id, stored
    assert detail["messages"][0]["content"] == request, "the plan's request is the user's message"
    [call] = detail["messages"][1]["toolCalls"]
    assert call["toolId"] == "text.stats" and call["status"] == "completed", call

    # A choice beyond the plans, and a plan of another conversation, are refused.
    other = alice.create_conversation()["id"]
    bad = alice.post(f"{CONVERSATIONS}/{cid}/messages", {"planId": plan_id, "choice": len(plan["plans"]) + 1},
                     headers={"Accept": "application/json"})
    support.assert_error(bad, 400, "INVALID_INPUT", naming="choice")
    foreign = alice.post(f"{CONVERSATIONS}/{other}/messages", {"planId": plan_id, "choice": 1},
                         headers={"Accept": "application/json"})
    support.assert_error(foreign, 404, "NOT_FOUND", naming="planId")


# MARK: - Flow D


def test_flow_d_failing_tool_reports_the_failure_with_alternatives(alice: support.Api) -> None:
    cid = alice.create_conversation()["id"]
    events = alice.send(cid, support.FAILING_MESSAGE).read_all()
    types = [e.type for e in events]
    assert types[-1] == "message.completed", types
    assert_ids_consecutive(events)
    started = only(events, "tool.started").data
    assert started["toolId"] == "compute.python", started
    finished = only(events, "tool.finished").data
    assert finished["isError"] is True, finished
    assert finished["status"] != "completed", finished
    assert "alternatives" in finished, f"tool.finished of a failed call lacks `alternatives`: {finished}"
    assert isinstance(finished["alternatives"], list), finished
    assert all(a["id"] != "compute.python" for a in finished["alternatives"]), finished
    assert finished["error"]["success"] is False and finished["error"]["details"]["code"], finished
    answer = events[-1].data["message"]["content"]
    assert "compute.python" in answer and "failed" in answer, answer
    assert finished["error"]["details"]["code"] in answer, answer

    [call] = alice.conversation(cid)["messages"][1]["toolCalls"]
    assert call["status"] == finished["status"] and "alternatives" in call["result"], call
    run = alice.run(finished["runId"])
    assert run["status"] == "failed", run["status"]


# MARK: - Export


def test_export_json_md_and_unknown_format(alice: support.Api) -> None:
    cid = alice.create_conversation()["id"]
    alice.send(cid, "Count the words in: export me please").read_all()
    detail = alice.conversation(cid)

    as_json = alice.get(f"{CONVERSATIONS}/{cid}/export?format=json")
    assert as_json.status_code == 200, as_json.text
    assert as_json.headers["content-type"].startswith("application/json"), as_json.headers
    disposition = as_json.headers.get("content-disposition", "")
    assert disposition.startswith("attachment") and f"{cid}.json" in disposition, disposition
    assert as_json.json() == detail

    default = alice.get(f"{CONVERSATIONS}/{cid}/export")
    assert default.status_code == 200 and default.json() == detail

    as_md = alice.get(f"{CONVERSATIONS}/{cid}/export?format=md")
    assert as_md.status_code == 200, as_md.text
    assert as_md.headers["content-type"].startswith("text/markdown"), as_md.headers
    assert f"{cid}.md" in as_md.headers.get("content-disposition", ""), as_md.headers
    text = as_md.text
    assert text.startswith("# "), text[:200]
    for message in detail["messages"]:
        assert message["content"] in text, (message["content"], text)
    assert "text.stats" in text and detail["messages"][1]["toolCalls"][0]["runId"] in text

    pdf = alice.get(f"{CONVERSATIONS}/{cid}/export?format=pdf")
    support.assert_error(pdf, 400, "INVALID_INPUT", naming="format")
