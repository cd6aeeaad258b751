"""Sandbox clocks (one per world) and the one schedule that maps every world's due times onto real time.

Sandbox time advances at `time_scale` × real time from an anchor, so `--time-scale 60` makes a
minute pass in a second, `time_scale = 0` freezes it, and `advance()` jumps it forward so a
three-day retry schedule finishes in milliseconds in CI. Each world has its own `Clock` (a test
clock, as Stripe's): advancing one moves only that world's timers, expiries and retries.

Workers never poll per world. A `DueSchedule` keeps, per world, the earliest sandbox time at
which that world has work, converts it to a real (monotonic) deadline with that world's clock,
and keeps the deadlines in one heap; a worker sleeps until the head of the heap. A clock change
re-keys only its world. So 1,000 idle worlds cost nothing: they are simply not in the heap.
Nothing in the sandbox calls `asyncio.sleep` for domain time.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

#: The range sandbox time may take (SPEC §10): far enough for any rehearsal, near enough that every
#: date still formats, converts to milliseconds and fits the store's integers.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch (an aware datetime's): the store's unit for due times.

    A half millisecond rounds up, in integers: moving a time by whole milliseconds then moves its
    milliseconds by exactly as many. `round()` of a float rounds a half to the even neighbour (or
    either way, after the float's own error), so a clock frozen at x.5 ms and advanced by the
    milliseconds to a due time could land a millisecond short of it, and stay there.
    """
    return _half_up_ms((moment - _EPOCH) // _MICROSECOND)


def _half_up_ms(us: int) -> int:
    """Microseconds since the epoch to milliseconds, a half rounded up."""
    return (us + 500) // 1000


def from_ms(ms: int) -> datetime:
    """The UTC datetime for an epoch-milliseconds value."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def wall_now() -> datetime:
    """The real clock, in UTC: what webhook signature timestamps carry (SPEC §5), never sandbox time."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a `Z`, the format every provider here speaks."""
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    # What `isoformat(timespec="milliseconds")` writes (milliseconds truncated), in about half its
    # time (an f-string with the same specifiers takes most of it): a create writes two or three.
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031
        utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond // 1000)


#: How much later than asked a timer is set for: an event loop's timer may fire up to a millisecond
#: and a half early (uvloop counts whole milliseconds), and a wait woken early waits again, a whole
#: loop pass more under load.
TIMER_SLACK_S = 0.0015
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _room(anchor: datetime) -> float:
    """Seconds a clock anchored at `anchor` may still run before `LATEST`."""
    return max(0.0, (LATEST - anchor).total_seconds())


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp (a trailing `Z` allowed) into an aware UTC datetime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _wake(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_result(None)


class Clock:
    """Sandbox time = anchor + (real elapsed since anchoring) × scale.

    Real elapsed time is measured on the monotonic clock, so wall-clock jumps on the host do not
    move sandbox time. `set`, `advance` and `set_scale` re-anchor and wake every waiter.
    """

    def __init__(self, now: datetime | None = None, time_scale: float = 1.0) -> None:
        self._anchor_at(now or datetime.now(UTC))
        self._scale = float(time_scale)
        #: Who waits in `wait_until`: each woken at its time, all of them when the clock changes.
        self._waiters: set[asyncio.Future] = set()
        self._listeners: list = []

    @property
    def time_scale(self) -> float:
        return self._scale

    def _anchor_at(self, anchor: datetime) -> None:
        """Sandbox time is `anchor` now (real time goes on from here at the clock's scale)."""
        self._anchor = anchor
        self._anchor_us = (anchor - _EPOCH) // _MICROSECOND
        self._room_s = _room(anchor)
        self._anchor_real = time.monotonic()

    def _elapsed_s(self) -> float:
        """Sandbox seconds since the anchor; a fast clock left running stops at `LATEST`."""
        return min((time.monotonic() - self._anchor_real) * self._scale, self._room_s)

    def now(self) -> datetime:
        """Sandbox time; a fast clock left running stops at `LATEST` rather than overflowing."""
        return self._anchor + timedelta(seconds=self._elapsed_s())

    def now_ms(self) -> int:
        """`to_ms(self.now())`, in integers rather than through a datetime (it is read several times
        for each delivery): the same arithmetic on the anchor's microseconds."""
        return _half_up_ms(self._anchor_us + round(self._elapsed_s() * 1_000_000))

    def ms_after(self, seconds: float) -> int:
        """Sandbox time once `seconds` of real time have passed from now (now itself when frozen)."""
        return self.now_ms() + round(seconds * self._scale * 1000)

    def set(self, now: datetime | None = None, time_scale: float | None = None) -> None:
        """Pin the clock to `now` and/or change its scale (0 freezes it)."""
        current = self.now()
        self._anchor_at(now if now is not None else current)
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

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call `callback()` after every change (to persist the clock and re-key its world's due times)."""
        self._listeners.append(callback)

    def deadline(self, due_ms: int) -> float | None:
        """The monotonic time at which this clock reaches `due_ms`; None while it is frozen short of it."""
        wait = self.real_seconds_until(due_ms)
        return None if wait is None else time.monotonic() + wait

    def real_seconds_until(self, due_ms: int) -> float | None:
        """How long to really wait for sandbox time `due_ms`; None when the clock is frozen."""
        remaining_ms = due_ms - self.now_ms()
        if remaining_ms <= 0:
            return 0.0
        if self._scale == 0:
            return None
        return remaining_ms / 1000 / self._scale

    async def wait_until(self, due_ms: int) -> None:
        """Wait until sandbox time reaches `due_ms` or the clock changes.

        One future and one timer: every delivery claimed ahead of its time waits here, and
        `asyncio.wait` over an event's task cost several objects and callbacks each.
        """
        timeout = self.real_seconds_until(due_ms)
        if timeout == 0:
            return
        waiter = asyncio.get_running_loop().create_future()
        timer = self.arm(waiter, timeout)
        try:
            await waiter
        finally:
            self.disarm(waiter, timer)

    def arm(self, waiter: asyncio.Future, wait_s: float | None, at_due: Callable[..., None] = _wake,
            *args: Any) -> asyncio.TimerHandle | None:
        """Settle `waiter` with None at the clock's next change, and call `at_due(*args, waiter)`
        once `wait_s` real seconds (`real_seconds_until`; None: frozen, no timer) have passed,
        `TIMER_SLACK_S` late. `disarm` after the wait, however it ended."""
        self._waiters.add(waiter)
        if wait_s is None:
            return None
        return asyncio.get_running_loop().call_later(wait_s + TIMER_SLACK_S, at_due, *args, waiter)

    def disarm(self, waiter: asyncio.Future, timer: asyncio.TimerHandle | None) -> None:
        """No longer settle `waiter` at a change, nor call its timer."""
        self._waiters.discard(waiter)
        if timer is not None:
            timer.cancel()

    def _notify(self) -> None:
        # Wake everyone waiting on the old timeline (each then looks at the new one).
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            _wake(waiter)
        for callback in self._listeners:
            callback()

    def state(self) -> dict:
        return {"now": iso(self.now()), "time_scale": self._scale}


class DueSchedule:
    """When each world next has work of one kind (deliveries, timers), as one heap of real deadlines.

    `note(world, due_ms)` after a write queued work; `take_due()` pops the worlds whose due time
    has come (the worker then handles them and `reschedule`s each with its re-read earliest due
    time, keeping anything noted meanwhile); `rekey(world)` after that world's clock changed;
    `forget(world)` when it is deleted. `wait()` sleeps until the next deadline or a wake-up.
    Stale heap entries are skipped lazily. Both take a `lead_s`: a worker that prepares its work
    ahead and then waits for the moment itself takes a world that many real seconds early.
    """

    def __init__(self, clock_of: Callable[[str], Clock | None]) -> None:
        self._clock_of = clock_of
        self._due: dict[str, int] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._version: dict[str, int] = {}
        self._wake = asyncio.Event()

    def __len__(self) -> int:
        return len(self._due)

    def due_ms(self, world: str) -> int | None:
        """The earliest sandbox time `world` has work of this kind, as far as the schedule knows."""
        return self._due.get(world)

    def note(self, world: str, due_ms: int) -> None:
        """Work due at `due_ms` was queued in `world`: keep the earlier of it and what was known."""
        known = self._due.get(world)
        if known is None or due_ms < known:
            self._set(world, due_ms)

    def reschedule(self, world: str, due_ms: int | None) -> None:
        """A worker handled a taken world and re-read its earliest due time (None: nothing left).

        A note that arrived while the worker was busy is kept when it is earlier: the store read
        may have run before that note's transaction committed.
        """
        noted = self._due.get(world)
        if due_ms is not None and (noted is None or due_ms < noted):
            self._set(world, due_ms)

    def rekey(self, world: str) -> None:
        """The world's clock changed: its due time maps onto a different real deadline."""
        if world in self._due:
            self._set(world, self._due[world])

    def forget(self, world: str) -> None:
        self._due.pop(world, None)
        self._version[world] = self._version.get(world, 0) + 1

    def wake(self) -> None:
        self._wake.set()

    def take_due(self, lead_s: float = 0.0) -> list[tuple[str, int]]:
        """Pop every world whose due time is reached on its own clock within `lead_s` real seconds, with that due time."""
        now = time.monotonic() + lead_s
        found: list[tuple[str, int]] = []
        while self._heap and self._heap[0][0] <= now:
            _, version, world = heapq.heappop(self._heap)
            if version != self._version.get(world) or world not in self._due:
                continue
            clock = self._clock_of(world)
            if clock is None:
                self.forget(world)
                continue
            if clock.ms_after(lead_s) < self._due[world]:   # float rounding of a scaled clock: not quite yet
                self._set(world, self._due[world])
                continue
            found.append((world, self._due.pop(world)))
            self._version[world] += 1   # taken: the worker handles it, then `reschedule`s it
        return found

    def next_deadline(self) -> float | None:
        """The monotonic time of the earliest valid entry (stale entries dropped on the way)."""
        while self._heap:
            _, version, world = self._heap[0]
            if version == self._version.get(world) and world in self._due:
                return self._heap[0][0]
            heapq.heappop(self._heap)
        return None

    async def wait(self, cap_s: float | None = None, lead_s: float = 0.0) -> None:
        """Sleep until `lead_s` before the next deadline (at most `cap_s`), or until woken by a note or a clock change."""
        deadline = self.next_deadline()
        timeout = None if deadline is None else max(0.0, deadline - lead_s - time.monotonic())
        if cap_s is not None:
            timeout = cap_s if timeout is None else min(timeout, cap_s)
        if timeout == 0:
            return
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            pass
        self._wake.clear()

    def _set(self, world: str, due_ms: int) -> None:
        self._due[world] = due_ms
        version = self._version.get(world, 0) + 1
        self._version[world] = version
        clock = self._clock_of(world)
        deadline = clock.deadline(due_ms) if clock is not None else None
        if deadline is None:   # frozen short of it: `rekey` after the next clock change pushes it
            return
        head = self.next_deadline()
        heapq.heappush(self._heap, (deadline, version, world))
        if head is None or deadline < head:
            self._wake.set()
