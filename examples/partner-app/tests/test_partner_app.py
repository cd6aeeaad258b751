"""The partner app against the LIQX sandbox: orders are settled by signed webhooks only, once each.

The tests are async because the app is an aiohttp app served in the test's event loop. The
sandbox handle is blocking, so waiting for a delivery runs in a thread (`asyncio.to_thread`)
while the loop keeps serving the app that has to answer it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac

import pytest

from partner_app import STATE, verify_signature

ORDER = {"user_id": "partner-user-001", "name": "홍길동", "amount_krw": "100000", "amount_usdt": "75.50",
         "email": "buyer@example.com"}


async def place_order(app) -> dict:
    answer = await app.post("/orders", json=ORDER)
    assert answer.status == 201, await answer.text()
    return await answer.json()


async def order_of(app, order_id: str) -> dict:
    answer = await app.get(f"/orders/{order_id}")
    return await answer.json()


async def wait_for_delivery(world, **match) -> dict:
    return await asyncio.to_thread(world.wait_for_delivery, "liqx", **match)


async def deliveries_until(world, intent_id: str, enough) -> list[dict]:
    """Poll the intent's LIQX deliveries, newest first, until `enough(deliveries)` (10 s at most, real time)."""
    found: list[dict] = []
    try:
        async with asyncio.timeout(10):
            while not enough(found := await asyncio.to_thread(world.deliveries, provider="liqx", intent_id=intent_id)):
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"gave up waiting; deliveries: {found}") from None
    return found


async def test_completed_payin_marks_the_order_paid(app, sandbox_world):
    """The order stays PENDING until the signed transaction.completed webhook arrives, then it is PAID."""
    order = await place_order(app)
    assert order["status"] == "PENDING"
    sandbox_world.transition("liqx", order["intent_id"], "COMPLETED")
    delivery = await wait_for_delivery(sandbox_world, intent_id=order["intent_id"], type="transaction.completed")
    assert [a["status"] for a in delivery["attempts"]] == [200]
    paid = await order_of(app, order["id"])
    assert paid["status"] == "PAID" and paid["events"] == [delivery["event_id"]]


async def test_rejected_payin_fails_the_order(app, sandbox_world):
    """A rejected deposit arrives as transaction.failed and fails the order."""
    order = await place_order(app)
    sandbox_world.transition("liqx", order["intent_id"], "REJECTED")
    await wait_for_delivery(sandbox_world, intent_id=order["intent_id"], type="transaction.failed")
    assert (await order_of(app, order["id"]))["status"] == "FAILED"


async def test_duplicated_webhook_is_applied_once(app, sandbox_world):
    """Delivered three times with one event id, the event is acknowledged each time and applied once."""
    sandbox_world.add_fault({"action": "duplicate", "provider": "liqx", "params": {"copies": 2}, "times": 1})
    order = await place_order(app)
    sandbox_world.transition("liqx", order["intent_id"], "COMPLETED")
    delivered = await deliveries_until(sandbox_world, order["intent_id"], lambda ds: len([d for d in ds if d["status"] == "delivered"]) == 3)
    assert len({d["event_id"] for d in delivered}) == 1
    settled = await order_of(app, order["id"])
    assert settled["status"] == "PAID" and settled["events"] == [delivered[0]["event_id"]]
    assert app.server.app[STATE].duplicates == 2


@pytest.mark.sandbox_world(clock={"time_scale": 0})  # this world's clock moves only when advanced
async def test_badly_signed_webhook_is_refused_and_the_retry_settles(app, sandbox_world):
    """A wrong signature gets 401 and changes nothing; LIQX's retry, due 5 s later, is accepted."""
    sandbox_world.add_fault({"action": "bad_signature", "provider": "liqx", "attempt": 1})
    order = await place_order(app)
    sandbox_world.transition("liqx", order["intent_id"], "COMPLETED")
    refused = await deliveries_until(sandbox_world, order["intent_id"], lambda ds: ds and ds[0]["attempts"])
    assert refused[0]["attempts"][0]["status"] == 401 and refused[0]["status"] == "pending"
    assert (await order_of(app, order["id"]))["status"] == "PENDING"
    sandbox_world.advance(5)  # the sandbox clock, not a sleep: LIQX's first retry is due
    delivery = await wait_for_delivery(sandbox_world, intent_id=order["intent_id"])
    assert [a["status"] for a in delivery["attempts"]] == [401, 200]
    assert (await order_of(app, order["id"]))["status"] == "PAID"


def sign(secret: str, timestamp: int, raw: bytes) -> str:
    return "v1=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()


def test_signature_check_follows_the_docs():
    """Right secret and body within 5 minutes pass; anything else, or older/newer than 5 minutes, fails."""
    raw, now = b'{"event_id":"evt_1"}', 1_800_000_000
    good = sign("whsec_a", now, raw)
    assert verify_signature("whsec_a", str(now), good, raw, now=now + 300)
    assert verify_signature("whsec_a", str(now), f"{sign('whsec_old', now, raw)},{good}", raw, now=now)
    assert not verify_signature("whsec_b", str(now), good, raw, now=now)
    assert not verify_signature("whsec_a", str(now), good, raw + b" ", now=now)
    assert not verify_signature("whsec_a", str(now), good, raw, now=now + 301)
    assert not verify_signature("whsec_a", str(now), good, raw, now=now - 301)
    assert not verify_signature("whsec_a", None, good, raw, now=now)
    assert not verify_signature("whsec_a", str(now), None, raw, now=now)
    assert not verify_signature("whsec_a", "12abc", good, raw, now=now)
