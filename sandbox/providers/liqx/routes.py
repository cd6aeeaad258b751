"""LIQX's HTTP surface (SPEC §2): the partner API under `/liqx/v1`, the hosted widget and the SDK.

Handlers stay thin: authenticate, read and validate the body, run one model function as one
transaction, answer. The widget's own endpoints are authorised by the session token in the URL,
as a hosted page is.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from aiohttp import web

from sandbox.bodies import query_limit, read_json
from sandbox.clock import iso
from sandbox.errors import NotFound, ValidationFailed
from sandbox.idempotency import run_once
from sandbox.providers.common import (
    bearer_token,
    chosen_scenario,
    json_response,
    render_page,
    require_key,
    sandbox_of,
    validate,
)
from sandbox.providers.liqx import models
from sandbox.web.render import error_page

NAME = models.NAME
HERE = Path(__file__).parent
STATIC = HERE / "static"

routes = web.RouteTableDef()


def ctx_of(sb) -> models.Ctx:
    delay = sb.settings.provider(NAME).settlement_delay_s
    return models.Ctx(sb.ids, sb.clock.now(), sb.base_url, 5.0 if delay is None else delay)


def _authenticate(request: web.Request) -> None:
    sb = sandbox_of(request)
    require_key(bearer_token(request), sb.credentials[NAME].get("api_key"))


def _scenarios(sb, request: web.Request, field_value: str | None = None):
    return chosen_scenario(sb, NAME, request, field_value)


async def _create(request: web.Request, contract: str, make) -> web.Response:
    sb = sandbox_of(request)
    _authenticate(request)
    body, raw = await read_json(request)
    validate(sb, NAME, contract, body)
    ctx = ctx_of(sb)
    key = request.headers.get("Idempotency-Key")
    call = {"method": request.method, "path": request.path}

    def work(db):
        def create(db):
            status, answer = make(db, ctx, body)
            intent_id = answer.get("intent_id") or answer.get("error", {}).get("intent_id")
            if intent_id:
                db.timeline.add(NAME, intent_id, "api_call", ctx.now_ms,
                                {**call, "status": status, "request": body, "response": answer})
            return status, answer
        return run_once(db, NAME, key, raw, create, ctx.now_ms)

    status, encoded, replayed = await sb.store.commit(work)
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    name = "intent" if status == 201 else "error"
    return json_response(sb, NAME, json.loads(encoded), status=status, contract=name, raw=encoded, headers=headers)


@routes.post("/v1/payin-intents")
async def create_payin(request: web.Request) -> web.Response:
    sb = sandbox_of(request)
    scenario = _scenarios(sb, request)

    def make(db, ctx, body):
        return models.create_payin(db, ctx, body, scenario, sb.attach_scenario)

    return await _create(request, "payin-intent", make)


@routes.post("/v1/payout-intents")
async def create_payout(request: web.Request) -> web.Response:
    sb = sandbox_of(request)

    def make(db, ctx, body):
        scenario = _scenarios(sb, request, body.get("scenario") or "VERIFIED")
        return models.create_payout(db, ctx, body, scenario, sb.attach_scenario)

    return await _create(request, "payout-intent", make)


@routes.get("/v1/intents/{intent_id}")
async def get_intent(request: web.Request) -> web.Response:
    sb = sandbox_of(request)
    _authenticate(request)
    row = await sb.store.read(lambda db: db.intents.get(NAME, request.match_info["intent_id"]))
    if row is None:
        raise NotFound(f"intent {request.match_info['intent_id']!r} not found")
    return json_response(sb, NAME, models.public(row.data), contract="intent")


def _cursor(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return int(base64.urlsafe_b64decode(text.encode() + b"==").decode().removeprefix("seq:"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("cursor is not one this API returned",
                               details=[{"field": "cursor", "issue": "invalid cursor"}]) from exc


@routes.get("/v1/intents")
async def list_all(request: web.Request) -> web.Response:
    sb = sandbox_of(request)
    _authenticate(request)
    query = request.query
    issues: list[dict] = []
    limit = query_limit(query, issues)
    status = query.get("status") or None
    if status and status not in (*models.PAYIN_STATUSES, *models.PAYOUT_STATUSES):
        issues.append({"field": "status", "issue": "unknown status"})
    if issues:
        raise ValidationFailed("invalid query parameters", details=issues)
    before = _cursor(query.get("cursor"))
    rows = await sb.store.read(lambda db: db.intents.list(NAME, status=status, external_ref=query.get("external_ref") or None,
                                                         before_seq=before, limit=limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = base64.urlsafe_b64encode(f"seq:{rows[-1].seq}".encode()).decode().rstrip("=") if more else None
    body = {"data": [models.public(r.data) for r in rows], "next_cursor": cursor}
    return json_response(sb, NAME, body, contract="intent-list")


@routes.post("/v1/intents/{intent_id}/widget-sessions")
async def create_session(request: web.Request) -> web.Response:
    sb = sandbox_of(request)
    _authenticate(request)
    await read_json(request, allow_empty=True)
    ctx = ctx_of(sb)
    intent_id = request.match_info["intent_id"]

    def work(db):
        status, session = models.open_session(db, ctx, intent_id)
        db.timeline.add(NAME, intent_id, "api_call", ctx.now_ms,
                        {"method": "POST", "path": request.path, "status": status, "response": session})
        return status, session

    status, session = await sb.store.commit(work)
    return json_response(sb, NAME, session, status=status, contract="widget-session")


# --- the hosted widget ----------------------------------------------------------------------


async def _session(request: web.Request) -> dict:
    sb = sandbox_of(request)
    session = await sb.store.read(lambda db: db.sessions.get(NAME, request.match_info["token"]))
    if session is None:
        raise NotFound("widget session not found")
    return session


@routes.get("/widget/{token}")
async def widget_page(request: web.Request) -> web.Response:
    sb = sandbox_of(request)
    try:
        session = await _session(request)
    except NotFound:
        return error_page(request, "LIQX", "Widget session not found.")
    row = await sb.store.read(lambda db: db.intents.get(NAME, session["intent_id"]))
    token = session["session_token"]
    state = {
        "intent": models.public(row.data),
        "session": {k: session[k] for k in ("session_id", "session_token", "intent_id", "widget_type", "expires_at")},
        "urls": {"action": f"/liqx/widget/{token}/actions", "state": f"/liqx/widget/{token}/state",
                 "events": f"/liqx/widget/{token}/events", "static": "/liqx/static/"},
        # The widget measures session expiry against sandbox time, never the browser's clock.
        "server_time": iso(sb.clock.now()),
    }
    return render_page(request, "liqx/widget.html", state)


@routes.get("/widget/{token}/state")
async def widget_state(request: web.Request) -> web.Response:
    sb = sandbox_of(request)
    session = await _session(request)
    row = await sb.store.read(lambda db: db.intents.get(NAME, session["intent_id"]))
    return json_response(sb, NAME, {"intent": models.public(row.data), "server_time": iso(sb.clock.now())})


@routes.post("/widget/{token}/actions")
async def widget_action(request: web.Request) -> web.Response:
    sb = sandbox_of(request)
    session = await _session(request)
    body, _ = await read_json(request)
    action = body.get("action")
    if action not in ("deposit", "reject", "claim"):
        raise ValidationFailed("action must be deposit, reject or claim",
                               details=[{"field": "/action", "issue": "must be deposit, reject or claim"}])
    ctx = ctx_of(sb)
    intent = await sb.store.commit(models.widget_action, ctx, session, action)
    return json_response(sb, NAME, {"intent": intent, "server_time": iso(sb.clock.now())})


@routes.post("/widget/{token}/events")
async def widget_event(request: web.Request) -> web.Response:
    sb = sandbox_of(request)
    session = await _session(request)
    body, _ = await read_json(request)
    issues = sb.contracts.errors(NAME, "browser", "widget-message", body)
    if issues or body.get("intent_id") != session["intent_id"]:
        details = [i.as_dict() for i in issues] or [{"field": "/intent_id", "issue": "not this session's intent"}]
        raise ValidationFailed("browser event does not match the contract", details=details)
    await sb.store.commit(models.record_browser_event, sb.clock.now_ms(), session["intent_id"], body)
    return web.json_response({"recorded": True}, status=202)


@routes.get("/sdk/v1/liqx-widget.js")
async def sdk(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "liqx-widget.js", headers={
        "Content-Type": "application/javascript; charset=utf-8", "Access-Control-Allow-Origin": "*",
        "Cache-Control": "no-cache"})


def make_app() -> web.Application:
    """The `/liqx` sub-app."""
    app = web.Application()
    app.add_routes(routes)
    app.router.add_static("/static", STATIC, append_version=False)
    return app

