"""The PAYIN simulator page (seed 000) in Chromium: from page load to the durable webhook receipt."""

from __future__ import annotations

import json
import re

import pytest
from playwright.async_api import expect

from tests.browser.partner_support import (
    UI_TIMEOUT_MS,
    choose_webhook_scenario,
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
from tests.partner.liqx_signing import liqx_headers

pytestmark = pytest.mark.browser

PAGE = "/partner/liqx/payin"

SEED_LINES = [
    "Partner CRM simulator",
    "Send one PAYIN request, confirm LIQX accepted it, then compare the local widget result with the durable "
    "webhook receipt.",
    "Request sent", "Draft is ready in the request form.",
    "API accepted", "Waiting for the create action.",
    "Widget completed", "Widget opens after LIQX accepts the intent.",
    "Webhook delivered", "Waiting for a durable receipt match.",
    "Edit the partner fields sent through the local demo proxy.",
    "Request summary", "Partner to LIQX payload preview without raw JSON.",
    "LIQX response and widget-session bootstrap stay separate from webhook delivery.",
    "Create the PAYIN intent to receive an intent_id and widget session.",
    "Only a durable receipt match marks delivery complete.",
    "Create a PAYIN intent or open Advanced diagnostics to look up a persisted receipt from a previous run.",
    "The widget opens after the API response. Its local terminal result is not durable webhook proof.",
    "Create a PAYIN intent to open the widget automatically. Upstream proxy errors appear in the response summary.",
    "This route demonstrates the verified PAYIN intent-bound widget session path.",
    "The PAYIN demo uses one verified path. Drive the widget to observe PAYIN_COMPLETED or PAYIN_REJECTED messages "
    "and matching LIQX webhooks.",
    "Proxy payload generated from the visible request form.",
    "Full session envelope returned by the demo proxy.",
    "No PAYIN intent widget session has been created in this run.",
    "Polling durable /api/webhooks/liqx/events reads every 3s. Current-run proof uses intent_id first, then "
    "external_ref fallback, and only completes when the durable webhook receipt is read back.",
    "History filters", "Bounded durable read: limit=20",
    "No durable webhook rows matched the current proof or history filters yet.",
    "idle", "creating", "created_or_terminal", "polling_webhook", "webhook_observed", "error",
]


async def test_page_shows_the_seed_text_and_defaults(sandbox, browser):
    """Every line of seed 000 is on the page, and the form holds the seed's default values."""
    async with open_page(browser, sandbox, PAGE) as opened:
        page = opened.page
        await wait_ready(page)
        await open_advanced(page)
        text = await visible_text(page)
        missing = [line for line in SEED_LINES if line not in text]
        assert missing == []
        assert re.fullmatch(r"demo-\d{13}", await page.get_by_test_id("field-external_ref").input_value())
        assert await page.get_by_test_id("field-external_user_id").input_value() == "partner-user-001"
        assert await page.get_by_test_id("field-depositor_name").input_value() == "홍길동"
        assert await page.get_by_test_id("summary-amount").inner_text() == "100000 KRW, 75.50 USDT"
        preview = await page.get_by_test_id("payload-preview").inner_text()
        assert '"depositor_name": "홍길동"' in preview and '"widget_type": "PAYIN"' in preview
        assert '"return_url": "https://partner.example.com/orders/demo"' in preview
        assert "{" not in await page.get_by_test_id("request-summary").inner_text(), "the summary has no raw JSON"
        assert opened.errors == []


async def test_payin_from_page_load_to_webhook_delivered(sandbox, browser):
    """Fill nothing, create, deposit in the embedded widget, and read the matched receipt on the page."""
    async with open_page(browser, sandbox, PAGE) as opened:
        page = opened.page
        await wait_ready(page)
        ref = await page.get_by_test_id("field-external_ref").input_value()
        intent_id = await create_and_open_widget(page)
        assert intent_id.startswith("lqi_")
        await expect_step(page, "request", "done")
        await expect(page.get_by_test_id("response-badge")).to_have_text("201 accepted")
        await expect(page.get_by_test_id("response-status")).to_have_text("CREATED")
        await expect(page.get_by_test_id("step-widget")).to_have_attribute("data-state", "active")
        await expect_state(page, "polling_webhook")
        await widget(page).get_by_test_id("widget-deposit").click()
        await expect_step(page, "widget", "done")
        await expect(page.get_by_test_id("step-widget-detail")).to_contain_text("PAYIN_COMPLETED")
        await expect_state(page, "webhook_observed")
        await expect_step(page, "webhook", "done")
        await expect(page.get_by_test_id("step-webhook-detail")).to_contain_text("Webhook delivered")
        await expect(page.get_by_test_id("receipt-type")).to_have_text("transaction.completed")
        await expect(page.get_by_test_id("receipt-phase")).to_have_text("PAYIN")
        await expect(page.get_by_test_id("receipt-intent-id")).to_have_text(intent_id)
        await expect(page.get_by_test_id("receipt-external-ref")).to_have_text(ref)
        await expect(page.get_by_test_id("receipt-matched-by")).to_have_text("intent_id")
        await expect(page.get_by_test_id("receipt-signature")).to_have_text("valid")
        await expect(page.get_by_test_id("response-api-status")).to_contain_text("COMPLETED")
        await open_advanced(page)
        await expect(page.get_by_test_id("state-history")).to_have_text(
            "idle → creating → created_or_terminal → polling_webhook → webhook_observed")
        assert "lqst_" in await page.get_by_test_id("session-envelope").inner_text()
        assert sandbox.key("liqx") not in await page.content()
        await screenshot(page, "payin-webhook-delivered-1280")
        assert opened.errors == []
    _, receipts, _ = await sandbox.request("GET", f"/api/webhooks/liqx/events?intent_id={intent_id}")
    assert [r["type"] for r in receipts["data"]] == ["transaction.completed"]


async def test_webhook_missed_keeps_polling_without_a_receipt(sandbox, browser):
    """With webhook-missed the page stays in polling_webhook and says no durable receipt matched."""
    async with open_page(browser, sandbox, PAGE) as opened:
        page = opened.page
        await wait_ready(page)
        await choose_webhook_scenario(page, "webhook-missed")
        await expect(page.get_by_test_id("summary-webhook-scenario")).to_have_text("webhook-missed")
        intent_id = await create_and_open_widget(page)
        await widget(page).get_by_test_id("widget-deposit").click()
        await expect_step(page, "widget", "done")
        deliveries = await sandbox.control("GET", f"/deliveries?intent_id={intent_id}")
        assert [d["status"] for d in deliveries["data"]] == ["dropped"]
        message = page.get_by_test_id("webhook-message")
        reads_before = int(re.search(r"read (\d+)", await message.inner_text()).group(1))
        await expect(message).to_contain_text(f"read {reads_before + 1} ", timeout=UI_TIMEOUT_MS)
        await expect(message).to_contain_text(f"No durable receipt matched intent_id {intent_id}")
        assert await page.get_by_test_id("simulator").get_attribute("data-state") == "polling_webhook"
        await expect(page.get_by_test_id("step-webhook")).to_have_attribute("data-state", "active")
        await expect(page.get_by_test_id("webhook-receipt")).to_be_hidden()
        await screenshot(page, "payin-webhook-missed-1280")
        assert opened.errors == []


async def test_webhook_duplicate_shows_one_receipt_with_its_duplicate_count(sandbox, browser):
    """With webhook-duplicate three deliveries arrive and the page shows one receipt counting two duplicates."""
    async with open_page(browser, sandbox, PAGE) as opened:
        page = opened.page
        await wait_ready(page)
        await choose_webhook_scenario(page, "webhook-duplicate")
        await create_and_open_widget(page)
        await widget(page).get_by_test_id("widget-deposit").click()
        await expect_state(page, "webhook_observed")
        await sandbox.advance(2)  # the two copies are due 1 s and 2 s after the first delivery
        await expect(page.get_by_test_id("receipt-duplicates")).to_have_text("2", timeout=UI_TIMEOUT_MS)
        await expect(page.get_by_test_id("receipt-deliveries")).to_have_text("3 deliveries · 2 duplicates")
        await expect(page.get_by_test_id("history-row")).to_have_count(1)
        await expect(page.get_by_test_id("history-row-deliveries")).to_have_text("3 deliveries · 2 duplicates")
        await expect(page.get_by_test_id("receipt-rows")).to_have_text("1 row")
        assert opened.errors == []


async def test_injected_api_error_shows_in_the_response_summary(sandbox, browser):
    """An api_error fault on create puts HTTP 503 in the response summary and the page in error."""
    await sandbox.control("POST", "/faults", {"provider": "liqx", "action": "api_error", "params": {"status": 503},
                                              "match": {"method": "POST", "path": "/liqx/v1/payin-intents"}})
    async with open_page(browser, sandbox, PAGE) as opened:
        page = opened.page
        await wait_ready(page)
        await page.get_by_test_id("create").click()
        await expect_state(page, "error")
        await expect(page.get_by_test_id("response-error")).to_contain_text("HTTP 503")
        await expect(page.get_by_test_id("response-error")).to_contain_text("injected fault")
        await expect(page.get_by_test_id("response-summary-line")).to_contain_text("Upstream error while creating")
        await expect_step(page, "api", "failed")
        await expect(page.get_by_test_id("widget-error")).to_contain_text("HTTP 503")
        await expect(page.locator('[data-testid="liqx-widget-frame"]')).to_have_count(0)
        await open_advanced(page)
        await expect(page.get_by_test_id("state-history")).to_have_text("idle → creating → error")
        # the browser logs the failed proxy call (HTTP 503) as a console error; nothing else
        assert all("503" in e for e in opened.errors), opened.errors


async def test_new_run_resets_the_page_with_a_fresh_reference(sandbox, browser):
    """After a run, "Start a new run" returns to idle with a new external_ref and empty proof panels."""
    async with open_page(browser, sandbox, PAGE) as opened:
        page = opened.page
        await wait_ready(page)
        first = await page.get_by_test_id("field-external_ref").input_value()
        await create_and_open_widget(page)
        await expect(page.get_by_test_id("create")).to_be_disabled()
        await page.get_by_test_id("new-run").click()
        await expect_state(page, "idle")
        await expect(page.get_by_test_id("create")).to_be_enabled()
        assert await page.get_by_test_id("field-external_ref").input_value() != first
        await expect(page.get_by_test_id("response-empty")).to_be_visible()
        await expect(page.locator('[data-testid="liqx-widget-frame"]')).to_have_count(0)
        await expect(page.get_by_test_id("step-api-detail")).to_have_text("Waiting for the create action.")
        assert opened.errors == []


async def test_external_ref_fallback_matches_a_receipt_without_the_intent_id(sandbox, browser):
    """When no receipt carries the run's intent_id, a signed receipt with its external_ref completes the proof."""
    async with open_page(browser, sandbox, PAGE) as opened:
        page = opened.page
        await wait_ready(page)
        await choose_webhook_scenario(page, "webhook-missed")  # the real webhook never arrives
        ref = await page.get_by_test_id("field-external_ref").input_value()
        await create_and_open_widget(page)
        body = {"event_id": "evt_by_ref", "type": "transaction.completed", "created_at": "2026-11-22T09:00:00.000Z",
                "data": {"intent_id": "lqi_reissued", "external_ref": ref, "external_user_id": "partner-user-001",
                         "phase": "PAYIN", "status": "COMPLETED", "amount_krw": "100000", "amount_usdt": "75.50",
                         "failure_reason": None, "completed_at": "2026-11-22T09:00:00.000Z"}}
        raw = json.dumps(body).encode()
        secret = (await sandbox.control("GET", "/endpoints/liqx"))["secret"]
        status, _, _ = await sandbox.request("POST", "/api/webhooks/liqx", data=raw,
                                             headers=liqx_headers(secret, raw, event_id="evt_by_ref"))
        assert status == 200
        await expect_state(page, "webhook_observed")
        await expect(page.get_by_test_id("receipt-matched-by")).to_have_text("external_ref")
        await expect(page.get_by_test_id("receipt-event-id")).to_have_text("evt_by_ref")
        assert opened.errors == []


async def deposit(page, rehearsal: str = "") -> None:
    """Create a PAYIN (with a webhook rehearsal when given) and press "Simulate deposit" in the widget."""
    await wait_ready(page)
    if rehearsal:
        await choose_webhook_scenario(page, rehearsal)
    await create_and_open_widget(page)
    await widget(page).get_by_test_id("widget-deposit").click()
    await expect_step(page, "widget", "done")


async def test_bad_signature_rehearsal_concludes_rejected_as_it_should_be(sandbox, browser):
    """With webhook-bad-signature, reading back the unverified receipt ends the run: rejected as it should be."""
    async with open_page(browser, sandbox, PAGE) as opened:
        page = opened.page
        await deposit(page, "webhook-bad-signature")
        await expect(page.get_by_test_id("webhook-panel")).to_have_attribute("data-state", "rejected",
                                                                             timeout=UI_TIMEOUT_MS)
        await expect(page.get_by_test_id("receipt-signature")).to_have_text("INVALID")
        await expect(page.get_by_test_id("webhook-message")).to_contain_text("Rejected as it should be")
        await expect(page.get_by_test_id("webhook-badge")).to_have_text("rejected as it should be")
        await expect_state(page, "webhook_observed")
        await expect(page.get_by_test_id("step-webhook")).to_have_attribute("data-state", "done")
        await screenshot(page, "payin-bad-signature-rehearsal-1280")
        assert opened.errors == []


async def test_a_badly_signed_receipt_outside_a_rehearsal_is_not_proof(sandbox, browser):
    """A receipt whose signature fails, when no rehearsal asked for it, is shown as invalid and polling goes on."""
    async with open_page(browser, sandbox, PAGE) as opened:
        page = opened.page
        await wait_ready(page)
        await choose_webhook_scenario(page, "webhook-missed")  # only the forged receipt below arrives
        intent_id = await create_and_open_widget(page)
        body = {"event_id": "evt_forged", "type": "transaction.completed", "created_at": "2026-11-22T09:00:00.000Z",
                "data": {"intent_id": intent_id, "external_ref": "x", "external_user_id": "partner-user-001",
                         "phase": "PAYIN", "status": "COMPLETED", "amount_krw": "100000", "amount_usdt": "75.50",
                         "failure_reason": None, "completed_at": "2026-11-22T09:00:00.000Z"}}
        raw = json.dumps(body).encode()
        status, _, _ = await sandbox.request("POST", "/api/webhooks/liqx", data=raw,
                                             headers=liqx_headers("not-the-secret", raw, event_id="evt_forged"))
        assert status == 200
        await expect(page.get_by_test_id("webhook-panel")).to_have_attribute("data-state", "unverified",
                                                                             timeout=UI_TIMEOUT_MS)
        await expect(page.get_by_test_id("receipt-signature")).to_have_text("INVALID")
        await expect(page.get_by_test_id("webhook-message")).to_contain_text("not proof")
        assert await page.get_by_test_id("simulator").get_attribute("data-state") == "polling_webhook"
        await expect(page.get_by_test_id("step-webhook")).to_have_attribute("data-state", "active")
        assert opened.errors == []


async def test_silence_after_thirty_seconds_is_explained(sandbox, browser):
    """With the endpoint pointed elsewhere and no receipt after 30 s, the proof panel says so and names the URL."""
    elsewhere = "http://127.0.0.1:9/partner-hooks"
    await sandbox.control("PUT", "/endpoints/liqx", {"url": elsewhere, "secret": "whsec_elsewhere"})
    async with open_page(browser, sandbox, PAGE, fake_clock=True) as opened:
        page = opened.page
        await deposit(page)
        overdue = page.get_by_test_id("webhook-overdue")
        await expect(overdue).to_be_hidden()
        await page.clock.fast_forward(31_000)  # the page's own wait, in browser time; the server is not involved
        await expect(overdue).to_be_visible(timeout=UI_TIMEOUT_MS)
        await expect(page.get_by_test_id("webhook-overdue-title")).to_contain_text("No webhook has arrived after")
        await expect(overdue).to_contain_text(f"points elsewhere: {elsewhere}")
        await expect(overdue).to_contain_text("/_sandbox/config")
        await expect(page.get_by_test_id("webhook-badge")).to_contain_text("no webhook after")
        assert await page.get_by_test_id("simulator").get_attribute("data-state") == "polling_webhook"
        await screenshot(page, "payin-webhook-overdue-1280")
        assert opened.errors == []


async def test_missed_rehearsal_explains_that_silence_is_the_point(sandbox, browser):
    """With webhook-missed, after 30 s the page says the rehearsal drops every webhook, as intended."""
    async with open_page(browser, sandbox, PAGE, fake_clock=True) as opened:
        page = opened.page
        await deposit(page, "webhook-missed")
        await page.clock.fast_forward(31_000)
        overdue = page.get_by_test_id("webhook-overdue")
        await expect(overdue).to_contain_text("webhook-missed rehearsal drops every webhook", timeout=UI_TIMEOUT_MS)
        await expect(overdue).to_contain_text("built-in receiver")
        assert opened.errors == []
