"""Mizu in a grade (SPEC §15): a confirmed payment's `payment_intent.successed`, and what does not apply.

Mizu's published webhook is unsigned, so none of the signature cases can be judged: a receiver
has nothing in the request to tell a forged or altered webhook from a real one. Mizu sends one
event per payment, so `out_of_order` does not apply either. Duplicates do happen (a manual
re-send from the dashboard carries the same body), and unknown fields and unknown payments can.
"""

from __future__ import annotations

from datetime import timedelta

from sandbox.clock import iso
from sandbox.grading.sample import GradeProfile, SampleContext, SampleEvent
from sandbox.providers.mizu.events import EVENT_TYPE, event_id_for, webhook_body

UNSIGNED = ("Mizu signs nothing (its published webhook has no signature header), so a receiver cannot tell "
            "this from a genuine webhook by the request alone.")


def sample(ctx: SampleContext) -> list[SampleEvent]:
    """The webhook of a fresh payment that was just confirmed on chain (status 4)."""
    # Far above the sandbox's own 8-digit sequence, so a grade's payment never shares a real one's id.
    payment_id = ctx.ids.number(900_000_000_000, 999_999_999_999)
    payment = {
        "id": payment_id, "paymentLinkId": payment_id - 1, "receiveWalletAddress": "0x" + ctx.ids.hex(40),
        "createTime": iso(ctx.now - timedelta(minutes=2)), "paidTime": iso(ctx.now), "status": 4,
        "transactionHash": "0x" + ctx.ids.hex(64), "logIndex": 0, "chain": "polygon", "currency": "USDC",
        "payAmount": "25.5", "emailParam": "payer@example.com", "clientReferenceIdParam": ctx.external_ref,
    }
    return [SampleEvent(event_id_for(payment_id), EVENT_TYPE, webhook_body(payment), str(payment_id),
                        ctx.external_ref)]


GRADING = GradeProfile(
    sample=sample,
    signs_time=False,
    not_applicable={
        "bad_signature": UNSIGNED,
        "missing_signature": UNSIGNED,
        "stale_timestamp": UNSIGNED,
        "tampered_body": UNSIGNED,
        "out_of_order": "Mizu sends one event (payment_intent.successed) per payment, so no two events of one "
                        "payment can arrive out of order.",
    },
)
