"""Timers on each world's clock: expiries, settlements and scenario outcomes, stored as rows.

A timer is a `jobs` row written in the same transaction as the state change that set it, so a
restart finds it again. The runner sleeps on one `DueSchedule` over every world's next timer
(so 1,000 idle worlds cost nothing), claims each world's due jobs (replicas sharing a database
never fire one twice; `sandbox.leases` frees the claims of a replica that died) and hands each to
its provider's `run_job` with the job's world; handlers check the intent's current state first, which makes a job that ran just
before a crash harmless to run again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from sandbox.clock import DueSchedule
from sandbox.store import Job, Store, UnitOfWork

if TYPE_CHECKING:
    from sandbox.worlds import World, Worlds

log = logging.getLogger("sandbox.jobs")

JobHandler = Callable[["World", Job], Awaitable[None]]


class JobRunner:
    """Fires due jobs one at a time, world by world, in due order within a world."""

    def __init__(self, store: Store, worlds: Worlds, handlers: Mapping[str, JobHandler]) -> None:
        self.store, self.worlds, self.handlers = store, worlds, handlers
        #: Every world's next due timer, on one heap of real deadlines.
        self.schedule = DueSchedule(worlds.clock_of)
        #: Loop turns so far (a test reads it to prove idle worlds wake nothing).
        self.loops = 0
        self._task: asyncio.Task | None = None
        self._busy = False
        store.watch(jobs=self.notice)

    def wake(self) -> None:
        self.schedule.wake()

    def notice(self, world: str, due_ms: int) -> None:
        """A job due at `due_ms` (on `world`'s clock) was added."""
        self.schedule.note(world, due_ms)

    def rekey(self, world: str) -> None:
        """`world`'s clock changed: its next due timer maps onto real time anew."""
        self.schedule.rekey(world)

    def forget_world(self, world: str) -> None:
        """A deleted world: none of its timers fires again."""
        self.schedule.forget(world)

    async def start(self) -> None:
        for world_id, due_ms in (await self.store.read(_next_due_by_world)).items():
            self.schedule.note(world_id, due_ms)
        self._task = asyncio.create_task(self._run(), name="jobs")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def idle(self) -> bool:
        """True when no job runs and no world has one due on its clock (tests use this)."""
        return not self._busy and not self.worlds.any_due(await self.store.read(_next_due_by_world))

    async def _run(self) -> None:
        while True:
            self.loops += 1
            due = self.schedule.take_due()
            for world_id, _ in due:
                world = self.worlds.find(world_id)
                if world is not None:
                    await self._fire(world)
            if not due:
                await self.schedule.wait()

    async def _fire(self, world: World) -> None:
        """Run one world's due jobs, then re-read when its next one is due."""
        jobs = await self.store.commit(_claim_due, world.clock.now_ms(), world=world.id)
        for job in jobs:
            if self.worlds.find(world.id) is not world:  # deleted meanwhile: its timers stop
                return
            self._busy = True
            try:
                handler = self.handlers.get(job.provider)
                if handler is not None:
                    await handler(world, job)
            except Exception:  # a broken job must not stop the timers of every other intent
                log.exception("job %s (%s %s) failed", job.id, job.provider, job.kind)
            finally:
                await self.store.commit(_finish, job.id, world=world.id)
                self._busy = False
        self.schedule.reschedule(world.id, await self.store.read(_next_due_ms, world=world.id))


def _claim_due(uow: UnitOfWork, now_ms: int) -> list[Job]:
    return uow.jobs.claim_due(now_ms)


def _next_due_ms(uow: UnitOfWork) -> int | None:
    return uow.jobs.next_due_ms()


def _next_due_by_world(uow: UnitOfWork) -> dict[str, int]:
    return uow.jobs.next_due_by_world()


def _finish(uow: UnitOfWork, job_id: int) -> None:
    uow.jobs.finish(job_id)
