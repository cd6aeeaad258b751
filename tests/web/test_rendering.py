"""Every HTML page is a template on the one base layout, compiled once, with one error page for all providers."""

from __future__ import annotations

import json
import re

import aiohttp_jinja2

from sandbox.grading import report as reports
from tests.grading.support import kept_grade, sample_report
from tests.providers import inqud_support, mizu_support, rozo_support
from tests.providers.liqx_support import create_payin
from tests.support import credentials

BASE_LINK = '<link rel="stylesheet" href="/static/base.css">'
#: Pages with nothing to do in the browser: server-rendered, no script at all.
STATIC_PAGES = {"landing", "grades", "grade"}
STATE = re.compile(r'<script id="page-state" type="application/json">(.*?)</script>', re.S)


async def every_page(sandbox) -> dict[str, str]:
    """One URL of each kind of page the sandbox serves, objects created as a partner would."""
    _, intent, _ = await create_payin(sandbox)
    _, session, _ = await sandbox.request("POST", f"/liqx/v1/intents/{intent['intent_id']}/widget-sessions",
                                          json={}, headers=credentials(sandbox, "liqx"))
    payment = await rozo_support.created(sandbox)
    _, checkout, _ = await inqud_support.create_checkout(sandbox)
    link = await mizu_support.create_link(sandbox)
    grade = await kept_grade(sandbox, "grd_pages")
    return {
        "landing": "/", "payin": "/partner/liqx/payin", "payout": "/partner/liqx/payout", "inspector": "/_sandbox/ui/",
        "rozo simulator": "/partner/rozo", "inqud simulator": "/partner/inqud", "mizu simulator": "/partner/mizu",
        "liqx widget": f"/liqx/widget/{session['session_token']}", "rozo pay": f"/rozo/pay/{payment['id']}",
        "inqud checkout": f"/inqud/pay/checkout/{checkout['id']}", "mizu pay": f"/mizu/pay/{link['id']}",
        "grades": "/_sandbox/ui/grades", "grade": f"/_sandbox/ui/grades/{grade['id']}",
    }


async def test_every_page_extends_the_base_layout(sandbox):
    """Each page is HTML from the base layout: one shared stylesheet, first, and no inline style block."""
    for name, path in (await every_page(sandbox)).items():
        status, html, response = await sandbox.request("GET", path)
        assert status == 200 and response.content_type == "text/html", (name, status)
        assert response.headers["Cache-Control"] == "no-store", name
        assert '<html lang="en" data-layout="base">' in html, name
        sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', html)
        assert sheets[0] == "/static/base.css" and sheets.count("/static/base.css") == 1, (name, sheets)
        assert "<style" not in html, name
        assert not re.search(r'(src|href)="https?://', html), f"{name} loads an external resource"
    status, css, _ = await sandbox.request("GET", "/static/base.css")
    assert status == 200 and ".btn-primary" in css


async def test_page_scripts_are_modules_over_the_one_toolkit(sandbox):
    """Scripted pages load their script as an ES module, and the toolkit they import is served once, at /static."""
    for name, path in (await every_page(sandbox)).items():
        _, html, _ = await sandbox.request("GET", path)
        if name in STATIC_PAGES:
            assert "<script" not in html, name
            continue
        assert re.search(r'<script type="module" src="[^"]+\.js[^"]*"></script>', html), name
    status, toolkit, response = await sandbox.request("GET", "/static/toolkit.js")
    assert status == 200 and "javascript" in response.content_type
    for export in ("requestJson", "pageState", "groupThousands", "copyText", "tellEmbedder"):
        assert f"export function {export}(" in toolkit or f"export async function {export}(" in toolkit, export


async def test_page_state_is_json_that_cannot_close_its_script_element(sandbox):
    """A title with `</script>` and Hangul is embedded through |tojson: parseable, escaped, Unicode kept."""
    title = "</script><script>alert(1)</script> 커피 ☕ & 'quotes'"
    link = await mizu_support.create_link(sandbox, {**mizu_support.LINK, "title": title})
    _, html, _ = await sandbox.request("GET", f"/mizu/pay/{link['id']}")
    [blob] = STATE.findall(html)
    assert "</script>" not in blob and "<script>" not in blob and "커피 ☕" in blob
    assert json.loads(blob)["link"]["title"] == title


async def test_templates_are_compiled_once_not_read_per_request(sandbox):
    """After start no request asks the template loader for a file: every page comes from the compiled cache."""
    pages = await every_page(sandbox)
    env = sandbox.app[aiohttp_jinja2.APP_KEY]
    assert env.autoescape is True and env.auto_reload is False
    reads: list[str] = []
    original = env.loader.get_source

    def counting(environment, name):
        reads.append(name)
        return original(environment, name)

    env.loader.get_source = counting
    try:
        for path in pages.values():
            status, _, _ = await sandbox.request("GET", path)
            assert status == 200, path
    finally:
        env.loader.get_source = original
    assert reads == []


async def test_one_error_page_serves_every_provider(sandbox):
    """Unknown ids on every provider's hosted pages answer 404 with the same error template."""
    for path, brand in (("/liqx/widget/nope", "LIQX"), ("/rozo/pay/nope", "ROZO Pay"),
                        ("/inqud/pay/checkout/CCO-nope", "inqud"), ("/mizu/pay/999999", "Mizu Pay")):
        status, html, response = await sandbox.request("GET", path)
        assert status == 404 and response.content_type == "text/html", path
        assert 'data-testid="error-page"' in html and html.count(BASE_LINK) == 1, path
        assert f'<p class="brand-mark">{brand}</p>' in html, path


async def test_the_inspectors_pages_link_each_other_in_the_top_bar(sandbox):
    """The inspector, the grade list and a grade page all carry Inspector and Grades links; the current one is marked."""
    pages = await every_page(sandbox)
    for name, current in (("inspector", "inspector"), ("grades", "grades"), ("grade", "grades")):
        _, html, _ = await sandbox.request("GET", pages[name])
        assert '<a href="/_sandbox/ui/grades" data-testid="nav-grades"' in html, name
        assert '<a href="/_sandbox/ui/" data-testid="nav-inspector"' in html, name
        assert re.search(rf'data-testid="nav-{current}" aria-current="page"', html), name
    _, html, _ = await sandbox.request("GET", pages["grade"])
    assert 'id="attempt-41"' in html and 'href="#attempt-41"' in html
    assert 'href="/_sandbox/deliveries?event_id=evt_grade_1"' in html


async def test_markup_in_a_case_name_is_text_on_the_grade_page_and_in_the_export(sandbox):
    """A case name, body and partner-view read holding markup are escaped text, never elements."""
    name = "<script>alert(1)</script>"
    report = await kept_grade(sandbox, "grd_markup", name)
    _, html, _ = await sandbox.request("GET", f"/_sandbox/ui/grades/{report['id']}")
    for page in (html, reports.to_html(report)):
        assert "<script>alert(1)" not in page and "<b>bold" not in page and "<i>paid" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert 'data-case="&lt;script&gt;alert(1)&lt;/script&gt;"' in page
        assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_the_exported_grade_is_one_self_contained_file():
    """`--html` is the base layout with both stylesheets inline: no stylesheet link, script or outside URL."""
    page = reports.to_html(sample_report("grd_export"))
    assert '<html lang="en" data-layout="base">' in page
    assert "<link rel=\"stylesheet\"" not in page and "<script" not in page and "src=" not in page
    assert re.findall(r'href="([^"]*)"', page) == ["data:,", "#case-honest", "#attempt-41", "#case-out_of_order"]
    [style] = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert "--accent:" in style and ".btn-primary" in style, "base.css is inlined"
    assert ".grid th" in style and ".entry[data-outcome=\"bad\"]" in style, "the inspector's stylesheet is inlined"
    assert "&gt;" not in style and "&#34;" not in style, "the styles are not HTML-escaped"
    assert "/_sandbox/" not in page.split("</style>")[1], "no link into a server the file will not have"
