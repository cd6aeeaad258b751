"""Shared fixtures: `sandbox` (a real server), `receiver` (a real webhook endpoint), `browser`, and the
storage backend every storage-touching test runs on twice (SQLite, then PostgreSQL).

`BOTH_BACKENDS` names the test files and folders that touch storage in ways the backends could
differ in: the store itself, worlds and their clocks, delivery, faults, durability, grading's
stored reports and its own worlds, the receiver's receipts, the control API, and the providers' state paths through a
representative subset (each provider's lifecycle and webhooks). Their tests get a `[sqlite]` and
a `[postgres]` instance; the rest (pages, browser, CLI, contracts) run once on SQLite. A test
written for one database only says so with `@pytest.mark.sqlite_only`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import pg, support
from tests.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    browser_required,
    start_receiver,
    start_sandbox,
    stop_sandbox,
)

BOTH_BACKENDS = (
    "store/", "worlds/", "delivery/", "faults/", "replicas/", "test_durability.py", "test_control_api.py",
    "test_clock.py", "grading/test_grade_api.py", "grading/test_grade_state.py", "grading/test_grade_world.py",
    "partner/test_receiver.py",
    "providers/test_liqx_smoke.py", "providers/test_liqx_scenarios.py", "providers/test_rozo_lifecycle.py",
    "providers/test_rozo_webhooks.py", "providers/test_inqud_webhooks.py", "providers/test_mizu_api.py",
    "providers/test_mizu_webhook.py",
)
TESTS = Path(__file__).parent


def pytest_generate_tests(metafunc):
    """Storage-touching tests run on both backends (see `BOTH_BACKENDS`)."""
    if "backend" not in metafunc.fixturenames or metafunc.definition.get_closest_marker("sqlite_only"):
        return
    if metafunc.definition.get_closest_marker("postgres_only"):
        metafunc.parametrize("backend", ["postgres"], indirect=True)
        return
    relative = Path(metafunc.definition.path).relative_to(TESTS).as_posix()
    if any(relative == entry or relative.startswith(entry) for entry in BOTH_BACKENDS):
        metafunc.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: a test about SQLite itself; never run on PostgreSQL")
    config.addinivalue_line("markers", "postgres_only: a test about PostgreSQL (replicas); skipped on SQLite")


@pytest.fixture(scope="session")
def pg_cluster():
    """The session's PostgreSQL server. Missing under CI=true is a failure, never a skip."""
    reason = pg.available()
    if reason is not None:
        if browser_required():
            pytest.fail(f"{reason}; .ci/run installs it")
        pytest.skip(reason)
    cluster = pg.Cluster(pg.pg_bin())
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(autouse=True)
def backend(request):
    """`sqlite` or `postgres`: where `tests.support.db_url` puts this test's databases."""
    name = getattr(request, "param", "sqlite")
    if request.node.get_closest_marker("postgres_only") and name != "postgres":
        pytest.skip("a PostgreSQL test")
    if name != "postgres":
        yield name
        return
    support.use_backend(request.getfixturevalue("pg_cluster"))
    try:
        yield name
    finally:
        support.use_backend(None)


@pytest.fixture
async def sandbox(tmp_path):
    running = await start_sandbox(tmp_path)
    yield running
    await stop_sandbox(running)


@pytest.fixture
async def receiver():
    recv = await start_receiver()
    yield recv
    await recv.runner.cleanup()


@pytest.fixture
async def browser():
    """Debian's Chromium through Playwright. Missing under CI=true is a failure, never a skip."""
    if not os.path.exists(CHROMIUM):
        if browser_required():
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs it (apt-get install -y chromium)")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()
