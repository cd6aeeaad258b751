"""The inspector (SPEC §9): `/_sandbox/ui/`, one page over the control API.

The page lists every intent across providers and, for the chosen one, renders the control API's
timeline — API calls, transitions, browser events, webhook events and each delivery attempt with
its headers, signature input, status, duration and faults — with buttons to resend an event and to
force a transition. Everything it shows comes from the public control API; this module only serves
the page, its static files and the providers' status words for the force-transition menu.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from sandbox.keys import SANDBOX

STATIC = Path(__file__).parent / "static"

routes = web.RouteTableDef()


@routes.get("/ui")
async def ui_redirect(request: web.Request) -> web.Response:
    """`/_sandbox/ui` → `/_sandbox/ui/`, keeping the query (the admin token beyond loopback)."""
    raise web.HTTPFound("/_sandbox/ui/" + (f"?{request.query_string}" if request.query_string else ""))


@routes.get("/ui/")
async def inspector(request: web.Request) -> web.Response:
    """The inspector page; beyond loopback its assets carry the admin token the page was opened with."""
    text = (STATIC / "inspector.html").read_text(encoding="utf-8")
    token = request.query.get("admin_token")
    if token:
        suffix = "?admin_token=" + quote(token, safe="")
        for asset in ("inspector.css", "inspector.js"):
            text = text.replace(f"/_sandbox/ui/static/{asset}", f"/_sandbox/ui/static/{asset}{suffix}")
    return web.Response(text=text, content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-store"})


@routes.get("/ui/meta")
async def meta(request: web.Request) -> web.Response:
    """Each provider's title and status words, for the inspector's force-transition menu."""
    sb = request.config_dict[SANDBOX]
    return web.json_response({"providers": {name: {"title": p.title, "statuses": list(p.statuses)}
                                            for name, p in sb.providers.items()}})


def add_ui(app: web.Application) -> None:
    """Mount the inspector on the control sub-app."""
    app.add_routes(routes)
    app.router.add_static("/ui/static", STATIC, append_version=False)
