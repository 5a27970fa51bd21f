"""Fixtures of the web console suite: one `omega-exec serve` for the session on a fresh OMEGA_HOME (the
repo's starter tools and the suite's packages) with keys for `alice` and `bob`; one headless Debian
chromium for the session (never a downloaded browser); per test a fresh browser context whose `page`
is signed in through the page's own form (unless the test is marked `signed_out`). Every console error,
page error, failed request, dialog and HTTP status >= 400 the test did not declare (`watch.allow`)
fails the test at teardown; every request URL is recorded (`watch.urls`)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

import console_support as support

CHROMIUM = os.environ.get("OMEGA_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("OMEGA_CONSOLE_SHOTS", support.REPO / ".build" / "console-shots"))
# CI machines are loaded: 20 s for what the page shows (tool runs: ui.TOOL_TIMEOUT).
expect.set_options(timeout=20_000)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "signed_out: the page fixture does not sign in")
    missing = [p for p in ("omega-exec", "omega-exec-suite", "omega-jail-init") if not (support.BIN_DIR / p).exists()]
    if missing:
        raise pytest.UsageError(f"missing binaries in {support.BIN_DIR}: {missing} (build them first)")
    if not os.access(CHROMIUM, os.X_OK):
        raise pytest.UsageError(f"{CHROMIUM} is missing (apt-get install chromium)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _failed(node: Any) -> bool:
    return any(getattr(node, f"rep_{w}", None) is not None and getattr(node, f"rep_{w}").failed
               for w in ("setup", "call"))


# MARK: - The appliance


@dataclass
class Appliance:
    home: support.Home
    server: support.Server
    alice: support.Key
    bob: support.Key

    @property
    def url(self) -> str:
        return self.server.base_url

    def api(self, key: support.Key | None = None) -> support.Api:
        return support.Api(self.server, key or self.alice)


@pytest.fixture(scope="session")
def appliance(request: pytest.FixtureRequest) -> Iterator[Appliance]:
    home = support.make_home()
    try:
        alice = home.create_key("alice-browser", "alice")
        bob = home.create_key("bob-browser", "bob")
        server = support.start_server(home, "--rate-limit", "100000", "--rate-burst", "10000")
    except BaseException:
        support.remove_home(home)
        raise
    yield Appliance(home, server, alice, bob)
    status = server.stop()
    if request.session.testsfailed > 0 or os.environ.get("OMEGA_CONSOLE_KEEP"):
        support.kill_sleepers(home)
        print(f"\n[kept the session's home: {home.root} (server exit {status}); log {server.log}]")
    else:
        support.remove_home(home)
    assert status == 0, f"the session's server exited {status} on SIGTERM; log: {server.log_text()[-3000:]}"


@pytest.fixture(autouse=True)
def no_sleeper_left_behind(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "appliance" not in request.fixturenames:
        return
    home = request.getfixturevalue("appliance").home
    if support.wait_for(lambda: not home.sleeper_processes(), 5):
        return
    left = support.kill_sleepers(home)
    if left and not _failed(request.node):
        pytest.fail(f"the test left sleeper processes running: {left}")


# MARK: - The browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watch:
    """What went wrong in the test's browser context, and every URL it requested."""

    problems: list[tuple[str, str]] = field(default_factory=list)
    allowed: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def allow(self, kind: str, pattern: str) -> None:
        """Declares expected problems: `kind` is console, pageerror, requestfailed, response, dialog or notice
        (an error notice still shown at the end); `pattern`
        a regex searched in the problem's text (e.g. `response`, `^401 POST .*/api/`)."""
        assert kind in ("console", "pageerror", "requestfailed", "response", "dialog", "notice"), kind
        self.allowed.append((kind, re.compile(pattern)))

    def allow_aborted_streams(self) -> None:
        """A navigation or reload closes the page's open requests (its event streams) as ERR_ABORTED."""
        self.allow("requestfailed", r"net::ERR_ABORTED")

    def unexpected(self) -> list[str]:
        return [f"{kind}: {text}" for kind, text in self.problems if kind != "stream-closed"
                and not any(k == kind and p.search(text) for k, p in self.allowed)]

    def attach(self, context: BrowserContext) -> None:
        def on_console(message: Any) -> None:
            if message.type == "error":
                location = message.location or {}
                self.problems.append(("console", f"{message.text} @ {location.get('url', '')}:"
                                                 f"{location.get('lineNumber', '')}"))

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            self.problems.append(("dialog", f"{dialog.type}: {dialog.message}"))
            dialog.dismiss()

        def on_response(response: Any) -> None:
            if response.status >= 400:
                self.problems.append(("response", f"{response.status} {response.request.method} {response.url}"))

        context.on("console", on_console)
        context.on("weberror", lambda error: self.problems.append(("pageerror", str(error.error))))

        def on_failed(request: Any) -> None:
            # The page closing an event stream it no longer reads (leaving a conversation) is not a fault.
            closed_stream = ("text/event-stream" in (request.headers.get("accept") or "")
                             and "ERR_ABORTED" in (request.failure or ""))
            self.problems.append(("stream-closed" if closed_stream else "requestfailed",
                                  f"{request.method} {request.url} {request.failure}"))

        context.on("requestfailed", on_failed)
        context.on("response", on_response)
        context.on("request", lambda r: self.urls.append(r.url))
        context.on("dialog", on_dialog)


@pytest.fixture
def watch() -> Watch:
    return Watch()


def check_csp(headers: dict[str, str]) -> None:
    """The page's Content-Security-Policy allows scripts from 'self' only (never 'unsafe-inline')."""
    csp = headers.get("content-security-policy")
    assert csp, f"no Content-Security-Policy header on /: {headers}"
    directives = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    script = directives.get("script-src", directives.get("default-src"))
    assert script is not None, f"the CSP has neither script-src nor default-src: {csp}"
    assert "script-src" in directives, f"the CSP has no script-src directive: {csp}"
    assert "'self'" in script, f"script-src does not allow 'self': {csp}"
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, f"script-src is too lax: {csp}"


@dataclass
class Console:
    """The test's browser context and helpers over its page."""

    appliance: Appliance
    context: BrowserContext
    page: Page
    watch: Watch
    shots: list[Path]
    name: str

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.appliance.url + path)
        assert response is not None and response.status == 200, f"GET {path} → {response and response.status}"
        return response

    def sign_in(self, key: support.Key | None = None, page: Page | None = None) -> None:
        page = page or self.page
        key = key or self.appliance.alice
        page.get_by_test_id("signin-key").fill(key.secret)
        page.get_by_test_id("signin-submit").click()
        expect(page.get_by_test_id("signin-form")).to_be_hidden()
        expect(page.get_by_test_id("whoami")).to_contain_text(key.user)

    def shot(self, label: str = "end", page: Page | None = None) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{self.name}-{label}.png"
        (page or self.page).screenshot(path=str(path))
        self.shots.append(path)
        return path

    def new_conversation(self) -> str:
        """Clicks "new conversation"; returns the conversation id once the URL is /c/<id>."""
        page = self.page
        page.get_by_test_id("new-conversation").click()
        expect(page.get_by_test_id("composer-input")).to_be_visible()
        expect(page).to_have_url(re.compile(r"/c/[0-9a-f-]{36}$"))
        return page.url.rsplit("/", 1)[1]

    def send(self, text: str) -> None:
        composer = self.page.get_by_test_id("composer-input")
        composer.fill(text)
        composer.press("Enter")


_SESSION: dict[str, str | None] = {"broken": None}


@pytest.fixture
def console(request: pytest.FixtureRequest, appliance: Appliance, browser: Browser, watch: Watch
            ) -> Iterator[Console]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    watch.attach(context)
    page = context.new_page()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    ui = Console(appliance, context, page, watch, [], name)
    try:
        if _SESSION["broken"]:  # the page could not even sign in once: fail fast, not 20 s a test
            pytest.fail(f"the console did not show its sign-in form earlier in this session: {_SESSION['broken']}")
        try:
            response = ui.goto("/")
            check_csp(response.headers)
            if request.node.get_closest_marker("signed_out") is None:
                expect(page.get_by_test_id("signin-form")).to_be_visible()
                ui.sign_in()
        except BaseException as error:
            ui.shot("FAILED-signin")
            print("\n[browser problems]\n  " + "\n  ".join(watch.unexpected()[:30]))
            try:
                if page.get_by_test_id("signin-form").count() == 0:
                    body = page.content()
                    _SESSION["broken"] = (f"{str(error).splitlines()[0]} (the page has {len(body)} characters: "
                                          f"{body[:200]!r})")
            except Exception:  # noqa: BLE001 - the page itself is gone: the error says enough
                pass
            raise
        yield ui
        if _failed(request.node):
            for p in context.pages:
                try:
                    ui.shot(f"FAILED-{context.pages.index(p)}", page=p)
                except Exception:  # noqa: BLE001 - a screenshot of a broken page is best effort
                    pass
            problems = watch.unexpected()
            if problems:
                print("\n[browser problems of the failed test]\n  " + "\n  ".join(problems[:30]))
        else:
            # An error notice the page still shows is a failure the test did not see.
            for p in context.pages:
                for text in p.locator('[data-testid="notice"].error').all_inner_texts():
                    watch.problems.append(("notice", " ".join(text.split())))
            problems = watch.unexpected()
            assert not problems, "unexpected problems in the browser:\n  " + "\n  ".join(problems[:30])
            # The API key is never in a URL the page requested.
            for key in (appliance.alice, appliance.bob):
                leaked = [u for u in watch.urls if key.secret in u]
                assert not leaked, f"an API key is in a requested URL: {leaked[:3]}"
    finally:
        context.close()


@pytest.fixture
def page(console: Console) -> Page:
    return console.page


@pytest.fixture
def alice_api(appliance: Appliance) -> support.Api:
    return appliance.api(appliance.alice)
