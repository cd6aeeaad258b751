"""Inqud in a grade (SPEC §15): a fixed-price checkout's PENDING_PAYMENT and SUCCESS webhooks.

Inqud's `X-Payload-Digest` is an HMAC-SHA1 of the raw body alone: it carries no time, so a
receiver has no signature time to hold against a replay and `stale_timestamp` does not apply.
The other signature cases apply when the project has a webhook secret (without one Inqud sends
no digest at all, and the grade says so). Checkouts emit on every status transition, so the
payment's confirmation can overtake the "payment seen" event (`out_of_order`).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlparse

from sandbox.clock import iso
from sandbox.grading.sample import GradeProfile, SampleContext, SampleEvent
from sandbox.providers.base import public
from sandbox.providers.inqud import catalog
from sandbox.providers.inqud import project as projects
from sandbox.providers.inqud.catalog import number
from sandbox.providers.inqud.events import event_id, kind_of
from sandbox.providers.inqud.objects import PAYMENT_WINDOW_S, Ctx, new_checkout, new_request
from sandbox.providers.inqud.statuses import CHECKOUT, PAYMENT, REQUEST

CODE = "ETHEREUM_USDT"


def sample(ctx: SampleContext) -> list[SampleEvent]:
    """A 25 USD checkout paid in Ethereum USDT: the payment seen, then confirmed."""
    wire = Ctx(ctx.ids, ctx.now, ctx.base_url, project_id=ctx.credentials.get("project_id", "CAP-" + ctx.ids.uuid()),
               merchant_domain=urlparse(ctx.base_url).netloc)
    body = {"type": "FIXED_PRICE", "fixedAmount": {"currency": "USD", "amount": 25}, "clientOrderId": ctx.external_ref,
            "name": "Grade order"}
    checkout = new_checkout(wire, body, projects.DEFAULT, ctx.now + timedelta(hours=1))
    request = new_request(wire, projects.DEFAULT, CODE, Decimal(25), "USD", ctx.external_ref, checkout["id"],
                          ctx.now + timedelta(seconds=PAYMENT_WINDOW_S))
    paid = request["payAmount"]
    payment = {"id": "CAPP-" + ctx.ids.uuid(), "status": PAYMENT.pending, "amount": paid,
               "currency": request["currency"], "blockchain": request["blockchain"],
               "txHash": catalog.tx_hash(ctx.ids, CODE), "createdAt": iso(ctx.now), "lastUpdatedAt": None}
    request.update({"status": REQUEST.pendingPayment, "lastUpdatedAt": iso(ctx.now), "paymentStatus": PAYMENT.pending,
                    "paymentId": payment["id"], "payment": payment, "txHash": payment["txHash"],
                    "paidAmount": number(Decimal(str(paid)))})
    pending = dict(checkout, status=CHECKOUT.pendingPayment, lastUpdatedAt=iso(ctx.now), request=public(request))
    confirmed_payment = dict(payment, status=PAYMENT.success, lastUpdatedAt=iso(ctx.now))
    confirmed_request = dict(request, status=REQUEST.success, paymentStatus=PAYMENT.success, payment=confirmed_payment)
    success = dict(pending, status=CHECKOUT.success, request=public(confirmed_request))
    events = []
    for state in (pending, success):
        wire_body = public(state)
        events.append(SampleEvent(event_id(wire_body), f"{kind_of(wire_body)}.{wire_body['status']}", wire_body,
                                  wire_body["id"], ctx.external_ref))
    return events


GRADING = GradeProfile(
    sample=sample,
    signs_time=False,
    not_applicable={
        "stale_timestamp": "Inqud's X-Payload-Digest is an HMAC of the body alone: it carries no time, so a "
                           "receiver has no signature time to check.",
    },
)
