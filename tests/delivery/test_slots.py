"""`Slots`: the bound on POSTs in flight, taken at once or awaited in turn."""

from __future__ import annotations

import asyncio

import pytest

from sandbox.delivery.slots import Slots


async def test_slots_are_taken_at_once_while_free_and_then_in_turn():
    slots = Slots(2)
    assert slots.take_now() and slots.take_now()
    assert not slots.take_now() and slots.free == 0
    order = []

    async def wait(name):
        await slots.take()
        order.append(name)

    first, second = asyncio.create_task(wait("first")), asyncio.create_task(wait("second"))
    await asyncio.sleep(0)
    assert order == []
    slots.give()
    await asyncio.sleep(0)
    assert order == ["first"]
    assert not slots.take_now(), "a slot given back goes to the one waiting, not to whoever asks next"
    slots.give()
    await asyncio.gather(first, second)
    assert order == ["first", "second"] and slots.free == 0
    slots.give()
    slots.give()
    assert slots.free == 2


async def test_a_cancelled_waiter_takes_no_slot_and_loses_none():
    slots = Slots(1)
    assert slots.take_now()
    waiting = asyncio.create_task(slots.take())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    slots.give()
    assert slots.free == 1 and slots.take_now()


async def test_a_waiter_cancelled_as_it_is_handed_a_slot_passes_it_on():
    slots = Slots(1)
    assert slots.take_now()
    waiting = asyncio.create_task(slots.take())
    await asyncio.sleep(0)
    slots.give()           # handed to the waiter...
    waiting.cancel()       # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert slots.free == 1, "the slot went back, not lost"


async def test_a_slot_given_back_while_a_cancelled_waiter_unwinds_is_kept():
    slots = Slots(1)
    assert slots.take_now()
    waiting = asyncio.create_task(slots.take())
    await asyncio.sleep(0)
    waiting.cancel()       # its wait is cancelled at once...
    slots.give()           # ...so the slot given back now skips it
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert slots.free == 1 and slots.take_now()
