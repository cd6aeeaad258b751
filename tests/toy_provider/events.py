"""The toy's webhook dialect: `X-Toy-Signature: <hex HMAC-SHA256(secret, raw body)>`, three retries."""

from __future__ import annotations

from datetime import datetime

from sandbox.delivery.policy import RetryPolicy, Signed
from sandbox.signing import equal, hmac_hex

POLICY = RetryPolicy(retry_delays_s=(10, 60, 600), timeout_s=5.0)


class ToyDialect:
    """Signs and reads toy webhooks."""

    signature_headers = ("X-Toy-Signature",)

    def sign(self, body: bytes, secrets: list[str], at: datetime, attempt: int, event_id: str) -> Signed:
        """One signature with the current secret."""
        headers = {"X-Toy-Event": event_id}
        if secrets:
            headers["X-Toy-Signature"] = hmac_hex(secrets[0], body)
        return Signed(headers, signature_input="HMAC-SHA256 over the raw body")

    def verify(self, body: bytes, headers, secret: str | None, now: datetime) -> bool | None:
        """The partner's check."""
        header = headers.get("X-Toy-Signature")
        return bool(secret and header and equal(hmac_hex(secret, body), header))

    def contract_name(self, event_type: str) -> str:
        """One webhook contract."""
        return "gadget-event"

    def describe(self, body: dict) -> dict:
        """Ids of a received body."""
        gadget = body.get("gadget") if isinstance(body.get("gadget"), dict) else {}
        return {"event_id": body.get("event"), "type": "gadget.done", "intent_id": gadget.get("id"),
                "external_ref": None}
