"""The Partner CRM simulator pages (`/partner/liqx/payin`, `/partner/liqx/payout`) and the landing page.

Both simulator pages render one template (`partner/simulator.html`) with the wording and form
defaults of `sandbox.partner.texts`; the same data is the page's embedded state for its script.
The landing page at `/` shows each provider's base URLs and keys as text to copy and links only
what a browser can open: the simulator pages, the inspector and the control API's read-only
documents.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.engine import Sandbox
from sandbox.keys import SANDBOX
from sandbox.partner.texts import PAGES, SIMULATORS
from sandbox.web.render import render

routes = web.RouteTableDef()
landing_routes = web.RouteTableDef()

_INPUT_TYPES = {"email": "email", "url": "url", "amount": "text", "text": "text", "ref": "text"}


@routes.get("/liqx/payin")
async def payin_page(request: web.Request) -> web.Response:
    """The PAYIN simulator (seed 000)."""
    page = PAGES["payin"]
    return render(request, "partner/simulator.html", {"page": page, "state": page, "input_types": _INPUT_TYPES,
                                                       "current": "payin"})


@routes.get("/liqx/payout")
async def payout_page(request: web.Request) -> web.Response:
    """The PAYOUT simulator (seed 001)."""
    page = PAGES["payout"]
    return render(request, "partner/simulator.html", {"page": page, "state": page, "input_types": _INPUT_TYPES,
                                                       "current": "payout"})


@routes.get("/")
async def partner_index(request: web.Request) -> web.Response:
    """`/partner/` has nothing of its own: the landing page lists every simulator page."""
    raise web.HTTPFound("/")


def _provider_card(sb: Sandbox, name: str) -> dict:
    """A provider's URLs (text: API bases and templates are not pages) and the pages worth opening."""
    provider = sb.providers[name]
    described = provider.describe(sb)
    urls = [(key, value) for key, value in described.items()
            if isinstance(value, str) and value.startswith("http")]
    links = [(label, href) for _, label, href in SIMULATORS.get(name, ())]
    links.append((f"{provider.title} webhook receipts (built-in receiver)", f"/api/webhooks/{name}/events"))
    return {"name": name, "title": provider.title, "urls": urls, "links": links}


@landing_routes.get("/")
async def landing(request: web.Request) -> web.Response:
    """The sandbox's front door: providers' bases, the simulator pages, the inspector."""
    sb: Sandbox = request.config_dict[SANDBOX]
    providers = [_provider_card(sb, name) for name in sb.providers]
    simulators = {name: links for name, links in SIMULATORS.items() if name in sb.providers}
    return render(request, "partner/landing.html", {"base_url": sb.base_url, "providers": providers,
                                                     "simulators": simulators})
