"""One driver per provider, so a fault rule can be checked against every provider the same way.

A driver points the provider's webhooks at a receiver, makes an object emit its webhooks (in
the provider's own order), and checks a received request with the independent verifier written
from that provider's documentation (in the provider's test support module).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tests.providers import inqud_support, liqx_support, mizu_support, rozo_support


@dataclass(frozen=True)
class Driver:
    name: str
    #: Point webhooks at the receiver; returns the secret to verify with (None: unsigned).
    point: Callable[..., Awaitable[str | None]]
    #: Create an object and drive it; returns its id and how many webhook events it emitted.
    produce: Callable[..., Awaitable[tuple[str, int]]]
    #: Verify a received request as the partner would: True/False, or None for an unsigned provider.
    verify: Callable[[str | None, dict, float | None], bool | None]
    #: Whether the signature carries a timestamp (what `stale_timestamp` changes).
    timestamped: bool
    #: The header(s) that carry the signature (what `missing_signature` removes).
    signature_header: str | None

    def identity(self, hit: dict) -> str:
        """What makes two requests the same event: the body's own id fields (or the whole body)."""
        body = json.loads(hit["raw"])
        for key in ("event_id",):
            if key in body:
                return str(body[key])
        return hit["raw"].decode()


def _next_ref(sandbox) -> str:
    """A fresh reference per object, counted per server so two runs of one script use the same ones."""
    sandbox.driver_refs = getattr(sandbox, "driver_refs", 0) + 1
    return f"fault-{sandbox.driver_refs}"


def _now(sandbox) -> float:
    """What a partner's verifier compares signature timestamps with: the real clock (SPEC §5)."""
    return time.time()


async def _liqx_point(sandbox, receiver):
    return await liqx_support.point_at(sandbox, receiver)


async def _liqx_produce(sandbox):
    body = {**liqx_support.PAYIN, "external_ref": _next_ref(sandbox)}
    status, intent, _ = await liqx_support.create_payin(sandbox, body)
    assert status == 201, intent
    await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    return intent["intent_id"], 1


def _liqx_verify(secret, hit, now):
    return liqx_support.verify_liqx(secret, hit["headers"], hit["raw"], now)


async def _rozo_point(sandbox, receiver):
    return await rozo_support.point_at(sandbox, receiver)


async def _rozo_produce(sandbox):
    payment = await rozo_support.created(sandbox, rozo_support.body(orderId=_next_ref(sandbox)))
    await sandbox.control("POST", f"/intents/rozo/{payment['id']}/transition", {"to": "payment_completed"})
    return payment["id"], 2


def _rozo_verify(secret, hit, now):
    now_ms = int(now * 1000) if now is not None else int(rozo_support.header(hit["headers"], "X-Rozo-Timestamp") or 0)
    return rozo_support.verify_rozo(secret, hit["headers"], hit["raw"], now_ms)


async def _inqud_point(sandbox, receiver):
    return await inqud_support.point_at(sandbox, receiver)


async def _inqud_produce(sandbox):
    # Without the documented example's fixed expiresAt, which a world whose clock follows the wall
    # clock has passed: the checkout expires an hour after it is made, on any clock.
    body = {k: v for k, v in inqud_support.FIXED.items() if k != "expiresAt"}
    status, checkout, _ = await inqud_support.create_checkout(sandbox, body)
    assert status in (200, 201), checkout
    await sandbox.control("POST", f"/intents/inqud/{checkout['id']}/transition", {"to": "SUCCESS"})
    events = (await sandbox.control("GET", f"/events?provider=inqud&intent_id={checkout['id']}"))["data"]
    return checkout["id"], len(events)


def _inqud_verify(secret, hit, now):
    return inqud_support.verify_digest(secret, hit["raw"], hit["headers"])


async def _mizu_point(sandbox, receiver):
    await mizu_support.point_at(sandbox, receiver)
    return None


async def _mizu_produce(sandbox):
    link = await mizu_support.create_link(sandbox)
    payment = await mizu_support.open_payment(sandbox, link["id"], "payer@example.com", "order-1")
    await sandbox.control("POST", f"/intents/mizu/{payment['id']}/transition", {"to": "4"})
    return str(payment["id"]), 1


def _mizu_verify(secret, hit, now):
    return None


DRIVERS = {
    "liqx": Driver("liqx", _liqx_point, _liqx_produce, _liqx_verify, True, "X-LIQX-Signature"),
    "rozo": Driver("rozo", _rozo_point, _rozo_produce, _rozo_verify, True, "X-Rozo-Signature"),
    "inqud": Driver("inqud", _inqud_point, _inqud_produce, _inqud_verify, False, "X-Payload-Digest"),
    "mizu": Driver("mizu", _mizu_point, _mizu_produce, _mizu_verify, False, None),
}

now_of = _now
