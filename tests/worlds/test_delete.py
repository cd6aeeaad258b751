"""Deleting a world (SPEC §12): all of its rows go, its pending work stops, other worlds carry on."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from sandbox.store.sqlite import connect
from sandbox.store.uow import UnitOfWork
from tests.faults.drivers import DRIVERS
from tests.providers.liqx_support import PAYIN, create_payin
from tests.support import query, serve_posts
from tests.worlds.support import world_view

TABLES = ("intents", "timeline", "events", "deliveries", "attempts", "sessions", "jobs", "faults", "fault_log",
          "idempotency", "receipts")


class Gate:
    """A partner endpoint that holds every request until released: attempts stay in flight."""

    def __init__(self) -> None:
        self.arrived = 0
        self.release = asyncio.Event()
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.arrived += 1
        await self.release.wait()
        return web.json_response({"ok": True})

    async def start(self) -> None:
        self.runner, self.url = await serve_posts(self.handle, shutdown_timeout=0.1)


def rows_of(db_path: str, world_id: str) -> dict[str, int]:
    """Rows still stored for a world, table by table, plus attempts whose delivery is gone (orphans)."""
    counts = {table: query(db_path, f"SELECT COUNT(*) FROM {table} WHERE world = ?", (world_id,))[0][0]
              for table in TABLES}
    counts["orphan_attempts"] = query(
        db_path, "SELECT COUNT(*) FROM attempts WHERE delivery_id NOT IN (SELECT id FROM deliveries)")[0][0]
    return counts


async def test_deleting_a_world_with_a_thousand_pending_deliveries_stops_them_and_spares_the_others(sandbox, receiver):
    """A's 1,000 deliveries (some in flight) stop at deletion; B's deliveries due at the same moment all arrive."""
    gate = Gate()
    await gate.start()
    try:
        a = await world_view(sandbox, clock={"now": "2030-01-01T00:00:00Z", "time_scale": 0},
                             webhook_urls={"liqx": gate.url})
        b = await world_view(sandbox, clock={"now": "2030-01-01T00:00:00Z", "time_scale": 0},
                             webhook_urls={"liqx": receiver.url})
        # 10 events × (1 + 99 copies) = 1,000 deliveries in A, all held 60 s by a delay rule.
        await a.control("POST", "/faults", {"provider": "liqx", "action": "delay", "params": {"delay_ms": 60_000},
                                            "times": 0})
        await a.control("POST", "/faults", {"provider": "liqx", "action": "duplicate",
                                            "params": {"copies": 99, "spacing_ms": 0}, "times": 0})
        for _ in range(10):
            await DRIVERS["liqx"].produce(a)
        await b.control("POST", "/faults", {"provider": "liqx", "action": "delay", "params": {"delay_ms": 60_000},
                                            "times": 0})
        b_ids = [(await DRIVERS["liqx"].produce(b))[0] for _ in range(20)]
        pending = (await a.control("GET", "/deliveries?provider=liqx&limit=500"))["data"]
        assert len(pending) == 500 and {d["status"] for d in pending} == {"pending"}

        # Both worlds' deliveries fall due; A's fill every in-flight slot at the gate, then A is deleted.
        await a.control("POST", "/clock/advance", {"seconds": 61})
        for _ in range(500):
            if gate.arrived > 0:
                break
            await asyncio.sleep(0.01)
        await b.control("POST", "/clock/advance", {"seconds": 61})
        assert (await sandbox.control("DELETE", f"/worlds/{a.id}"))["deleted"] == a.id
        arrived_at_delete = gate.arrived
        assert 0 < arrived_at_delete < 1000

        await receiver.wait_for(20)
        await sandbox.settle()
        gate.release.set()
        await asyncio.sleep(0.2)  # real time: anything still queued for A would reach the gate now
        assert gate.arrived == arrived_at_delete, "no delivery of the deleted world was attempted afterwards"
        assert sorted({r["path"] for r in receiver.requests}) == ["/hooks"] and len(receiver.requests) == 20
        assert {d["status"] for d in (await b.control("GET", "/deliveries?limit=100"))["data"]} == {"delivered"}
        assert len(b_ids) == 20
        assert rows_of(sandbox.sb.settings.db, a.id) == {**{t: 0 for t in TABLES}, "orphan_attempts": 0}
    finally:
        gate.release.set()
        await gate.runner.cleanup()


async def test_deleted_worlds_credentials_and_objects_are_gone(sandbox):
    """After DELETE the world's key is 401, its objects 404 for everyone, its pages 404."""
    view = await world_view(sandbox)
    rozo_id, _ = await DRIVERS["rozo"].produce(view)
    await sandbox.control("DELETE", f"/worlds/{view.id}")
    status, _, _ = await sandbox.request("GET", "/liqx/v1/intents", headers={"Authorization": f"Bearer {view.key('liqx')}"})
    assert status == 401
    status, _, _ = await sandbox.request("GET", f"/rozo/pay/{rozo_id}")
    assert status == 404
    status, _, _ = await sandbox.request("GET", f"/rozo/functions/v1/payment-api/payments/{rozo_id}")
    assert status == 404
    assert rows_of(sandbox.sb.settings.db, view.id) == {**{t: 0 for t in TABLES}, "orphan_attempts": 0}


async def test_a_worlds_view_is_made_once_and_dropped_after_the_world_is_deleted(sandbox):
    """Requests in one world share one view; views of deleted worlds go once the map outgrows the live worlds."""
    services = sandbox.sb.services
    worlds = [await world_view(sandbox) for _ in range(30)]
    for world in worlds:
        await world.control("GET", "/intents")
    first = services.views[worlds[0].id]
    await worlds[0].control("GET", "/intents")
    assert services.views[worlds[0].id] is first and first.world.id == worlds[0].id
    for world in worlds[1:]:
        status, _, _ = await sandbox.request("DELETE", f"/_sandbox/worlds/{world.id}")
        assert status == 200
    survivor = await world_view(sandbox)
    await survivor.control("GET", "/intents")
    live = {w.id for w in services.worlds}
    assert set(services.views) <= live and {worlds[0].id, survivor.id} <= set(services.views)


def deletion_steps(db_path: str, world_id: str) -> int:
    """The steps of SQLite's virtual machine (to the hundred) that deleting a world takes, cascades
    included: run on a connection of the test's own and rolled back, so the world stays."""
    conn = connect(db_path)
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 100
        return 0

    conn.set_progress_handler(count, 100)
    try:
        conn.execute("BEGIN IMMEDIATE")
        UnitOfWork(conn, world_id, writing=True).delete_world()
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    return steps


async def create_payins(world, count: int, prefix: str) -> None:
    for n in range(count):
        status, body, _ = await create_payin(world, {**PAYIN, "external_ref": f"{prefix}-{n}"})
        assert status == 201, body


@pytest.mark.sqlite_only
async def test_deleting_a_world_reads_none_of_the_other_worlds_rows(sandbox):
    """Deleting a world of 20 intents takes as much work after the default world has grown by 400.

    Each intent the delete removes has its timeline entries and timers found by index: a lookup
    that read whole tables grew with every other world's rows, and held the server's loop for
    more than five minutes on a world of some 15,000 intents beside 7,500 in the default world.
    """
    small = await world_view(sandbox)
    await create_payins(small, 20, "small")
    before = deletion_steps(sandbox.sb.settings.db, small.id)
    await create_payins(sandbox, 400, "default")
    after = deletion_steps(sandbox.sb.settings.db, small.id)
    assert before > 0
    assert after < before * 1.5, (before, after)
    status, _, _ = await sandbox.request("DELETE", f"/_sandbox/worlds/{small.id}")
    assert status == 200
    assert rows_of(sandbox.sb.settings.db, small.id) == {**{t: 0 for t in TABLES}, "orphan_attempts": 0}
