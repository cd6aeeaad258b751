"""LIQX helpers for tests, including an independent signature check written from SPEC §2."""

from __future__ import annotations

import hashlib
import hmac
import time

from tests.support import credentials

PAYIN = {
    "external_ref": "demo-1782916705668", "external_user_id": "partner-user-001", "depositor_name": "홍길동",
    "amount_krw": "100000", "amount_usdt": "75.50", "user_email": "demo@example.com",
    "return_url": "https://partner.example.com/orders/demo", "widget_type": "PAYIN",
}
PAYOUT = {
    "scenario": "VERIFIED", "external_ref": "", "external_user_id": "", "legal_name": "홍길동",
    "user_email": "jane@example.com", "return_url": "https://demo.dev.liqx.io/payouts/demo",
    "amount_krw": "100000", "amount_usdt": "75.000000",
}


def verify_liqx(secret: str, headers: dict, raw: bytes, now: float | None = None, tolerance: int = 300) -> bool:
    """SPEC §2, read literally: v1=<hex HMAC-SHA256(secret, "{timestamp}.{raw body}")>, comma-separated list."""
    timestamp = headers.get("X-LIQX-Timestamp") or headers.get("x-liqx-timestamp")
    signature = headers.get("X-LIQX-Signature") or headers.get("x-liqx-signature")
    if not timestamp or not signature:
        return False
    if now is not None and abs(now - int(timestamp)) > tolerance:
        return False
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    offered = [item.split("=", 1)[1] for item in signature.split(",") if item.startswith("v1=")]
    return any(hmac.compare_digest(mac, value) for value in offered)


async def create_payin(running, body: dict | None = None, **headers):
    return await running.request("POST", "/liqx/v1/payin-intents", json=body or PAYIN,
                                 headers={**credentials(running, "liqx"), **headers})


async def point_at(running, receiver) -> str:
    """Send LIQX webhooks to `receiver`; returns the signing secret."""
    data = await running.control("PUT", "/endpoints/liqx", {"url": receiver.url})
    return data["secret"]


def now_unix() -> float:
    return time.time()
