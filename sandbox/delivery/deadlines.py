"""Attempt timeouts kept by one watcher task instead of a timer per request.

A per-request timer (aiohttp's `ClientTimeout`, or `asyncio.timeout`) makes, arms and cancels a
loop timer for every attempt; with hundreds of attempts in flight that was 8% of the
dispatcher's event-loop time (bench/README.md). Webhook timeouts are seconds long, so one task
looking at every armed deadline `TICK_S` apart is precise enough: an attempt is cancelled at most
`TICK_S` after its timeout. The watcher runs only while something is armed, so an idle server
never wakes for it.

The cancellation reaches the attempt where it is suspended, which is always inside the guarded
region: a task disarms synchronously as it leaves it, and the watcher runs on the same loop.
`timed_out` turns that cancellation back into an ordinary outcome unless someone else (a world's
deletion, the server stopping) cancelled the task too.
"""

from __future__ import annotations

import asyncio

#: Real seconds between two looks at the armed deadlines.
TICK_S = 0.05


class Deadlines:
    """Deadlines of the tasks in flight, on the loop's monotonic clock."""

    def __init__(self, tick_s: float = TICK_S) -> None:
        self.tick_s = tick_s
        self._due: dict[asyncio.Task, float] = {}
        self._expired: set[asyncio.Task] = set()
        self._watcher: asyncio.Task | None = None

    def arm(self, task: asyncio.Task, timeout_s: float) -> None:
        """`task` is cancelled once `timeout_s` real seconds have passed, unless disarmed first."""
        loop = asyncio.get_running_loop()
        self._due[task] = loop.time() + timeout_s
        if self._watcher is None or self._watcher.done():
            self._watcher = loop.create_task(self._watch(), name="attempt-deadlines")

    def disarm(self, task: asyncio.Task) -> None:
        """`task` left its guarded region."""
        self._due.pop(task, None)
        self._expired.discard(task)

    def timed_out(self, task: asyncio.Task) -> bool:
        """Whether the `CancelledError` `task` caught was its deadline's alone (then it is withdrawn)."""
        if task not in self._expired:
            return False
        self._expired.discard(task)
        return task.uncancel() == 0

    async def stop(self) -> None:
        """Stop watching (the attempts themselves are stopped by their owner)."""
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while self._due:
            await asyncio.sleep(self.tick_s)
            now = loop.time()
            for task, due in list(self._due.items()):
                if due <= now:
                    del self._due[task]
                    self._expired.add(task)
                    task.cancel()
