"""Retry policies as data, and the adapter a provider gives the delivery engine to sign its webhooks.

The delivery engine knows nothing about any provider: it asks the adapter to sign a body for an attempt,
to name the contract a body must satisfy, and to say which headers carry the signature (so the
`missing_signature` fault can strip them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Delays (sandbox seconds) after each failed attempt; no delays means at most once."""

    retry_delays_s: tuple[float, ...] = ()
    timeout_s: float = 10.0
    jitter_ratio: float = 0.0

    @property
    def max_attempts(self) -> int:
        return 1 + len(self.retry_delays_s)

    @property
    def at_most_once(self) -> bool:
        return not self.retry_delays_s

    def delay_after(self, attempt: int) -> float | None:
        """Sandbox seconds before the next attempt after failed attempt `attempt`, or None: give up."""
        if attempt >= self.max_attempts:
            return None
        return self.retry_delays_s[attempt - 1]


@dataclass(slots=True)
class Signed:
    """What an adapter returns for one attempt: the headers to send and the signed input."""

    headers: dict[str, str]
    signature_input: str | None = None
    extra: dict = field(default_factory=dict)


class WebhookDialect(Protocol):
    """How one provider signs, names and reads its webhooks."""

    signature_headers: tuple[str, ...]
    #: Where the amount sits in a body (what the `tampered_body` fault changes after signing).
    amount_path: tuple[str, ...]

    def sign(self, body: bytes, secrets: list[str], at: datetime, attempt: int, event_id: str) -> Signed:
        """Headers for one attempt: signed afresh with this attempt's timestamp."""

    def verify(self, body: bytes, headers, secret: str | None, now: datetime) -> bool | None:
        """Check a received webhook as the partner would; None when the provider does not sign."""

    def contract_name(self, event_type: str) -> str:
        """The `webhooks/<name>` contract the body must satisfy."""

    def describe(self, body: dict) -> dict:
        """`{event_id, type, intent_id, external_ref}` read from a body, for the receiver."""
