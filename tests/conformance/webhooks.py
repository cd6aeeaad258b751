"""Each provider's words for the shared webhook rules: how one object is made to emit, and what its docs promise.

`emit` makes exactly one webhook go out through the provider's public paths (create, then the
control API's transition or the hosted page's action) and returns the object's id. The promises
are the provider's published ones, written here from its documentation rather than read from the
sandbox: the signature headers, the webhook contract, and the delay before the first retry of a
failed delivery (None: the provider delivers at most once).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tests.providers.inqud_support import FIXED, create_checkout
from tests.providers.liqx_support import create_payin
from tests.providers.mizu_support import create_link, open_payment, press
from tests.providers.rozo_support import created


@dataclass(frozen=True)
class WebhookWords:
    """How one provider emits, signs and retries."""

    name: str
    emit: Callable[[object], Awaitable[str]]
    contract: Callable[[dict], str]  # the webhook contract a body must match
    signature_headers: tuple[str, ...]  # empty: the provider documents no signature
    first_retry_s: int | None  # None: at most once


async def _liqx(running) -> str:
    _, intent, _ = await create_payin(running)
    await running.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    return intent["intent_id"]


async def _rozo(running) -> str:
    payment = await created(running)
    await running.control("POST", f"/intents/rozo/{payment['id']}/transition", {"to": "payment_completed"})
    return payment["id"]


async def _inqud(running) -> str:
    _, checkout, _ = await create_checkout(running, dict(FIXED))
    await running.control("POST", f"/intents/inqud/{checkout['id']}/transition", {"to": "CANCELLED"})
    return checkout["id"]


async def _mizu(running) -> str:
    link = await create_link(running)
    payment = await open_payment(running, link["id"], "payer@example.com", "conformance")
    status, answer = await press(running, payment, "paid")
    assert status == 200, answer
    await running.advance(10)  # Mizu confirms (status 4) after its settlement delay, then sends
    return str(payment["id"])


WEBHOOKS = {
    "liqx": WebhookWords("liqx", _liqx, lambda body: "transaction-event",
                         ("X-LIQX-Signature", "X-LIQX-Timestamp", "X-LIQX-Event-Id"), 5),
    "rozo": WebhookWords("rozo", _rozo, lambda body: "webhook-event", ("X-Rozo-Signature", "X-Rozo-Timestamp"), None),
    "inqud": WebhookWords("inqud", _inqud, lambda body: "checkout" if body["id"].startswith("CCO-") else "request",
                          ("X-Payload-Digest",), 60),
    "mizu": WebhookWords("mizu", _mizu, lambda body: "payment-intent-successed", (), None),
}
