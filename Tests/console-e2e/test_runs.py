"""The runs view: /runs lists runs, the status filter changes the rows, a run's page shows its timeline
(the same events as GET /api/runs/{id})."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, expect

import console_support as support
from conftest import Console
from ui import by


def choose_status(control: Locator, status: str) -> None:
    """The filter hook: a <select>, or a group of buttons/links/radios labelled by status."""
    tag = control.evaluate("e => e.tagName.toLowerCase()")
    if tag == "select":
        control.select_option(status)
        return
    inner = control.locator("select")
    if inner.count():
        inner.first.select_option(status)
        return
    control.get_by_role(re.compile("button|radio|link|tab"), name=re.compile(rf"^\s*{status}\s*$", re.I)) \
        .or_(control.get_by_text(re.compile(rf"^\s*{status}\s*$", re.I))).first.click()


def test_runs_view_filters_and_shows_a_timeline(console: Console, alice_api: support.Api) -> None:
    page, home = console.page, console.appliance.home
    completed = alice_api.start_run("text.stats", {"text": "the runs view counts these words"})
    alice_api.wait_run(completed, ("completed",))
    cancelled = alice_api.start_run(support.SLEEPER_TOOL, {})
    assert support.wait_for(lambda: len(home.sleeper_processes()) >= 2, 20), "the sleeper did not start"
    alice_api.request("POST", f"/api/runs/{cancelled}/cancel", {})
    alice_api.wait_run(cancelled, ("cancelled",))

    page.get_by_test_id("nav-runs").click()
    expect(page).to_have_url(re.compile(r"/runs$"))
    expect(by(page, "run-row", run_id=completed)).to_have_attribute("data-status", "completed")
    expect(by(page, "run-row", run_id=cancelled)).to_have_attribute("data-status", "cancelled")

    rows = page.get_by_test_id("run-row")
    choose_status(page.get_by_test_id("runs-filter"), "cancelled")
    expect(by(page, "run-row", run_id=completed)).to_have_count(0)
    expect(by(page, "run-row", run_id=cancelled)).to_be_visible()
    assert set(r.get_attribute("data-status") for r in rows.all()) == {"cancelled"}
    choose_status(page.get_by_test_id("runs-filter"), "completed")
    expect(by(page, "run-row", run_id=cancelled)).to_have_count(0)
    expect(by(page, "run-row", run_id=completed)).to_be_visible()
    assert set(r.get_attribute("data-status") for r in rows.all()) == {"completed"}
    console.shot("filtered")

    by(page, "run-row", run_id=completed).click()
    expect(page).to_have_url(re.compile(rf"/runs/{re.escape(completed)}$"))
    timeline = page.get_by_test_id("run-timeline")
    expect(timeline).to_be_visible()
    want = [e["type"] for e in alice_api.run(completed)["events"]]
    assert want[0] == "run.created" and want[-1] == "run.completed", want
    events = timeline.get_by_test_id("run-event")
    expect(events).to_have_count(len(want))
    assert [e.get_attribute("data-type") for e in events.all()] == want
    console.shot()
