"""The ROZO, Inqud and Mizu simulator pages in Chromium: create, pay on the embedded hosted page, verified receipt."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest
from playwright.async_api import expect

from tests.browser.partner_support import (
    UI_TIMEOUT_MS,
    expect_state,
    layout_problems,
    open_page,
    screenshot,
    wait_ready,
)

pytestmark = pytest.mark.browser


def hosted(page):
    return page.frame_locator('[data-testid="hosted-frame"]')


@asynccontextmanager
async def started_run(browser, sandbox, provider: str, rehearsal: str = ""):
    """The provider's simulator page with one payment created through its demo proxy: (opened, object id)."""
    async with open_page(browser, sandbox, f"/partner/{provider}") as opened:
        page = opened.page
        await wait_ready(page)
        if rehearsal:
            await page.get_by_test_id("webhook-scenario").select_option(rehearsal)
        await page.get_by_test_id("create").click()
        await expect(page.get_by_test_id("step-api")).to_have_attribute("data-state", "done", timeout=UI_TIMEOUT_MS)
        await expect_state(page, "polling_webhook")
        yield opened, await page.get_by_test_id("response-object-id").inner_text()
        assert opened.errors == []


async def send_rozo_payin(sandbox, page) -> None:
    """"Send payin" on the embedded ROZO pay page, then let the payin confirm on the sandbox clock."""
    await hosted(page).get_by_test_id("send-payin").click()
    await expect(page.get_by_test_id("browser-event").first).to_have_attribute("data-type", "paymentStarted")
    await sandbox.advance(2)


async def finish(page, name: str, signature: str) -> None:
    await expect_state(page, "webhook_observed")
    await expect(page.get_by_test_id("webhook-panel")).to_have_attribute("data-state", "observed")
    await expect(page.get_by_test_id("step-webhook")).to_have_attribute("data-state", "done")
    receipt = page.get_by_test_id("receipt").first
    await expect(receipt.get_by_test_id("receipt-signature")).to_have_text(signature)
    assert await layout_problems(page) == []
    await screenshot(page, f"partner-{name}-delivered-1280")


async def test_rozo_page_completes_with_a_verified_receipt(sandbox, browser):
    """ROZO: the demo proxy creates a payment, "Send payin" on the pay page, a signed webhook is read back."""
    async with started_run(browser, sandbox, "rozo") as (opened, payment_id):
        await send_rozo_payin(sandbox, opened.page)
        await sandbox.advance(5)  # the payout settles
        await finish(opened.page, "rozo", "signature valid")
        _, receipts, _ = await sandbox.request("GET", f"/api/webhooks/rozo/events?intent_id={payment_id}")
        assert receipts["data"] and all(r["signature_valid"] for r in receipts["data"])


async def test_inqud_page_completes_with_a_verified_receipt(sandbox, browser):
    """Inqud: a checkout through the proxy, paid in the embedded checkout, its SUCCESS webhook verified."""
    async with started_run(browser, sandbox, "inqud") as (opened, checkout_id):
        page = opened.page
        assert checkout_id.startswith("CCO-")
        frame = hosted(page)
        await frame.get_by_test_id("continue").click()
        await frame.get_by_test_id("pay").click()
        await expect(frame.get_by_test_id("pending")).to_be_visible()
        await sandbox.advance(5)
        await expect(page.get_by_test_id("receipt").filter(has_text="checkout.SUCCESS")).to_have_count(1, timeout=UI_TIMEOUT_MS)
        await finish(page, "inqud", "signature valid")


async def test_mizu_page_completes_with_its_unsigned_receipt(sandbox, browser):
    """Mizu: a payment link through the proxy, "I have paid", confirmation on the sandbox clock, receipt read back."""
    async with started_run(browser, sandbox, "mizu") as (opened, _):
        frame = hosted(opened.page)
        await frame.get_by_test_id("pay-mark-paid").click()
        await expect(frame.get_by_test_id("pay-root")).to_have_attribute("data-status", "1")
        await sandbox.advance(60)
        await finish(opened.page, "mizu", "unsigned")


async def test_bad_signature_rehearsal_on_rozo_concludes(sandbox, browser):
    """A ROZO run with webhook-bad-signature ends once its unverified receipt is read back: rejected as it should be."""
    async with started_run(browser, sandbox, "rozo", "webhook-bad-signature") as (opened, _):
        page = opened.page
        await send_rozo_payin(sandbox, page)
        await expect(page.get_by_test_id("webhook-panel")).to_have_attribute("data-state", "rejected",
                                                                             timeout=UI_TIMEOUT_MS)
        await expect(page.get_by_test_id("webhook-message")).to_contain_text("Rejected as it should be")
        await expect_state(page, "webhook_observed")


async def test_an_upstream_refusal_is_shown_in_the_response_proof(sandbox, browser):
    """An amount Inqud refuses comes back as the provider's own error in the response panel, state error."""
    async with open_page(browser, sandbox, "/partner/inqud") as opened:
        page = opened.page
        await wait_ready(page)
        await page.get_by_test_id("field-amount").fill("lots")
        await page.get_by_test_id("create").click()
        await expect_state(page, "error")
        await expect(page.get_by_test_id("response-error")).to_contain_text("Upstream error")
        await expect(page.get_by_test_id("response-badge")).to_have_text("HTTP 400")
        # the proxy's 400 answer is logged by the browser; nothing else
        assert all("400" in e for e in opened.errors), opened.errors
