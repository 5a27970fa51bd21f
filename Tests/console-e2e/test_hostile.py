"""A tool's output is data, never markup: HTML, a script, javascript: links and a 5 MB string from
the suite's hostile tool are shown as text, and the page stays responsive."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

import console_support as support
from conftest import Console
from ui import TOOL_TIMEOUT, by, messages, responsive_within, tool_call, wait_answer

NOTHING_EXECUTED = """() => {
  const panels = Array.from(document.querySelectorAll('[data-testid="message"], [data-testid="tool-call"]'));
  return {
    pwned: typeof window.__pwned,
    scriptsInPanels: panels.reduce((n, p) => n + p.querySelectorAll('script').length, 0),
    imagesInPanels: panels.reduce((n, p) => n + p.querySelectorAll('img').length, 0),
    hostileImages: document.querySelectorAll('img[src="x"], img[onerror], [onerror]').length,
    javascriptLinks: Array.from(document.querySelectorAll('a[href], area[href], [xlink\\\\:href]'))
      .filter(a => /^\\s*javascript:/i.test(a.getAttribute('href') || '')).length,
    iframes: document.querySelectorAll('iframe').length,
  };
}"""


def _wait_rendered(page, call, deadline_s: float) -> float:
    """Polls until the call is no longer running, proving on every round that the main thread answers
    within 2 s; returns the slowest answer."""
    slowest = 0.0
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        slowest = max(slowest, responsive_within(page, 2.0))
        if call.count() and call.get_attribute("data-status") not in (None, "running"):
            break
        page.wait_for_timeout(200)  # polling, not waiting for something to happen
    return slowest


def _shown_as_text(page, call, cid: str) -> None:
    missing = call.evaluate("(el, texts) => texts.filter(t => !el.textContent.includes(t))",
                            [*support.HOSTILE_STRINGS.values(), support.HOSTILE_ECHO])
    assert not missing, f"the tool call does not show these as text: {missing}"
    # The user's own message (and the conversation's title in the sidebar) carry markup too.
    expect(messages(page, "user").last).to_contain_text(support.HOSTILE_ECHO)
    expect(by(page, "conversation-item", id=cid)).to_contain_text("<img src=x")  # the title is cut short
    found = page.evaluate(NOTHING_EXECUTED)
    assert found == {"pwned": "undefined", "scriptsInPanels": 0, "imagesInPanels": 0, "hostileImages": 0,
                     "javascriptLinks": 0, "iframes": 0}, found


def test_hostile_output_is_text_and_the_page_stays_responsive(console: Console) -> None:
    page = console.page
    console.watch.allow_aborted_streams()
    cid = console.new_conversation()
    console.send(support.HOSTILE_MESSAGE)
    call = tool_call(page, support.HOSTILE_TOOL)
    expect(call).to_be_visible(timeout=TOOL_TIMEOUT)

    # Live: the stream's tool.finished carries an excerpt of the 5 MB output (`truncated`).
    _wait_rendered(page, call, TOOL_TIMEOUT / 1000 * 2)
    expect(call).to_have_attribute("data-status", "completed")
    wait_answer(page)
    call.get_by_test_id("tool-call-raw-toggle").click()
    expect(call.get_by_test_id("tool-call-raw")).to_be_visible()
    _shown_as_text(page, call, cid)
    console.shot("live")

    # Reloaded: the history holds the whole 5 MB output.
    page.reload()
    expect(page).to_have_url(re.compile(rf"/c/{cid}$"))
    call = tool_call(page, support.HOSTILE_TOOL)
    _wait_rendered(page, call, TOOL_TIMEOUT / 1000)
    expect(call).to_have_attribute("data-status", "completed")
    responsive_within(page, 2.0)
    call.get_by_test_id("tool-call-raw-toggle").click()
    expect(call.get_by_test_id("tool-call-raw")).to_be_visible()
    responsive_within(page, 2.0)
    _shown_as_text(page, call, cid)
    more = call.get_by_test_id("show-more").first
    expect(more).to_be_visible()
    shown = call.evaluate("el => el.textContent.length")
    assert shown < support.HOSTILE_BIG_BYTES, f"the whole 5 MB string landed in the DOM at once ({shown} characters)"
    more.click()  # a click works, and shows the next part
    grown = call.evaluate("el => el.textContent.length")
    assert grown > shown, f"show more did not show more ({shown} → {grown} characters)"
    responsive_within(page, 2.0)
    _shown_as_text(page, call, cid)
    assert not console.watch.dialogs, console.watch.dialogs
    expect(messages(page, "assistant").last.get_by_test_id("message-content")).to_be_visible()
    console.shot()
