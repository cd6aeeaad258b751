"""LIQX's partner API under `/liqx/v1` (SPEC §2): create, read and list intents, open widget sessions.

Handlers stay thin: authenticate, read and validate the body, run one model function as one
transaction, answer. Creates honour `Idempotency-Key`.
"""

from __future__ import annotations

import base64

from aiohttp import web

from sandbox.bodies import query_limit, read_json
from sandbox.errors import ValidationFailed
from sandbox.providers.base import public, this
from sandbox.providers.liqx import models

NAME = models.NAME

routes = web.RouteTableDef()


@routes.post("/v1/payin-intents")
async def create_payin(request: web.Request) -> web.Response:
    """Create a PAYIN intent (KRW in, USDT credited)."""
    return await this(request).create_from_request(request, "payin-intent", models.create_payin, contract="intent",
                                                   idempotent=True)


@routes.post("/v1/payout-intents")
async def create_payout(request: web.Request) -> web.Response:
    """Reserve a PAYOUT intent (USDT out, KRW paid to the user's bank account)."""
    return await this(request).create_from_request(request, "payout-intent", models.create_payout, contract="intent",
                                                   idempotent=True,
                                                   scenario_field=lambda body: body.get("scenario") or "VERIFIED")


@routes.get("/v1/intents/{intent_id}")
async def get_intent(request: web.Request) -> web.Response:
    """Read one intent."""
    return await this(request).answer_found(request, request.match_info["intent_id"], noun="intent", contract="intent")


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
    """List intents, newest first, with cursor pagination."""
    liqx = this(request)
    liqx.authenticate(request)
    query = request.query
    issues: list[dict] = []
    limit = query_limit(query, issues)
    status = query.get("status") or None
    if status and status not in (*models.PAYIN_STATUSES, *models.PAYOUT_STATUSES):
        issues.append({"field": "status", "issue": "unknown status"})
    if issues:
        raise ValidationFailed("invalid query parameters", details=issues)
    before = _cursor(query.get("cursor"))
    external_ref = query.get("external_ref") or None
    rows = await liqx.read(request, lambda uow: uow.intents.list(NAME, status=status, external_ref=external_ref,
                                                                  before_seq=before, limit=limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = base64.urlsafe_b64encode(f"seq:{rows[-1].seq}".encode()).decode().rstrip("=") if more else None
    body = {"data": [public(r.data) for r in rows], "next_cursor": cursor}
    return liqx.respond(request, body, contract="intent-list")


@routes.post("/v1/intents/{intent_id}/widget-sessions")
async def create_session(request: web.Request) -> web.Response:
    """Open a widget session for a live intent."""
    liqx = this(request)
    liqx.authenticate(request)
    await read_json(request, allow_empty=True)
    ctx = liqx.ctx(request)
    intent_id = request.match_info["intent_id"]

    def work(db):
        status, session = models.open_session(db, ctx, intent_id)
        db.timeline.add(NAME, intent_id, "api_call", ctx.now_ms,
                        {"method": "POST", "path": request.path, "status": status, "response": session})
        return status, session

    status, session = await liqx.commit(request, work)
    return liqx.respond(request, session, status=status, contract="widget-session")
