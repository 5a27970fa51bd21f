"""Fixtures of the REST API suite: one `omega-exec serve --listen 127.0.0.1:0` for the session on a
fresh OMEGA_HOME (the repo's starter tools and the suite's packages), with two API keys for `alice`
and one for `bob`, stopped at the end with SIGTERM; tests that stop or limit a server start their own
(`fresh_home` + `api_support.start_server`)."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import api_support as support


def pytest_configure(config: pytest.Config) -> None:
    missing = [p for p in ("omega-exec", "omega-exec-suite", "omega-jail-init") if not (support.BIN_DIR / p).exists()]
    if missing:
        raise pytest.UsageError(f"missing binaries in {support.BIN_DIR}: {missing} (build them first)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _failed(node: Any) -> bool:
    return any(getattr(node, f"rep_{when}", None) is not None and getattr(node, f"rep_{when}").failed
               for when in ("setup", "call"))


@dataclass
class Appliance:
    """The session's server, its home, its keys, and everything any client received from it."""

    home: support.Home
    server: support.Server
    alice: support.Key
    alice2: support.Key
    bob: support.Key
    received: list[str]

    def api(self, key: support.Key | None) -> support.Api:
        return support.Api(self.server, key, self.received)


@pytest.fixture(scope="session")
def appliance(request: pytest.FixtureRequest) -> Iterator[Appliance]:
    home = support.make_home()
    alice = home.create_key("alice-laptop", "alice")
    alice2 = home.create_key("alice-phone", "alice")
    bob = home.create_key("bob-laptop", "bob")
    # Generous limits: the rate limiter has its own test (and server); here it must not interfere.
    server = support.start_server(home, "--rate-limit", "100000", "--rate-burst", "10000")
    appliance = Appliance(home, server, alice, alice2, bob, [])
    yield appliance
    status = server.stop()
    failed = request.session.testsfailed > 0
    if failed or os.environ.get("OMEGA_API_KEEP"):
        print(f"\n[kept the session's home: {home.root} (server exit {status})]")
    else:
        support.remove_home(home)
    assert status == 0, f"the session's server exited {status} on SIGTERM; log: {server.log_text()[-3000:]}"


@pytest.fixture(autouse=True)
def no_sleeper_left_behind(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that failed before cancelling its sleeper must not leave it to the next test (they share
    the session home's marker): its processes (started by the session's server) are killed by pid."""
    yield
    if "appliance" not in request.fixturenames:
        return
    home = request.getfixturevalue("appliance").home
    left = support.wait_sleepers(home, present=False, timeout=5)
    for line in left:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(line.split()[0]), signal.SIGKILL)
    if left and not _failed(request.node):
        pytest.fail(f"the test left {len(left)} sleeper processes running: {left}")


@pytest.fixture
def alice(appliance: Appliance) -> support.Api:
    return appliance.api(appliance.alice)


@pytest.fixture
def alice2(appliance: Appliance) -> support.Api:
    return appliance.api(appliance.alice2)


@pytest.fixture
def bob(appliance: Appliance) -> support.Api:
    return appliance.api(appliance.bob)


@pytest.fixture
def anonymous(appliance: Appliance) -> support.Api:
    return appliance.api(None)


@pytest.fixture
def fresh_home(request: pytest.FixtureRequest) -> Iterator[support.Home]:
    """A home of its own (for a test that starts, stops or kills its own server); kept when it fails."""
    home = support.make_home()
    yield home
    if _failed(request.node) or os.environ.get("OMEGA_API_KEEP"):
        print(f"\n[kept home of {request.node.nodeid}: {home.root}]")
        for line in home.sleeper_processes():
            os.kill(int(line.split()[0]), 9)
    else:
        support.remove_home(home)


@pytest.fixture
def servers() -> Iterator[list[support.Server]]:
    """Servers a test starts itself: whatever is still running at the end is stopped."""
    started: list[support.Server] = []
    yield started
    for server in started:
        if server.alive():
            server.stop()
