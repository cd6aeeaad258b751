"""A bound on the POSTs in flight that can also be taken without waiting.

`asyncio.Semaphore` only hands a slot out through `await acquire()`; a webhook sent from a timer's
callback at its due time (`Dispatcher`) has to know at once whether it may go.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Slots:
    """At most `size` taken at once: `take_now()` or `await take()`, then `give()` back once."""

    def __init__(self, size: int) -> None:
        self.free = size
        self._waiters: deque[asyncio.Future] = deque()

    def take_now(self) -> bool:
        """Take a slot if one is free and nobody is queued for one (True), else take nothing."""
        if self.free > 0 and not self._waiters:
            self.free -= 1
            return True
        return False

    async def take(self) -> None:
        """Take a slot, in turn after those already waiting."""
        if self.take_now():
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter   # `give` hands its slot straight to the first waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give()   # handed a slot just as it was cancelled: pass it on
            elif waiter in self._waiters:   # (a `give` meanwhile may have dropped it already)
                self._waiters.remove(waiter)
            raise

    def give(self) -> None:
        """Give a slot back: to the first waiter, else to the free ones."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1
