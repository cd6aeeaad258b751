"""A minimal partner app paid through LIQX: orders, a payin per order, and a verified webhook.

It is written from docs/liqx.md only, the way a partner integrates a provider:

- `POST /orders` creates an order and a LIQX payin (`POST {base}/payin-intents`) whose
  `external_ref` is the order id; the order stays `PENDING` — the widget's result is not proof.
- `POST /webhooks/liqx` is the webhook endpoint. It checks
  `X-LIQX-Signature: v1=<hex HMAC-SHA256(secret, "{X-LIQX-Timestamp}.{raw body}")>` (any of the
  comma-separated `v1=` values, compared in constant time) and a timestamp within 5 minutes of
  the real clock, answering 401 otherwise. It dedupes on the event id, so a redelivered event is
  acknowledged (200) but applied once, and it moves an order only out of `PENDING`.
- `GET /orders/{id}` shows an order with the events applied to it.

Configuration comes from the environment (`LIQX_BASE_URL`, `LIQX_API_KEY`,
`LIQX_WEBHOOK_SECRET`, `PORT`) when run as `python partner_app.py`; tests pass a `LiqxConfig`.
State is in memory: enough for an example, not for production.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import time
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

TOLERANCE_S = 300  # docs/liqx.md: verify within a 5-minute tolerance
OUTCOMES = {"COMPLETED": "PAID", "REJECTED": "FAILED", "FAILED": "FAILED", "EXPIRED": "EXPIRED"}


@dataclass
class LiqxConfig:
    """Where LIQX is and the partner's credentials there (the sandbox's or the real ones)."""

    base_url: str
    api_key: str
    webhook_secret: str


@dataclass
class State:
    """Orders by id, event ids already applied, and how many redeliveries were ignored."""

    orders: dict[str, dict] = field(default_factory=dict)
    seen_events: set[str] = field(default_factory=set)
    duplicates: int = 0
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))


CONFIG: web.AppKey[LiqxConfig] = web.AppKey("config", LiqxConfig)
STATE: web.AppKey[State] = web.AppKey("state", State)
HTTP: web.AppKey[aiohttp.ClientSession] = web.AppKey("http", aiohttp.ClientSession)


def verify_signature(secret: str, timestamp: str | None, signature: str | None, raw: bytes,
                     now: float | None = None) -> bool:
    """True when one `v1=` value is the HMAC of "{timestamp}.{raw}" and the timestamp is fresh."""
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TOLERANCE_S:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    offered = [part.strip()[3:] for part in signature.split(",") if part.strip().startswith("v1=")]
    return any(hmac.compare_digest(expected, value) for value in offered)


async def create_order(request: web.Request) -> web.Response:
    """Create an order and its LIQX payin; answer the order with the payin's id."""
    body = await request.json()
    state, config = request.app[STATE], request.app[CONFIG]
    order_id = f"order-{next(state.numbers)}-{os.getpid()}-{int(time.time() * 1000)}"
    payin = {
        "external_ref": order_id, "external_user_id": body["user_id"], "depositor_name": body["name"],
        "amount_krw": body["amount_krw"], "amount_usdt": body["amount_usdt"], "user_email": body["email"],
        "return_url": f"{request.url.origin()}/orders/{order_id}", "widget_type": "PAYIN",
    }
    async with request.app[HTTP].post(f"{config.base_url}/payin-intents", json=payin,
                                      headers={"Authorization": f"Bearer {config.api_key}",
                                               "Idempotency-Key": order_id}) as answer:
        intent = await answer.json()
        if answer.status != 201:
            return web.json_response({"error": "LIQX refused the payin", "liqx": intent}, status=502)
    order = {"id": order_id, "intent_id": intent["intent_id"], "status": "PENDING", "events": []}
    state.orders[order_id] = order
    return web.json_response(order, status=201)


async def get_order(request: web.Request) -> web.Response:
    order = request.app[STATE].orders.get(request.match_info["order_id"])
    if order is None:
        return web.json_response({"error": "no such order"}, status=404)
    return web.json_response(order)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def liqx_webhook(request: web.Request) -> web.Response:
    """Verify, dedupe on the event id, then move the order out of PENDING."""
    raw = await request.read()
    state, config = request.app[STATE], request.app[CONFIG]
    if not verify_signature(config.webhook_secret, request.headers.get("X-LIQX-Timestamp"),
                            request.headers.get("X-LIQX-Signature"), raw):
        return web.json_response({"error": "bad signature"}, status=401)
    event = json.loads(raw)
    if event["event_id"] in state.seen_events:
        state.duplicates += 1
        return web.json_response({"ok": True, "duplicate": True})
    data = event["data"]
    order = state.orders.get(data.get("external_ref"))
    if order is not None:
        if order["status"] == "PENDING" and data.get("status") in OUTCOMES:
            order["status"] = OUTCOMES[data["status"]]
        order["events"].append(event["event_id"])
    state.seen_events.add(event["event_id"])
    return web.json_response({"ok": True})


def create_app(config: LiqxConfig) -> web.Application:
    """The partner app; `config` may be changed later (e.g. after a webhook secret rotation)."""
    app = web.Application()
    app[CONFIG], app[STATE] = config, State()

    async def http_client(app: web.Application):
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            app[HTTP] = session
            yield

    app.cleanup_ctx.append(http_client)
    app.router.add_post("/orders", create_order)
    app.router.add_get("/orders/{order_id}", get_order)
    app.router.add_post("/webhooks/liqx", liqx_webhook)
    app.router.add_get("/health", health)
    return app


if __name__ == "__main__":
    web.run_app(create_app(LiqxConfig(os.environ["LIQX_BASE_URL"], os.environ["LIQX_API_KEY"],
                                      os.environ["LIQX_WEBHOOK_SECRET"])),
                port=int(os.environ.get("PORT", "8000")))
