"""Grading tests run the sandbox on a real-time clock: signatures are checked against the wall clock."""

from __future__ import annotations

import pytest

from sandbox.clock import Clock
from tests.support import start_sandbox, stop_sandbox


@pytest.fixture
async def sandbox(tmp_path):
    running = await start_sandbox(tmp_path, clock=Clock())
    yield running
    await stop_sandbox(running)
