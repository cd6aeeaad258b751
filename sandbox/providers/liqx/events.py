"""LIQX webhooks: the `transaction.*` body and the `X-LIQX-Signature: v1=…` header dialect (SPEC §2).

Signature: `v1=<hex HMAC-SHA256(secret, "{timestamp}.{raw body}")>` with `X-LIQX-Timestamp` in unix
seconds of this attempt; during a secret rotation both secrets sign, comma-separated.
"""

from __future__ import annotations

from datetime import datetime

from sandbox.clock import iso
from sandbox.delivery.policy import RetryPolicy, Signed
from sandbox.signing import equal, hmac_hex
from sandbox.validation import ascii_int

#: At least once: retries after 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h (sandbox time).
POLICY = RetryPolicy(retry_delays_s=(5, 30, 120, 600, 1800, 3600, 10800), timeout_s=10.0)
TOLERANCE_S = 300

#: Which terminal status emits which event type.
EVENT_FOR_STATUS = {
    "COMPLETED": "transaction.completed",
    "REJECTED": "transaction.failed",
    "FAILED": "transaction.failed",
    "EXPIRED": "transaction.expired",
}


def webhook_body(event_id: str, event_type: str, intent: dict, now: datetime) -> dict:
    """The webhook body for an intent that just reached a terminal status."""
    return {
        "event_id": event_id,
        "type": event_type,
        "created_at": iso(now),
        "data": {
            "intent_id": intent["intent_id"],
            "external_ref": intent["external_ref"],
            "external_user_id": intent["external_user_id"],
            "phase": intent["type"],
            "status": intent["status"],
            "amount_krw": intent["amount_krw"],
            "amount_usdt": intent["amount_usdt"],
            "failure_reason": intent["failure_reason"],
            "completed_at": intent["completed_at"],
        },
    }


class LiqxDialect:
    """Signs and reads LIQX webhooks."""

    signature_headers = ("X-LIQX-Signature",)
    #: What `tampered_body` changes: the won amount a partner credits.
    amount_path = ("data", "amount_krw")

    def sign(self, body: bytes, secrets: list[str], at: datetime, attempt: int, event_id: str) -> Signed:
        timestamp = str(int(at.timestamp()))
        signed_input = timestamp.encode() + b"." + body
        signature = ",".join(f"v1={hmac_hex(secret, signed_input)}" for secret in secrets)
        headers = {
            "X-LIQX-Event-Id": event_id,
            "X-LIQX-Timestamp": timestamp,
            "X-LIQX-Signature": signature,
            "X-LIQX-Delivery-Attempt": str(attempt),
        }
        return Signed(headers, signature_input=signed_input.decode("utf-8"))

    def verify(self, body: bytes, headers, secret: str | None, now: datetime) -> bool | None:
        timestamp, header = headers.get("X-LIQX-Timestamp"), headers.get("X-LIQX-Signature")
        if not secret or not timestamp or not header or ascii_int(timestamp) is None:
            return False
        if abs(now.timestamp() - int(timestamp)) > TOLERANCE_S:
            return False
        expected = hmac_hex(secret, timestamp.encode() + b"." + body)
        candidates = [part.strip()[3:] for part in header.split(",") if part.strip().startswith("v1=")]
        return any(equal(expected, candidate) for candidate in candidates)

    def contract_name(self, event_type: str) -> str:
        return "transaction-event"

    def describe(self, body: dict) -> dict:
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        return {"event_id": body.get("event_id"), "type": body.get("type"),
                "intent_id": data.get("intent_id"), "external_ref": data.get("external_ref")}
