"""The console around the flows: cancelling a long tool (Esc, the message's button, the card's own),
reloading mid-run and after a flow, exports and the share link, dark mode, a long conversation, signing
in and out (and another user's view), and every page's Content-Security-Policy."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

import pytest
import requests
from playwright.sync_api import Page, expect

import console_support as support
from conftest import Console, check_csp
from ui import TOOL_TIMEOUT, by, link_target, messages, storage, tool_call, wait_answer

CANCEL_WITHIN = 10_000  # ms: "within a few seconds", on a loaded machine


def _cancel_sleeper(console: Console, cancel: Callable[[Page], None]) -> None:
    page, home = console.page, console.appliance.home
    cid = console.new_conversation()
    console.send(support.SLEEPER_MESSAGE)
    call = tool_call(page, support.SLEEPER_TOOL)
    expect(call).to_have_attribute("data-status", "running", timeout=TOOL_TIMEOUT)
    running = support.wait_for(lambda: len(home.sleeper_processes()) >= 2, 20)
    assert running, f"the sleeper did not start: {home.sleeper_processes()}"
    started = time.monotonic()
    cancel(page)
    answer = messages(page, "assistant").last
    expect(answer).to_have_attribute("data-status", "cancelled", timeout=CANCEL_WITHIN)
    expect(call).to_have_attribute("data-status", "cancelled", timeout=CANCEL_WITHIN)
    gone = support.wait_for(lambda: not home.sleeper_processes(), 10)
    assert gone, f"sleeper processes still alive after the cancel: {home.sleeper_processes()}"
    elapsed = time.monotonic() - started
    assert elapsed < 15, f"cancelling took {elapsed:.1f} s"
    run = console.appliance.api().wait_run(call.get_attribute("data-run-id"), ("cancelled",), timeout=10)
    assert run["events"][-1]["type"] == "run.cancelled", [e["type"] for e in run["events"]]
    assert console.appliance.api().conversation(cid)["messages"][-1]["status"] == "cancelled"
    console.shot()


def test_cancel_long_tool_with_escape(console: Console) -> None:
    _cancel_sleeper(console, lambda page: page.keyboard.press("Escape"))


def test_cancel_long_tool_with_the_cancel_button(console: Console) -> None:
    _cancel_sleeper(console, lambda page: page.get_by_test_id("cancel-message").click())


def test_cancel_one_tool_call_from_its_card(console: Console) -> None:
    """The card's own cancel stops that run; the message ends (the model is told) and nothing is left."""
    page, home = console.page, console.appliance.home
    console.new_conversation()
    console.send(support.SLEEPER_MESSAGE)
    call = tool_call(page, support.SLEEPER_TOOL)
    expect(call).to_have_attribute("data-status", "running", timeout=TOOL_TIMEOUT)
    assert support.wait_for(lambda: len(home.sleeper_processes()) >= 2, 20), "the sleeper did not start"
    call.get_by_test_id("tool-cancel").click()
    expect(call).to_have_attribute("data-status", "cancelled", timeout=CANCEL_WITHIN)
    assert support.wait_for(lambda: not home.sleeper_processes(), 10), home.sleeper_processes()
    expect(by(page, "message", role="assistant", status="running")).to_have_count(0, timeout=TOOL_TIMEOUT)
    run = console.appliance.api().wait_run(call.get_attribute("data-run-id"), ("cancelled",), timeout=10)
    assert run["events"][-1]["type"] == "run.cancelled", [e["type"] for e in run["events"]]
    console.shot()


def test_reload_while_a_tool_runs_resumes_the_live_view(console: Console) -> None:
    """A reload mid-run loses nothing: the running message and call come back live, and cancel works."""
    page, home = console.page, console.appliance.home
    cid = console.new_conversation()
    console.send(support.SLEEPER_MESSAGE)
    call = tool_call(page, support.SLEEPER_TOOL)
    expect(call).to_have_attribute("data-status", "running", timeout=TOOL_TIMEOUT)
    run_id = call.get_attribute("data-run-id")
    assert support.wait_for(lambda: len(home.sleeper_processes()) >= 2, 20), "the sleeper did not start"
    page.reload()
    expect(page).to_have_url(re.compile(rf"/c/{cid}$"))
    call = tool_call(page, support.SLEEPER_TOOL)
    expect(call).to_have_attribute("data-status", "running")
    assert call.get_attribute("data-run-id") == run_id
    expect(messages(page, "assistant").last).to_have_attribute("data-status", "running")
    expect(page.get_by_test_id("cancel-message")).to_be_visible()
    page.get_by_test_id("cancel-message").click()
    expect(messages(page, "assistant").last).to_have_attribute("data-status", "cancelled", timeout=CANCEL_WITHIN)
    expect(call).to_have_attribute("data-status", "cancelled", timeout=CANCEL_WITHIN)
    assert support.wait_for(lambda: not home.sleeper_processes(), 10), home.sleeper_processes()
    console.shot()


def test_export_json_and_markdown_and_share_link(console: Console) -> None:
    page = console.page
    cid = console.new_conversation()
    console.send(support.COUNT_MESSAGE)
    answer = wait_answer(page)
    answer_text = answer.get_by_test_id("message-content").inner_text().strip()

    with page.expect_download() as info:
        page.get_by_test_id("export-json").click()
    exported = json.loads(open(info.value.path(), encoding="utf-8").read())
    assert info.value.suggested_filename.endswith(".json"), info.value.suggested_filename
    assert exported["id"] == cid, exported.get("id")
    contents = [m["content"] for m in exported["messages"]]
    assert contents[0] == support.COUNT_MESSAGE and "text.stats" in contents[1], contents

    with page.expect_download() as info:
        page.get_by_test_id("export-md").click()
    markdown = open(info.value.path(), encoding="utf-8").read()
    assert info.value.suggested_filename.endswith(".md"), info.value.suggested_filename
    assert support.COUNT_MESSAGE in markdown and "text.stats" in markdown, markdown[:1500]
    assert answer_text.splitlines()[0].strip() in markdown, (answer_text[:300], markdown[:1500])

    share = page.get_by_test_id("share-link")
    expect(share).to_be_visible()
    target = link_target(share)
    path = re.sub(r"^https?://[^/]+", "", target)
    assert path == f"/c/{cid}", f"the share link is {target!r}"
    key = console.appliance.alice.secret
    assert key not in target and "omx_" not in target, target
    # Copying it puts the same link on the clipboard.
    console.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=console.appliance.url)
    share.click()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert re.sub(r"^https?://[^/]+", "", copied) == f"/c/{cid}" and key not in copied, copied
    console.shot()


def test_dark_mode_toggles_and_persists_over_reload(console: Console) -> None:
    page = console.page
    console.watch.allow_aborted_streams()
    html = page.locator("html")
    before = html.get_attribute("data-theme")
    page.get_by_test_id("theme-toggle").click()
    if before == "dark":  # started dark (the system's preference): one more toggle back to dark
        expect(html).not_to_have_attribute("data-theme", "dark")
        page.get_by_test_id("theme-toggle").click()
    expect(html).to_have_attribute("data-theme", "dark")
    page.reload()
    expect(html).to_have_attribute("data-theme", "dark")
    expect(page.get_by_test_id("whoami")).to_contain_text("alice")
    console.shot()


def test_reload_keeps_conversation_and_sign_in_but_not_in_other_tabs(console: Console, browser) -> None:
    page, watch = console.page, console.watch
    watch.allow_aborted_streams()
    cid = console.new_conversation()
    console.send(support.COUNT_MESSAGE)
    wait_answer(page)
    expect(tool_call(page, "text.stats")).to_have_attribute("data-status", "completed")

    def snapshot() -> dict[str, list]:
        return {
            "messages": page.evaluate("""() => Array.from(document.querySelectorAll('[data-testid="message"]'))
                .map(m => [m.dataset.messageId, m.dataset.role, m.dataset.status,
                           (m.querySelector('[data-testid="message-content"]') || m).innerText.trim()])"""),
            "calls": page.evaluate("""() => Array.from(document.querySelectorAll('[data-testid="tool-call"]'))
                .map(c => [c.dataset.toolId, c.dataset.runId, c.dataset.status])"""),
        }

    before = snapshot()
    assert len(before["messages"]) == 2 and len(before["calls"]) == 1, before
    page.reload()
    expect(page).to_have_url(re.compile(rf"/c/{cid}$"))
    expect(page.get_by_test_id("whoami")).to_contain_text("alice")
    expect(messages(page)).to_have_count(2)
    expect(by(page, "tool-call", tool_id="text.stats")).to_have_attribute("data-status", "completed")
    after = snapshot()
    assert after == before, f"the reloaded conversation differs:\nbefore {before}\nafter  {after}"
    assert "omx_" not in page.url
    console.shot()

    # A new tab of the same browser, and a new browser context: neither has the key.
    tab = console.context.new_page()
    tab.goto(f"{console.appliance.url}/c/{cid}")
    expect(tab.get_by_test_id("signin-form")).to_be_visible()
    expect(messages(tab)).to_have_count(0)
    console.shot("new-tab", page=tab)
    other = browser.new_context()
    try:
        watch.attach(other)
        fresh = other.new_page()
        fresh.goto(f"{console.appliance.url}/c/{cid}")
        expect(fresh.get_by_test_id("signin-form")).to_be_visible()
        expect(messages(fresh)).to_have_count(0)
        assert console.appliance.alice.secret not in storage(fresh)
    finally:
        other.close()
    key = console.appliance.alice.secret
    assert not [u for u in watch.urls if key in u], "the key is in a requested URL"


def test_long_conversation_shows_the_latest_and_loads_earlier_messages(
    console: Console, alice_api: support.Api
) -> None:
    page = console.page
    cid = alice_api.request("POST", support.CONVERSATIONS, {"title": "a long one"}, expect=201).json()["id"]
    for number in range(11):  # 22 messages: more than one page of them
        accepted = alice_api.request("POST", f"{support.CONVERSATIONS}/{cid}/messages",
                                     {"content": f"Count the words in: message number {number}"}, expect=None)
        assert accepted.status_code in (200, 202), accepted.text
        assert support.wait_for(lambda: alice_api.conversation(cid)["state"] == "idle", 30), "the message never ended"
    console.goto(f"/c/{cid}")
    expect(page.get_by_test_id("whoami")).to_contain_text("alice")
    expect(messages(page, "user").last).to_contain_text("message number 10")
    shown = messages(page).count()
    assert 0 < shown < 22, f"{shown} of 22 messages shown at once"
    expect(page.get_by_test_id("load-earlier")).to_be_visible()
    while page.get_by_test_id("load-earlier").is_visible():
        page.get_by_test_id("load-earlier").click()
    expect(messages(page)).to_have_count(22)
    expect(messages(page, "user").first).to_contain_text("message number 0")
    console.shot()


@pytest.mark.signed_out
def test_sign_in_wrong_key_then_sign_out_clears_the_session(console: Console, alice_api: support.Api) -> None:
    page, watch = console.page, console.watch
    alices = alice_api.request("POST", support.CONVERSATIONS, {"title": "alice only"}, expect=201).json()["id"]
    watch.allow("response", r"^401 ")
    watch.allow("console", r"status of 401")
    page.get_by_test_id("signin-key").fill("omx_" + "0" * 40)
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("signin-error")).to_be_visible()
    expect(page.get_by_test_id("whoami")).to_be_hidden()
    console.shot("wrong-key")

    console.sign_in()
    key = console.appliance.alice.secret
    assert page.evaluate("() => sessionStorage.length") > 0, "signed in, but nothing in sessionStorage"
    assert key not in page.evaluate("() => JSON.stringify(Object.entries(localStorage))"), \
        "the key was stored in localStorage (it must live in sessionStorage only)"
    expect(by(page, "conversation-item", id=alices)).to_be_visible()
    page.get_by_test_id("signout").click()
    expect(page.get_by_test_id("signin-form")).to_be_visible()
    assert page.evaluate("() => sessionStorage.length") == 0, storage(page)
    assert key not in storage(page)
    expect(page.get_by_test_id("whoami")).to_be_hidden()
    page.reload()  # the key is really gone
    expect(page.get_by_test_id("signin-form")).to_be_visible()
    console.shot("signed-out")

    # Another user in the same tab sees only their own conversations.
    console.sign_in(console.appliance.bob)
    expect(page.get_by_test_id("conversation-list")).to_be_visible()
    expect(page.get_by_test_id("status-banner")).to_have_attribute("data-state", "ok")
    expect(by(page, "conversation-item", id=alices)).to_have_count(0)
    assert key not in storage(page)
    console.shot()


def test_pages_carry_a_strict_content_security_policy(appliance) -> None:
    for path in ("/", f"/c/{'0' * 8}-0000-4000-8000-{'0' * 12}", "/runs", "/runs/some-run"):
        response = requests.get(appliance.url + path, timeout=30)
        assert response.status_code == 200, (path, response.status_code)
        assert response.headers.get("content-type", "").startswith("text/html"), (path, response.headers)
        check_csp(response.headers)
        scripts = re.findall(r"<script\b[^>]*>", response.text)
        assert scripts and all("src=" in s for s in scripts), f"{path}: inline scripts {scripts}"
