"""The PRD's conversation flows through the console: A (ask, text.stats runs, the answer streams in), B
(plan first, approval, the credential prompt, the same run resumes, an artifact), C (plan options, run
plan 1), D (a failing tool with alternatives)."""

from __future__ import annotations

import json
import re
import secrets

from playwright.sync_api import expect

import console_support as support
from conftest import Console
from ui import (DURATION, TOOL_TIMEOUT, WORDS, any_of, ask_plan, by, dom_everything, fill_field, messages,
                record_statuses, statuses, storage, tool_call, wait_answer)


def test_flow_a_count_words_streams_answer_and_tool_call(console: Console, alice_api: support.Api) -> None:
    page = console.page
    cid = console.new_conversation()
    expect(page.get_by_test_id("landing")).to_be_visible()
    expect(page.get_by_test_id("sample-prompt").first).to_be_visible()
    assert page.get_by_test_id("sample-prompt").count() >= 2, "the landing shows sample prompts"

    record_statuses(page)
    console.send(support.COUNT_MESSAGE)
    expect(messages(page, "user").last).to_contain_text(support.COUNT_MESSAGE)
    answer = wait_answer(page)
    assert statuses(page)[:1] == ["running"], \
        f"the answer was not shown while it streamed (statuses seen: {statuses(page)})"
    expect(answer.get_by_test_id("message-content")).to_contain_text("text.stats")

    call = tool_call(page, "text.stats")
    expect(call).to_have_attribute("data-status", "completed", timeout=TOOL_TIMEOUT)
    expect(call).to_contain_text(WORDS(4))
    expect(call.get_by_test_id("tool-duration")).to_have_text(DURATION)
    call.get_by_test_id("tool-call-raw-toggle").click()
    raw = call.get_by_test_id("tool-call-raw")
    expect(raw).to_be_visible()
    expect(raw).to_contain_text(re.compile(r'"words"\s*:\s*4\b'))

    # The page shows what the API stored.
    [stored] = alice_api.conversation(cid)["messages"][1]["toolCalls"]
    assert call.get_attribute("data-run-id") == stored["runId"], (call.get_attribute("data-run-id"), stored)
    expect(page.get_by_test_id("landing")).to_be_hidden()
    # The sidebar lists the conversation under its title (the first message); the appliance is healthy.
    item = by(page, "conversation-item", id=cid)
    expect(item).to_contain_text(support.COUNT_MESSAGE[:20])
    expect(page.get_by_test_id("status-banner")).to_have_attribute("data-state", "ok")
    console.shot()


def test_flow_b_plan_approve_credential_resume_same_run_artifact(
    console: Console, alice_api: support.Api
) -> None:
    page = console.page
    secret = "whsec-console-" + secrets.token_hex(16)
    cid = console.new_conversation()

    panel = ask_plan(page, support.WEBHOOK_MESSAGE)
    option = panel.get_by_test_id("plan-option").filter(has_text="notify.webhook_prepare").first
    expect(option.get_by_test_id("plan-step").first).to_contain_text("notify.webhook_prepare")
    # The plan asks for the required inputs the message did not give (event, payload); the optional
    # timestamp is filled when the panel offers it (a fixed delivery).
    values = {"event": "order.created", "payload": '{"orderId": "A-1001"}', "timestamp": "1700000000"}
    for name, value in values.items():
        field = by(option, "plan-missing-input", field=name)
        if name == "timestamp" and field.count() == 0:
            continue
        expect(field).to_be_visible()
        fill_field(field, value)
    option.get_by_test_id("plan-run").click()

    card = page.get_by_test_id("approval-card").last
    expect(card).to_be_visible(timeout=TOOL_TIMEOUT)
    expect(card.get_by_test_id("approval-tool")).to_contain_text("notify.webhook_prepare")
    expect(card.get_by_test_id("approval-scopes")).to_contain_text("send_webhook")
    expect(card.get_by_test_id("approval-risk")).to_contain_text(re.compile("medium", re.I))
    expect(card.get_by_test_id("approval-digest")).to_contain_text(re.compile(r"[0-9a-f]{12}"))
    # What is approved is shown whole, with who asked for it.
    expect(card.get_by_test_id("approval-input")).to_contain_text("hooks.example.com")
    expect(card.get_by_test_id("approval-input")).to_contain_text("A-1001")
    expect(card.get_by_test_id("approval-asker")).to_contain_text("alice")
    call = tool_call(page, "notify.webhook_prepare")
    expect(call).to_have_attribute("data-run-id", re.compile(r"\S"))
    run_before = call.get_attribute("data-run-id")

    # Bob, holding the conversation's link and a key of his own, sees whom the pause waits for and
    # nothing he could answer (only the owner approves; tools run with her credentials).
    browser = console.context.browser
    assert browser is not None
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    console.watch.attach(other)
    try:
        bob_page = other.new_page()
        bob_page.goto(console.appliance.url + f"/c/{cid}")
        console.sign_in(console.appliance.bob, page=bob_page)
        expect(bob_page.get_by_test_id("pause-waiting").first).to_be_visible(timeout=TOOL_TIMEOUT)
        expect(bob_page.get_by_test_id("pause-waiting").first).to_contain_text("alice")
        expect(bob_page.get_by_test_id("approval-approve")).to_have_count(0)
        console.shot("bob-waits", page=bob_page)
    finally:
        other.close()
    digest_shown = card.get_by_test_id("approval-digest").inner_text()
    card.get_by_test_id("approval-approve").click()

    prompt = page.get_by_test_id("credential-prompt").last
    expect(prompt).to_be_visible(timeout=TOOL_TIMEOUT)
    field = by(prompt, "credential-input", name="WEBHOOK_SECRET")
    expect(field).to_have_attribute("type", "password")
    expect(prompt.get_by_test_id("credential-save")).to_be_visible()
    field.fill(secret)
    prompt.get_by_test_id("credential-submit").click()

    expect(call).to_have_attribute("data-status", "completed", timeout=TOOL_TIMEOUT)
    wait_answer(page)
    assert call.get_attribute("data-run-id") == run_before, "the resumed call is not the run that paused"
    run = alice_api.run(run_before)
    types = [e["type"] for e in run["events"]]
    assert run["status"] == "completed" and types.count("run.created") == 1, (run["status"], types)
    assert "run.paused" in types and "run.resumed" in types, types
    assert run["inputDigest"] in digest_shown, f"the card showed {digest_shown!r}, the run's digest is {run['inputDigest']}"

    with page.expect_download() as download_info:
        call.get_by_test_id("artifact-download").or_(page.get_by_test_id("artifact-download")).first.click()
    download = download_info.value
    assert download.suggested_filename.endswith("delivery.json"), download.suggested_filename
    delivery = json.loads(open(download.path()).read())
    assert delivery["headers"]["X-Signature-256"].startswith("sha256="), delivery
    assert json.loads(delivery["body"])["payload"] == {"orderId": "A-1001"}, delivery

    # The secret is nowhere the page keeps or sent in a URL.
    places = {"DOM": dom_everything(page), "storage": storage(page), "URLs": "\n".join(console.watch.urls),
              "delivery": json.dumps(delivery)}
    for where, text in places.items():
        assert secret not in text, f"the secret is in the page's {where}"
    assert alice_api.conversation(cid)["state"] == "idle"
    console.shot()


def test_flow_c_plan_options_then_run_plan_one(console: Console) -> None:
    page = console.page
    console.new_conversation()
    panel = ask_plan(page, support.PLAN_MESSAGE)
    options = panel.get_by_test_id("plan-option")
    assert 1 <= options.count() <= 3, options.count()
    for index in range(options.count()):
        option = options.nth(index)
        expect(option).to_have_attribute("data-choice", str(index + 1))
        steps = option.get_by_test_id("plan-step")
        expect(steps.first).to_be_visible()
        for step in steps.all():
            assert len(step.inner_text().strip()) > 3, "a step without its purpose"
        expect(option.get_by_test_id("plan-confidence")).to_have_text(re.compile(r"\d"))
    first = by(panel, "plan-option", choice="1")
    expect(first).to_contain_text("text.stats")
    assert messages(page).count() == 0, "planning sent a message"
    console.shot("plans")

    first.get_by_test_id("plan-run").click()
    wait_answer(page)
    call = tool_call(page, "text.stats")
    expect(call).to_have_attribute("data-status", "completed")
    expect(call).to_contain_text(WORDS(5))
    expect(messages(page, "user").last).to_contain_text(support.PLAN_MESSAGE)
    console.shot()


def test_flow_d_failing_tool_shows_alternatives_and_picking_one_sends(
    console: Console, alice_api: support.Api
) -> None:
    page = console.page
    cid = console.new_conversation()
    console.send(support.FAILING_MESSAGE)
    wait_answer(page)
    [stored] = alice_api.conversation(cid)["messages"][1]["toolCalls"]
    call = tool_call(page, "compute.python")
    expect(call).to_have_attribute("data-status", stored["status"])
    assert stored["status"] == "failed", stored["status"]

    table = page.get_by_test_id("alternatives-table").last
    expect(table).to_be_visible()
    alternatives = stored["result"]["alternatives"]
    assert alternatives, "the server offered no alternatives"
    rows = table.get_by_test_id("alternative-row")
    expect(rows).to_have_count(len(alternatives))
    for alternative in alternatives:
        row = by(table, "alternative-row", tool_id=alternative["id"])
        expect(row).to_be_visible()
        needs = alternative.get("requiredEnvVars") or alternative.get("missingEnvVars") or []
        for need in needs:  # the keys each alternative needs
            expect(row).to_contain_text(need["name"] if isinstance(need, dict) else need)
    console.shot("alternatives")

    before = messages(page).count()
    rows.first.get_by_test_id("alternative-pick").click()
    expect(any_of(messages(page).nth(before), page.get_by_test_id("plan-panel")).first).to_be_visible()
    expect(by(page, "message", status="running")).to_have_count(0, timeout=TOOL_TIMEOUT)
    console.shot()


def test_flow_b_declined_approval_cancels_the_run_and_asks_for_no_key(
    console: Console, alice_api: support.Api
) -> None:
    page = console.page
    cid = console.new_conversation()
    panel = ask_plan(page, support.WEBHOOK_MESSAGE)
    option = panel.get_by_test_id("plan-option").filter(has_text="notify.webhook_prepare").first
    fill_field(by(option, "plan-missing-input", field="event"), "order.cancelled")
    fill_field(by(option, "plan-missing-input", field="payload"), '{"orderId": "A-1002"}')
    option.get_by_test_id("plan-run").click()
    card = page.get_by_test_id("approval-card").last
    expect(card).to_be_visible(timeout=TOOL_TIMEOUT)
    call = tool_call(page, "notify.webhook_prepare")
    expect(call).to_have_attribute("data-run-id", re.compile(r"\S"))
    run_id = call.get_attribute("data-run-id")
    card.get_by_test_id("approval-decline").click()

    wait_answer(page)
    expect(call).to_have_attribute("data-status", "cancelled")
    expect(page.get_by_test_id("approval-card")).to_have_count(0)
    expect(page.get_by_test_id("credential-prompt")).to_have_count(0)
    assert alice_api.run(run_id)["status"] == "cancelled"
    [stored] = alice_api.conversation(cid)["messages"][1]["toolCalls"]
    assert stored["status"] == "cancelled", stored["status"]
    console.shot()
