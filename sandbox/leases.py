"""Leases: which replica still holds the deliveries and timers it claimed (SPEC §14).

Every process serving a database keeps a row in `replicas` fresh (every `BEAT_S` real seconds).
Claims carry the claimer's id; a claim whose replica stopped refreshing for `LEASE_S` is
abandoned: its in-flight deliveries become due again (at-least-once: the receiver may see that
attempt twice, with the same event id) — except an at-most-once provider's, which are recorded
`unknown` as after a crash — and its timers are free to be claimed again. Timer handlers check the
intent's state first, so a timer fired twice changes nothing the second time.

With SQLite the one sweep at start is the crash recovery of SPEC §5 (the previous process is never
alive); with `--delivery-process` the server also sweeps when its delivery process died, before
starting another (its claims carry its own id). On PostgreSQL the sweep repeats, so a killed replica's work is taken over within
`LEASE_S + BEAT_S` seconds by whichever replica looks first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from sandbox.store import Store, UnitOfWork
from sandbox.worlds import wall_ms

if TYPE_CHECKING:
    from sandbox.worlds import World

log = logging.getLogger("sandbox.leases")

#: Real seconds after its last beat at which a replica's claims are taken over (SPEC §14: within 30 s).
LEASE_S = 15.0
#: Real seconds between beats (and sweeps for abandoned claims).
BEAT_S = 3.0


class Leases:
    """This replica's heartbeat, and the takeover of abandoned claims."""

    def __init__(self, store: Store, find_world: Callable[[str], Awaitable[World | None]],
                 at_most_once: Callable[[], list[str]], lease_s: float = LEASE_S) -> None:
        self.store, self.find_world, self.at_most_once = store, find_world, at_most_once
        self.lease_s = lease_s
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """Beat once and take over what the previous process left; on a shared database keep beating."""
        await self.sweep()
        if self.store.shared:
            self._task = asyncio.create_task(self._run(), name="leases")

    async def stop(self) -> None:
        """Stop beating and leave: nothing of this replica is left waiting for its lease to lapse."""
        if self._task is None:
            return
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        try:
            await self.store.commit(_leave)
        except Exception:  # the database is gone: the lease lapses instead
            log.warning("could not leave the replica table; the lease will lapse")

    async def sweep(self) -> int:
        """Beat, then release every claim of a replica whose lease lapsed; how many deliveries were retaken."""
        if self.store.shared:
            now = wall_ms()
            alive = await self.store.commit(_beat, now, now - int(self.lease_s * 1000))
        else:  # one process per file: whoever ran before is gone, however recently it beat
            alive = (self.store.replica,)
        taken = 0
        for world_id in await self.store.read(_worlds_in_flight, alive):
            world = await self.find_world(world_id)
            if world is not None:
                taken += await self.store.commit(_recover, self.at_most_once(), world.clock.now_ms(), alive,
                                                 world=world_id)
        await self.store.commit(_release_jobs, alive)
        if taken and self.store.shared:
            log.warning("took over %d in-flight deliveries of replicas whose lease lapsed", taken)
        return taken

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(BEAT_S)  # real time: a lease is about processes, not sandbox time
            try:
                await self.sweep()
            except Exception:  # the database is briefly away: try again at the next beat
                log.exception("lease sweep failed")


def _beat(uow: UnitOfWork, now_ms: int, since_ms: int) -> tuple[str, ...]:
    uow.replicas.beat(uow.replica, now_ms)
    uow.replicas.forget_before(since_ms - 3_600_000)
    return uow.replicas.alive(since_ms)


def _leave(uow: UnitOfWork) -> None:
    uow.replicas.leave(uow.replica)


def _worlds_in_flight(uow: UnitOfWork, alive: tuple[str, ...]) -> list[str]:
    return uow.deliveries.worlds_in_flight(alive)


def _recover(uow: UnitOfWork, at_most_once: list[str], now_ms: int, alive: tuple[str, ...]) -> int:
    return uow.deliveries.recover(at_most_once, now_ms, alive)


def _release_jobs(uow: UnitOfWork, alive: tuple[str, ...]) -> None:
    uow.jobs.release(alive)
