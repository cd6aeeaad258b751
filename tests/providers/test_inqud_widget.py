"""Seed 004's partner page in headless Chromium, with only its script pointed at the sandbox.

The page (tests/providers/fixtures/inqud_seed_004.html) is served from its own origin; the
`<app-widget>` defined by `/inqud/pay/widget.js` must call the page's own `statusChanged`
listener for each status of the checkout. The test records the page's console (the listener logs
every call) and, through an init script, every `statusChanged` detail dispatched.
"""

import asyncio

from tests.providers.inqud_support import (
    FIXED,
    create_checkout,
    get_checkout,
    serve_seed_page,
)
from tests.support import ARTIFACTS, contract_issues

RECORD = """window.__callbacks = []; window.__messages = [];
document.addEventListener('statusChanged', function (e) { window.__callbacks.push(e.detail); }, true);
window.addEventListener('message', function (e) { window.__messages.push(e.data); });"""


class SeedPage:
    """The seed page open in a browser tab, with what it logged and what the widget dispatched."""

    def __init__(self, page, runner, checkout_id):
        self.page, self.runner, self.checkout_id = page, runner, checkout_id
        self.console: list[str] = []
        page.on("console", lambda message: self.console.append(message.text))

    @property
    def frame(self):
        return self.page.frame_locator("app-widget iframe")

    def callback_line(self, status: str) -> str:
        return f"Callback Invoked: checkoutId={self.checkout_id}, status={status}"

    async def wait_logged(self, line: str, timeout: float = 15.0) -> None:
        """Wait (real time, bounded) until the page's own listener has logged `line`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while line not in self.console:
            assert asyncio.get_running_loop().time() < deadline, f"never logged {line!r}; got {self.console}"
            await asyncio.sleep(0.05)

    async def callbacks(self) -> list[dict]:
        return await self.page.evaluate("window.__callbacks")

    async def close(self) -> None:
        await self.page.close()
        await self.runner.cleanup()


async def open_seed_page(sandbox, browser, checkout_id: str) -> SeedPage:
    runner, url = await serve_seed_page(sandbox.base_url, checkout_id)
    page = await browser.new_page(viewport={"width": 900, "height": 900})
    seed = SeedPage(page, runner, checkout_id)
    await page.add_init_script(RECORD)
    await page.goto(url)
    return seed


async def _pay_through_widget(sandbox, seed: SeedPage, button: str) -> None:
    await seed.wait_logged(seed.callback_line("NEW"))
    await seed.frame.get_by_test_id("continue").click()
    await seed.wait_logged(seed.callback_line("WAITING_PAYMENT"))
    await seed.frame.get_by_test_id("address").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    await seed.page.screenshot(path=str(ARTIFACTS / f"inqud-seed-004-waiting-{button}.png"))
    await seed.frame.get_by_test_id(button).click()
    await seed.wait_logged(seed.callback_line("PENDING_PAYMENT"))
    await sandbox.advance(5)


async def test_seed_page_hears_every_status_of_a_paid_checkout(sandbox, browser):
    """NEW, WAITING_PAYMENT, PENDING_PAYMENT, SUCCESS reach the seed's listener in order; it logs "Payment Successful"."""
    _, checkout, _ = await create_checkout(sandbox, FIXED)
    seed = await open_seed_page(sandbox, browser, checkout["id"])
    try:
        widget = seed.page.locator("app-widget")
        assert (await widget.bounding_box())["width"] == 392
        await _pay_through_widget(sandbox, seed, "pay")
        await seed.wait_logged("Payment Successful")
        statuses = ["NEW", "WAITING_PAYMENT", "PENDING_PAYMENT", "SUCCESS"]
        logged = [line for line in seed.console if line.startswith("Callback Invoked")]
        assert logged == [seed.callback_line(s) for s in statuses]
        assert "Payment Conflict" not in seed.console
        details = await seed.callbacks()
        assert details == [{"id": checkout["id"], "status": s} for s in statuses]
        assert all(not contract_issues("inqud", "browser", "status-changed", d) for d in details)
        await seed.frame.get_by_test_id("result").wait_for()
        assert await seed.frame.get_by_test_id("checkout-status").text_content() == "SUCCESS"
        messages = await seed.page.evaluate("window.__messages")
        assert [m["status"] for m in messages][-3:] == ["WAITING_PAYMENT", "PENDING_PAYMENT", "SUCCESS"]
        assert all(not contract_issues("inqud", "browser", "checkout-message", m) for m in messages)
        ARTIFACTS.mkdir(exist_ok=True)
        await seed.page.screenshot(path=str(ARTIFACTS / "inqud-seed-004-paid.png"))
        assert (await get_checkout(sandbox, checkout["id"]))[1]["status"] == "SUCCESS"
    finally:
        await seed.close()


async def test_seed_page_hears_every_status_of_an_underpaid_checkout(sandbox, browser):
    """An underpayment ends in CONFLICT: the listener hears each status and logs "Payment Conflict"."""
    _, checkout, _ = await create_checkout(sandbox, FIXED)
    seed = await open_seed_page(sandbox, browser, checkout["id"])
    try:
        await _pay_through_widget(sandbox, seed, "underpay")
        await seed.wait_logged("Payment Conflict")
        statuses = ["NEW", "WAITING_PAYMENT", "PENDING_PAYMENT", "CONFLICT"]
        logged = [line for line in seed.console if line.startswith("Callback Invoked")]
        assert logged == [seed.callback_line(s) for s in statuses]
        assert "Payment Successful" not in seed.console
        assert [d["status"] for d in await seed.callbacks()] == statuses
        await seed.frame.get_by_test_id("result").filter(has_text="UNDERPAID").wait_for()
        await seed.page.screenshot(path=str(ARTIFACTS / "inqud-seed-004-conflict.png"))
        _, done, _ = await get_checkout(sandbox, checkout["id"])
        assert done["status"] == "CONFLICT" and done["reason"] == "UNDERPAID"
    finally:
        await seed.close()


async def test_widget_hears_changes_made_outside_the_widget(sandbox, browser):
    """Changes from the API side (control transition, then a timer) reach the listener without a click."""
    _, checkout, _ = await create_checkout(sandbox, FIXED)
    seed = await open_seed_page(sandbox, browser, checkout["id"])
    try:
        await seed.wait_logged(seed.callback_line("NEW"))
        await sandbox.control("POST", f"/intents/inqud/{checkout['id']}/transition", {"to": "PENDING_PAYMENT"})
        await seed.wait_logged(seed.callback_line("PENDING_PAYMENT"))
        logged = [line for line in seed.console if line.startswith("Callback Invoked")]
        assert logged == [seed.callback_line(s) for s in ("NEW", "WAITING_PAYMENT", "PENDING_PAYMENT")]
        timeline = await sandbox.control("GET", f"/intents/inqud/{checkout['id']}/timeline")
        recorded = [e["event"]["status"] for e in timeline["timeline"] if e["kind"] == "browser_event"]
        assert recorded[:1] == ["NEW"]
    finally:
        await seed.close()


async def test_hosted_page_cancel_and_return_to_merchant(sandbox, browser):
    """On the hosted page (acquiringUrl) "Cancel" ends the checkout and "Return to merchant" goes to returnUrl."""
    _, checkout, _ = await create_checkout(sandbox, {**FIXED, "returnUrl": f"{sandbox.base_url}/_sandbox/health"})
    page = await browser.new_page(viewport={"width": 420, "height": 900})
    try:
        await page.goto(checkout["acquiringUrl"])
        assert await page.get_by_test_id("checkout-amount").text_content() == "100 USD"
        await page.get_by_test_id("cancel").click()
        await page.get_by_test_id("result").filter(has_text="cancelled").wait_for()
        assert await page.get_by_test_id("checkout-status").text_content() == "CANCELLED"
        assert await page.get_by_test_id("pay").is_hidden()
        await page.get_by_test_id("return").click()
        await page.wait_for_url(f"{sandbox.base_url}/_sandbox/health")
        assert (await get_checkout(sandbox, checkout["id"]))[1]["status"] == "CANCELLED"
    finally:
        await page.close()


async def test_hosted_page_suggested_amounts_and_let_expire(sandbox, browser):
    """A suggested-amount checkout: pick an amount, continue, then "Let expire" → EXPIRED."""
    _, checkout, _ = await create_checkout(sandbox, {**FIXED, "type": "SUGGESTED_FIXED_PRICE", "fixedAmount": None})
    page = await browser.new_page(viewport={"width": 420, "height": 900})
    try:
        await page.goto(checkout["acquiringUrl"])
        await page.get_by_test_id("currency").select_option("TRON_USDT")
        await page.get_by_test_id("suggested-25").click()
        await page.get_by_test_id("continue").click()
        await page.get_by_test_id("address").filter(has_text="T").wait_for()
        _, waiting, _ = await get_checkout(sandbox, checkout["id"])
        assert waiting["request"]["requestAmount"] == 25 and waiting["request"]["blockchain"] == "TRON"
        await page.get_by_test_id("expire").click()
        await page.get_by_test_id("result").filter(has_text="expired").wait_for()
        await page.screenshot(path=str(ARTIFACTS / "inqud-hosted-expired.png"))
    finally:
        await page.close()


async def test_widget_for_an_unknown_checkout_says_so(sandbox, browser):
    """An id the sandbox does not know shows a message in the widget and dispatches nothing."""
    seed = await open_seed_page(sandbox, browser, "CCO-00000000-0000-4000-8000-000000000000")
    try:
        await seed.page.locator("app-widget").get_by_text("was not found").wait_for()
        assert await seed.callbacks() == []
    finally:
        await seed.close()
