"""The pages over plain HTTP: landing, simulator pages, their assets, and the inspector behind the admin token."""

from __future__ import annotations

import html
import json
import re

from tests.support import start_sandbox, stop_sandbox


async def test_landing_page_links_pages_and_shows_api_bases_as_text(sandbox):
    """`/` links the simulator pages and the inspector; API bases and URL templates are text, not links."""
    status, text, response = await sandbox.request("GET", "/")
    assert status == 200 and response.content_type == "text/html"
    for href in ("/partner/liqx/payin", "/partner/liqx/payout", "/_sandbox/ui/"):
        assert f'href="{href}"' in text, href
    for shown in (f"{sandbox.base_url}/liqx/v1", f"{sandbox.base_url}/rozo/pay/{{paymentId}}"):
        assert f">{shown}</code>" in text and f'href="{shown}"' not in text, shown


async def test_every_landing_link_resolves(sandbox):
    """Every link on the landing page opens something (no 404, no error status)."""
    _, text, _ = await sandbox.request("GET", "/")
    hrefs = sorted(set(re.findall(r'href="([^"]+)"', text)) - {"data:,"})
    assert len(hrefs) >= 10, hrefs
    for href in hrefs:
        assert href.startswith("/") or href.startswith(sandbox.base_url), href
        status, _, _ = await sandbox.request("GET", href.removeprefix(sandbox.base_url))
        assert status == 200, (href, status)


async def test_simulator_pages_embed_their_config_and_load_the_sdk(sandbox):
    """Each page carries its own wording as JSON and loads the LIQX SDK and its modules from this server."""
    for kind, title in (("payin", "PAYIN intent proof"), ("payout", "PAYOUT intent proof")):
        status, text, _ = await sandbox.request("GET", f"/partner/liqx/{kind}")
        assert status == 200 and f"<h1 data-testid=\"page-title\">{title}</h1>" in text
        config = json.loads(re.search(r'<script id="page-state" type="application/json">(.*?)</script>', text,
                                      re.S).group(1))
        assert config["kind"] == kind.upper() and config["proxy"] == f"/partner/api/liqx/{kind}-intents"
        assert '<script src="/liqx/sdk/v1/liqx-widget.js"></script>' in text
        assert not re.search(r'(src|href)="https?://', text), "no external resources"
    for asset in ("simulator.js", "receipts.js", "simulator.css"):
        status, _, _ = await sandbox.request("GET", f"/partner/static/{asset}")
        assert status == 200, asset


async def test_seed_values_are_escaped_into_the_form(sandbox):
    """Form defaults are HTML-escaped attribute values, 홍길동 included as is."""
    _, text, _ = await sandbox.request("GET", "/partner/liqx/payin")
    assert 'value="홍길동"' in text and 'value="partner-user-001"' in text
    assert html.escape("https://partner.example.com/orders/demo") in text


async def test_partner_root_redirects_to_the_landing_page(sandbox):
    """`/partner/` has nothing of its own and sends visitors to `/`."""
    status, _, response = await sandbox.request("GET", "/partner/", allow_redirects=False)
    assert status == 302 and response.headers["Location"] == "/"
    status, _, _ = await sandbox.request("GET", "/partner/liqx/nope")
    assert status == 404


async def test_inspector_page_and_meta_on_loopback(sandbox):
    """The inspector and its status menu data are served without a token on loopback."""
    status, text, _ = await sandbox.request("GET", "/_sandbox/ui/")
    assert status == 200 and 'data-testid="inspector"' in text
    status, meta, _ = await sandbox.request("GET", "/_sandbox/ui/meta")
    assert status == 200 and "RESERVED" in meta["providers"]["liqx"]["statuses"]
    status, _, response = await sandbox.request("GET", "/_sandbox/ui", allow_redirects=False)
    assert status == 302 and response.headers["Location"] == "/_sandbox/ui/"


async def test_inspector_beyond_loopback_needs_the_admin_token(tmp_path):
    """Bound beyond loopback, the inspector needs the token and passes it on to its own assets."""
    running = await start_sandbox(tmp_path, host="0.0.0.0", admin_token="s3cret")
    try:
        status, _, _ = await running.request("GET", "/_sandbox/ui/")
        assert status == 401
        status, text, _ = await running.request("GET", "/_sandbox/ui/?admin_token=s3cret")
        assert status == 200 and "/_sandbox/ui/static/inspector.js?admin_token=s3cret" in text
        status, _, _ = await running.request("GET", "/_sandbox/ui/static/inspector.js?admin_token=s3cret")
        assert status == 200
        status, _, _ = await running.request("GET", "/_sandbox/ui/static/inspector.js")
        assert status == 401
        # The demo proxy reaches LIQX on loopback even when the server listens on every address.
        status, envelope, _ = await running.request("POST", "/partner/api/liqx/payout-intents", json={
            "legal_name": "홍길동", "amount_krw": "100000", "amount_usdt": "75.000000"})
        assert status == 201, envelope
    finally:
        await stop_sandbox(running)
