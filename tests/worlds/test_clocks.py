"""Test clocks (SPEC §12): one clock per world moves only that world's timers, expiries and retries."""

from __future__ import annotations

import asyncio

from tests.faults.drivers import DRIVERS
from tests.providers import liqx_support
from tests.support import credentials
from tests.worlds.support import world_view

PINNED = {"now": "2030-01-01T00:00:00Z", "time_scale": 0}


async def _status(view, intent_id: str) -> str:
    _, intent, _ = await view.request("GET", f"/liqx/v1/intents/{intent_id}", headers=credentials(view, "liqx"))
    return intent["status"]


async def test_advancing_one_worlds_clock_expires_only_that_worlds_intents(sandbox):
    """Two worlds with a payin each; 31 minutes on A's clock expire A's intent, B's stays open."""
    a, b = await world_view(sandbox, clock=PINNED), await world_view(sandbox, clock=PINNED)
    _, in_a, _ = await liqx_support.create_payin(a)
    _, in_b, _ = await liqx_support.create_payin(b)
    await a.advance(31 * 60)
    assert await _status(a, in_a["intent_id"]) == "EXPIRED"
    assert await _status(b, in_b["intent_id"]) != "EXPIRED"
    assert (await b.control("GET", "/clock"))["now"] == "2030-01-01T00:00:00.000Z"
    await b.advance(31 * 60)
    assert await _status(b, in_b["intent_id"]) == "EXPIRED"


async def test_retries_follow_their_own_worlds_clock(sandbox):
    """An Inqud retry (1 min) in B waits for B's clock; advancing A's clock or the default's does nothing."""
    pinned = {"now": "2026-11-22T09:00:00Z", "time_scale": 0}  # before the Inqud fixture's expiresAt
    a, b = await world_view(sandbox, clock=pinned), await world_view(sandbox, clock=pinned)
    await b.control("PUT", "/receiver/inqud", {"status": 500, "times": 1})
    checkout_id, _ = await DRIVERS["inqud"].produce(b)
    await sandbox.settle()
    await a.advance(3600)
    await sandbox.advance(3600)
    path = f"/deliveries?provider=inqud&intent_id={checkout_id}"
    [retrying] = [d for d in (await b.control("GET", path))["data"] if d["status"] == "pending"]
    assert [attempt["status"] for attempt in retrying["attempts"]] == [500]
    await b.advance(60)
    [retried] = [d for d in (await b.control("GET", path))["data"] if d["id"] == retrying["id"]]
    assert [attempt["status"] for attempt in retried["attempts"]] == [500, 200]


async def test_pinning_or_scaling_one_clock_leaves_the_others(sandbox):
    """PUT /clock in A (pin, scale) changes A's clock only."""
    a, b = await world_view(sandbox, clock=PINNED), await world_view(sandbox, clock=PINNED)
    await a.control("PUT", "/clock", {"now": "2040-06-01T00:00:00Z", "time_scale": 60})
    assert (await a.control("GET", "/clock"))["time_scale"] == 60
    assert await b.control("GET", "/clock") == {"now": "2030-01-01T00:00:00.000Z", "time_scale": 0.0}
    assert (await sandbox.control("GET", "/clock"))["now"] == "2026-11-22T09:00:00.000Z"


async def test_a_scaled_world_fires_its_timer_in_real_time(sandbox):
    """A world at time_scale 3600 reaches a LIQX 30-minute expiry within about half a real second."""
    view = await world_view(sandbox, clock={"time_scale": 3600})
    _, intent, _ = await liqx_support.create_payin(view)
    for _ in range(200):  # real time is the point here: the scheduler must wake by itself
        if await _status(view, intent["intent_id"]) == "EXPIRED":
            break
        await asyncio.sleep(0.02)
    assert await _status(view, intent["intent_id"]) == "EXPIRED"


async def test_a_thousand_idle_worlds_cost_no_background_work(sandbox):
    """1,000 worlds add no task and no scheduler entry; the workers stay asleep."""
    await sandbox.control("GET", "/health")  # the keep-alive connection's handler task exists from here
    await sandbox.settle()
    tasks_before = len(asyncio.all_tasks())
    for n in range(1000):
        status, _, _ = await sandbox.request("POST", "/_sandbox/worlds", json={"name": f"idle-{n}"})
        assert status == 201
    await sandbox.settle()
    await asyncio.sleep(0.05)
    assert len(asyncio.all_tasks()) <= tasks_before, "no task per world"
    sb = sandbox.sb
    assert len(sb.dispatcher.schedule) == 0 and len(sb.timers.schedule) == 0, "idle worlds are not in the heap"
    loops = (sb.dispatcher.loops, sb.timers.loops)
    await asyncio.sleep(0.3)
    assert (sb.dispatcher.loops, sb.timers.loops) == loops, "nothing woke while every world was idle"
