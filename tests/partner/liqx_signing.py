"""Signing LIQX webhooks in tests, written from SPEC §2 (not from the sandbox's signer)."""

from __future__ import annotations

import hashlib
import hmac
import time


def liqx_headers(secret: str, raw: bytes, timestamp: int | None = None, event_id: str = "evt_x") -> dict:
    """Headers signed as SPEC §2 documents: v1=<hex HMAC-SHA256(secret, "{timestamp}.{raw body}")>.

    The timestamp defaults to the real clock, as LIQX's own signatures carry (SPEC §5).
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), ts.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-LIQX-Event-Id": event_id, "X-LIQX-Timestamp": ts,
            "X-LIQX-Signature": f"v1={mac}", "X-LIQX-Delivery-Attempt": "1"}
