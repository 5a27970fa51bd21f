"""Fixtures of the MCP interop suite: a fresh OMEGA_HOME per test, `omega-exec serve` when a test
needs HTTP or the credential page, and the transport × mode matrix every client-level test runs in."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import omega_support as support

TRANSPORTS = ["stdio", "http"]
MODES = ["2026-07-28", "legacy"]


def pytest_configure(config: pytest.Config) -> None:
    missing = [p for p in ("omega-exec", "omega-exec-suite", "omega-jail-init") if not (support.BIN_DIR / p).exists()]
    if missing:
        raise pytest.UsageError(f"missing binaries in {support.BIN_DIR}: {missing} (build them first)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def home(request: pytest.FixtureRequest) -> Iterator[support.Home]:
    """A fresh OMEGA_HOME with the repo's starter tools; kept (and named) when the test fails."""
    created = support.make_home()
    yield created
    failed = any(getattr(request.node, f"rep_{when}", None) is not None and getattr(request.node, f"rep_{when}").failed
                 for when in ("setup", "call"))
    if failed or os.environ.get("OMEGA_INTEROP_KEEP"):
        print(f"\n[kept home of {request.node.nodeid}: {created.root}]")
    else:
        support.remove_home(created)


class Lazy:
    """`omega-exec serve` on the test's home, started on first use and stopped after the test."""

    def __init__(self, home: support.Home) -> None:
        self.home = home
        self._serve: support.Serve | None = None

    def get(self) -> support.Serve:
        if self._serve is None:
            self._serve = support.start_serve(self.home)
        return self._serve

    @property
    def started(self) -> support.Serve | None:
        return self._serve

    def stop(self) -> None:
        if self._serve is not None:
            support.stop_process(self._serve.process)


@pytest.fixture
def serve(home: support.Home) -> Iterator[Lazy]:
    lazy = Lazy(home)
    yield lazy
    lazy.stop()


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def version(mode: str) -> str:
    return support.MODES[mode]


@pytest.fixture
def session_factory(home: support.Home, serve: Lazy, transport: str, mode: str) -> Any:
    """`async with session_factory(human=…, credential_page=…) as s:` — an mcp Client in this test's
    transport and mode, its transcript validated against the revision's models on exit."""

    @contextlib.asynccontextmanager
    async def factory(**kwargs: Any) -> AsyncIterator[support.Session]:
        needs_serve = transport == "http" or kwargs.get("credential_page", False)
        async with support.connect(
            home, transport=transport, mode=mode, serve=serve.get() if needs_serve else None, **kwargs
        ) as session:
            yield session

    return factory
