"""Browser helpers for the partner pages and the inspector: open, drive, check the layout, screenshot."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from playwright.async_api import Page, expect

from tests.support import ARTIFACTS

WIDGET_FRAME = '[data-testid="liqx-widget-frame"]'
UI_TIMEOUT_MS = 20_000  # the page polls every 3 s (real time); this bounds a few polls

# Everything on the page must lie within the viewport's width, and no box may clip its content
# sideways (inputs scroll by nature and are left out). Returns a list of problems, empty when fine.
FIT_CHECK = """() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  const name = (el) => el.tagName.toLowerCase() + (el.dataset.testid ? '[data-testid=' + el.dataset.testid + ']' :
    (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : ''));
  if (document.documentElement.scrollWidth > width) {
    problems.push('page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + width);
  }
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.sr-only') || el.closest('details:not([open]) > :not(summary)')) continue;
    if (!el.getClientRects().length) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.left < -1 || r.right > width + 1) problems.push(name(el) + ' spans ' + Math.round(r.left) + '..' + Math.round(r.right));
    const overflow = getComputedStyle(el).overflowX;
    if (overflow !== 'visible' && !['INPUT', 'SELECT', 'TEXTAREA', 'IFRAME'].includes(el.tagName) &&
        el.scrollWidth > el.clientWidth + 1) {
      problems.push(name(el) + ' clips its content sideways (' + el.scrollWidth + ' > ' + el.clientWidth + ')');
    }
  }
  return problems.slice(0, 20);
}"""


@dataclass
class Opened:
    """A page and the JavaScript errors it raised (console errors included)."""

    page: Page
    errors: list[str] = field(default_factory=list)


@asynccontextmanager
async def open_page(browser, sandbox, path: str, width: int = 1280, height: int = 800, *, fake_clock: bool = False):
    """A fresh browser context at this viewport with `path` loaded (with Playwright's clock, to jump browser time)."""
    context = await browser.new_context(viewport={"width": width, "height": height})
    try:
        page = await context.new_page()
        opened = Opened(page)
        page.on("pageerror", lambda exc: opened.errors.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: opened.errors.append(f"console: {msg.text}") if msg.type == "error" else None)
        if fake_clock:
            await page.clock.install()
        await page.goto(sandbox.base_url + path)
        yield opened
    finally:
        await context.close()


async def wait_ready(page: Page) -> None:
    await expect(page.get_by_test_id("simulator")).to_have_attribute("data-ready", "true")


async def state(page: Page) -> str:
    return await page.get_by_test_id("simulator").get_attribute("data-state")


async def expect_state(page: Page, value: str) -> None:
    await expect(page.get_by_test_id("simulator")).to_have_attribute("data-state", value, timeout=UI_TIMEOUT_MS)


async def expect_step(page: Page, key: str, value: str) -> None:
    await expect(page.get_by_test_id(f"step-{key}")).to_have_attribute("data-state", value, timeout=UI_TIMEOUT_MS)


def widget(page: Page):
    """The embedded LIQX widget (an iframe made by the SDK)."""
    return page.frame_locator(WIDGET_FRAME)


async def open_advanced(page: Page) -> None:
    details = page.get_by_test_id("advanced")
    if await details.get_attribute("open") is None:
        await page.get_by_test_id("advanced-toggle").click()


async def choose_webhook_scenario(page: Page, name: str) -> None:
    await open_advanced(page)
    await page.get_by_test_id("webhook-scenario").select_option(name)


async def create_and_open_widget(page: Page) -> str:
    """Click create, wait for the embedded widget to be ready; returns the intent id shown."""
    await page.get_by_test_id("create").click()
    await expect_step(page, "api", "done")
    await expect(widget(page).get_by_test_id("widget-root")).to_have_attribute("data-ready", "true",
                                                                                timeout=UI_TIMEOUT_MS)
    return await page.get_by_test_id("response-intent-id").inner_text()


async def visible_text(page: Page) -> str:
    """The page's text as written in the DOM (before CSS casing), scripts excluded, spaces collapsed."""
    return await page.evaluate("""() => {
      const copy = document.body.cloneNode(true);
      copy.querySelectorAll('script, style, template').forEach((node) => node.remove());
      return copy.textContent.replace(/\\s+/g, ' ');
    }""")


async def layout_problems(page: Page) -> list[str]:
    """What sticks out or is clipped sideways, on the page and inside the embedded widget."""
    problems = await page.evaluate(FIT_CHECK)
    for frame in page.frames[1:]:
        problems += [f"widget: {p}" for p in await frame.evaluate(FIT_CHECK)]
    return problems


async def screenshot(page: Page, name: str) -> None:
    """Write a full-page screenshot to test-artifacts/ (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"), full_page=True)
