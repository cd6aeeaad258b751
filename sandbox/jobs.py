"""Timers on the sandbox clock: expiries, settlements and scenario outcomes, stored as rows.

A timer is a `jobs` row written in the same transaction as the state change that set it, so a
restart finds it again. The runner hands each due job to its provider's `run_job`; handlers check
the intent's current state first, which makes a job that ran just before a crash harmless to
run again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from sandbox.clock import Clock
from sandbox.store import Job, Store, UnitOfWork

log = logging.getLogger("sandbox.jobs")

JobHandler = Callable[[Job], Awaitable[None]]


class JobRunner:
    """Fires due jobs one at a time, in due order."""

    def __init__(self, store: Store, clock: Clock, handlers: Mapping[str, JobHandler]) -> None:
        self.store, self.clock, self.handlers = store, clock, handlers
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._busy = False
        self._sleeping_until: int | None = None   # the due time the runner sleeps towards (None: none)
        store.watch(jobs=self.notice)

    def wake(self) -> None:
        self._wake.set()

    def notice(self, due_ms: int) -> None:
        """A job due at `due_ms` was added: wake only if it is earlier than what the runner waits for."""
        if self._sleeping_until is None or due_ms < self._sleeping_until:
            self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="jobs")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def idle(self) -> bool:
        if self._busy:
            return False
        due = await self.store.read(_next_due_ms)
        return due is None or due > self.clock.now_ms()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            jobs = await self.store.read(_due, self.clock.now_ms())
            for job in jobs:
                self._busy = True
                try:
                    handler = self.handlers.get(job.provider)
                    if handler is not None:
                        await handler(job)
                except Exception:  # a broken job must not stop the timers of every other intent
                    log.exception("job %s (%s %s) failed", job.id, job.provider, job.kind)
                finally:
                    await self.store.commit(_finish, job.id)
                    self._busy = False
            if jobs:
                continue
            self._sleeping_until = await self.store.read(_next_due_ms)
            await self.clock.wait_until(self._sleeping_until, self._wake)
            self._sleeping_until = None


def _due(uow: UnitOfWork, now_ms: int) -> list[Job]:
    return uow.jobs.due(now_ms)


def _next_due_ms(uow: UnitOfWork) -> int | None:
    return uow.jobs.next_due_ms()


def _finish(uow: UnitOfWork, job_id: int) -> None:
    uow.jobs.finish(job_id)
