"""Locators and checks the console tests share (the page's data-testid hooks, Sources/Console/Web/TESTIDS.md)."""

from __future__ import annotations

import json
import re
import time

from playwright.sync_api import Locator, Page, expect

# CI machines are loaded: a tool run's result gets 30 s.
TOOL_TIMEOUT = 30_000


def by(page: Page | Locator, testid: str, **data: str) -> Locator:
    """Elements with data-testid `testid` and each `data-<name>` attribute given (name_with_underscores
    → data-name-with-dashes)."""
    selector = f'[data-testid="{testid}"]' + "".join(
        f'[data-{name.replace("_", "-")}="{value}"]' for name, value in data.items())
    return page.locator(selector)


def messages(page: Page, role: str | None = None) -> Locator:
    return by(page, "message", role=role) if role else by(page, "message")


def tool_call(page: Page, tool_id: str) -> Locator:
    return by(page, "tool-call", tool_id=tool_id).last


def wait_answer(page: Page, status: str = "complete") -> Locator:
    """The last assistant message, once it has `status`."""
    answer = messages(page, "assistant").last
    expect(answer).to_have_attribute("data-status", status, timeout=TOOL_TIMEOUT)
    return answer


def fill_field(field: Locator, value: str) -> None:
    """Fills a hook that is an input itself or holds one."""
    tag = field.evaluate("e => e.tagName.toLowerCase()")
    target = field if tag in ("input", "textarea", "select") else field.locator("input, textarea, select").first
    if target.evaluate("e => e.tagName.toLowerCase()") == "select":
        target.select_option(value)
    else:
        target.fill(value)


def link_target(link: Locator) -> str:
    """What a share hook points to: its href, its value (an input), or its text."""
    for attribute in ("href", "data-url", "value"):
        value = link.get_attribute(attribute)
        if value:
            return value
    value = link.evaluate("e => e.value || ''")
    return value or link.inner_text().strip()


def storage(page: Page) -> str:
    return page.evaluate("() => JSON.stringify({session: Object.entries(sessionStorage),"
                         " local: Object.entries(localStorage)})")


def dom_everything(page: Page) -> str:
    """The serialized DOM (text and attributes) plus every form field's current value."""
    return page.content() + "\n" + json.dumps(page.evaluate(
        "() => Array.from(document.querySelectorAll('input, textarea, select')).map(e => e.value)"))


def responsive_within(page: Page, seconds: float = 2.0) -> float:
    """Time for the page's main thread to answer `1+1` (it must answer within `seconds`)."""
    started = time.monotonic()
    page.wait_for_function("1+1 === 2", timeout=seconds * 1000)
    assert page.evaluate("1+1") == 2
    elapsed = time.monotonic() - started
    assert elapsed < seconds, f"the page took {elapsed:.2f} s to evaluate 1+1"
    return elapsed


def ask_plan(page: Page, text: str) -> Locator:
    """Types `text` and presses "Plan first"; returns the plan panel once it shows an option."""
    page.get_by_test_id("composer-input").fill(text)
    page.get_by_test_id("plan-button").click()
    panel = page.get_by_test_id("plan-panel").last
    expect(panel).to_be_visible(timeout=TOOL_TIMEOUT)
    expect(panel.get_by_test_id("plan-option").first).to_be_visible()
    return panel


def record_statuses(page: Page) -> None:
    """From now on, window.__statuses collects every data-status an assistant message shows."""
    page.evaluate("""() => {
      window.__statuses = [];
      const note = () => document.querySelectorAll('[data-testid="message"][data-role="assistant"]').forEach(m => {
        const s = m.getAttribute('data-status');
        if (s && window.__statuses[window.__statuses.length - 1] !== s) window.__statuses.push(s);
      });
      new MutationObserver(note).observe(document.body, {subtree: true, childList: true, attributes: true,
                                                         attributeFilter: ['data-status']});
      note();
    }""")


def statuses(page: Page) -> list[str]:
    return page.evaluate("() => window.__statuses || []")


def WORDS(n: int) -> re.Pattern[str]:  # noqa: N802 - a summary row "words … n" (not uniqueWords)
    return re.compile(rf"(?<![A-Za-z])words\W{{0,40}}{n}(?!\d)")
DURATION = re.compile(r"\d+(\.\d+)?\s*(ms|s|min)\b")


def any_of(*locators: Locator) -> Locator:
    combined = locators[0]
    for other in locators[1:]:
        combined = combined.or_(other)
    return combined
