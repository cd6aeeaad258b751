"""The partner side's pages: the `/partner` sub-app (simulator pages, their static files, the demo
proxy) and the landing page at `/`.

`/api/webhooks/{provider}` (the receiver) stays at the root, where a partner's endpoint lives.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from sandbox.partner import pages, proxy, quick
from sandbox.partner.pages import landing_routes

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

__all__ = ["TEMPLATES", "landing_routes", "make_app"]

#: The simulator pages (the Partner CRM of a LIQX partner), for `GET /_sandbox/config` and the banner.
SIMULATOR_PAGES = {"payin": "/partner/liqx/payin", "payout": "/partner/liqx/payout"}


def make_app() -> web.Application:
    """The `/partner` sub-app: the simulator pages, their static files and the demo proxies."""
    app = web.Application()
    app[proxy.PROXY] = proxy.ProxyState()
    app.cleanup_ctx.append(proxy.client_lifetime)
    app.add_routes(pages.routes)
    app.add_routes(proxy.routes)
    app.add_routes(quick.routes)
    app.router.add_static("/static", STATIC, append_version=False)
    return app
