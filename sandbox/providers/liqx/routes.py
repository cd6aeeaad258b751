"""LIQX's partner API under `/liqx/v1` (SPEC §2): create, read and list intents, open widget sessions.

Handlers stay thin: authenticate, read and validate the body, run one model function as one
transaction, answer. Creates honour `Idempotency-Key`.
"""

from __future__ import annotations

import base64

from aiohttp import web
from pydantic import BaseModel

from sandbox.bodies import read_json
from sandbox.errors import ValidationFailed
from sandbox.providers.base import public, this
from sandbox.providers.liqx import models
from sandbox.validation import ascii_int, parse_query, query_int, query_text, takes_query

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


class ListQuery(BaseModel):
    """`GET /v1/intents`: filters, page size and the cursor this API returned."""

    external_ref: query_text(64) = None
    status: query_text(32) = None
    limit: query_int(1, 100) = 20
    cursor: query_text(64) = None


def _cursor(text: str | None) -> int | None:
    """The sequence number inside a cursor this API returned; anything else is a 400."""
    if not text:
        return None
    try:
        decoded = base64.urlsafe_b64decode(text.encode("ascii") + b"==").decode("ascii")
    except ValueError:  # not ASCII, not base64, not ASCII inside
        decoded = ""
    seq = ascii_int(decoded.removeprefix("seq:"), 1) if decoded.startswith("seq:") else None
    if seq is None:
        raise ValidationFailed("cursor is not one this API returned",
                               details=[{"field": "cursor", "issue": "invalid cursor"}])
    return seq


@routes.get("/v1/intents")
@takes_query(ListQuery)
async def list_all(request: web.Request) -> web.Response:
    """List intents, newest first, with cursor pagination."""
    liqx = this(request)
    liqx.authenticate(request)
    query = parse_query(ListQuery, request.query)
    limit, status = query.limit, query.status
    if status and status not in (*models.PAYIN_STATUSES, *models.PAYOUT_STATUSES):
        raise ValidationFailed("invalid query parameters", details=[{"field": "status", "issue": "unknown status"}])
    before = _cursor(query.cursor)
    rows = await liqx.read(request, lambda uow: uow.intents.list(NAME, status=status, external_ref=query.external_ref,
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
