"""Mizu webhooks: the flat `payment_intent.successed` body, unsigned, sent once (SPEC §4).

Mizu's published webhook page is the source of truth: one event type, a flat JSON object with
thirteen fields in the order of its field table, no envelope, no event-type member, no signature
header, and "We will not retry, please retry manually on the dashboard." So the dialect signs
nothing, `verify` answers None (nothing to check), and the policy has no retry delays (at most
once); a re-send is the control API's or the inspector's manual trigger, carrying the same body.
"""

from __future__ import annotations

from datetime import datetime

from sandbox.delivery.policy import RetryPolicy, Signed

EVENT_TYPE = "payment_intent.successed"
CONTRACT = "payment-intent-successed"

#: The published field table, in its order: the webhook body has exactly these keys.
WEBHOOK_FIELDS = (
    "id", "paymentLinkId", "receiveWalletAddress", "createTime", "paidTime", "status", "transactionHash",
    "logIndex", "chain", "currency", "payAmount", "emailParam", "clientReferenceIdParam",
)

#: "We will not retry": one attempt per delivery; 10 s before an unanswered attempt counts as failed.
POLICY = RetryPolicy(retry_delays_s=(), timeout_s=10.0)


def event_id_for(payment_id: int) -> str:
    """The sandbox's own key for a payment's webhook event (Mizu sends only the payment's `id`)."""
    return f"mizu_evt_{payment_id}"


def webhook_body(payment: dict) -> dict:
    """The body for a confirmed payment: the field table's members, in its order, nothing else."""
    return {name: payment[name] for name in WEBHOOK_FIELDS}


class MizuDialect:
    """Mizu documents no signature: headers are the dispatcher's plain JSON ones, nothing to verify."""

    signature_headers: tuple[str, ...] = ()
    #: What `tampered_body` changes: the amount paid.
    amount_path = ("payAmount",)

    def sign(self, body: bytes, secrets: list[str], at: datetime, attempt: int, event_id: str) -> Signed:
        """No signature, no event-id or attempt header: Mizu documents none."""
        return Signed({}, signature_input=None)

    def verify(self, body: bytes, headers, secret: str | None, now: datetime) -> bool | None:
        """Unsigned webhooks cannot be verified: None, never True or False."""
        return None

    def contract_name(self, event_type: str) -> str:
        """Mizu has one event type, so one contract."""
        return CONTRACT

    def describe(self, body: dict) -> dict:
        """The body's `id` is the only identity it carries; it is stable across manual re-sends."""
        payment_id = body.get("id")
        if isinstance(payment_id, bool) or not isinstance(payment_id, int):
            return {"event_id": None, "type": None, "intent_id": None, "external_ref": None}
        reference = body.get("clientReferenceIdParam")
        return {"event_id": str(payment_id), "type": EVENT_TYPE, "intent_id": str(payment_id),
                "external_ref": reference if isinstance(reference, str) and reference else None}
