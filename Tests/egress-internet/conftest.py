"""Fixtures of the egress suite: the test internet for the whole session (built at start, after cleaning a
crashed run's leftovers; torn down at the end), and one fresh OMEGA_HOME whose `omega-exec` runs in the
client namespace, checked once with `omega-exec jail -- /bin/true` before any test uses it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import egress_support as support
from internet import Internet, SetupError


@pytest.fixture(scope="session")
def internet(request: pytest.FixtureRequest) -> Iterator[Internet]:
    state = Path(tempfile.mkdtemp(prefix="oeg-internet-"))
    state.chmod(0o755)
    net = Internet(state)
    try:
        net.build()
    except SetupError as exc:
        shutil.rmtree(state, ignore_errors=True)
        pytest.skip(f"the test internet cannot be built here: {exc}")
    yield net
    net.teardown()
    if request.session.testsfailed or os.environ.get("OMEGA_EGRESS_KEEP"):
        print(f"\n[kept the test internet's logs: {state}]")
    else:
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
def appliance(internet: Internet, request: pytest.FixtureRequest) -> Iterator[support.Appliance]:
    missing = [p for p in ("omega-exec", "omega-jail-init") if not (support.BIN_DIR / p).exists()]
    if missing:
        pytest.fail(f"missing binaries in {support.BIN_DIR}: {missing} (build them first)")
    root = Path(tempfile.mkdtemp(prefix="oeg-home-"))
    root.chmod(0o755)
    omega = support.Appliance(internet, root)
    smoke = omega.cli("jail", "--json", "--", "/bin/true")
    if not (isinstance(smoke.json, dict) and smoke.json.get("status") == "ok"):
        pytest.fail(f"omega-exec jail does not work inside the client namespace: {smoke}")
    yield omega
    if request.session.testsfailed or os.environ.get("OMEGA_EGRESS_KEEP"):
        print(f"\n[kept the suite's home: {root}]")
    else:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mark(internet: Internet):
    """The logs' ends before the test: `mark.web()`, `mark.dns()`, `mark.loopback()`, `mark.reached(addr)`."""
    return internet.mark()


@pytest.fixture
def ipv6(internet: Internet) -> None:
    """Skips a test that needs IPv6 between the namespaces when the kernel has none."""
    if not internet.ipv6:
        pytest.skip("no IPv6 in this kernel: the namespaces have IPv4 only")


@pytest.fixture
def tls(internet: Internet) -> None:
    """Skips a test that needs tls.test's HTTPS (no openssl to make its certificate)."""
    if not internet.tls:
        pytest.skip("no openssl: tls.test has no certificate")

