"""Mizu's hosted pay page in headless Chromium: a payment through the page reaches a real receiver.

The pay page is embedded in an iframe of a bare parent page that records every postMessage, so
the browser events are checked as an embedding merchant page would see them.
"""

import html
import json
from urllib.parse import quote

from tests.providers.mizu_support import (
    FIELD_NAMES,
    create_link,
    get_payment,
    mizu_events,
    point_at,
    table_mismatches,
)
from tests.support import ARTIFACTS, contract_issues

PARENT = """<!doctype html><meta charset="utf-8"><title>merchant</title>
<script>window.__events = []; addEventListener("message", function (e) { window.__events.push(e.data); });</script>
<iframe id="pay" src="__SRC__" width="480" height="760" style="border:0"></iframe>"""


async def _embed(browser, url: str):
    """A merchant page with the pay page in an iframe; returns (page, frame locator, root locator)."""
    page = await browser.new_page(viewport={"width": 520, "height": 800})
    await page.set_content(PARENT.replace("__SRC__", html.escape(url)))
    frame = page.frame_locator("#pay")
    root = frame.get_by_test_id("pay-root")
    await frame.locator('[data-testid="pay-root"][data-ready="true"]').wait_for(timeout=10_000)
    return page, frame, root


async def _wait_status(frame, status: int) -> None:
    await frame.locator(f'[data-testid="pay-root"][data-status="{status}"]').wait_for(timeout=10_000)


async def _events(page) -> list[dict]:
    return await page.evaluate("window.__events")


async def test_payment_through_the_pay_page_reaches_the_receiver(sandbox, receiver, browser):
    """Open → "I have paid" → confirmation: the receiver gets the table's keys and types, and the page shows 4."""
    await point_at(sandbox, receiver)
    link = await create_link(sandbox)
    email, reference = "payer+1@example.com", "주문 #42/a&b"
    url = f"{link['url']}?email={quote(email)}&clientReferenceId={quote(reference)}"
    page, frame, root = await _embed(browser, url)
    await _wait_status(frame, 0)
    assert await frame.get_by_test_id("pay-address").text_content() == link["receiveWalletAddress"]
    assert await frame.get_by_test_id("pay-reference").text_content() == reference
    payment_id = int(await root.get_attribute("data-payment-id"))

    await frame.get_by_test_id("pay-mark-paid").click()
    await _wait_status(frame, 1)
    assert receiver.requests == [], "marking paid is not confirmation"
    await sandbox.advance(10)
    [hit] = await receiver.wait_for(1)
    body = json.loads(hit["raw"])
    assert table_mismatches(body) == [] and list(body) == FIELD_NAMES
    assert contract_issues("mizu", "webhooks", "payment-intent-successed", body) == []
    assert body["id"] == payment_id and body["paymentLinkId"] == link["id"] and body["status"] == 4
    assert body["emailParam"] == email and body["clientReferenceIdParam"] == reference
    assert body["payAmount"] == link["amount"] and body["chain"] == link["chain"]

    await _wait_status(frame, 4)
    assert await frame.get_by_test_id("pay-tx").text_content() == body["transactionHash"]
    assert await frame.get_by_test_id("pay-mark-paid").is_disabled()
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "mizu-pay-confirmed.png"))
    events = await _events(page)
    assert [e["type"] for e in events] == ["payReady", "paymentMarkedPaid", "paymentConfirmed"]
    assert [e["status"] for e in events] == [0, 1, 4]
    for event in events:
        assert contract_issues("mizu", "browser", "pay-event", event) == []
        assert event["paymentId"] == payment_id and event["paymentLinkId"] == link["id"]
    await page.close()


async def test_let_it_time_out_in_the_page_sends_no_webhook(sandbox, receiver, browser):
    """The "Let it time out" button shows status 2, posts paymentTimeout and no webhook ever follows."""
    await point_at(sandbox, receiver)
    link = await create_link(sandbox)
    page, frame, root = await _embed(browser, link["url"])
    await _wait_status(frame, 0)
    await frame.get_by_test_id("pay-timeout").click()
    await _wait_status(frame, 2)
    payment_id = int(await root.get_attribute("data-payment-id"))
    await sandbox.advance(3600)
    assert receiver.requests == [] and await mizu_events(sandbox) == []
    payment = await get_payment(sandbox, payment_id)
    assert payment["status"] == 2 and payment["emailParam"] == "" and payment["clientReferenceIdParam"] == ""
    events = await _events(page)
    assert [e["type"] for e in events] == ["payReady", "paymentTimeout"]
    assert all(contract_issues("mizu", "browser", "pay-event", e) == [] for e in events)
    await page.close()


async def test_page_follows_server_side_changes_and_records_its_events(sandbox, browser):
    """A timeout driven by the sandbox clock reaches the open page, and its browser events land in the timeline."""
    link = await create_link(sandbox, **{"X-Sandbox-Scenario": "payin-expired"})
    page, frame, root = await _embed(browser, link["url"] + "?email=a%40b.co")
    await _wait_status(frame, 0)
    payment_id = await root.get_attribute("data-payment-id")
    await sandbox.advance(60)
    await _wait_status(frame, 2)
    assert await frame.get_by_test_id("pay-timeout").is_disabled()
    for _ in range(50):  # the page reports its events fire-and-forget; give them a moment to land
        timeline = (await sandbox.control("GET", f"/intents/mizu/{payment_id}/timeline"))["timeline"]
        seen = [e["event"]["type"] for e in timeline if e["kind"] == "browser_event"]
        if len(seen) == 2:
            break
        await page.wait_for_timeout(100)
    assert seen == ["payReady", "paymentTimeout"]
    await page.close()


async def test_reload_keeps_the_same_payment(sandbox, browser):
    """Reloading the pay page in the same tab shows the payment it opened, not a new one."""
    link = await create_link(sandbox)
    page = await browser.new_page()
    await page.goto(link["url"] + "?clientReferenceId=r-1")
    root = page.get_by_test_id("pay-root")
    await page.locator('[data-testid="pay-root"][data-status="0"]').wait_for(timeout=10_000)
    first = await root.get_attribute("data-payment-id")
    await page.get_by_test_id("pay-mark-paid").click()
    await page.locator('[data-testid="pay-root"][data-status="1"]').wait_for(timeout=10_000)
    await page.reload()
    await page.locator('[data-testid="pay-root"][data-status="1"]').wait_for(timeout=10_000)
    assert await root.get_attribute("data-payment-id") == first
    listed = (await sandbox.control("GET", "/intents?provider=mizu"))["data"]
    assert len(listed) == 2, "one link and one payment"
    await page.close()


async def test_inspector_resend_delivers_the_same_body_after_a_failure(sandbox, receiver, browser):
    """Mizu's dashboard resend, in the inspector: after a failed attempt, Resend sends identical bytes once more."""
    await point_at(sandbox, receiver)
    receiver.script = [500]
    link = await create_link(sandbox)
    page, frame, root = await _embed(browser, link["url"] + "?clientReferenceId=insp-1")
    await _wait_status(frame, 0)
    await frame.get_by_test_id("pay-mark-paid").click()
    await _wait_status(frame, 1)
    payment_id = await root.get_attribute("data-payment-id")
    await sandbox.advance(10)
    [first] = await receiver.wait_for(1)
    await sandbox.advance(24 * 3600)
    assert len(receiver.requests) == 1, "no retry"

    await page.goto(f"{sandbox.base_url}/_sandbox/ui/#mizu/{payment_id}")
    attempts = page.locator('[data-testid="timeline-entry"][data-kind="attempt"]')
    await attempts.first.wait_for(timeout=10_000)
    assert await attempts.count() == 1
    await page.get_by_test_id("resend").click()
    await sandbox.settle()
    first, second = await receiver.wait_for(2)
    assert second["raw"] == first["raw"] and json.loads(second["raw"])["id"] == int(payment_id)
    await page.locator('[data-testid="timeline-entry"][data-kind="attempt"][data-trigger="manual"]').wait_for(
        timeout=10_000)
    await page.screenshot(path=str(ARTIFACTS / "mizu-inspector-resend.png"))
    await page.close()
