"""The inspector (SPEC §9) in Chromium: intents across providers, one timeline per intent, resend and force."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.partner_support import (
    UI_TIMEOUT_MS,
    create_and_open_widget,
    expect_state,
    open_page,
    screenshot,
    wait_ready,
    widget,
)
from tests.providers.liqx_support import PAYIN, PAYOUT, create_payin
from tests.support import credentials

pytestmark = pytest.mark.browser

INSPECTOR = "/_sandbox/ui/"


async def finished_payin(browser, sandbox) -> str:
    """Run a PAYIN through the simulator page to its receipt; returns the intent id."""
    async with open_page(browser, sandbox, "/partner/liqx/payin") as opened:
        await wait_ready(opened.page)
        intent_id = await create_and_open_widget(opened.page)
        await widget(opened.page).get_by_test_id("widget-deposit").click()
        await expect_state(opened.page, "webhook_observed")
    return intent_id


async def titles(page) -> list[str]:
    return await page.get_by_test_id("entry-title").all_inner_texts()


async def test_timeline_of_a_finished_payin_lists_every_step(sandbox, browser):
    """API calls, transitions, browser events, the webhook event and its attempt all appear, in order."""
    intent_id = await finished_payin(browser, sandbox)
    async with open_page(browser, sandbox, INSPECTOR) as opened:
        page = opened.page
        row = page.locator(f'[data-testid="intent-row"][data-intent-id="{intent_id}"]')
        await expect(row).to_have_count(1)
        await expect(row.get_by_test_id("intent-status")).to_have_text("COMPLETED")
        await row.click()
        await expect(page.get_by_test_id("detail-title")).to_have_text(f"LIQX {intent_id}")
        entries = page.get_by_test_id("timeline-entry")
        await expect(entries.filter(has_text="browser event PAYIN_COMPLETED")).to_have_count(1, timeout=UI_TIMEOUT_MS)
        seen = await titles(page)
        expected = [
            "created as CREATED by api",
            "POST /liqx/v1/payin-intents → 201",
            "CREATED → PENDING by widget_session",
            f"POST /liqx/v1/intents/{intent_id}/widget-sessions → 201",
            "browser event WIDGET_READY (status PENDING)",
            "PENDING → COMPLETED by widget",
            "webhook event transaction.completed",
            "attempt #1 (scheduled)",
        ]
        positions = [next((i for i, t in enumerate(seen) if t.startswith(step)), None) for step in expected]
        assert None not in positions, (expected, seen)
        assert positions == sorted(positions), seen
        assert any(t.startswith("widget session lqs_") for t in seen)
        attempt = entries.filter(has_text="attempt #1")
        await expect(attempt).to_contain_text("HTTP 200")
        await expect(attempt).to_contain_text("delivered")
        await attempt.locator("summary").first.click()
        await attempt.get_by_text("Signature input", exact=True).click()
        await expect(attempt.get_by_test_id("signature-input")).to_contain_text('"event_id":"evt_')
        await expect(attempt.locator("table.headers")).to_contain_text("X-LIQX-Signature")
        await expect(page.locator('[data-testid="delivery"][data-status="delivered"]')).to_have_count(1)
        await screenshot(page, "inspector-payin-timeline-1280")
        assert opened.errors == []


async def test_resend_adds_an_attempt(sandbox, browser):
    """The Resend button queues a manual delivery whose attempt appears in the refreshed timeline."""
    intent_id = await finished_payin(browser, sandbox)
    async with open_page(browser, sandbox, f"{INSPECTOR}#liqx/{intent_id}") as opened:
        page = opened.page
        attempts = page.locator('[data-testid="timeline-entry"][data-kind="attempt"]')
        await expect(attempts).to_have_count(1, timeout=UI_TIMEOUT_MS)
        await page.get_by_test_id("resend").click()
        await expect(page.get_by_test_id("action-message")).to_contain_text("trigger manual")
        await expect(attempts).to_have_count(2, timeout=UI_TIMEOUT_MS)
        await expect(attempts.nth(1)).to_have_attribute("data-trigger", "manual")
        await expect(attempts.nth(1)).to_contain_text("HTTP 200")
        await expect(page.locator('[data-testid="timeline-entry"][data-kind="resend"]')).to_have_count(1)
        assert opened.errors == []
    _, receipts, _ = await sandbox.request("GET", f"/api/webhooks/liqx/events?intent_id={intent_id}")
    [receipt] = receipts["data"]
    assert receipt["deliveries"] == 2 and receipt["duplicates"] == 1


async def test_force_transition_moves_the_intent_and_refusals_are_shown(sandbox, browser):
    """Forcing RESERVED → FAILED works from the page; a status the graph forbids is refused with a message."""
    status, intent, _ = await sandbox.request("POST", "/liqx/v1/payout-intents", json=PAYOUT, headers=credentials(sandbox, "liqx"))
    assert status == 201
    async with open_page(browser, sandbox, f"{INSPECTOR}#liqx/{intent['intent_id']}") as opened:
        page = opened.page
        await expect(page.get_by_test_id("detail-status")).to_have_text("RESERVED", timeout=UI_TIMEOUT_MS)
        await page.get_by_test_id("force-to").select_option("COMPLETED")
        await page.get_by_test_id("force-transition").click()
        await expect(page.get_by_test_id("action-message")).to_contain_text("Transition refused")
        await page.get_by_test_id("force-to").select_option("FAILED")
        await page.get_by_test_id("force-transition").click()
        await expect(page.get_by_test_id("action-message")).to_contain_text("Forced")
        await expect(page.get_by_test_id("detail-status")).to_have_text("FAILED", timeout=UI_TIMEOUT_MS)
        await expect(page.get_by_test_id("timeline-entry").filter(has_text="RESERVED → FAILED by control")).to_have_count(1)
        await expect(page.get_by_test_id("timeline-entry").filter(has_text="webhook event transaction.failed")
                     ).to_have_count(1)
        # the refused call logs its 409 as a console error; nothing else
        assert all("409" in e for e in opened.errors), opened.errors


async def test_lists_intents_across_providers_and_refreshes_itself(sandbox, browser):
    """An intent created after the page opened appears without a reload; other providers' intents are listed."""
    async with open_page(browser, sandbox, INSPECTOR) as opened:
        page = opened.page
        await expect(page.get_by_test_id("inspector")).to_have_attribute("data-ready", "true")
        await expect(page.get_by_test_id("intents-empty")).to_be_visible()
        status, link, _ = await sandbox.request("POST", "/mizu/api/v1/payment-links", headers={
            "Authorization": f"Bearer {sandbox.key('mizu')}"},
            json={"amount": "25.50", "currency": "USDC", "chain": "polygon", "title": "coffee"})
        assert status == 201, link
        await sandbox.request("POST", "/liqx/v1/payout-intents", json=PAYOUT, headers=credentials(sandbox, "liqx"))
        rows = page.get_by_test_id("intent-row")
        await expect(rows.and_(page.locator('[data-provider="liqx"]'))).to_have_count(1, timeout=UI_TIMEOUT_MS)
        await expect(rows.and_(page.locator('[data-provider="mizu"]'))).to_have_count(1)
        await page.get_by_test_id("provider-filter").select_option("mizu")
        await expect(rows).to_have_count(1, timeout=UI_TIMEOUT_MS)
        await expect(rows.first).to_have_attribute("data-provider", "mizu")
        assert opened.errors == []


async def test_faults_are_shown_in_place(sandbox, browser):
    """A scenario's drop and an injected API fault on the intent's own GET both appear in its timeline."""
    _, intent, _ = await create_payin(sandbox, None, **{"X-Sandbox-Scenario": "webhook-missed"})
    intent_id = intent["intent_id"]
    await sandbox.control("POST", f"/intents/liqx/{intent_id}/transition", {"to": "COMPLETED"})
    await sandbox.control("POST", "/faults", {"provider": "liqx", "action": "api_error", "params": {"status": 503},
                                              "match": {"method": "GET", "path": f"/liqx/v1/intents/{intent_id}"}})
    status, _, _ = await sandbox.request("GET", f"/liqx/v1/intents/{intent_id}", headers=credentials(sandbox, "liqx"))
    assert status == 503
    async with open_page(browser, sandbox, f"{INSPECTOR}#liqx/{intent_id}") as opened:
        page = opened.page
        entries = page.get_by_test_id("timeline-entry")
        await expect(entries.filter(has_text="scenario webhook-missed")).to_have_count(1, timeout=UI_TIMEOUT_MS)
        await expect(entries.filter(has_text="fault drop applied to evt_")).to_have_count(1)
        await expect(entries.filter(has_text=f"API fault api_error on GET /liqx/v1/intents/{intent_id} (HTTP 503)")
                     ).to_have_count(1)
        await expect(page.locator('[data-testid="delivery"][data-status="dropped"]')).to_have_count(1)
        assert opened.errors == []


async def test_a_500_attempt_is_a_failure_with_its_next_retry_due(sandbox, browser):
    """An attempt answered 500 is coloured as a failure and says when the next one is due; the retry is green."""
    await sandbox.control("PUT", "/receiver/liqx", {"status": 500, "times": 1})
    _, intent, _ = await create_payin(sandbox)
    intent_id = intent["intent_id"]
    await sandbox.control("POST", f"/intents/liqx/{intent_id}/transition", {"to": "COMPLETED"})
    await sandbox.settle()
    async with open_page(browser, sandbox, f"{INSPECTOR}#liqx/{intent_id}") as opened:
        page = opened.page
        attempts = page.locator('[data-testid="timeline-entry"][data-kind="attempt"]')
        await expect(attempts).to_have_count(1, timeout=UI_TIMEOUT_MS)
        first = attempts.first
        await expect(first).to_have_attribute("data-outcome", "bad")
        await expect(first.get_by_test_id("attempt-outcome")).to_have_text("failed")
        await expect(first.get_by_test_id("attempt-outcome")).to_have_attribute("data-tone", "bad")
        await expect(first).to_contain_text("HTTP 500")
        # LIQX retries after 5 s (SPEC §2); the sandbox clock is frozen at START.
        await expect(first.get_by_test_id("next-retry")).to_have_text(
            "Next attempt #2 due 2026-11-22T09:00:05.000Z (in 5 s) on the sandbox clock")
        await expect(page.get_by_test_id("delivery-next")).to_contain_text("2026-11-22T09:00:05.000Z")
        colour = await first.evaluate("e => getComputedStyle(e, '::before').backgroundColor")
        assert colour == "rgb(163, 32, 45)", colour
        await screenshot(page, "inspector-failed-attempt-1280")
        await sandbox.advance(5)
        await expect(attempts).to_have_count(2, timeout=UI_TIMEOUT_MS)
        await expect(attempts.nth(1)).to_have_attribute("data-outcome", "ok")
        await expect(first.get_by_test_id("next-retry")).to_have_count(0)
        colour = await attempts.nth(1).evaluate("e => getComputedStyle(e, '::before').backgroundColor")
        assert colour == "rgb(46, 157, 91)", colour
        await expect(page.locator('[data-testid="delivery"][data-status="delivered"]')).to_have_count(1)
        assert opened.errors == []


async def test_search_finds_intents_by_id_external_ref_and_event_id(sandbox, browser):
    """Typing filters the list by intent id or external ref; Enter on an event id opens the intent it belongs to."""
    _, first, _ = await create_payin(sandbox, {**PAYIN, "external_ref": "order-alpha"})
    _, second, _ = await create_payin(sandbox, {**PAYIN, "external_ref": "order-beta"})
    await sandbox.control("POST", f"/intents/liqx/{second['intent_id']}/transition", {"to": "COMPLETED"})
    await sandbox.settle()
    events = await sandbox.control("GET", f"/events?intent_id={second['intent_id']}")
    event_id = events["data"][0]["id"]
    async with open_page(browser, sandbox, INSPECTOR) as opened:
        page = opened.page
        rows = page.get_by_test_id("intent-row")
        await expect(rows).to_have_count(2, timeout=UI_TIMEOUT_MS)
        await page.get_by_test_id("search").fill("alpha")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_have_attribute("data-intent-id", first["intent_id"])
        await expect(page.get_by_test_id("intent-count")).to_have_text("1 of 2")
        await page.get_by_test_id("search").fill(second["intent_id"])
        await expect(rows).to_have_count(1)
        await page.get_by_test_id("search").press("Enter")
        await expect(page.get_by_test_id("detail-title")).to_have_text(f"LIQX {second['intent_id']}")
        await page.get_by_test_id("search").fill(event_id)
        await expect(page.get_by_test_id("search-empty")).to_be_visible()
        await page.get_by_test_id("search").press("Enter")
        await expect(page.get_by_test_id("search-result")).to_contain_text(f"belongs to liqx intent {second['intent_id']}")
        await expect(page.get_by_test_id("detail-title")).to_have_text(f"LIQX {second['intent_id']}")
        await page.get_by_test_id("search").fill("no-such-thing")
        await page.get_by_test_id("search").press("Enter")
        await expect(page.get_by_test_id("search-result")).to_contain_text("No intent id, external ref or event id")
        assert opened.errors == []


async def test_world_picker_lists_the_default_world_first_and_shows_only_the_chosen_worlds_intents(sandbox, browser):
    """Choosing a world in the picker lists that world's intents only; the default world comes first."""
    from tests.worlds.support import world_view

    view = await world_view(sandbox, name="ci-job")
    _, mine, _ = await create_payin(view)
    _, default_one, _ = await create_payin(sandbox)
    async with open_page(browser, sandbox, INSPECTOR) as opened:
        page = opened.page
        picker = page.get_by_test_id("world-picker")
        await expect(picker.locator("option")).to_have_count(2)
        assert await picker.locator("option").first.get_attribute("value") == "default"
        def row(intent: dict):
            return page.locator(f'[data-testid="intent-row"][data-intent-id="{intent["intent_id"]}"]')

        await expect(row(default_one)).to_have_count(1)
        await picker.select_option(view.id)
        await expect(row(mine)).to_have_count(1, timeout=UI_TIMEOUT_MS)
        await expect(row(default_one)).to_have_count(0)
        assert f"world={view.id}" in page.url
