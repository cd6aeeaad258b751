"""The sandbox clock: every delay, expiry and retry schedule runs on it, never on the wall.

Sandbox time advances at `time_scale` × real time from an anchor, so `--time-scale 60` makes a
minute pass in a second, `time_scale = 0` freezes it, and `advance()` jumps it forward so a
three-day retry schedule finishes in milliseconds in CI. Sleepers wait on `wait_until()`, which
wakes early whenever the clock is changed, so nothing in the sandbox calls `asyncio.sleep` for
domain time.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch: the store's unit for due times."""
    return int(round(moment.timestamp() * 1000))


def from_ms(ms: int) -> datetime:
    """The UTC datetime for an epoch-milliseconds value."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def wall_now() -> datetime:
    """The real clock, in UTC: what webhook signature timestamps carry (SPEC §5), never sandbox time."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a `Z`, the format every provider here speaks."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp (a trailing `Z` allowed) into an aware UTC datetime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class Clock:
    """Sandbox time = anchor + (real elapsed since anchoring) × scale.

    Real elapsed time is measured on the monotonic clock, so wall-clock jumps on the host do not
    move sandbox time. `set`, `advance` and `set_scale` re-anchor and wake every waiter.
    """

    def __init__(self, now: datetime | None = None, time_scale: float = 1.0) -> None:
        self._anchor = now or datetime.now(UTC)
        self._anchor_real = time.monotonic()
        self._scale = float(time_scale)
        self._changed = asyncio.Event()
        self._listeners: list = []

    @property
    def time_scale(self) -> float:
        return self._scale

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._anchor_real) * self._scale
        return self._anchor + timedelta(seconds=elapsed)

    def now_ms(self) -> int:
        return to_ms(self.now())

    def set(self, now: datetime | None = None, time_scale: float | None = None) -> None:
        """Pin the clock to `now` and/or change its scale (0 freezes it)."""
        current = self.now()
        self._anchor = now if now is not None else current
        self._anchor_real = time.monotonic()
        if time_scale is not None:
            if time_scale < 0:
                raise ValueError("time_scale must be >= 0")
            self._scale = float(time_scale)
        self._notify()

    def advance(self, seconds: float) -> datetime:
        """Jump sandbox time forward; due timers and retries fire as if the time had passed."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.set(self.now() + timedelta(seconds=seconds))
        return self.now()

    def on_change(self, callback) -> None:
        """Call `callback()` after every change (used to persist the clock's state)."""
        self._listeners.append(callback)

    def real_seconds_until(self, due_ms: int) -> float | None:
        """How long to really wait for sandbox time `due_ms`; None when the clock is frozen."""
        remaining_ms = due_ms - self.now_ms()
        if remaining_ms <= 0:
            return 0.0
        if self._scale == 0:
            return None
        return remaining_ms / 1000 / self._scale

    async def wait_until(self, due_ms: int | None, wake: asyncio.Event | None = None) -> None:
        """Wait until sandbox time reaches `due_ms` (None: until woken), the clock changes or `wake` is set."""
        timeout = None if due_ms is None else self.real_seconds_until(due_ms)
        if timeout == 0:
            return
        waiters = [asyncio.ensure_future(self._changed.wait())]
        if wake is not None:
            waiters.append(asyncio.ensure_future(wake.wait()))
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    def _notify(self) -> None:
        # Wake everyone waiting on the old timeline, then arm a fresh event for the next change.
        self._changed.set()
        self._changed = asyncio.Event()
        for callback in self._listeners:
            callback()

    def state(self) -> dict:
        return {"now": iso(self.now()), "time_scale": self._scale}
