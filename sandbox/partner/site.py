"""Mounts the partner side into the sandbox app: receiver, simulator pages, demo proxy, landing page.

`/api/webhooks/{provider}` (the receiver) stays at the root, where a partner's endpoint lives;
the simulator pages, their static files and the demo proxy form the `/partner` sub-app; `/` is the
landing page.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.partner import pages, proxy


def make_app() -> web.Application:
    """The `/partner` sub-app: the two simulator pages, their static files and the demo proxy."""
    app = web.Application()
    app[proxy.PROXY] = proxy.ProxyState()
    app.cleanup_ctx.append(proxy.client_lifetime)
    app.add_routes(pages.routes)
    app.add_routes(proxy.routes)
    app.router.add_static("/static", pages.STATIC, append_version=False)
    return app


def mount(app: web.Application) -> None:
    """Add the partner sub-app at `/partner` and the landing page at `/`."""
    app.add_subapp("/partner", make_app())
    app.add_routes(pages.landing_routes)
