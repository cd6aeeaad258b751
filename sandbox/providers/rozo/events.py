"""ROZO webhooks exactly as ROZO documents them: the envelope and the `X-Rozo-Signature` dialect.

Two event types only, `payment_payin_completed` and `payment_payout_completed`; failure terminals
send nothing. Body `{event_id, type, timestamp, data}` where `data` is the `GET /payments/{id}`
object minus the members ROZO strips (`metadata`, `webhookUrl`, `webhookSecretSource`,
`paymentLink`, `merchant`, and the payment's own `webhookSecret`). Headers: `X-Rozo-Timestamp`
in unix **milliseconds** of this attempt and `X-Rozo-Signature: sha256=<hex HMAC-SHA256(secret,
"{timestamp}.{raw body}")>`. ROZO rotates secrets with no grace period, so one secret signs.
Delivery is at most once: no retries.
"""

from __future__ import annotations

from datetime import datetime

from sandbox.clock import iso, to_ms
from sandbox.delivery.policy import RetryPolicy, Signed
from sandbox.signing import equal, hmac_hex
from sandbox.validation import ascii_int

#: At most once, as the real ROZO: any non-2xx, timeout or connection error is final.
POLICY = RetryPolicy(retry_delays_s=(), timeout_s=10.0)
TOLERANCE_MS = 5 * 60 * 1000
#: Members of the GET object that webhook `data` leaves out (ROZO's webhook doc, plus the secret itself).
STRIPPED = ("metadata", "webhookUrl", "webhookSecretSource", "paymentLink", "merchant", "webhookSecret")


def webhook_data(payment: dict) -> dict:
    """The GET object as a webhook carries it."""
    return {k: v for k, v in payment.items() if k not in STRIPPED and not k.startswith("_")}


def webhook_body(event_id: str, event_type: str, payment: dict, now: datetime) -> dict:
    """The envelope for a payment that just reached `event_type`'s status."""
    return {"event_id": event_id, "type": event_type, "timestamp": iso(now), "data": webhook_data(payment)}


class RozoDialect:
    """Signs and reads ROZO webhooks."""

    signature_headers = ("X-Rozo-Signature",)
    #: What `tampered_body` changes: the amount the payer sends.
    amount_path = ("data", "source", "amount")

    def sign(self, body: bytes, secrets: list[str], at: datetime, attempt: int, event_id: str) -> Signed:
        """Headers for one attempt, timestamped now in milliseconds and signed with one secret."""
        timestamp = str(to_ms(at))
        signed_input = timestamp.encode() + b"." + body
        headers = {"X-Rozo-Timestamp": timestamp}
        if secrets:
            headers["X-Rozo-Signature"] = "sha256=" + hmac_hex(secrets[0], signed_input)
        return Signed(headers, signature_input=signed_input.decode("utf-8"))

    def verify(self, body: bytes, headers, secret: str | None, now: datetime) -> bool | None:
        """What ROZO tells partners to do: 5-minute window, HMAC over `ts.raw`, constant-time compare."""
        timestamp, header = headers.get("X-Rozo-Timestamp"), headers.get("X-Rozo-Signature")
        if not secret or not timestamp or not header or ascii_int(timestamp) is None:
            return False
        if abs(to_ms(now) - int(timestamp)) > TOLERANCE_MS:
            return False
        expected = hmac_hex(secret, timestamp.encode() + b"." + body)
        return equal(expected, header.strip().removeprefix("sha256="))

    def contract_name(self, event_type: str) -> str:
        """Both event types carry the one WebhookEvent schema."""
        return "webhook-event"

    def describe(self, body: dict) -> dict:
        """Event id, type, payment id and orderId of a body, for the receiver."""
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        return {"event_id": body.get("event_id"), "type": body.get("type"),
                "intent_id": data.get("id"), "external_ref": data.get("orderId")}
