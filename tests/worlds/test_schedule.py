"""`DueSchedule`: every world's next due time on one heap of real deadlines, re-keyed when a clock moves."""

from __future__ import annotations

import asyncio
import time

from sandbox.clock import Clock, DueSchedule
from tests.support import START


def schedule_of(clocks: dict[str, Clock]) -> DueSchedule:
    return DueSchedule(clocks.get)


async def test_a_frozen_world_is_due_only_after_its_clock_moves():
    """Work due in a pinned world is not taken until that world's clock is advanced and re-keyed."""
    clocks = {"a": Clock(START, 0), "b": Clock(START, 0)}
    schedule = schedule_of(clocks)
    due = clocks["a"].now_ms() + 60_000
    schedule.note("a", due)
    schedule.note("b", due)
    assert schedule.take_due() == [] and schedule.next_deadline() is None
    clocks["a"].advance(60)
    schedule.rekey("a")
    assert schedule.take_due() == [("a", due)], "b's clock did not move"
    assert schedule.due_ms("b") == due


async def test_note_keeps_the_earliest_and_reschedule_keeps_a_note_made_meanwhile():
    """A later note never postpones a world; after a take, a re-read due time never hides an earlier note."""
    clocks = {"a": Clock(START, 0)}
    schedule = schedule_of(clocks)
    now = clocks["a"].now_ms()
    schedule.note("a", now + 5_000)
    schedule.note("a", now + 9_000)
    assert schedule.due_ms("a") == now + 5_000
    schedule.note("b", now)
    clocks["b"] = Clock(START, 0)
    schedule.rekey("b")
    assert schedule.take_due() == [("b", now)] and schedule.due_ms("b") is None
    schedule.note("b", now + 1_000)        # queued while the worker handled b
    schedule.reschedule("b", now + 7_000)  # what the worker's read saw
    assert schedule.due_ms("b") == now + 1_000
    schedule.reschedule("a", None)
    assert schedule.due_ms("a") == now + 5_000, "nothing re-read does not forget a note"


async def test_due_worlds_come_out_once_earliest_first():
    """Every world already due comes out, each once until noted again."""
    clocks = {name: Clock(START, 0) for name in "abc"}
    schedule = schedule_of(clocks)
    now = clocks["a"].now_ms()
    schedule.note("c", now - 1)
    schedule.note("a", now - 3)
    schedule.note("b", now - 2)
    assert sorted(world for world, _ in schedule.take_due()) == ["a", "b", "c"]
    assert schedule.take_due() == []


async def test_wait_wakes_at_a_scaled_worlds_deadline():
    """A world at 1000× with work 200 sandbox-ms away wakes the waiter after about 0.2 real ms."""
    clocks = {"fast": Clock(START, 1000), "idle": Clock(START, 0)}
    schedule = schedule_of(clocks)
    schedule.note("fast", clocks["fast"].now_ms() + 200)
    started, taken, rounds = time.monotonic(), [], 0
    while not taken:  # a worker's loop: wait, then take what is due
        await asyncio.wait_for(schedule.wait(), 2)
        taken, rounds = schedule.take_due(), rounds + 1
    assert [world for world, _ in taken] == ["fast"] and rounds <= 3
    assert time.monotonic() - started < 0.5


async def test_wait_is_woken_by_an_earlier_note():
    """A sleeper with nothing scheduled wakes when work is noted."""
    clocks = {"a": Clock(START, 0)}
    schedule = schedule_of(clocks)
    waiter = asyncio.create_task(schedule.wait())
    await asyncio.sleep(0)
    schedule.note("a", clocks["a"].now_ms())
    await asyncio.wait_for(waiter, 2)
    assert [world for world, _ in schedule.take_due()] == ["a"]


async def test_a_deleted_world_is_never_taken():
    """`forget` drops a world's entry even when its deadline has passed."""
    clocks = {"a": Clock(START, 0)}
    schedule = schedule_of(clocks)
    schedule.note("a", clocks["a"].now_ms())
    schedule.forget("a")
    assert schedule.take_due() == [] and len(schedule) == 0


async def test_with_a_lead_a_world_is_taken_that_long_before_its_due_time():
    """Taken with a lead, a running world comes out that many real seconds early, a frozen one never."""
    clocks = {"a": Clock(START, 1), "b": Clock(START, 0)}
    schedule = schedule_of(clocks)
    now = clocks["a"].now_ms()
    schedule.note("a", now + 2_000)
    schedule.note("b", clocks["b"].now_ms() + 1)
    assert schedule.take_due(0.25) == []
    assert 1.9 < schedule.next_deadline() - time.monotonic() <= 2.0
    schedule.note("a", now + 100)
    assert schedule.take_due() == [], "not due yet without a lead"
    assert schedule.take_due(0.25) == [("a", now + 100)]
    assert 245 <= clocks["a"].ms_after(0.25) - clocks["a"].now_ms() <= 250
    assert clocks["b"].ms_after(0.25) == clocks["b"].now_ms(), "a frozen clock gets nowhere in real time"
