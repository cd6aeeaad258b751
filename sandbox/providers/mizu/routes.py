"""Mizu's provisional partner API under `/mizu/api/v1` (SPEC §4).

The API needs `Authorization: Bearer mizu_sk_sandbox_…`. Handlers stay thin: authenticate, read
and validate, run one model function as one transaction, answer. Creating a payment link honours
`Idempotency-Key`.
"""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from sandbox.errors import NotFound
from sandbox.providers.base import public, this
from sandbox.providers.mizu import models
from sandbox.validation import ascii_int, parse_query, query_int, query_text, takes_query

NAME = models.NAME
#: Mizu's ids are numbers of at most 15 digits.
MAX_ID = 10**15 - 1

routes = web.RouteTableDef()


def number(request: web.Request, key: str, noun: str) -> str:
    """A path id: Mizu's ids are numbers, so anything else cannot name one."""
    text = request.match_info[key]
    number = ascii_int(text, 0, MAX_ID) if len(text) <= 15 else None
    if number is None:
        raise NotFound(f"{noun} {text[:64]!r} not found; {noun} ids are numbers")
    return str(number)


@routes.post("/api/v1/payment-links")
async def create_link(request: web.Request) -> web.Response:
    """`POST /api/v1/payment-links`: 201 with the new link (Idempotency-Key honoured)."""
    return await this(request).create_from_request(request, "payment-link", models.create_link,
                                                   contract="payment-link", idempotent=True)


@routes.get("/api/v1/payment-links/{link_id}")
async def get_link(request: web.Request) -> web.Response:
    """`GET /api/v1/payment-links/{id}`."""
    mizu = this(request)
    mizu.authenticate(request)
    row = await mizu.read(request, models.load, number(request, "link_id", "payment link"), "link")
    return mizu.respond(request, models.link_public(row.data, mizu.base_url(request)), contract="payment-link")


@routes.get("/api/v1/payments/{payment_id}")
async def get_payment(request: web.Request) -> web.Response:
    """`GET /api/v1/payments/{id}`: the payment at any status."""
    mizu = this(request)
    mizu.authenticate(request)
    row = await mizu.read(request, models.load, number(request, "payment_id", "payment"), "payment")
    return mizu.respond(request, public(row.data), contract="payment")


class ListQuery(BaseModel):
    """`GET /api/v1/payments`: reconciliation filters; an unknown parameter is refused, not ignored."""

    model_config = ConfigDict(extra="forbid")
    clientReferenceId: query_text(128) = None  # noqa: N815 (Mizu's own spelling)
    paymentLinkId: query_int(0, MAX_ID) | None = None  # noqa: N815
    status: Literal["0", "1", "2", "4"] | None = None
    limit: query_int(1, 100) = 20


def _list_query(query) -> tuple[str | None, int | None, int | None, int]:
    parsed = parse_query(ListQuery, query)
    status = int(parsed.status) if parsed.status is not None else None
    return parsed.clientReferenceId, parsed.paymentLinkId, status, parsed.limit


@routes.get("/api/v1/payments")
@takes_query(ListQuery)
async def list_payments(request: web.Request) -> web.Response:
    """`GET /api/v1/payments`: find payments by reference, link and status (reconciliation)."""
    mizu = this(request)
    mizu.authenticate(request)
    reference, link_id, status, limit = _list_query(request.query)
    rows = await mizu.read(request, models.list_payments, reference, link_id, status, limit)
    return mizu.respond(request, {"data": rows, "limit": limit}, contract="payment-list")
