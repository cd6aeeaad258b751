"""Deliveries are claimed a little before they are due, so a slow commit cannot make a webhook late.

The property is about real time. The retry of a failed attempt falls due 5 sandbox seconds
later. The tests read that due time with the world's clock at real time, so a loaded machine has
5 s to set up. Then they run the clock at 10x real time (`FAST`), which puts the retry within
half a real second.
"""

from __future__ import annotations

import asyncio
import threading
import time

from aiohttp import web

from sandbox.clock import Clock
from sandbox.delivery.dispatcher import CLAIM_AHEAD_S
from tests.providers.liqx_support import PAYIN, create_payin, point_at
from tests.support import START, Receiver, serve_posts, start_sandbox, stop_sandbox, until

FAST = 10


async def _timed_receiver() -> tuple[Receiver, list[float]]:
    """A receiver answering 500 then 200, noting each arrival on the monotonic clock."""
    receiver, arrivals = Receiver(script=[500, 200]), []

    async def handle(request: web.Request) -> web.Response:
        arrivals.append(time.monotonic())
        return await receiver.handle(request)

    receiver.runner, receiver.url = await serve_posts(handle)
    return receiver, arrivals


async def _first_attempt_failed(running, receiver) -> int:
    """A completed LIQX payin whose first webhook got a 500; returns its retry's due time (sandbox ms),
    with the clock then running `FAST`."""
    await point_at(running, receiver)
    _, intent, _ = await create_payin(running)
    await running.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    await receiver.wait_for(1)
    due_ms = await _retry_due(running)
    running.clock.set(time_scale=FAST)
    return due_ms


async def _retry_due(running) -> int:
    """The due time (sandbox ms) of the retry of the one LIQX delivery's failed first attempt.

    Read from the delivery's stored row, which keeps it while the retry is claimed: the
    dispatcher's schedule forgets it at the claim, `CLAIM_AHEAD_S` before the due time, and a
    test kept off the CPU until then would find nothing there."""
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:   # the outcome is written just after the receiver answered
        [delivery] = (await running.control("GET", "/deliveries?provider=liqx"))["data"]
        if delivery["attempts"] and delivery["next_ms"] is not None:
            return delivery["next_ms"]
        await asyncio.sleep(0.005)
    raise AssertionError("the retry was never scheduled")


async def _sleep_until_before(running, due_ms: int, before_s: float) -> float:
    """Sleep until `before_s` real seconds before `due_ms`; returns that due time on the monotonic clock."""
    due_at = running.clock.deadline(due_ms)
    await asyncio.sleep(max(0.0, due_at - before_s - time.monotonic()))
    return due_at


def _hold(seconds: float, freed: list[float]) -> None:
    """Keep the calling thread (the loop's, or the store's) busy for `seconds`, then note the
    monotonic time it was free again."""
    time.sleep(seconds)
    freed.append(time.monotonic())


async def _delivery_status(running) -> str:
    [delivery] = (await running.control("GET", "/deliveries?provider=liqx"))["data"]
    return delivery["status"]


async def test_a_store_held_up_at_the_due_time_does_not_make_the_webhook_late(tmp_path):
    """The store's thread is blocked for 0.4 s from just before a retry is due: the retry still
    arrives while it is blocked, because it was claimed before the block and no commit stands
    before its POST."""
    running = await start_sandbox(tmp_path, clock=Clock(START, time_scale=1))
    receiver, arrivals = await _timed_receiver()
    try:
        due_ms = await _first_attempt_failed(running, receiver)
        due_at = await _sleep_until_before(running, due_ms, CLAIM_AHEAD_S / 2)
        freed: list[float] = []
        running.sb.store._writer.run_soon(_hold, 0.4, freed)
        await receiver.wait_for(2)
        await until(lambda: bool(freed), 1.0)
        late = arrivals[1] - due_at
        assert late > -0.01, f"the retry left {-late * 1000:.0f} ms before its due time"
        # Not behind the held store: it arrives while the store is still held. (Not a bound on
        # `late`: a loop kept waiting for a core notes an on-time arrival late.)
        assert freed and arrivals[1] < freed[0], f"the retry arrived {late * 1000:.0f} ms after its due time, once the store was free"
        assert running.clock.now_ms() >= due_ms
    finally:
        await stop_sandbox(running)
        await receiver.runner.cleanup()


async def test_a_claim_made_ahead_is_handed_back_when_the_clock_stops_before_the_due_time(tmp_path):
    """Claimed ahead, then the world's clock is frozen short of the due time: nothing is sent, the
    delivery is `pending` again, and it is sent once the clock is advanced to it."""
    running = await start_sandbox(tmp_path, clock=Clock(START, time_scale=1))
    receiver, _ = await _timed_receiver()
    try:
        due_ms = await _first_attempt_failed(running, receiver)
        due_at = await _sleep_until_before(running, due_ms, CLAIM_AHEAD_S * 0.8)
        # The clock is frozen as soon as the claim is seen, so the look has most of the claim's lead
        # (on a loaded machine one round trip outlasted a third of it).
        while (status := await _delivery_status(running)) != "in_flight" and time.monotonic() < due_at:
            await asyncio.sleep(0.005)
        running.clock.set(time_scale=0)
        assert status == "in_flight", "claimed before its due time"
        assert running.clock.now_ms() < due_ms
        for _ in range(200):
            if await _delivery_status(running) == "pending":
                break
            await asyncio.sleep(0.005)
        assert await _delivery_status(running) == "pending"
        assert len(receiver.requests) == 1, "nothing was sent while the clock stood still"
        await running.advance((due_ms - running.clock.now_ms()) / 1000)
        await receiver.wait_for(2)
        assert await _delivery_status(running) == "delivered"
    finally:
        await stop_sandbox(running)
        await receiver.runner.cleanup()


async def test_copies_a_duplicate_rule_adds_at_a_claim_made_ahead_follow_the_attempt(tmp_path):
    """An attempt-level `duplicate` queues its copies when the attempt is claimed; claimed ahead,
    the copies are spaced from the attempt's due time, so they still arrive after it."""
    running = await start_sandbox(tmp_path, clock=Clock(START, time_scale=1))
    receiver, _ = await _timed_receiver()
    try:
        await running.control("POST", "/faults", {"provider": "liqx", "action": "duplicate", "attempt": 2,
                                                  "params": {"copies": 1, "spacing_ms": 1000}})
        await _first_attempt_failed(running, receiver)
        hits = await receiver.wait_for(3)
        assert [h["headers"]["X-LIQX-Delivery-Attempt"] for h in hits] == ["1", "2", "1"], \
            "the retry first, then its copy (a delivery of its own)"
        assert len({h["headers"]["X-LIQX-Event-Id"] for h in hits}) == 1
    finally:
        await stop_sandbox(running)
        await receiver.runner.cleanup()


async def test_a_dispatcher_holding_more_than_it_sends_still_posts_at_most_max_in_flight(tmp_path):
    """The dispatcher holds four times `max_in_flight` and claims ahead while half of that is free: with
    `max_in_flight` 2, six webhooks due at once are claimed past the two being sent (claims go on
    while four or fewer are held), but the receiver never has more than two POSTs open; once it
    answers, every one arrives."""
    running = await start_sandbox(tmp_path, max_in_flight=2)
    assert running.sb.services.dispatcher.max_held == 8
    release, open_now, peak, arrived = asyncio.Event(), [0], [0], []

    async def handle(request: web.Request) -> web.Response:
        open_now[0] += 1
        peak[0] = max(peak[0], open_now[0])
        arrived.append(await request.read())
        await release.wait()
        open_now[0] -= 1
        return web.json_response({"ok": True})

    runner, url = await serve_posts(handle)
    try:
        await running.control("PUT", "/endpoints/liqx", {"url": url})
        for n in range(6):
            _, intent, _ = await create_payin(running, {**PAYIN, "external_ref": f"held-{n}"})
            await running.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
        for _ in range(400):   # bounded: the claims follow the transitions by a loop turn or two
            statuses = [d["status"] for d in (await running.control("GET", "/deliveries?provider=liqx"))["data"]]
            if statuses.count("in_flight") >= 5 and len(arrived) == 2:
                break
            await asyncio.sleep(0.01)
        assert statuses.count("in_flight") >= 5, statuses
        assert len(arrived) == 2 and peak[0] == 2
        release.set()
        for _ in range(400):
            if len(arrived) == 6:
                break
            await asyncio.sleep(0.01)
        assert len(arrived) == 6 and peak[0] == 2
    finally:
        release.set()
        await stop_sandbox(running)
        await runner.cleanup()


class _ReceiverOnItsOwnLoop:
    """An aiohttp receiver on a thread and event loop of its own, so it notes arrivals while the
    sandbox's loop is busy: 500 to the first POST, 200 after (keeping the connection alive)."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    async def _handle(self, request: web.Request) -> web.Response:
        self.arrivals.append(time.monotonic())
        await request.read()
        return web.Response(status=500 if len(self.arrivals) == 1 else 200)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


async def test_a_webhook_claimed_ahead_is_written_by_its_timer_before_work_queued_ahead_of_it(tmp_path):
    """At the retry's due time the loop has a 0.3 s callback queued (by a timer expiring just
    before the retry's): the retry is still written on time, from its own timer, over the
    connection the first attempt left open; a woken task would have run only after that callback.
    It never leaves before its due time."""
    receiver = _ReceiverOnItsOwnLoop()
    arrivals = receiver.arrivals
    running = await start_sandbox(tmp_path, clock=Clock(START, time_scale=1))
    loop = asyncio.get_running_loop()
    try:
        await running.control("PUT", "/endpoints/liqx", {"url": receiver.url})
        _, intent, _ = await create_payin(running)
        await running.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
        assert await until(lambda: len(arrivals) == 1), "the first attempt arrived"
        due_ms = await _retry_due(running)
        running.clock.set(time_scale=FAST)
        assert len(arrivals) == 1
        due_at = await _sleep_until_before(running, due_ms, CLAIM_AHEAD_S / 2)
        freed: list[float] = []
        # Hold the loop across the due time, so both timers below expire in the same pass.
        loop.call_later(due_at - 0.01 - time.monotonic(), time.sleep, 0.05)
        loop.call_later(due_at + 0.001 - time.monotonic(), loop.call_soon, _hold, 0.3, freed)
        await until(lambda: len(arrivals) == 2 and bool(freed), 2.0)
        assert len(arrivals) == 2
        assert freed
        late = arrivals[1] - due_at
        assert late >= 0, f"the retry left {-late * 1000:.0f} ms before its due time"
        # Written before the queued callback ran: it arrives while that callback holds the loop. (Not
        # a bound on `late`: a receiver thread kept waiting for a core would miss one, on time or not.)
        assert arrivals[1] < freed[0], f"the retry arrived {late * 1000:.0f} ms after its due time, once the loop was free"
        for _ in range(100):
            if await _delivery_status(running) == "delivered":
                break
            await asyncio.sleep(0.01)
        assert await _delivery_status(running) == "delivered"
        [delivery] = (await running.control("GET", "/deliveries?provider=liqx"))["data"]
        assert [a["status"] for a in delivery["attempts"]] == [500, 200]
    finally:
        await stop_sandbox(running)
        receiver.stop()
