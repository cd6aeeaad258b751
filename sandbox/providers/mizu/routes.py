"""Mizu's provisional partner API under `/mizu/api/v1` (SPEC §4).

The API needs `Authorization: Bearer mizu_sk_sandbox_…`. Handlers stay thin: authenticate, read
and validate, run one model function as one transaction, answer. Creating a payment link honours
`Idempotency-Key`.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.errors import NotFound, ValidationFailed
from sandbox.providers.base import public, this
from sandbox.providers.mizu import models

NAME = models.NAME

routes = web.RouteTableDef()


def number(request: web.Request, key: str, noun: str) -> str:
    """A path id: Mizu's ids are numbers, so anything else cannot name one."""
    text = request.match_info[key]
    if not text.isdigit() or len(text) > 15:
        raise NotFound(f"{noun} {text!r} not found; {noun} ids are numbers")
    return str(int(text))


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


def _list_query(query) -> tuple[str | None, int | None, int | None, int]:
    issues = []
    unknown = sorted(set(query) - {"clientReferenceId", "paymentLinkId", "status", "limit"})
    issues += [{"field": name, "issue": "unknown query parameter"} for name in unknown]
    limit_text = query.get("limit", "20")
    limit = int(limit_text) if limit_text.isdigit() and len(limit_text) < 4 else 0
    if not 1 <= limit <= 100:
        issues.append({"field": "limit", "issue": "must be an integer from 1 to 100"})
    link_text = query.get("paymentLinkId")
    if link_text is not None and not (link_text.isdigit() and len(link_text) <= 15):
        issues.append({"field": "paymentLinkId", "issue": "must be a payment link id (a number)"})
    status_text = query.get("status")
    if status_text is not None and status_text not in ("0", "1", "2", "4"):
        issues.append({"field": "status", "issue": "must be 0, 1, 2 or 4"})
    reference = query.get("clientReferenceId")
    if reference is not None and len(reference) > 128:
        issues.append({"field": "clientReferenceId", "issue": "must be at most 128 characters"})
    if issues:
        raise ValidationFailed("invalid query parameters", details=issues)
    return (reference, int(link_text) if link_text else None, int(status_text) if status_text else None, limit)


@routes.get("/api/v1/payments")
async def list_payments(request: web.Request) -> web.Response:
    """`GET /api/v1/payments`: find payments by reference, link and status (reconciliation)."""
    mizu = this(request)
    mizu.authenticate(request)
    reference, link_id, status, limit = _list_query(request.query)
    rows = await mizu.read(request, models.list_payments, reference, link_id, status, limit)
    return mizu.respond(request, {"data": rows, "limit": limit}, contract="payment-list")
