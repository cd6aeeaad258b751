"""Attempt deadlines: one watcher cancels what outlived its timeout, and only that (real seconds)."""

from __future__ import annotations

import asyncio

import pytest

from sandbox.delivery.deadlines import Deadlines


async def guarded(deadlines: Deadlines, timeout_s: float, work_s: float) -> str:
    """The dispatcher's pattern: arm, await, turn the deadline's cancellation into an outcome."""
    task = asyncio.current_task()
    deadlines.arm(task, timeout_s)
    try:
        await asyncio.sleep(work_s)
        return "answered"
    except asyncio.CancelledError:
        if not deadlines.timed_out(task):
            raise
        return "timed out"
    finally:
        deadlines.disarm(task)


async def test_only_the_attempt_past_its_deadline_times_out():
    deadlines = Deadlines(tick_s=0.01)
    slow = asyncio.create_task(guarded(deadlines, 0.05, 10))
    fast = asyncio.create_task(guarded(deadlines, 5, 0.01))
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await slow == "timed out"
    assert 0.05 <= loop.time() - started < 1.0
    assert await fast == "answered"
    assert slow.cancelling() == 0   # the deadline's cancellation was withdrawn, nothing left pending


async def test_the_task_goes_on_normally_after_its_timeout():
    """No cancellation is left pending after the guarded region: the next await is not interrupted."""
    deadlines = Deadlines(tick_s=0.01)

    async def attempt_then_record() -> str:
        outcome = await guarded(deadlines, 0.02, 10)
        await asyncio.sleep(0.05)   # the attempt row is written after the timeout
        return outcome + ", recorded"

    assert await attempt_then_record() == "timed out, recorded"


@pytest.mark.parametrize("timeout_s", [5, 0.01], ids=["before-its-deadline", "as-its-deadline-passes"])
async def test_a_cancellation_from_elsewhere_is_never_taken_for_a_timeout(timeout_s):
    """A world deleted, or the server stopping, during an attempt still cancels it, even when the
    watcher has just cancelled the same attempt for its deadline."""
    deadlines = Deadlines(tick_s=0.01)
    task = asyncio.create_task(guarded(deadlines, timeout_s, 10))
    await asyncio.sleep(0.001)   # the attempt is in its guarded region
    while timeout_s < 1 and not deadlines._expired:
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()


async def test_the_watcher_stops_when_nothing_is_armed_and_comes_back():
    deadlines = Deadlines(tick_s=0.01)
    assert await guarded(deadlines, 5, 0.01) == "answered"
    await asyncio.sleep(0.05)
    assert deadlines._watcher is not None and deadlines._watcher.done()   # an idle server never wakes for it
    assert await guarded(deadlines, 0.02, 10) == "timed out"
    await deadlines.stop()
