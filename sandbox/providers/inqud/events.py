"""Inqud webhooks: the body is the checkout (or request) object itself, signed by `X-Payload-Digest`.

Inqud documents no envelope and no event type: each status transition POSTs the same model as
the GET answer. With a webhook secret set, `X-Payload-Digest` carries the lowercase hex
HMAC-SHA1(secret, raw body); without one, no signature header at all. Delivery: a non-2xx answer
or none within 10 s is retried up to 10 times with exponential back-off (SPEC §4: 1, 2, 5, 15,
30, 60, 120, 360, 720, 1440 min on the sandbox clock), so at most 11 attempts.

The sandbox still needs an event id and type for its own log and fault rules: the id is
`<object id>:<status>` (a status never repeats, so it is unique and the receiver can rebuild it
from the body) and the type `checkout.<STATUS>` / `request.<STATUS>`.
"""

from __future__ import annotations

from datetime import datetime

from sandbox.delivery.outbox import Outgoing, emit
from sandbox.delivery.policy import RetryPolicy, Signed
from sandbox.signing import equal, hmac_hex
from sandbox.store import UnitOfWork

NAME = "inqud"
DIGEST_HEADER = "X-Payload-Digest"
RETRY_DELAYS_MIN = (1, 2, 5, 15, 30, 60, 120, 360, 720, 1440)
POLICY = RetryPolicy(retry_delays_s=tuple(m * 60 for m in RETRY_DELAYS_MIN), timeout_s=10.0)


def kind_of(obj: dict) -> str:
    """`checkout` for `CCO-…` objects, `request` for `CAPD-…` ones."""
    return "checkout" if obj["id"].startswith("CCO-") else "request"


def event_id(obj: dict) -> str:
    """The sandbox's id for this object's current status: `<id>:<status>`."""
    return f"{obj['id']}:{obj['status']}"


def emit_status(db: UnitOfWork, obj: dict, now_ms: int) -> None:
    """Queue the webhook for an object that just changed status (inside the same transaction)."""
    kind = kind_of(obj)
    body = {k: v for k, v in obj.items() if not k.startswith("_")}
    emit(db, Outgoing(NAME, event_id(obj), f"{kind}.{obj['status']}", body, obj["id"], obj.get("clientOrderId")),
         now_ms)


class InqudDialect:
    """Signs and reads Inqud webhooks."""

    signature_headers = (DIGEST_HEADER,)
    #: What `tampered_body` changes: a fixed-price checkout's amount.
    amount_path = ("fixedAmount", "amount")

    def sign(self, body: bytes, secrets: list[str], at: datetime, attempt: int, event_id: str) -> Signed:
        """`X-Payload-Digest` for one attempt, or no header when no secret is set."""
        # One header, one secret: during a rotation the new secret signs (Inqud has no multi-value form).
        if not secrets:
            return Signed({}, signature_input=None)
        return Signed({DIGEST_HEADER: hmac_hex(secrets[0], body, "sha1")}, signature_input="HMAC-SHA1 over the raw body")

    def verify(self, body: bytes, headers, secret: str | None, now: datetime) -> bool | None:
        """The partner's check: None when unsigned by design, else does the digest match."""
        if not secret:
            return None
        presented = headers.get(DIGEST_HEADER)
        if not presented:
            return False
        return equal(hmac_hex(secret, body, "sha1"), presented.strip().lower())

    def contract_name(self, event_type: str) -> str:
        """`webhooks/checkout` or `webhooks/request`."""
        return "checkout" if event_type.startswith("checkout.") else "request"

    def describe(self, body: dict) -> dict:
        """Event id, type, object id and clientOrderId read back from a body."""
        object_id, status = body.get("id"), body.get("status")
        if not isinstance(object_id, str) or not isinstance(status, str):
            return {"event_id": None, "type": None, "intent_id": None, "external_ref": None}
        kind = "checkout" if object_id.startswith("CCO-") else "request"
        return {"event_id": f"{object_id}:{status}", "type": f"{kind}.{status}", "intent_id": object_id,
                "external_ref": body.get("clientOrderId")}
