"""Shared fixtures: `sandbox` (a real server), `receiver` (a real webhook endpoint), `browser`."""

from __future__ import annotations

import os

import pytest

from tests.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    browser_required,
    start_receiver,
    start_sandbox,
    stop_sandbox,
)


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
