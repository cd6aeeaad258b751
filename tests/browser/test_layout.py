"""Every page at 1280×800 and at 390 px wide: usable, nothing sticking out or cut off, screenshots written."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.partner_support import (
    create_and_open_widget,
    expect_state,
    layout_problems,
    open_advanced,
    open_page,
    screenshot,
    wait_ready,
    widget,
)
from tests.grading.support import kept_grade
from tests.providers.liqx_support import create_payin
from tests.support import credentials

pytestmark = pytest.mark.browser

SIZES = [pytest.param((1280, 800), id="1280x800"), pytest.param((390, 844), id="390")]


def label(size: tuple[int, int]) -> str:
    return "1280x800" if size[0] == 1280 else "390"


@pytest.mark.parametrize("size", SIZES)
async def test_landing_page_links_everything(sandbox, browser, size):
    """The landing page links the providers' bases, both simulator pages and the inspector, and fits."""
    async with open_page(browser, sandbox, "/", *size) as opened:
        page = opened.page
        for testid, href in (("link-payin", "/partner/liqx/payin"), ("link-payout", "/partner/liqx/payout"),
                             ("link-inspector", "/_sandbox/ui/")):
            await expect(page.get_by_test_id(testid)).to_have_attribute("href", href)
        for name in ("liqx", "rozo", "inqud", "mizu"):
            await expect(page.get_by_test_id(f"provider-{name}")).to_be_visible()
        await expect(page.get_by_test_id("provider-liqx")).to_contain_text(f"{sandbox.base_url}/liqx/v1")
        assert await layout_problems(page) == []
        await screenshot(page, f"landing-{label(size)}")
        assert opened.errors == []


@pytest.mark.parametrize("size", SIZES)
async def test_payin_page_is_usable(sandbox, browser, size):
    """The PAYIN page fits at this width before and during a run, and the run completes at it."""
    async with open_page(browser, sandbox, "/partner/liqx/payin", *size) as opened:
        page = opened.page
        await wait_ready(page)
        assert await layout_problems(page) == []
        await screenshot(page, f"payin-{label(size)}")
        await create_and_open_widget(page)
        await widget(page).get_by_test_id("widget-deposit").click()
        await expect_state(page, "webhook_observed")
        await open_advanced(page)
        await page.get_by_test_id("history-row").first.locator("summary").click()
        assert await layout_problems(page) == []
        await screenshot(page, f"payin-{label(size)}-delivered")
        assert opened.errors == []


@pytest.mark.parametrize("size", SIZES)
async def test_payout_page_is_usable(sandbox, browser, size):
    """The PAYOUT page fits at this width with the scenario chooser open, and a claim completes at it."""
    async with open_page(browser, sandbox, "/partner/liqx/payout", *size) as opened:
        page = opened.page
        await wait_ready(page)
        await open_advanced(page)
        assert await layout_problems(page) == []
        await screenshot(page, f"payout-{label(size)}")
        await create_and_open_widget(page)
        await widget(page).get_by_test_id("widget-claim").click()
        await expect(page.get_by_test_id("step-widget")).to_have_attribute("data-state", "done")
        await sandbox.advance(5)
        await expect_state(page, "webhook_observed")
        assert await layout_problems(page) == []
        await screenshot(page, f"payout-{label(size)}-delivered")
        assert opened.errors == []


@pytest.mark.parametrize("size", SIZES)
async def test_inspector_is_usable(sandbox, browser, size):
    """The inspector fits at this width with an attempt's headers and signature input expanded."""
    _, intent, _ = await create_payin(sandbox)
    await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    await sandbox.settle()
    status, _, _ = await sandbox.request("GET", f"/liqx/v1/intents/{intent['intent_id']}", headers=credentials(sandbox, "liqx"))
    assert status == 200
    async with open_page(browser, sandbox, f"/_sandbox/ui/#liqx/{intent['intent_id']}", *size) as opened:
        page = opened.page
        attempt = page.locator('[data-testid="timeline-entry"][data-kind="attempt"]')
        await expect(attempt).to_have_count(1)
        await attempt.locator("summary").first.click()
        for name in ("Request headers", "Signature input"):
            await attempt.get_by_text(name, exact=True).click()
        await expect(attempt.get_by_test_id("signature-input")).to_be_visible()
        assert await layout_problems(page) == []
        await screenshot(page, f"inspector-{label(size)}")
        assert opened.errors == []


@pytest.mark.parametrize("size", SIZES)
async def test_grade_page_is_usable(sandbox, browser, size):
    """A kept grade fits at this width with its attempt's headers and bodies open, and the top bar leads back."""
    report = await kept_grade(sandbox, f"grd_layout{size[0]}")
    async with open_page(browser, sandbox, f"/_sandbox/ui/grades/{report['id']}", *size) as opened:
        page = opened.page
        await expect(page.get_by_test_id("case")).to_have_count(2)
        await page.locator('[data-testid="case"] a[href="#attempt-41"]').click()
        attempt = page.get_by_test_id("attempt")
        await expect(attempt).to_have_attribute("data-outcome", "bad")
        for summary in await attempt.locator("summary").all():
            await summary.click()
        await expect(attempt.get_by_test_id("request-headers")).to_contain_text("Content-Type")
        await expect(attempt.get_by_test_id("request-body")).to_contain_text("<b>bold</b>")
        assert await layout_problems(page) == []
        await screenshot(page, f"grade-{label(size)}")
        await page.get_by_test_id("nav-grades").click()
        await expect(page.locator(f'[data-testid="grade"][data-grade-id="{report["id"]}"]')).to_have_count(1)
        assert await layout_problems(page) == []
        assert opened.errors == []
