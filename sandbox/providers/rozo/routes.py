"""ROZO's Payment API under `/rozo/functions/v1/payment-api`, as the published OpenAPI describes it.

Handlers stay thin: authenticate, read and validate, run one model function as one transaction,
answer. Create answers on `POST /`, on `POST /payments` (ROZO's merchant quick start) and on the
bare `POST /payment-api` ROZO's SDK uses; `?dryrun=true` on any of them is the fee quote.

Auth and tenancy (OpenAPI `info.description`): an `X-API-Key` is bound to one appId and, when
present, is authoritative — it overrides the body's appId and scopes every lookup to its app, so
another tenant's payment is a 404. A key that is not known is `400 invalid_api_key` on every
endpoint. appIds starting `wallet_`, `merchant` or `rozomerchant` need a key to create
(`400 missing_api_key`); other appIds are public. An `Authorization: Bearer` token (ROZO's SDK
sends its gateway token) plays no part.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from sandbox.bodies import read_json
from sandbox.clock import parse_iso, to_ms
from sandbox.delivery.destinations import refuse_url
from sandbox.errors import SandboxError, ValidationFailed
from sandbox.providers.base import public, this
from sandbox.providers.rozo import models, payments
from sandbox.signing import equal
from sandbox.validation import parse_query, query_int, query_text

NAME = models.NAME
API = "/functions/v1/payment-api"
MERCHANT_PREFIXES = ("wallet_", "merchant", "rozomerchant")
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Max-Age": "600",
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "authorization, x-api-key, content-type, x-client-info, apikey, "
                                        "x-sandbox-scenario"}

routes = web.RouteTableDef()


def api_keys(request: web.Request) -> dict[str, str]:
    """Every sandbox key and the appId it is bound to."""
    rozo = this(request)
    return {rozo.credential(request, "api_key"): rozo.credential(request, "app_id"),
            rozo.credential(request, "wallet_api_key"): rozo.credential(request, "wallet_app_id")}


def key_app(request: web.Request) -> str | None:
    """The appId of the request's `X-API-Key`, None without one; an unknown key is `400 invalid_api_key`."""
    presented = request.headers.get("X-API-Key", "").strip()
    if not presented:
        return None
    found = None
    for key, app_id in api_keys(request).items():
        if equal(presented, key):  # every key compared, in constant time each
            found = app_id
    if found is None:
        raise SandboxError("API key is unknown, revoked, expired, or inactive", code="invalid_api_key", status=400)
    return found


def needs_key(app_id: str) -> bool:
    """Merchant and wallet appIds need an X-API-Key to create; other appIds are public."""
    return app_id.startswith(MERCHANT_PREFIXES)


def _missing_key(app_id: str) -> SandboxError:
    return SandboxError(f"appId {app_id!r} requires an X-API-Key header", code="missing_api_key", status=400)


def _record(db, payment_id: str, request: web.Request, status: int, now_ms: int, body=None, answer=None) -> None:
    db.timeline.add(NAME, payment_id, "api_call", now_ms, {"method": request.method, "path": request.path,
                                                            "query": request.query_string, "status": status,
                                                            "request": body, "response": answer})


# --- create and quote -----------------------------------------------------------------------


async def create(request: web.Request) -> web.Response:
    """Create Payment (`POST /`), or with `?dryrun=true` the fee quote; 409 on a duplicate orderId."""
    rozo = this(request)
    key_app_id = key_app(request)
    body, raw = await read_json(request)
    rozo.validate(request, "create-payment", body)
    if body.get("webhookUrl"):
        refuse_url(body["webhookUrl"], rozo.sandbox(request).settings.webhook_policy, "/webhookUrl")
    app_id = key_app_id or body["appId"]
    if key_app_id is None and needs_key(app_id):
        raise _missing_key(app_id)
    if request.query.get("dryrun", "").lower() in ("true", "1"):
        return rozo.respond(request, payments.quote(body), contract="fee-quote")
    scenario = rozo.chosen_scenario(request)
    attach = rozo.attach(request)

    def make(db, ctx):
        return 201, models.create_payment(db, ctx, body, app_id, scenario, attach)

    return await rozo.create(request, body, raw, make, contract="payment")


for path in (API, API + "/", API + "/payments"):
    routes.post(path)(create)


# --- reads ----------------------------------------------------------------------------------


class ListQuery(BaseModel):
    """List Payments' query (OpenAPI `listPayments`): page by `limit`/`offset`, filter by status and dates."""

    appId: query_text() = None  # noqa: N815 (ROZO's spelling)
    limit: query_int(1, 100) = 20
    offset: query_int(0, 10**100 - 1) = 0  # unbounded in the OpenAPI; the store clamps it
    status: query_text(64) = None
    fromDate: query_text(64) = None  # noqa: N815
    toDate: query_text(64) = None  # noqa: N815


@routes.get(API + "/payments")
async def list_payments(request: web.Request) -> web.Response:
    """List Payments: scoped to the key's app (or a public `?appId=`), newest first, offset pagination."""
    rozo = this(request)
    key_app_id = key_app(request)
    app_id = key_app_id or request.query.get("appId") or None  # ROZO ignores ?appId= when a key is sent
    if app_id is None:
        raise SandboxError("List Payments needs an X-API-Key (or ?appId= of a public app)", code="missing_api_key",
                           status=400)
    if key_app_id is None and needs_key(app_id):
        raise _missing_key(app_id)
    parsed = parse_query(ListQuery, request.query, code="invalidRequest")
    query = parsed.model_dump(exclude_none=True, exclude={"appId"})
    # Query parameters are named bare (`limit`), as everywhere; the contract speaks JSON pointers.
    issues = [{"field": i.field.lstrip("/"), "issue": i.issue}
              for i in rozo.sandbox(request).contracts.errors(NAME, "requests", "list-payments-query", query)]
    if query.get("status") and query["status"] not in models.STATUSES:
        issues.append({"field": "status", "issue": f"must be one of {', '.join(models.STATUSES)}"})
    bounds = {}
    for name in ("fromDate", "toDate"):
        if name in query and not any(i["field"] == name for i in issues):
            try:
                bounds[name] = to_ms(parse_iso(query[name]))
            except (ValueError, OverflowError):
                issues.append({"field": name, "issue": "must be an ISO 8601 date-time"})
    if issues:
        raise ValidationFailed("invalid query parameters", details=issues, code="invalidRequest")
    rows, total = await rozo.read(request, models.list_payments, app_id, query.get("status"), bounds.get("fromDate"),
                                      bounds.get("toDate"), query["limit"], query["offset"])
    body = {"data": rows, "pagination": {"total": total, "limit": query["limit"], "offset": query["offset"]}}
    return rozo.respond(request, body, contract="payment-list")


@routes.get(API + "/payments/check")
async def check_payment(request: web.Request) -> web.Response:
    """Look a payment up by tx hash, or by deposit address + memo (no key needed; a key scopes it)."""
    rozo = this(request)
    app_id = key_app(request)
    payment = await rozo.read(request, models.check, rozo.ctx(request).now_ms, dict(request.query), app_id)
    return rozo.respond(request, payment, contract="payment")


@routes.get(API + "/payments/order/{appId}/{orderId}")
async def get_by_order(request: web.Request) -> web.Response:
    """Get Payment by Order ID: with a key, only inside the key's app."""
    rozo = this(request)
    app_id, order_id = request.match_info["appId"], request.match_info["orderId"]
    key_app_id = key_app(request)
    row = None
    if key_app_id is None or key_app_id == app_id:
        row = await rozo.read(request, models.find_by_order, app_id, order_id)
    if row is None:
        raise SandboxError(f"no payment with orderId {order_id!r} for appId {app_id!r}", code="paymentNotFound",
                           status=404)
    return rozo.respond(request, public(row.data), contract="payment")


@routes.get(API + "/payments/{paymentId}")
async def get_payment(request: web.Request) -> web.Response:
    """Get Payment: any id without a key (legacy), only the key's own payments with one."""
    rozo = this(request)
    app_id = key_app(request)
    row = await rozo.read(request, models.load, request.match_info["paymentId"], app_id)
    return rozo.respond(request, public(row.data), contract="payment")


# --- payin ----------------------------------------------------------------------------------


@routes.post(API + "/payments/{paymentId}/payin")
async def register_payin(request: web.Request) -> web.Response:
    """Register Payin Transaction Hash: `{txHash, fromAddress}` (ROZO's SDK says `senderAddress`)."""
    rozo = this(request)
    app_id = key_app(request)
    body, _ = await read_json(request)
    rozo.validate(request, "register-payin", body)
    sender = body.get("fromAddress") or body.get("senderAddress")
    payment_id = request.match_info["paymentId"]
    ctx = rozo.ctx(request)

    def work(db):
        payment = models.register_payin(db, ctx, payment_id, app_id, body["txHash"], sender)
        _record(db, payment_id, request, 200, ctx.now_ms, body, payment)
        return payment

    payment = await rozo.commit(request, work)
    return rozo.respond(request, payment, contract="payment")


# --- CORS: ROZO's SDK calls the API from partners' browser pages ----------------------------


async def preflight(request: web.Request) -> web.Response:
    """CORS preflight: any origin may call with the headers ROZO's clients send."""
    return web.Response(status=204, headers=CORS)


for path in ("", "/", "/payments", "/payments/check", "/payments/order/{appId}/{orderId}", "/payments/{paymentId}",
             "/payments/{paymentId}/payin"):
    routes.route("OPTIONS", API + path)(preflight)


@web.middleware
async def cors_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Add CORS headers to API answers, errors included (rendered here so they get the headers too)."""
    if not request.path.startswith("/rozo" + API):
        return await handler(request)
    try:
        response = await handler(request)
    except SandboxError as error:
        response = this(request).render_error(error, this(request).request_id(request))
    response.headers.update({k: v for k, v in CORS.items() if k == "Access-Control-Allow-Origin"})
    return response
