"""LIQX end to end: API → widget session → widget in Chromium through the SDK → signed webhook → receipt.

The partner page is served from its own origin (a separate aiohttp server), loads the SDK from
the sandbox and records every callback, as a real integration would. The webhook goes to a real
test receiver that checks the signature with an implementation written from SPEC §2, then
forwards it to the built-in receiver, whose bounded read must return the matching receipt.
"""

from __future__ import annotations

import json

import aiohttp
from aiohttp import web

from sandbox.contracts import Contracts
from tests.providers.liqx_support import PAYIN, PAYOUT, verify_liqx
from tests.support import ARTIFACTS, credentials, free_socket

CONTRACTS = Contracts()

PARTNER_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Partner checkout</title>
<script src="{sdk_url}"></script></head>
<body><h1>Partner checkout</h1><div id="widget"></div>
<script>
  window.events = [];
  const record = (name) => (event) => window.events.push({{callback: name, event: event}});
  LIQXWidget.mount("#widget", {{
    sessionToken: "{token}",
    onReady: record("onReady"), onPayinCompleted: record("onPayinCompleted"),
    onPayinRejected: record("onPayinRejected"), onPayoutClaimed: record("onPayoutClaimed"),
    onPayoutRejected: record("onPayoutRejected"), onExpired: record("onExpired"),
  }});
</script></body></html>"""


class Partner:
    """The partner's site (its own origin) and its webhook endpoint, which verifies then forwards."""

    def __init__(self, sandbox, secret: str) -> None:
        self.sandbox, self.secret = sandbox, secret
        self.webhooks: list[dict] = []
        self.pages: dict[str, str] = {}

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(text=self.pages[request.match_info["name"]], content_type="text/html")

    async def hook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        headers = dict(request.headers)
        valid = verify_liqx(self.secret, headers, raw)
        self.webhooks.append({"raw": raw, "headers": headers, "valid": valid})
        if not valid:
            return web.Response(status=401)
        forward = {k: v for k, v in headers.items() if k.lower().startswith("x-liqx")}
        async with aiohttp.ClientSession() as http:
            async with http.post(self.sandbox.base_url + "/api/webhooks/liqx", data=raw,
                                 headers={**forward, "Content-Type": "application/json"}) as response:
                return web.Response(status=response.status)


async def start_partner(sandbox):
    secret = (await sandbox.control("GET", "/endpoints/liqx"))["secret"]
    partner = Partner(sandbox, secret)
    app = web.Application()
    app.router.add_get("/page/{name}", partner.page)
    app.router.add_post("/hook", partner.hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = free_socket()
    await web.SockSite(runner, sock).start()
    origin = f"http://localhost:{sock.getsockname()[1]}"  # another origin than the sandbox's 127.0.0.1
    await sandbox.control("PUT", "/endpoints/liqx", {"url": f"{origin}/hook"})
    return partner, runner, origin


async def run_widget(sandbox, browser, path: str, body: dict, button: str, expect_callback: str, name: str):
    partner, runner, origin = await start_partner(sandbox)
    try:
        status, intent, _ = await sandbox.request("POST", path, json=body, headers=credentials(sandbox, "liqx"))
        assert status == 201 and not CONTRACTS.errors("liqx", "responses", "intent", intent)
        status, session, _ = await sandbox.request(
            "POST", f"/liqx/v1/intents/{intent['intent_id']}/widget-sessions", headers=credentials(sandbox, "liqx"))
        assert status == 201 and not CONTRACTS.errors("liqx", "responses", "widget-session", session)
        partner.pages[name] = PARTNER_PAGE.format(sdk_url=session["sdk_url"], token=session["session_token"])
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        await page.goto(f"{origin}/page/{name}")
        await page.wait_for_function("window.events.some(e => e.callback === 'onReady')", timeout=10000)
        frame = page.frame_locator("[data-testid=liqx-widget-frame]")
        await frame.get_by_test_id(button).click()
        await page.wait_for_function(f"window.events.some(e => e.callback === '{expect_callback}')", timeout=10000)
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"liqx-widget-{name}.png"))
        events = await page.evaluate("window.events")
        await page.close()
        return intent, session, events, partner
    finally:
        await sandbox.settle()
        await runner.cleanup()


async def read_receipt(sandbox, intent_id: str) -> dict:
    status, found, _ = await sandbox.request("GET", f"/api/webhooks/liqx/events?intent_id={intent_id}")
    assert status == 200
    [receipt] = found["data"]
    return receipt


async def test_payin_through_the_sdk_ends_in_a_verified_durable_receipt(sandbox, browser):
    """PAYIN: the SDK sees READY then COMPLETED; the webhook verifies and is read back as a receipt."""
    intent, session, events, partner = await run_widget(
        sandbox, browser, "/liqx/v1/payin-intents", PAYIN, "widget-deposit", "onPayinCompleted", "payin")
    assert [e["callback"] for e in events] == ["onReady", "onPayinCompleted"]
    for entry in events:
        assert not CONTRACTS.errors("liqx", "browser", "widget-message", entry["event"])
        assert entry["event"]["intent_id"] == intent["intent_id"]
        assert entry["event"]["session_id"] == session["session_id"]
    assert events[1]["event"]["status"] == "COMPLETED"
    [hook] = partner.webhooks
    assert hook["valid"]
    body = json.loads(hook["raw"])
    assert not CONTRACTS.errors("liqx", "webhooks", "transaction-event", body)
    assert body["type"] == "transaction.completed" and body["data"]["phase"] == "PAYIN"
    receipt = await read_receipt(sandbox, intent["intent_id"])
    assert receipt["event_id"] == body["event_id"] and receipt["signature_valid"] is True
    assert receipt["external_ref"] == PAYIN["external_ref"]
    timeline = await sandbox.control("GET", f"/intents/liqx/{intent['intent_id']}/timeline")
    kinds = [entry["kind"] for entry in timeline["timeline"]]
    assert "browser_event" in kinds and "attempt" in kinds


async def test_payout_claim_through_the_sdk_settles_into_a_completed_receipt(sandbox, browser):
    """PAYOUT: claim → PAYOUT_CLAIMED in the browser; after settlement the PAYOUT completion webhook."""
    intent, _, events, partner = await run_widget(
        sandbox, browser, "/liqx/v1/payout-intents", PAYOUT, "widget-claim", "onPayoutClaimed", "payout")
    assert [e["callback"] for e in events][:2] == ["onReady", "onPayoutClaimed"]
    for entry in events:
        assert not CONTRACTS.errors("liqx", "browser", "widget-message", entry["event"])
    assert partner.webhooks == [], "nothing is final while PROCESSING"
    partner2, runner, _ = await start_partner(sandbox)
    try:
        await sandbox.advance(5)
        [hook] = partner2.webhooks
    finally:
        await runner.cleanup()
    body = json.loads(hook["raw"])
    assert hook["valid"] and body["type"] == "transaction.completed" and body["data"]["phase"] == "PAYOUT"
    assert not CONTRACTS.errors("liqx", "webhooks", "transaction-event", body)
    receipt = await read_receipt(sandbox, intent["intent_id"])
    assert receipt["type"] == "transaction.completed"


async def test_claim_rejected_payout_reports_payout_rejected(sandbox, browser):
    """CLAIM_REJECTED: the SDK's onPayoutRejected fires and transaction.failed is the durable proof."""
    intent, _, events, partner = await run_widget(
        sandbox, browser, "/liqx/v1/payout-intents", {**PAYOUT, "scenario": "CLAIM_REJECTED"}, "widget-claim",
        "onPayoutRejected", "claim-rejected")
    rejected = next(e["event"] for e in events if e["callback"] == "onPayoutRejected")
    assert rejected["type"] == "PAYOUT_REJECTED" and rejected["status"] == "FAILED"
    [hook] = partner.webhooks
    assert json.loads(hook["raw"])["data"]["failure_reason"] == "CLAIM_REJECTED"
    assert (await read_receipt(sandbox, intent["intent_id"]))["type"] == "transaction.failed"
