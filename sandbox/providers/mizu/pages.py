"""Mizu's hosted pay page `/mizu/pay/{paymentLinkId}` and the few JSON endpoints its script calls.

They are public, as a hosted payment page is: a payment link's number is all a payer has. Each
visit opens a payment (status 0) on the link; its buttons and the sandbox clock move it on.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.bodies import read_json
from sandbox.clock import iso
from sandbox.errors import NotFound
from sandbox.providers.base import public, this
from sandbox.providers.mizu import models
from sandbox.providers.mizu.routes import number
from sandbox.scenarios import UnknownScenario

NAME = models.NAME

routes = web.RouteTableDef()


def _pay_state(request: web.Request, payment: dict) -> dict:
    return {"payment": payment, "serverTime": iso(this(request).now(request))}


@routes.get("/pay/{link_id}")
async def pay_page(request: web.Request) -> web.Response:
    """The hosted pay page; `email` and `clientReferenceId` come from its URL."""
    mizu = this(request)
    try:
        row = await mizu.read(request, models.load, number(request, "link_id", "payment link"), "link")
    except NotFound:
        return mizu.not_found_page(request, "Payment link not found.")
    link = models.link_public(row.data, mizu.base_url(request))
    base = f"/mizu/pay/{link['id']}"
    state = {
        "link": link,
        "params": {"email": request.query.get("email", ""),
                   "clientReferenceId": request.query.get("clientReferenceId", "")},
        "urls": {"payments": f"{base}/payments", "static": "/mizu/static/"},
        "serverTime": iso(mizu.now(request)),
    }
    return mizu.render_page(request, "pay.html", state)


@routes.post("/pay/{link_id}/payments")
async def start_payment(request: web.Request) -> web.Response:
    """The page opened: a payment in status 0 on this link, with the link's scenario."""
    mizu = this(request)
    link_id = number(request, "link_id", "payment link")
    body, _ = await read_json(request)
    mizu.validate(request, "start-payment", body)
    link = await mizu.read(request, models.load, link_id, "link")
    scenario = None
    if link.data.get("_scenario"):
        try:
            scenario = mizu.sandbox(request).scenario(link.data["_scenario"], NAME)
        except UnknownScenario:  # the scenario file was removed since the link was made
            scenario = None
    payment = await mizu.commit(request, models.start_payment, mizu.ctx(request), link_id, body, scenario,
                                mizu.attach(request))
    return mizu.respond(request, _pay_state(request, payment), status=201, contract="pay-state")


async def _payment(request: web.Request):
    """The path's payment, which must belong to the path's link."""
    link_id = number(request, "link_id", "payment link")
    payment_id = number(request, "payment_id", "payment")
    row = await this(request).read(request, models.load, payment_id, "payment")
    if str(row.data["paymentLinkId"]) != link_id:
        raise NotFound(f"payment {payment_id!r} not found on payment link {link_id!r}")
    return row


@routes.get("/pay/{link_id}/payments/{payment_id}")
async def payment_state(request: web.Request) -> web.Response:
    """What the page polls: the payment and the sandbox clock's now."""
    row = await _payment(request)
    return this(request).respond(request, _pay_state(request, public(row.data)), contract="pay-state")


@routes.post("/pay/{link_id}/payments/{payment_id}/actions")
async def pay_action(request: web.Request) -> web.Response:
    """A pay-page button: `paid` (status 1) or `timeout` (status 2)."""
    mizu = this(request)
    link_id = number(request, "link_id", "payment link")
    payment_id = number(request, "payment_id", "payment")
    body, _ = await read_json(request)
    mizu.validate(request, "pay-action", body)
    payment = await mizu.commit(request, models.pay_action, mizu.ctx(request), link_id, payment_id, body["action"])
    return mizu.respond(request, _pay_state(request, payment), contract="pay-state")


@routes.post("/pay/{link_id}/payments/{payment_id}/events")
async def pay_event(request: web.Request) -> web.Response:
    """The page reports each browser event it posted, so it shows in the payment's timeline."""
    link_id = number(request, "link_id", "payment link")
    payment_id = number(request, "payment_id", "payment")
    body, _ = await read_json(request)

    async def payment() -> str:
        return (await this(request).read(request, models.load, payment_id, "payment")).id

    return await this(request).record_browser_event(request, payment, body, "pay-event",
                                                     {"paymentId": payment_id, "paymentLinkId": link_id})
