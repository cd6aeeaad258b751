"""Mizu's HTTP surface: the provisional API under `/mizu/api/v1` and the hosted pay page (SPEC §4).

The API needs `Authorization: Bearer mizu_sk_sandbox_…`. The pay page and the few JSON endpoints
its script calls are public, as a hosted payment page is: a payment link's number is all a payer
has. Handlers stay thin: authenticate, read and validate, run one model function as one
transaction, answer.
"""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

from sandbox.bodies import read_json
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
from sandbox.providers.mizu import models
from sandbox.scenarios import UnknownScenario
from sandbox.web.render import error_page

NAME = models.NAME
HERE = Path(__file__).parent
STATIC = HERE / "static"

routes = web.RouteTableDef()


def ctx_of(sb) -> models.Ctx:
    """The sandbox facts one Mizu transaction needs, including the configured confirmation delay."""
    delay = sb.settings.provider(NAME).settlement_delay_s
    return models.Ctx(sb.ids, sb.clock.now(), sb.base_url, models.SETTLEMENT_DELAY_S if delay is None else delay)


def _authenticate(request: web.Request) -> None:
    sb = sandbox_of(request)
    require_key(bearer_token(request), sb.credentials[NAME].get("api_key"))


def _scenario(sb, request: web.Request):
    return chosen_scenario(sb, NAME, request)


def _number(request: web.Request, key: str, noun: str) -> str:
    """A path id: Mizu's ids are numbers, so anything else cannot name one."""
    text = request.match_info[key]
    if not text.isdigit() or len(text) > 15:
        raise NotFound(f"{noun} {text!r} not found; {noun} ids are numbers")
    return str(int(text))


# --- the provisional partner API ----------------------------------------------------------------


@routes.post("/api/v1/payment-links")
async def create_link(request: web.Request) -> web.Response:
    """`POST /api/v1/payment-links`: 201 with the new link (Idempotency-Key honoured)."""
    sb = sandbox_of(request)
    _authenticate(request)
    scenario = _scenario(sb, request)
    body, raw = await read_json(request)
    validate(sb, NAME, "payment-link", body)
    ctx = ctx_of(sb)
    key = request.headers.get("Idempotency-Key")

    def work(db):
        def create(db):
            status, link = models.create_link(db, ctx, body, scenario, sb.attach_scenario)
            db.timeline.add(NAME, str(link["id"]), "api_call", ctx.now_ms,
                            {"method": "POST", "path": request.path, "status": status, "request": body,
                          "response": link})
            return status, link
        return run_once(db, NAME, key, raw, create, ctx.now_ms)

    status, encoded, replayed = await sb.store.commit(work)
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return json_response(sb, NAME, json.loads(encoded), status=status, contract="payment-link", raw=encoded,
                         headers=headers)


@routes.get("/api/v1/payment-links/{link_id}")
async def get_link(request: web.Request) -> web.Response:
    """`GET /api/v1/payment-links/{id}`."""
    sb = sandbox_of(request)
    _authenticate(request)
    number = _number(request, "link_id", "payment link")
    row = await sb.store.read(models.load, number, "link")
    return json_response(sb, NAME, models.link_public(row.data, sb.base_url), contract="payment-link")


@routes.get("/api/v1/payments/{payment_id}")
async def get_payment(request: web.Request) -> web.Response:
    """`GET /api/v1/payments/{id}`: the payment at any status."""
    sb = sandbox_of(request)
    _authenticate(request)
    number = _number(request, "payment_id", "payment")
    row = await sb.store.read(models.load, number, "payment")
    return json_response(sb, NAME, models.public(row.data), contract="payment")


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
    sb = sandbox_of(request)
    _authenticate(request)
    reference, link_id, status, limit = _list_query(request.query)
    rows = await sb.store.read(models.list_payments, reference, link_id, status, limit)
    return json_response(sb, NAME, {"data": rows, "limit": limit}, contract="payment-list")


# --- the hosted pay page ----------------------------------------------------------------------


def _pay_state(sb, payment: dict) -> dict:
    return {"payment": payment, "serverTime": iso(sb.clock.now())}


@routes.get("/pay/{link_id}")
async def pay_page(request: web.Request) -> web.Response:
    """The hosted pay page; `email` and `clientReferenceId` come from its URL."""
    sb = sandbox_of(request)
    text = request.match_info["link_id"]
    if not text.isdigit() or len(text) > 15:
        return error_page(request, "Mizu Pay", "Payment link not found.")
    try:
        row = await sb.store.read(models.load, str(int(text)), "link")
    except NotFound:
        return error_page(request, "Mizu Pay", "Payment link not found.")
    link = models.link_public(row.data, sb.base_url)
    base = f"/mizu/pay/{link['id']}"
    state = {
        "link": link,
        "params": {"email": request.query.get("email", ""),
                   "clientReferenceId": request.query.get("clientReferenceId", "")},
        "urls": {"payments": f"{base}/payments", "static": "/mizu/static/"},
        "serverTime": iso(sb.clock.now()),
    }
    return render_page(request, "mizu/pay.html", state)


@routes.post("/pay/{link_id}/payments")
async def start_payment(request: web.Request) -> web.Response:
    """The page opened: a payment in status 0 on this link, with the link's scenario."""
    sb = sandbox_of(request)
    number = _number(request, "link_id", "payment link")
    body, _ = await read_json(request)
    validate(sb, NAME, "start-payment", body)
    link = await sb.store.read(models.load, number, "link")
    scenario = None
    if link.data.get("_scenario"):
        try:
            scenario = sb.scenario(link.data["_scenario"], NAME)
        except UnknownScenario:  # the scenario file was removed since the link was made
            scenario = None
    payment = await sb.store.commit(models.start_payment, ctx_of(sb), number, body, scenario, sb.attach_scenario)
    return json_response(sb, NAME, _pay_state(sb, payment), status=201, contract="pay-state")


@routes.get("/pay/{link_id}/payments/{payment_id}")
async def payment_state(request: web.Request) -> web.Response:
    """What the page polls: the payment and the sandbox clock's now."""
    sb = sandbox_of(request)
    link_id = _number(request, "link_id", "payment link")
    payment_id = _number(request, "payment_id", "payment")
    row = await sb.store.read(models.load, payment_id, "payment")
    if str(row.data["paymentLinkId"]) != link_id:
        raise NotFound(f"payment {payment_id!r} not found on payment link {link_id!r}")
    return json_response(sb, NAME, _pay_state(sb, models.public(row.data)), contract="pay-state")


@routes.post("/pay/{link_id}/payments/{payment_id}/actions")
async def pay_action(request: web.Request) -> web.Response:
    """A pay-page button: `paid` (status 1) or `timeout` (status 2)."""
    sb = sandbox_of(request)
    link_id = _number(request, "link_id", "payment link")
    payment_id = _number(request, "payment_id", "payment")
    body, _ = await read_json(request)
    validate(sb, NAME, "pay-action", body)
    payment = await sb.store.commit(models.pay_action, ctx_of(sb), link_id, payment_id, body["action"])
    return json_response(sb, NAME, _pay_state(sb, payment), contract="pay-state")


@routes.post("/pay/{link_id}/payments/{payment_id}/events")
async def pay_event(request: web.Request) -> web.Response:
    """The page reports each browser event it posted, so it shows in the payment's timeline."""
    sb = sandbox_of(request)
    link_id = _number(request, "link_id", "payment link")
    payment_id = _number(request, "payment_id", "payment")
    body, _ = await read_json(request)
    issues = sb.contracts.errors(NAME, "browser", "pay-event", body)
    if issues:
        raise ValidationFailed("browser event does not match the contract", details=[i.as_dict() for i in issues])
    if str(body["paymentId"]) != payment_id or str(body["paymentLinkId"]) != link_id:
        raise ValidationFailed("browser event names another payment",
                               details=[{"field": "/paymentId", "issue": "not this page's payment"}])
    row = await sb.store.read(models.load, payment_id, "payment")
    await sb.store.commit(models.record_browser_event, sb.clock.now_ms(), row.id, body)
    return web.json_response({"recorded": True}, status=202)


def make_app() -> web.Application:
    """The `/mizu` sub-app."""
    app = web.Application()
    app.add_routes(routes)
    app.router.add_static("/static", STATIC, append_version=False)
    return app
