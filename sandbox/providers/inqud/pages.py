"""The payer's side under `/inqud/pay`: the hosted checkout page, `widget.js` and their small API.

`GET /inqud/pay/checkout/{checkoutId}` stands in for `paycrypto.inqud.com/checkout/CCO-…` (the
`acquiringUrl`): choose a currency (and an amount for suggested-amount checkouts), then "Pay",
"Underpay", "Overpay", "Let expire" or "Cancel", and "Return to merchant" (`returnUrl`).
`GET /inqud/pay/widget.js` defines `<app-widget id="CCO-…">` for partners' pages (seed 004).

The JSON endpoints below `/inqud/pay/api` are the sandbox's own (Inqud's widget backend is not
public). They are authorised by the object id, as the hosted page itself is, and the read
endpoint answers any origin because the widget runs on the partner's page.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from aiohttp import web

from sandbox.bodies import read_json
from sandbox.errors import NotFound, ValidationFailed
from sandbox.providers.base import this
from sandbox.providers.inqud import models
from sandbox.providers.inqud.statuses import ENUMS

CORS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}
#: The widget posts its events as JSON from the partner's origin, so the browser asks first.
PREFLIGHT = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, OPTIONS",
             "Access-Control-Allow-Headers": "content-type", "Access-Control-Max-Age": "600"}
ACTIONS = {"pay": "exact", "underpay": "under", "overpay": "over", "expire": "expired", "cancel": "cancelled"}

routes = web.RouteTableDef()


def _checkout_id(request: web.Request) -> str:
    checkout_id = request.match_info["checkoutId"]
    if not checkout_id.startswith("CCO-"):
        raise NotFound(f"checkout {checkout_id!r} not found", id=checkout_id)
    return checkout_id


async def _body(request: web.Request) -> dict:
    """JSON from the page or the widget, through the one strict reader (an empty body is `{}`)."""
    body, _ = await read_json(request, allow_empty=True)
    return body or {}


def _amount(body: dict) -> Decimal | None:
    value = body.get("amount")
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationFailed("amount must be a number", details=[{"field": "/amount", "issue": "not a number"}]) from exc
    if not amount.is_finite() or amount <= 0:
        raise ValidationFailed("amount must be positive", details=[{"field": "/amount", "issue": "must be > 0"}])
    return amount


@routes.get("/pay/widget.js")
async def widget_script(request: web.Request) -> web.FileResponse:
    """`widget.js`, loadable from any partner origin."""
    return web.FileResponse(this(request).folder / "static" / "widget.js", headers={
        "Content-Type": "application/javascript; charset=utf-8", "Access-Control-Allow-Origin": "*",
        "Cache-Control": "no-cache"})


@routes.get("/pay/checkout/{checkoutId}")
async def checkout_page(request: web.Request) -> web.Response:
    """The hosted checkout page (`acquiringUrl`), with the checkout's state inlined."""
    inqud = this(request)
    try:
        state = await inqud.read(request, models.page_state, _checkout_id(request))
    except NotFound:
        return inqud.not_found_page(request, "Checkout not found.")
    checkout_id = state["id"]
    state["statuses"] = ENUMS["checkoutStatus"]
    state["embedded"] = request.query.get("embed") == "1"
    state["urls"] = {"state": f"/inqud/pay/api/checkouts/{checkout_id}",
                     "select": f"/inqud/pay/api/checkouts/{checkout_id}/select",
                     "actions": f"/inqud/pay/api/checkouts/{checkout_id}/actions"}
    return inqud.render_page(request, "checkout.html", state)


@routes.get("/pay/api/checkouts/{checkoutId}")
async def checkout_state(request: web.Request) -> web.Response:
    """The checkout and its status history; the widget polls this from the partner's origin."""
    inqud = this(request)
    try:
        state = await inqud.read(request, models.page_state, _checkout_id(request))
    except NotFound as error:  # still readable cross-origin, so the widget can say what is wrong
        answer = inqud.render_error(error, inqud.request_id(request))
        answer.headers.update(CORS)
        return answer
    return inqud.respond(request, state, headers=CORS)


@routes.post("/pay/api/checkouts/{checkoutId}/select")
async def select(request: web.Request) -> web.Response:
    """The payer chose a currency (and amount): the request is made, WAITING_PAYMENT."""
    inqud = this(request)
    body = await _body(request)
    code = body.get("cryptoCurrency")
    if not isinstance(code, str) or not code:
        raise ValidationFailed("choose a currency", details=[{"field": "/cryptoCurrency", "issue": "is required"}])
    checkout = await inqud.commit(request, models.select, inqud.ctx(request), _checkout_id(request), code,
                                  _amount(body))
    return inqud.respond(request, {"checkout": checkout})


async def _act(request: web.Request, object_id: str) -> web.Response:
    inqud = this(request)
    body = await _body(request)
    action = body.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        raise ValidationFailed(f"action must be one of {', '.join(ACTIONS)}",
                               details=[{"field": "/action", "issue": f"must be one of {', '.join(ACTIONS)}"}])
    ctx = inqud.ctx(request)
    if action in ("expire", "cancel"):
        obj = await inqud.commit(request, models.end, ctx, object_id, ACTIONS[action], "hosted_page")
    else:
        obj = await inqud.commit(request, models.pay, ctx, object_id, ACTIONS[action], _amount(body), "hosted_page")
    return inqud.respond(request, {"object": obj})


@routes.post("/pay/api/checkouts/{checkoutId}/actions")
async def checkout_action(request: web.Request) -> web.Response:
    """A button on the hosted page: pay, underpay, overpay, expire or cancel."""
    return await _act(request, _checkout_id(request))


@routes.post("/pay/api/requests/{requestId}/actions")
async def request_action(request: web.Request) -> web.Response:
    """The payer's wallet for API-only requests (which Inqud shows on no page of its own)."""
    request_id = request.match_info["requestId"]
    if not request_id.startswith("CAPD-"):
        raise NotFound(f"request {request_id!r} not found", id=request_id)
    return await _act(request, request_id)


@routes.route("OPTIONS", "/pay/api/checkouts/{checkoutId}/events")
async def browser_event_preflight(request: web.Request) -> web.Response:
    """CORS preflight for the widget's JSON event post."""
    return web.Response(status=204, headers=PREFLIGHT)


@routes.post("/pay/api/checkouts/{checkoutId}/events")
async def browser_event(request: web.Request) -> web.Response:
    """What the widget dispatched (`statusChanged`), recorded in the checkout's timeline."""
    checkout_id = _checkout_id(request)
    body = await _body(request)
    return await this(request).record_browser_event(request, checkout_id, body, "status-changed",
                                                     {"id": checkout_id}, headers=CORS)
