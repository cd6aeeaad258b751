"""`Idempotency-Key` on create calls: same key + same body replays the stored answer byte for byte.

The check, the create and the stored answer share one transaction, so two concurrent requests
with the same key can never both create. A key reused with another body is a conflict.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from sandbox.errors import IdempotencyKeyReused
from sandbox.jsontext import dumps_bytes
from sandbox.store import UnitOfWork

#: What a create made: its status and its answer, already encoded (`encode`).
Outcome = tuple[int, bytes]


def encode(body: dict) -> bytes:
    """How every JSON answer is serialised: UTF-8, Unicode kept as is, never NaN (see `sandbox.jsontext`)."""
    return dumps_bytes(body)


def run_once(uow: UnitOfWork, provider: str, key: str | None, raw_body: bytes,
             create: Callable[[UnitOfWork], Outcome], now_ms: int) -> tuple[int, bytes, bool]:
    """Inside a write transaction: replay a stored answer or run `create` and store its answer.

    Returns `(status, body bytes, replayed)`.
    """
    request_hash = hashlib.sha256(raw_body).hexdigest() if key else ""
    if key:
        stored = uow.idempotency.get(provider, key)
        if stored is not None:
            if stored["request_hash"] != request_hash:
                raise IdempotencyKeyReused(
                    "Idempotency-Key was already used with a different request body", idempotency_key=key)
            return stored["status"], bytes(stored["body"]), True
    status, encoded = create(uow)
    if key:
        uow.idempotency.put(provider, key, request_hash, status, encoded, now_ms)
    return status, encoded, False
