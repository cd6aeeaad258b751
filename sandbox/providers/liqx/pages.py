"""LIQX's hosted widget (`/liqx/widget/{token}`), its small JSON API and the partner SDK script.

The widget's endpoints are authorised by the session token in the URL, as a hosted page is. It
measures session expiry against sandbox time (`server_time`), never the browser's clock.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.bodies import read_json
from sandbox.clock import iso
from sandbox.errors import NotFound, ValidationFailed
from sandbox.providers.base import public, this
from sandbox.providers.liqx import models

NAME = models.NAME

routes = web.RouteTableDef()


async def _session(request: web.Request) -> dict:
    token = request.match_info["token"]
    session = await this(request).read(request, lambda uow: uow.sessions.get(NAME, token))
    if session is None:
        raise NotFound("widget session not found")
    return session


@routes.get("/widget/{token}")
async def widget_page(request: web.Request) -> web.Response:
    """The widget page, with its intent and session embedded."""
    liqx = this(request)
    try:
        session = await _session(request)
    except NotFound:
        return liqx.not_found_page(request, "Widget session not found.")
    row = await liqx.find(request, session["intent_id"])
    token = session["session_token"]
    state = {
        "intent": public(row.data),
        "session": {k: session[k] for k in ("session_id", "session_token", "intent_id", "widget_type", "expires_at")},
        "urls": {"action": f"/liqx/widget/{token}/actions", "state": f"/liqx/widget/{token}/state",
                 "events": f"/liqx/widget/{token}/events", "static": "/liqx/static/"},
        "server_time": iso(liqx.now(request)),
    }
    return liqx.render_page(request, "widget.html", state)


@routes.get("/widget/{token}/state")
async def widget_state(request: web.Request) -> web.Response:
    """The intent as the widget polls it, with sandbox time."""
    liqx = this(request)
    session = await _session(request)
    row = await liqx.find(request, session["intent_id"])
    return liqx.respond(request, {"intent": public(row.data), "server_time": iso(liqx.now(request))})


@routes.post("/widget/{token}/actions")
async def widget_action(request: web.Request) -> web.Response:
    """A widget button: deposit, reject or claim."""
    liqx = this(request)
    session = await _session(request)
    body, _ = await read_json(request)
    action = body.get("action")
    if action not in ("deposit", "reject", "claim"):
        raise ValidationFailed("action must be deposit, reject or claim",
                               details=[{"field": "/action", "issue": "must be deposit, reject or claim"}])
    intent = await liqx.commit(request, models.widget_action, liqx.ctx(request), session, action)
    return liqx.respond(request, {"intent": intent, "server_time": iso(liqx.now(request))})


@routes.post("/widget/{token}/events")
async def widget_event(request: web.Request) -> web.Response:
    """A message the widget posted to its host page, recorded in the intent's timeline."""
    session = await _session(request)
    body, _ = await read_json(request)
    return await this(request).record_browser_event(request, session["intent_id"], body, "widget-message",
                                                     {"intent_id": session["intent_id"]})


@routes.get("/sdk/v1/liqx-widget.js")
async def sdk(request: web.Request) -> web.FileResponse:
    """The partner SDK, loadable from any origin."""
    return web.FileResponse(this(request).folder / "static" / "liqx-widget.js", headers={
        "Content-Type": "application/javascript; charset=utf-8", "Access-Control-Allow-Origin": "*",
        "Cache-Control": "no-cache"})
