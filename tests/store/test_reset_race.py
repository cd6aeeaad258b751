"""`POST /_sandbox/reset` racing webhook attempts in flight leaves no row pointing at a deleted one.

A real receiver holds every webhook until the test lets it answer, so many attempts are in flight
when the reset deletes their deliveries; their outcomes arrive afterwards. Foreign keys are on, and
`PRAGMA foreign_key_check` plus explicit orphan queries must come back empty — without the
dispatcher ever failing on a write the foreign keys refused.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from tests.providers.liqx_support import PAYIN, create_payin
from tests.support import db_url, free_socket, on_postgres, query

ORPHANS = {
    "attempts without their delivery": "SELECT COUNT(*) FROM attempts WHERE delivery_id NOT IN (SELECT id FROM deliveries)",
    "deliveries without their event": "SELECT COUNT(*) FROM deliveries WHERE event_id NOT IN (SELECT id FROM events)",
    "timeline rows without their intent": "SELECT COUNT(*) FROM timeline t WHERE NOT EXISTS"
                                          " (SELECT 1 FROM intents i WHERE i.provider = t.provider AND i.id = t.intent_id)",
    "events without their intent": "SELECT COUNT(*) FROM events e WHERE e.intent_id IS NOT NULL AND NOT EXISTS"
                                   " (SELECT 1 FROM intents i WHERE i.provider = e.provider AND i.id = e.intent_id)",
}


class HeldReceiver:
    """A partner endpoint that answers 200 only once `release()` is called: a slow receiver, on cue."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.arrived = 0
        self.url = ""
        self.runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.arrived += 1
        await self.gate.wait()
        return web.json_response({"ok": True})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        sock = free_socket()
        await web.SockSite(self.runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"

    async def wait_for(self, count: int) -> None:
        """Wait (real time, bounded) until `count` webhooks are being held."""
        async with asyncio.timeout(20):
            while self.arrived < count:
                await asyncio.sleep(0.01)


def integrity(db_path: str) -> dict:
    """Foreign-key violations and orphan counts of the database (PostgreSQL checks its keys on every write)."""
    report = {"foreign_key_check": [] if on_postgres() else query(db_path, "PRAGMA foreign_key_check")}
    report.update({name: query(db_path, sql)[0][0] for name, sql in ORPHANS.items()})
    report["attempts"] = query(db_path, "SELECT COUNT(*) FROM attempts")[0][0]
    return report


async def completed_payins(sandbox, prefix: str, count: int) -> None:
    """`count` LIQX payins driven to COMPLETED, each queuing one webhook."""
    async def one(n: int) -> None:
        status, intent, _ = await create_payin(sandbox, {**PAYIN, "external_ref": f"{prefix}-{n}"})
        assert status == 201, intent
        await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    await asyncio.gather(*(one(n) for n in range(count)))


async def test_reset_during_in_flight_attempts_leaves_no_orphans(sandbox, tmp_path, caplog):
    """Resets racing dozens of held attempts: no attempt or timeline row survives its delivery or intent."""
    receiver = HeldReceiver()
    await receiver.start()
    db_path = db_url(tmp_path)
    clean = {"foreign_key_check": [], **{name: 0 for name in ORPHANS}}
    try:
        for round_ in range(4):
            receiver.gate.clear()
            receiver.arrived = 0
            await sandbox.control("PUT", "/endpoints/liqx", {"url": receiver.url})
            await completed_payins(sandbox, f"race{round_}", 30)
            await receiver.wait_for(30)  # every attempt is in flight now
            if round_ % 2 == 0:  # reset first, then the attempts finish
                await sandbox.control("POST", "/reset", {})
                receiver.gate.set()
            else:  # let them finish while the reset runs
                receiver.gate.set()
                await sandbox.control("POST", "/reset", {"provider": "liqx"})
            await sandbox.settle()
            report = integrity(db_path)
            assert {k: v for k, v in report.items() if k != "attempts"} == clean, (round_, report)
            assert report["attempts"] == 0, (round_, report)
        # The store still works: a webhook after the resets is attempted and recorded.
        receiver.gate.set()
        await sandbox.control("PUT", "/endpoints/liqx", {"url": receiver.url})
        await completed_payins(sandbox, "after", 1)
        await sandbox.settle()
        report = integrity(db_path)
        assert report["attempts"] == 1 and report["foreign_key_check"] == [], report
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    finally:
        receiver.gate.set()
        await receiver.runner.cleanup()
