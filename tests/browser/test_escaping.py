"""Autoescape end to end: markup in a payer's data is shown as text on every page, never run or rendered."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.partner_support import create_and_open_widget, open_page, wait_ready, widget
from tests.providers.liqx_support import PAYIN, create_payin
from tests.support import credentials

pytestmark = pytest.mark.browser

HOSTILE_NAME = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>홍길동'
HOSTILE_REF = "<b>ref</b><script>window.__pwned=2</script>"
PWNED = "() => window.__pwned === undefined"


async def test_markup_in_a_depositor_name_is_text_on_the_widget_and_the_inspector(sandbox, browser):
    """The widget and the inspector show the name and reference as typed; no script runs, no element appears."""
    status, intent, _ = await create_payin(sandbox, {**PAYIN, "depositor_name": HOSTILE_NAME, "external_ref": HOSTILE_REF})
    assert status == 201, intent
    status, session, _ = await sandbox.request("POST", f"/liqx/v1/intents/{intent['intent_id']}/widget-sessions",
                                               json={}, headers=credentials(sandbox, "liqx"))
    assert status == 201, session
    _, html, _ = await sandbox.request("GET", f"/liqx/widget/{session['session_token']}")
    assert "<script>window.__pwned" not in html and "<img src=x" not in html
    async with open_page(browser, sandbox, f"/liqx/widget/{session['session_token']}") as opened:
        page = opened.page
        await expect(page.get_by_test_id("widget-root")).to_have_attribute("data-ready", "true")
        await expect(page.get_by_test_id("widget-name")).to_have_text(HOSTILE_NAME)
        await expect(page.get_by_test_id("widget-external-ref")).to_have_text(HOSTILE_REF)
        assert await page.locator("img, b").count() == 0
        assert await page.evaluate(PWNED)
        assert opened.errors == []
    async with open_page(browser, sandbox, f"/_sandbox/ui/#liqx/{intent['intent_id']}") as opened:
        page = opened.page
        await expect(page.get_by_test_id("detail-facts")).to_contain_text(HOSTILE_REF)
        await expect(page.get_by_test_id("intent-row")).to_contain_text(HOSTILE_REF)
        entry = page.get_by_test_id("timeline-entry").filter(has_text="POST /liqx/v1/payin-intents")
        await entry.locator("summary").click()
        await expect(entry.locator("pre")).to_contain_text("window.__pwned=1</script>홍길동")
        assert await page.locator("main img, main b").count() == 0
        assert await page.evaluate(PWNED)
        assert opened.errors == []


async def test_markup_typed_into_the_partner_form_is_text_everywhere_on_the_page(sandbox, browser):
    """A name typed on the PAYIN page shows as text in the summary and in the embedded widget."""
    async with open_page(browser, sandbox, "/partner/liqx/payin") as opened:
        page = opened.page
        await wait_ready(page)
        await page.get_by_test_id("field-depositor_name").fill(HOSTILE_NAME)
        await expect(page.get_by_test_id("summary-depositor_name")).to_have_text(HOSTILE_NAME)
        await create_and_open_widget(page)
        await expect(widget(page).get_by_test_id("widget-name")).to_have_text(HOSTILE_NAME)
        await expect(page.get_by_test_id("payload-preview")).to_contain_text("window.__pwned=1")
        assert await page.locator("main img").count() == 0
        assert await page.evaluate(PWNED)
        for frame in page.frames:
            assert await frame.evaluate(PWNED)
        assert opened.errors == []
