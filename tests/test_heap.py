"""The server's heap: requests leave no reference cycles, and `sandbox serve` tunes the collector.

A create that left a cycle behind (a unit of work and its table families pointing at each other)
would be freed only by the cyclic garbage collector, whose collections then ran dozens of times a
second under load with pauses up to 80 ms. The collector still runs; these tests keep its work
small.
"""

from __future__ import annotations

import gc

from sandbox import runtime
from sandbox.store.base import Table
from sandbox.store.uow import UnitOfWork
from tests.providers.liqx_support import PAYIN, create_payin
from tests.support import credentials


async def test_creates_and_reads_leave_no_cyclic_garbage(sandbox):
    """Fifty creates and reads through the real server: nothing of the store's is left for the collector."""
    for n in range(3):   # first use of every route and cache before looking
        await create_payin(sandbox, {**PAYIN, "external_ref": f"warm-{n}"})
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for n in range(50):
            status, intent, _ = await create_payin(sandbox, {**PAYIN, "external_ref": f"heap-{n}"})
            assert status == 201, intent
            status, read, _ = await sandbox.request("GET", f"/liqx/v1/intents/{intent['intent_id']}",
                                                    headers=credentials(sandbox, "liqx"))
            assert status == 200 and read["intent_id"] == intent["intent_id"]
        gc.collect()
        left = [obj for obj in gc.garbage if isinstance(obj, UnitOfWork | Table)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []


def test_a_table_family_is_made_at_each_use_and_holds_only_its_unit_of_work():
    """`uow.intents` is a fresh family each time, and the unit of work keeps no reference to it."""
    uow = UnitOfWork(conn=None, world="default")
    first, second = uow.intents, uow.intents
    assert first is not second and first.uow is uow
    assert not any(isinstance(value, Table) for value in vars(uow).values())


def test_serve_freezes_the_start_up_heap_and_collects_the_young_generation_less_often():
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    try:
        runtime.settle_heap()
        assert gc.get_freeze_count() > frozen
        assert gc.get_threshold()[0] == 10_000
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
