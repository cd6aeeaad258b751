"""Twenty CI jobs on one server, each in its own world, running the same script at the same time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sandbox.clock import iso, parse_iso
from tests.faults.drivers import DRIVERS
from tests.worlds.support import PROVIDERS, WorldView, world_view

WORLDS = 20
START = "2026-11-25T12:00:00.000Z"  # before the Inqud fixture's expiresAt


async def script(view: WorldView, n: int) -> dict:
    """Create on every provider, drive to completion, one fault rule, one receiver instruction, own clock."""
    # A duplicate of the next LIQX delivery, and the Inqud receiver failing once (so Inqud retries).
    await view.control("POST", "/faults", {"provider": "liqx", "action": "duplicate", "params": {"copies": 1},
                                           "times": 1})
    await view.control("PUT", "/receiver/inqud", {"status": 500, "times": 1})
    objects = {}
    for provider in PROVIDERS:
        objects[provider], _ = await DRIVERS[provider].produce(view)
    await view.settle()
    seconds = 120 + 60 * n   # every world advances by a different amount
    await view.advance(seconds)
    return {"objects": objects, "seconds": seconds}


async def observe(view: WorldView) -> dict:
    """Everything a world can see of itself through the control API and its receiver."""
    intents = (await view.control("GET", "/intents?limit=500"))["data"]
    events = (await view.control("GET", "/events?limit=500"))["data"]
    deliveries = (await view.control("GET", "/deliveries?limit=500"))["data"]
    receipts = {p: await view.receipts(p) for p in PROVIDERS}
    return {
        "intent_ids": {(i["provider"], i["id"]) for i in intents},
        "event_ids": {e["id"] for e in events},
        "deliveries": sorted((d["provider"], d["status"], len(d["attempts"])) for d in deliveries),
        "receipts": {p: sorted((r["type"], r["deliveries"]) for r in rows) for p, rows in receipts.items()},
        "receipt_intents": {r["intent_id"] for rows in receipts.values() for r in rows},
        "fault_log": sorted(entry["action"] for entry in (await view.control("GET", "/faults/log"))["data"]),
        "clock": (await view.control("GET", "/clock"))["now"],
    }


async def test_twenty_worlds_in_parallel_see_exactly_their_own_objects_webhooks_and_clock(sandbox):
    """Same script in 20 worlds at once: identical exact counts, disjoint ids, each clock its own."""
    views = [await world_view(sandbox, clock={"now": START, "time_scale": 0}) for _ in range(WORLDS)]
    runs = await asyncio.gather(*(script(view, n) for n, view in enumerate(views)))
    seen = await asyncio.gather(*(observe(view) for view in views))

    reference = seen[0]
    assert len(reference["intent_ids"]) >= 4 and reference["fault_log"].count("duplicate") == 1
    assert reference["fault_log"].count("receiver_answer") == 1
    assert ("transaction.completed", 2) in reference["receipts"]["liqx"], "the duplicate reached the receiver"
    assert ("inqud", "delivered", 2) in reference["deliveries"], "Inqud retried after the instructed 500"
    for n, (run, mine) in enumerate(zip(runs, seen, strict=True)):
        # Exact and identical counts: nothing of another world leaked in, nothing of this one leaked out.
        assert mine["deliveries"] == reference["deliveries"], n
        assert mine["receipts"] == reference["receipts"], n
        assert mine["fault_log"] == reference["fault_log"], n
        assert len(mine["intent_ids"]) == len(reference["intent_ids"]) and len(mine["event_ids"]) == len(reference["event_ids"])
        assert {object_id for _, object_id in mine["intent_ids"]} >= {str(o) for o in run["objects"].values()}
        assert mine["receipt_intents"] <= {object_id for _, object_id in mine["intent_ids"]}
        assert mine["clock"] == iso(parse_iso(START) + timedelta(seconds=run["seconds"])), n
    for i in range(WORLDS):
        for j in range(i + 1, WORLDS):
            assert not seen[i]["intent_ids"] & seen[j]["intent_ids"]
            assert not seen[i]["event_ids"] & seen[j]["event_ids"]
    assert (await sandbox.control("GET", "/intents"))["data"] == [], "the default world saw none of it"

    # Each even world resets itself, concurrently; the odd worlds keep every row.
    await asyncio.gather(*(view.control("POST", "/reset", {}) for view in views[::2]))
    after = await asyncio.gather(*(observe(view) for view in views))
    for n, mine in enumerate(after):
        if n % 2 == 0:
            assert not mine["intent_ids"] and not mine["event_ids"] and not mine["deliveries"], n
            assert mine["receipts"] == {p: [] for p in PROVIDERS}, n
        else:
            assert mine["intent_ids"] == seen[n]["intent_ids"] and mine["deliveries"] == seen[n]["deliveries"], n
            assert mine["receipts"] == seen[n]["receipts"], n
