"""The hosted ROZO pay page in headless Chromium: a full payment, a bounce, and the browser events it posts."""

from __future__ import annotations

import json

import pytest

from tests.providers.rozo_support import body, created, get, point_at, verify_rozo, wall_ms
from tests.support import ARTIFACTS, assert_contract

pytestmark = pytest.mark.browser

OPENER = """<!doctype html><title>partner</title><script>
window.rozoEvents = [];
window.addEventListener("message", (e) => { if (e.data && e.data.source === "rozo-pay") window.rozoEvents.push(e.data); });
</script><iframe id="pay" src="__URL__" style="width:480px;height:900px;border:0"></iframe>"""


async def open_embedded(browser, sandbox, payment_id: str):
    """A partner page (same origin, served by a data route) with the pay page in an iframe."""
    page = await browser.new_page()
    url = f"{sandbox.base_url}/rozo/pay/{payment_id}"
    await page.route(f"{sandbox.base_url}/partner-test", lambda route: route.fulfill(
        status=200, content_type="text/html", body=OPENER.replace("__URL__", url)))
    await page.goto(f"{sandbox.base_url}/partner-test")
    frame = page.frame_locator("#pay")
    await frame.locator('[data-testid="status"]').wait_for()
    return page, frame


async def events(page, count: int) -> list[dict]:
    await page.wait_for_function(f"window.rozoEvents.length >= {count}", timeout=10_000)
    return await page.evaluate("window.rozoEvents")


async def test_full_payment_through_the_pay_page(sandbox, receiver, browser):
    """Send payin on the page → paymentStarted, paymentCompleted, payoutCompleted; webhooks verify; GET agrees."""
    secret = await point_at(sandbox, receiver)
    payment = await created(sandbox, body(source={"chainId": 1500, "tokenSymbol": "USDC", "amount": "12.50"}))
    page, frame = await open_embedded(browser, sandbox, payment["id"])
    assert await frame.locator('[data-testid="deposit-address"]').inner_text() == payment["source"]["receiverAddress"]
    assert await frame.locator('[data-testid="deposit-memo"]').inner_text() == payment["source"]["receiverMemo"]
    assert await frame.locator('[data-testid="amount"]').inner_text() == "12.50"
    assert "Stellar" in await frame.locator('[data-testid="source-chain"]').inner_text()

    await frame.locator('[data-testid="send-payin"]').click()
    first = await events(page, 1)
    assert first[0]["type"] == "paymentStarted" and first[0]["status"] == "payment_started"
    await sandbox.advance(2)
    await sandbox.advance(5)
    got = await events(page, 3)
    assert [e["type"] for e in got] == ["paymentStarted", "paymentCompleted", "payoutCompleted"]
    for event in got:
        assert_contract("rozo", "browser", "pay-event", event)
        assert event["paymentId"] == payment["id"]
    await frame.locator('[data-testid="status"][data-status="payment_payout_completed"]').wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "rozo-pay-page.png"), full_page=True)

    hits = await receiver.wait_for(2)
    assert [json.loads(h["raw"])["type"] for h in hits] == ["payment_payin_completed", "payment_payout_completed"]
    assert all(verify_rozo(secret, h["headers"], h["raw"], wall_ms()) for h in hits)
    for hit in hits:
        assert_contract("rozo", "webhooks", "webhook-event", json.loads(hit["raw"]))
    paid = await get(sandbox, payment["id"])
    assert paid["status"] == "payment_payout_completed"
    assert len(paid["source"]["txHash"]) == 64 and paid["source"]["senderAddress"].startswith("G")
    timeline = await sandbox.control("GET", f"/intents/rozo/{payment['id']}/timeline")
    recorded = [e["event"]["type"] for e in timeline["timeline"] if e["kind"] == "browser_event"]
    assert sorted(recorded) == sorted(["paymentStarted", "paymentCompleted", "payoutCompleted"])
    await page.close()


async def test_bounce_on_the_pay_page_posts_payment_bounced(sandbox, browser):
    """Choosing an error code and pressing Bounce bounces the payment with that code; no more buttons."""
    payment = await created(sandbox)
    page, frame = await open_embedded(browser, sandbox, payment["id"])
    await frame.locator('[data-testid="bounce-code"]').select_option("insufficientLiquidity")
    await frame.locator('[data-testid="bounce"]').click()
    [event] = await events(page, 1)
    assert event == {"source": "rozo-pay", "type": "paymentBounced", "paymentId": payment["id"],
                     "status": "payment_bounced"}
    assert (await get(sandbox, payment["id"]))["errorCode"] == "insufficientLiquidity"
    assert await frame.locator('[data-testid="send-payin"]').is_disabled()
    assert "insufficientLiquidity" in await frame.locator('[data-testid="error-code"]').inner_text()
    await page.close()


async def test_pay_page_opened_late_reports_every_step_and_unknown_id_is_404(sandbox, browser):
    """A page opened after the payment completed still posts all three events in order; a bad id is 404."""
    payment = await created(sandbox)
    await sandbox.control("POST", f"/intents/rozo/{payment['id']}/transition", {"to": "payment_completed"})
    page, _ = await open_embedded(browser, sandbox, payment["id"])
    got = await events(page, 3)
    assert [e["type"] for e in got] == ["paymentStarted", "paymentCompleted", "payoutCompleted"]
    assert {e["status"] for e in got} == {"payment_completed"}
    response = await page.goto(f"{sandbox.base_url}/rozo/pay/not-a-payment")
    assert response.status == 404
    await page.close()


async def test_payin_rejected_scenario_bounces_after_the_page_opens(sandbox, browser):
    """`payin-rejected`: 5 s after the pay page opens the payment bounces by itself, and the page says so."""
    from tests.providers.rozo_support import api

    status, payment = await api(sandbox, "POST", "/", json_body=body(), key=sandbox.key("rozo"),
                                headers={"X-Sandbox-Scenario": "payin-rejected"})
    assert status == 201
    await sandbox.advance(30)
    assert (await get(sandbox, payment["id"]))["status"] == "payment_unpaid"  # not armed until the page opens
    page, _ = await open_embedded(browser, sandbox, payment["id"])
    await sandbox.advance(5)
    [event] = await events(page, 1)
    assert event["type"] == "paymentBounced"
    assert (await get(sandbox, payment["id"]))["errorCode"] == "providerError"
    await page.close()


async def test_page_events_endpoint_refuses_events_off_contract(sandbox):
    """The server side of the page refuses a message that breaks the pay-event contract."""
    payment = await created(sandbox)
    status, answer, _ = await sandbox.request("POST", f"/rozo/pay/{payment['id']}/events",
                                              json={"source": "rozo-pay", "type": "paymentPaid",
                                                    "paymentId": payment["id"], "status": "payment_unpaid"})
    assert status == 400 and answer["error"]["code"] == "invalidRequest"
