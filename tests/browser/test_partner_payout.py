"""The PAYOUT simulator page (seed 001) in Chromium: VERIFIED, a failed preflight and CLAIM_REJECTED."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.partner_support import (
    UI_TIMEOUT_MS,
    create_and_open_widget,
    expect_state,
    expect_step,
    open_advanced,
    open_page,
    screenshot,
    visible_text,
    wait_ready,
    widget,
)

pytestmark = pytest.mark.browser

PAGE = "/partner/liqx/payout"

SEED_LINES = [
    "Ready to create a PAYOUT intent demo run.",
    "Partner CRM simulator", "PAYOUT intent proof",
    "Create one PAYOUT reservation, read the LIQX response as local proof, then wait for the durable webhook "
    "receipt before calling the flow delivered.",
    "Request sent", "Draft is ready in the request form.",
    "API accepted", "Create a PAYOUT reservation to collect API proof.",
    "Widget session", "Widget opens after LIQX accepts the reservation.",
    "Webhook delivered", "No durable receipt context has been created yet.",
    "Request contract", "Values below are sent to the local demo proxy, not directly to LIQX.",
    "CLAIM READY", "Request summary", "Partner to LIQX payload preview without raw JSON.", "draft ready",
    "scenario", "Claim-ready reservation", "server-generated if blank", "seeded mapped user fallback",
    "jane@example.com", "https://demo.dev.liqx.io/payouts/demo", "expected webhook", "transaction.completed",
    "Response proof", "LIQX response proof is local evidence. Webhook delivery is proven separately.", "not sent",
    "Create a PAYOUT reservation to receive an intent_id, status, and widget session from LIQX.",
    "Webhook proof summary", "Only a durable receipt match proves LIQX delivered the callback.", "not observed yet",
    "Create a PAYOUT reservation or open Advanced diagnostics to look up a persisted receipt from a previous run.",
    "PAYOUT widget",
    "The demo proxy creates a PAYOUT intent, exchanges it for a widget session, then embeds the payout widget "
    "automatically. PAYOUT_REJECTED is the browser event that maps to the SDK onPayoutRejected callback; durable "
    "failure proof remains transaction.failed or transaction.expired in webhook receipts.",
    "Create a PAYOUT reservation to open the widget automatically. If LIQX fails reservation preflight or the intent "
    "expires, the upstream error appears here.",
    "Advanced diagnostics: scenarios, raw API, filters, and state machine",
    "Choose a scenario",
    "Uses the seeded mapped user with KYC, bank account, broker policy, and merchant capacity prerequisites in "
    "place. Create returns a reserved intent; completion proof arrives later as transaction.completed with "
    "phase=PAYOUT.",
    "Request contract preview", "Raw proxy payload generated from the visible request form.",
    "Local API result", "No PAYOUT intent has been created in this run.",
    "Webhook receipt proof",
    "Reading durable /api/webhooks/liqx/events receipts every 3s with the same history filters as PAYIN.",
    "0 rows",
    "Create a PAYOUT reservation or use the filters below to retrieve persisted webhook proof from a previous "
    "completion, reservation failure, or expiry scenario. API terminal state alone is not the completion proof; "
    "the matching webhook row is.",
    "History filters", "Bounded durable read: limit=20",
    "No durable webhook rows matched the current proof or history filters yet.",
    "idle", "creating", "created_or_terminal", "polling_webhook", "webhook_observed", "error",
]

SEED_PREVIEW = """{
  "scenario": "VERIFIED",
  "external_ref": "server-generated if blank",
  "external_user_id": "seeded mapped user fallback",
  "legal_name": "홍길동",
  "user_email": "jane@example.com",
  "return_url": "https://demo.dev.liqx.io/payouts/demo",
  "amount_krw": "100000",
  "amount_usdt": "75.000000"
}"""


async def test_page_shows_the_seed_text_and_preview(sandbox, browser):
    """Every line of seed 001 is on the page, and the raw proxy payload preview is the seed's, verbatim."""
    async with open_page(browser, sandbox, PAGE) as opened:
        page = opened.page
        await wait_ready(page)
        await open_advanced(page)
        text = await visible_text(page)
        assert [line for line in SEED_LINES if line not in text] == []
        assert await page.get_by_test_id("payload-preview").inner_text() == SEED_PREVIEW
        await expect(page.get_by_test_id("scenario-VERIFIED")).to_be_checked()
        await page.get_by_test_id("scenario-EXPIRES").check()
        await expect(page.get_by_test_id("summary-expected")).to_have_text("transaction.expired")
        await expect(page.get_by_test_id("scenario-badge")).to_have_text("EXPIRES")
        assert opened.errors == []


async def test_payout_verified_reaches_a_completed_receipt(sandbox, browser):
    """VERIFIED: claim in the widget, settle 5 sandbox seconds, read transaction.completed with phase PAYOUT."""
    async with open_page(browser, sandbox, PAGE) as opened:
        page = opened.page
        await wait_ready(page)
        intent_id = await create_and_open_widget(page)
        await expect(page.get_by_test_id("response-status")).to_have_text("RESERVED")
        await widget(page).get_by_test_id("widget-claim").click()
        await expect_step(page, "widget", "done")
        await expect(page.get_by_test_id("widget-badge")).to_have_text("PAYOUT_CLAIMED")
        await expect_state(page, "polling_webhook")
        await sandbox.advance(5)  # PROCESSING → COMPLETED after the settlement delay
        await expect_state(page, "webhook_observed")
        await expect(page.get_by_test_id("receipt-type")).to_have_text("transaction.completed")
        await expect(page.get_by_test_id("receipt-phase")).to_have_text("PAYOUT")
        await expect(page.get_by_test_id("receipt-status")).to_have_text("COMPLETED")
        await expect(page.get_by_test_id("receipt-intent-id")).to_have_text(intent_id)
        await expect_step(page, "webhook", "done")
        await screenshot(page, "payout-verified-delivered-1280")
        assert opened.errors == []


async def test_preflight_failure_shows_upstream_error_and_failure_receipt_in_history(sandbox, browser):
    """KYC_REQUIRED: the 422 is in the response summary and transaction.failed is found through the filters."""
    async with open_page(browser, sandbox, PAGE) as opened:
        page = opened.page
        await wait_ready(page)
        await open_advanced(page)
        await page.get_by_test_id("scenario-KYC_REQUIRED").check()
        await expect(page.get_by_test_id("summary-expected")).to_have_text("transaction.failed")
        await page.get_by_test_id("create").click()
        error = page.get_by_test_id("response-error")
        await expect(error).to_contain_text("HTTP 422", timeout=UI_TIMEOUT_MS)
        await expect(error).to_contain_text("RESERVATION_PREFLIGHT_FAILED")
        await expect(error).to_contain_text("KYC_REQUIRED")
        await expect(page.get_by_test_id("response-badge")).to_have_text("422 RESERVATION_PREFLIGHT_FAILED")
        await expect(page.get_by_test_id("response-status")).to_have_text("FAILED")
        await expect_step(page, "api", "failed")
        await expect(page.get_by_test_id("widget-error")).to_contain_text("RESERVATION_PREFLIGHT_FAILED")
        intent_id = await page.get_by_test_id("response-intent-id").inner_text()
        await expect_state(page, "webhook_observed")
        await expect(page.get_by_test_id("state-history")).to_have_text(
            "idle → creating → created_or_terminal → polling_webhook → webhook_observed")
        await expect(page.get_by_test_id("receipt-type")).to_have_text("transaction.failed")
        # The failure receipt through the history filters, as a later visitor would look it up.
        await page.get_by_test_id("filter-type").select_option("transaction.failed")
        await page.get_by_test_id("filter-intent-id").fill(intent_id)
        await page.get_by_test_id("filter-limit").fill("5")
        await page.get_by_test_id("history-apply").click()
        await expect(page.get_by_test_id("history-bound")).to_have_text("Bounded durable read: limit=5")
        rows = page.get_by_test_id("history-row")
        await expect(rows).to_have_count(1, timeout=UI_TIMEOUT_MS)
        await expect(rows.first).to_have_attribute("data-type", "transaction.failed")
        await expect(rows.first.get_by_test_id("history-row-intent-id")).to_have_text(intent_id)
        await page.get_by_test_id("filter-type").select_option("transaction.completed")
        await page.get_by_test_id("history-apply").click()
        await expect(rows).to_have_count(0, timeout=UI_TIMEOUT_MS)
        await expect(page.get_by_test_id("history-empty")).to_be_visible()
        await screenshot(page, "payout-preflight-failed-1280")
        # the browser logs the proxy's 422 answer as a console error; nothing else
        assert all("422" in e for e in opened.errors), opened.errors


async def test_history_filters_report_a_bad_since(sandbox, browser):
    """A since that is not ISO 8601 shows the receiver's 400 next to the filters."""
    async with open_page(browser, sandbox, PAGE) as opened:
        page = opened.page
        await wait_ready(page)
        await open_advanced(page)
        await page.get_by_test_id("filter-since").fill("yesterday")
        await page.get_by_test_id("history-apply").click()
        await expect(page.get_by_test_id("history-error")).to_contain_text("since", timeout=UI_TIMEOUT_MS)


async def test_claim_rejected_shows_payout_rejected_and_the_failure_receipt(sandbox, browser):
    """CLAIM_REJECTED: the widget reports PAYOUT_REJECTED locally; transaction.failed is the durable proof."""
    async with open_page(browser, sandbox, PAGE) as opened:
        page = opened.page
        await wait_ready(page)
        await open_advanced(page)
        await page.get_by_test_id("scenario-CLAIM_REJECTED").check()
        intent_id = await create_and_open_widget(page)
        await widget(page).get_by_test_id("widget-claim").click()
        await expect_step(page, "widget", "failed")
        await expect(page.get_by_test_id("step-widget-detail")).to_contain_text("PAYOUT_REJECTED")
        await expect(page.get_by_test_id("widget-badge")).to_have_text("PAYOUT_REJECTED")
        await expect(page.locator('[data-testid="browser-event"][data-type="PAYOUT_REJECTED"]')).to_have_count(1)
        await expect_state(page, "webhook_observed")
        await expect(page.get_by_test_id("receipt-type")).to_have_text("transaction.failed")
        await expect(page.get_by_test_id("receipt-failure-reason")).to_have_text("CLAIM_REJECTED")
        await expect(page.get_by_test_id("receipt-intent-id")).to_have_text(intent_id)
        await expect(page.get_by_test_id("response-api-status")).to_contain_text("FAILED")
        await screenshot(page, "payout-claim-rejected-1280")
        assert opened.errors == []
