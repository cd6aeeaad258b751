"""The inspector (SPEC §9): `/_sandbox/ui/`, one page over the control API.

The page lists every intent across providers and, for the chosen one, renders the control API's
timeline — API calls, transitions, browser events, webhook events and each delivery attempt with
its headers, signature input, status, duration and faults, coloured by outcome, with the next
retry's due time — with buttons to resend an event and to force a transition. Everything it shows
comes from the public control API; this module only serves the page (`control/inspector.html`),
its static files and the providers' status words for the force-transition menu.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from sandbox.keys import sandbox_for
from sandbox.web.render import render

HERE = Path(__file__).parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

routes = web.RouteTableDef()


@routes.get("/ui")
async def ui_redirect(request: web.Request) -> web.Response:
    """`/_sandbox/ui` → `/_sandbox/ui/`, keeping the query (the admin token beyond loopback)."""
    raise web.HTTPFound("/_sandbox/ui/" + (f"?{request.query_string}" if request.query_string else ""))


@routes.get("/ui/")
async def inspector(request: web.Request) -> web.Response:
    """The inspector page; beyond loopback its assets carry the admin token the page was opened with."""
    token = request.query.get("admin_token")
    suffix = "?admin_token=" + quote(token, safe="") if token else ""
    return render(request, "control/inspector.html", {"admin_query": suffix, "current": "inspector"})


@routes.get("/ui/meta")
async def meta(request: web.Request) -> web.Response:
    """Each provider's title, status words and state graph, for the inspector's force-transition menu."""
    return web.json_response({"providers": {
        name: {"title": p.title, "statuses": list(p.statuses),
               "graph": {status: sorted(following) for status, following in p.graph.items()}}
        for name, p in sandbox_for(request).providers.items()}})


def add_ui(app: web.Application) -> None:
    """Mount the inspector on the control sub-app."""
    app.add_routes(routes)
    app.router.add_static("/ui/static", STATIC, append_version=False)
