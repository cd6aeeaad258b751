"""Partner webhook receivers for grading tests: one correct reference, and the same with one flaw each.

Written from each provider's documented scheme, not from the sandbox's signing code: LIQX
`v1=HMAC-SHA256(secret, "{ts}.{raw}")` with a 300 s window on seconds; ROZO `sha256=` over
`"{ms}.{raw}"` with a 5-minute window on milliseconds; Inqud `X-Payload-Digest` = hex
HMAC-SHA1(secret, raw); Mizu unsigned. The reference receiver verifies first (401 when the check
fails), dedupes by event id (a repeat answers 200 and changes nothing), and orders by state (an
event older than the order's current state answers 200 and changes nothing). Its view of an order
is `GET /orders/{external_ref}`: 404 before any event, then `{status, amount, credits}`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field

from aiohttp import web

from tests.support import free_socket

#: How far each provider's states have progressed, so an older event never overwrites a newer one.
RANK = {
    "liqx": {"COMPLETED": 2, "REJECTED": 2, "FAILED": 2, "EXPIRED": 2},
    "rozo": {"payment_payin_completed": 1, "payment_payout_completed": 2},
    "inqud": {"NEW": 0, "WAITING_PAYMENT": 1, "PENDING_PAYMENT": 2, "SUCCESS": 3, "CONFLICT": 3, "EXPIRED": 3,
              "CANCELLED": 3},
    "mizu": {4: 2},
}


def _mac(secret: str, message: bytes, digest) -> str:
    return hmac.new(secret.encode(), message, digest).hexdigest()


def verify(provider: str, secret: str | None, headers, raw: bytes, check_time: bool) -> bool:
    """The provider's documented check; `check_time=False` is the flaw that ignores the timestamp."""
    if provider == "mizu":
        return True
    if provider == "inqud":
        return bool(secret) and hmac.compare_digest(_mac(secret, raw, hashlib.sha1), headers.get("X-Payload-Digest", ""))
    if provider == "liqx":
        stamp, header, window, now = headers.get("X-LIQX-Timestamp", ""), headers.get("X-LIQX-Signature", ""), 300, time.time()
        offered = [part.strip()[3:] for part in header.split(",") if part.strip().startswith("v1=")]
    else:
        stamp, header, window, now = (headers.get("X-Rozo-Timestamp", ""), headers.get("X-Rozo-Signature", ""),
                                      300_000, time.time() * 1000)
        offered = [header.removeprefix("sha256=")] if header.startswith("sha256=") else []
    if not stamp.isdigit() or not offered:
        return False
    if check_time and abs(now - int(stamp)) > window:
        return False
    expected = _mac(secret or "", f"{stamp}.".encode() + raw, hashlib.sha256)
    return any(hmac.compare_digest(expected, value) for value in offered)


def facts(provider: str, body: dict) -> tuple[str, str, object, object]:
    """(event id, external ref, state, amount) read from a body the provider's documented way."""
    if provider == "liqx":
        data = body["data"]
        return body["event_id"], data["external_ref"], data["status"], data["amount_krw"]
    if provider == "rozo":
        data = body["data"]
        return body["event_id"], data["orderId"], data["status"], data["source"]["amount"]
    if provider == "inqud":
        return f"{body['id']}:{body['status']}", body["clientOrderId"], body["status"], body["fixedAmount"]["amount"]
    return str(body["id"]), body["clientReferenceIdParam"], body["status"], body["payAmount"]


@dataclass
class Flaws:
    """What a flawed receiver gets wrong (all False: the reference receiver)."""

    accept_any_signature: bool = False
    fail_duplicates: bool = False
    ignore_timestamps: bool = False
    delay_s: float = 0.0
    apply_duplicates: bool = False      # answers 200 but applies a repeated event again
    apply_before_verifying: bool = False  # changes the order, then refuses the forged webhook
    last_write_wins: bool = False        # does not order by state


@dataclass
class PartnerReceiver:
    """A partner's endpoint for one provider, with its own order book."""

    provider: str
    secret: str | None
    flaws: Flaws = field(default_factory=Flaws)
    orders: dict[str, dict] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    hits: int = 0
    url: str = ""
    runner: web.AppRunner | None = None

    @property
    def state_url(self) -> str:
        return self.url.rsplit("/hooks", 1)[0] + "/orders/{external_ref}"

    async def hook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.hits += 1
        if self.flaws.delay_s:
            await asyncio.sleep(self.flaws.delay_s)  # the flaw under test is real slowness, not domain time
        try:
            event_id, ref, status, amount = facts(self.provider, json.loads(raw))
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "unreadable event"}, status=400)
        if self.flaws.apply_before_verifying:
            self._apply(ref, status, amount)
        if not self.flaws.accept_any_signature and not verify(self.provider, self.secret, request.headers, raw,
                                                              not self.flaws.ignore_timestamps):
            return web.json_response({"error": "bad signature"}, status=401)
        if event_id in self.seen:
            if self.flaws.fail_duplicates:
                return web.json_response({"error": "already processed"}, status=500)
            if self.flaws.apply_duplicates:
                self._apply(ref, status, amount)
            return web.json_response({"ok": True, "duplicate": True})
        self.seen.add(event_id)
        if not self.flaws.apply_before_verifying:
            self._apply(ref, status, amount)
        return web.json_response({"ok": True})

    def _apply(self, ref: str, status, amount) -> None:
        order = self.orders.get(ref)
        rank = RANK[self.provider].get(status, 0)
        if order is None:
            self.orders[ref] = {"status": status, "amount": amount, "credits": 1}
            return
        if not self.flaws.last_write_wins and rank < RANK[self.provider].get(order["status"], 0):
            return
        order.update(status=status, amount=amount, credits=order["credits"] + 1)

    async def view(self, request: web.Request) -> web.Response:
        order = self.orders.get(request.match_info["ref"])
        if order is None:
            return web.json_response({"error": "no such order"}, status=404)
        return web.json_response(order)


async def start_partner(provider: str, secret: str | None, flaws: Flaws | None = None) -> PartnerReceiver:
    """A running partner receiver on a loopback port: POST /hooks, GET /orders/{ref}."""
    partner = PartnerReceiver(provider, secret, flaws or Flaws())
    app = web.Application()
    app.router.add_post("/hooks", partner.hook)
    app.router.add_get("/orders/{ref}", partner.view)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = free_socket()
    await web.SockSite(runner, sock).start()
    partner.runner, partner.url = runner, f"http://127.0.0.1:{sock.getsockname()[1]}/hooks"
    return partner
