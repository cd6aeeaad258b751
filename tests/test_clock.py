"""The sandbox clock: scaled, frozen, pinned and advanced, without waiting on the wall clock."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox import clock as clock_module
from sandbox.clock import Clock, iso, parse_iso, to_ms
from tests.support import START


class FakeMonotonic:
    """Stands in for time.monotonic so real elapsed time is chosen by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def monotonic(monkeypatch):
    fake = FakeMonotonic()
    monkeypatch.setattr(clock_module.time, "monotonic", fake)
    return fake


def test_time_scale_sixty_makes_a_minute_pass_in_a_second(monotonic):
    """--time-scale 60: one real second is one sandbox minute."""
    clock = Clock(START, time_scale=60)
    monotonic.now += 1
    assert clock.now() == START + timedelta(minutes=1)


def test_scale_zero_freezes_and_advance_jumps(monotonic):
    """Scale 0 stands still however long it waits; advance moves it exactly."""
    clock = Clock(START, time_scale=0)
    monotonic.now += 3600
    assert clock.now() == START
    clock.advance(86400 * 3)
    assert clock.now() == START + timedelta(days=3)
    assert clock.real_seconds_until(clock.now_ms() + 1000) is None, "a frozen clock never gets there by itself"


def test_set_pins_now_and_changes_scale_from_there(monotonic):
    """PUT-style set: a new now and scale; time then runs from the pinned moment."""
    clock = Clock(START, time_scale=1)
    clock.set(parse_iso("2030-01-01T00:00:00Z"), time_scale=2)
    monotonic.now += 5
    assert iso(clock.now()) == "2030-01-01T00:00:10.000Z"


def test_clock_refuses_to_run_backwards():
    """Negative advances and scales are errors, not silent time travel."""
    clock = Clock(START, time_scale=0)
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set(time_scale=-1)


def test_real_wait_is_sandbox_wait_divided_by_scale(monotonic):
    """A due time 60 sandbox seconds away is one real second away at scale 60."""
    clock = Clock(START, time_scale=60)
    assert clock.real_seconds_until(clock.now_ms() + 60_000) == pytest.approx(1.0)
    assert clock.real_seconds_until(clock.now_ms() - 1) == 0.0


async def test_waiters_wake_when_the_clock_is_advanced():
    """A waiter on a far due time returns as soon as the clock is moved, not at the wall time."""
    import asyncio

    clock = Clock(START, time_scale=0)
    waiter = asyncio.create_task(clock.wait_until(clock.now_ms() + 3_600_000))
    await asyncio.sleep(0)
    assert not waiter.done()
    clock.advance(3600)
    await asyncio.wait_for(waiter, 1)


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.sampled_from([UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5))])))
def test_iso_writes_what_isoformat_writes_in_utc_with_milliseconds_truncated(moment):
    """`iso` formats by hand for speed; it must stay byte for byte the standard library's form."""
    utc = moment.astimezone(UTC)
    assert iso(moment) == utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@given(anchor=st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2199, 12, 30),
                           timezones=st.sampled_from([UTC, timezone(timedelta(hours=9))])),
       elapsed=st.floats(0, 10**8, allow_nan=False), scale=st.sampled_from([0.0, 0.5, 1.0, 60.0, 3600.0]))
def test_now_ms_is_the_milliseconds_of_now_on_any_anchor_scale_and_elapsed_time(anchor, elapsed, scale):
    """`now_ms` works in integers for speed (read several times per delivery); it must give what
    `to_ms(now())` gives for the same instant, to the millisecond, up to `LATEST`."""
    fake = FakeMonotonic()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock_module.time, "monotonic", fake)
        clock = Clock(anchor, time_scale=scale)
        fake.now += elapsed
        assert clock.now_ms() == to_ms(clock.now())
        clock.set(time_scale=scale / 2)   # re-anchored where it stands
        fake.now += elapsed / 3
        assert clock.now_ms() == to_ms(clock.now())


@given(anchor=st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2199, 12, 30), timezones=st.just(UTC)),
       half=st.booleans(), ahead_ms=st.integers(1, 10**9))
def test_a_frozen_clock_advanced_by_the_milliseconds_to_a_due_time_lands_on_it(anchor, half, ahead_ms):
    """Whatever fraction of a millisecond the frozen clock stands at (half of one included, which
    `round()` sent to the even neighbour), advancing it by `(due_ms - now_ms()) / 1000` seconds
    reaches `due_ms` exactly: the due delivery or timer fires, never a millisecond short forever."""
    if half:
        anchor = anchor.replace(microsecond=anchor.microsecond // 1000 * 1000 + 500)
    clock = Clock(anchor, time_scale=0)
    due_ms = clock.now_ms() + ahead_ms
    clock.advance((due_ms - clock.now_ms()) / 1000)
    assert clock.now_ms() == due_ms == to_ms(clock.now())
    assert clock.real_seconds_until(due_ms) == 0.0


def test_half_a_millisecond_rounds_up_on_either_side_of_an_even_millisecond():
    """The examples `round()` got wrong: 1.5 ms and 2.5 ms after a whole second both round up."""
    second = datetime(2026, 12, 3, 6, 0, 0, tzinfo=UTC)
    assert to_ms(second + timedelta(microseconds=1500)) - to_ms(second) == 2
    assert to_ms(second + timedelta(microseconds=2500)) - to_ms(second) == 3
    assert to_ms(second + timedelta(microseconds=2499)) - to_ms(second) == 2
