"""The delivery engine's retry path, driven by advancing the sandbox clock."""

import json
import time

from tests.providers.liqx_support import create_payin, point_at, verify_liqx


async def complete_payin(sandbox) -> str:
    _, intent, _ = await create_payin(sandbox)
    await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    await sandbox.settle()
    return intent["intent_id"]


async def test_two_failures_then_success_make_three_attempts_of_one_event(sandbox, receiver):
    """500, 500, 200: three attempts, one event id, each signed afresh with its own timestamp."""
    secret = await point_at(sandbox, receiver)
    receiver.script = [500, 500, 200]
    await complete_payin(sandbox)
    assert len(receiver.requests) == 1
    await sandbox.advance(4.9)
    assert len(receiver.requests) == 1, "the first retry waits 5 s"
    await sandbox.advance(0.1)
    assert len(receiver.requests) == 2
    await sandbox.advance(29.9)
    assert len(receiver.requests) == 2, "the second retry waits 30 s"
    await sandbox.advance(0.1)
    hits = await receiver.wait_for(3)
    assert len({h["headers"]["X-LIQX-Event-Id"] for h in hits}) == 1
    assert [h["headers"]["X-LIQX-Delivery-Attempt"] for h in hits] == ["1", "2", "3"]
    assert len({h["raw"] for h in hits}) == 1, "the body never changes between attempts"
    for hit in hits:
        # Signed afresh at send time on the real clock: 35 sandbox seconds passed, a few real ms did.
        assert verify_liqx(secret, hit["headers"], hit["raw"], time.time())
    stamps = [int(h["headers"]["X-LIQX-Timestamp"]) for h in hits]
    assert stamps[2] - stamps[0] < 5, "retry signatures follow the wall clock, not the advanced sandbox clock"
    event_id = hits[0]["headers"]["X-LIQX-Event-Id"]
    [delivery] = (await sandbox.control("GET", f"/deliveries?event_id={event_id}"))["data"]
    assert delivery["status"] == "delivered"
    assert [(a["n"], a["trigger"], a["status"]) for a in delivery["attempts"]] == [
        (1, "scheduled", 500), (2, "retry", 500), (3, "retry", 200)]
    await sandbox.advance(3 * 3600)
    assert len(receiver.requests) == 3, "a delivered event is not sent again"


async def test_retries_stop_after_the_last_scheduled_delay(sandbox, receiver):
    """A receiver that always fails sees 8 attempts (first + 7 retries), then the delivery is failed."""
    await point_at(sandbox, receiver)
    receiver.script = [500] * 20
    await complete_payin(sandbox)
    for delay in (5, 30, 120, 600, 1800, 3600, 10800):
        await sandbox.advance(delay)
    await sandbox.advance(86400)
    assert len(receiver.requests) == 8
    [delivery] = (await sandbox.control("GET", "/deliveries?provider=liqx"))["data"]
    assert delivery["status"] == "failed" and len(delivery["attempts"]) == 8


async def test_redirect_is_a_failure_and_not_followed(sandbox, receiver):
    """A 302 counts as a failed attempt; the dispatcher does not follow it."""
    await point_at(sandbox, receiver)
    receiver.script = [302, 200]
    await complete_payin(sandbox)
    [first] = (await sandbox.control("GET", "/deliveries?provider=liqx"))["data"]
    assert first["status"] == "pending" and first["attempts"][0]["status"] == 302
    await sandbox.advance(5)
    [after] = (await sandbox.control("GET", "/deliveries?provider=liqx"))["data"]
    assert after["status"] == "delivered"


async def test_connection_refused_is_logged_and_retried(sandbox, receiver):
    """An unreachable endpoint is an attempt with an error, retried on schedule."""
    await sandbox.control("PUT", "/endpoints/liqx", {"url": "http://127.0.0.1:9/nowhere"})
    intent_id = await complete_payin(sandbox)
    [delivery] = (await sandbox.control("GET", f"/deliveries?intent_id={intent_id}"))["data"]
    assert delivery["attempts"][0]["status"] is None and delivery["attempts"][0]["error"]
    await sandbox.control("PUT", "/endpoints/liqx", {"url": receiver.url})
    await sandbox.advance(5)
    [hit] = await receiver.wait_for(1)
    assert json.loads(hit["raw"])["data"]["intent_id"] == intent_id
