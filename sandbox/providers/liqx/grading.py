"""LIQX in a grade (SPEC §15): a completed payin's `transaction.completed`, and what does not apply.

LIQX sends one webhook per intent — on its terminal status — so two events of one intent can
never arrive out of order: `out_of_order` does not apply. Everything else does: the signature is
an HMAC over the timestamp and the raw body.
"""

from __future__ import annotations

from sandbox.clock import iso
from sandbox.grading.sample import GradeProfile, SampleContext, SampleEvent
from sandbox.providers.liqx.events import webhook_body


def sample(ctx: SampleContext) -> list[SampleEvent]:
    """The webhook of a fresh PAYIN that just completed."""
    intent_id, event_id = ctx.ids.prefixed("lqi_"), ctx.ids.prefixed("evt_")
    intent = {
        "intent_id": intent_id, "external_ref": ctx.external_ref, "external_user_id": "partner-user-001",
        "type": "PAYIN", "status": "COMPLETED", "amount_krw": "50000", "amount_usdt": "36.5",
        "failure_reason": None, "completed_at": iso(ctx.now),
    }
    body = webhook_body(event_id, "transaction.completed", intent, ctx.now)
    return [SampleEvent(event_id, "transaction.completed", body, intent_id, ctx.external_ref)]


GRADING = GradeProfile(
    sample=sample,
    signs_time=True,
    not_applicable={
        "out_of_order": "LIQX sends exactly one webhook per intent (on its terminal status), so no two events "
                        "of one intent can arrive out of order.",
    },
)
