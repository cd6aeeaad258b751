"""The hosted pay page `GET /rozo/pay/{paymentId}`: the sandbox's stand-in for ROZO's pay modal.

It shows the deposit address (and memo), amount, token and chain, and two buttons that act as the
buyer's wallet would: "Send payin" registers a tx hash shaped for the source chain (the same path
as `POST /payments/{id}/payin`), "Bounce" makes the payment bounce with a chosen
PaymentErrorCode. The page follows the payment and posts `{source: "rozo-pay", type, paymentId,
status}` to its parent / opener with the SDK callbacks' names (`paymentStarted`,
`paymentCompleted`, `payoutCompleted`, `paymentBounced`); each message is also recorded on the
payment's timeline after a contract check. The browser result is not proof; the webhook and
`GET /payments/{id}` are.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.bodies import read_json
from sandbox.errors import NotFound, ValidationFailed
from sandbox.providers.base import public, this
from sandbox.providers.rozo import chains, models

NAME = models.NAME

routes = web.RouteTableDef()


def _view(payment: dict) -> dict:
    """What the page shows besides the payment itself: chain names, the deposit instructions."""
    source = chains.resolve_chain(payment["source"]["chainId"])
    destination = chains.resolve_chain(payment["destination"]["chainId"])
    return {"sourceChain": source.name, "destinationChain": destination.name, "errorCodes": list(models.ERROR_CODES)}


@routes.get("/pay/{paymentId}")
async def pay_page(request: web.Request) -> web.Response:
    """The page itself, with the payment embedded; a bad id is a plain 404 page."""
    rozo = this(request)
    payment_id = request.match_info["paymentId"]
    try:
        payment = await rozo.commit(request, models.open_page, rozo.ctx(request), payment_id)
    except NotFound:
        return rozo.not_found_page(request, "Payment not found.")
    base = f"/rozo/pay/{payment_id}"
    state = {"payment": payment, "view": _view(payment),
             "urls": {"state": f"{base}/state", "actions": f"{base}/actions", "events": f"{base}/events"}}
    return rozo.render_page(request, "pay.html", state)


@routes.get("/pay/{paymentId}/state")
async def pay_state(request: web.Request) -> web.Response:
    """The payment as the page polls it."""
    rozo = this(request)
    row = await rozo.read(request, models.load, request.match_info["paymentId"])
    return rozo.respond(request, {"payment": public(row.data)})


@routes.post("/pay/{paymentId}/actions")
async def pay_action(request: web.Request) -> web.Response:
    """`{"action": "payin"}` or `{"action": "bounce", "errorCode": …}` from the page's buttons."""
    rozo = this(request)
    body, _ = await read_json(request)
    payment_id = request.match_info["paymentId"]
    action = body.get("action")
    ctx = rozo.ctx(request)
    if action == "payin":
        payment = await rozo.commit(request, models.send_payin, ctx, payment_id, "pay_page")
    elif action == "bounce":
        payment = await rozo.commit(request, models.bounce, ctx, payment_id, str(body.get("errorCode") or ""),
                                    "pay_page")
    else:
        raise ValidationFailed("action must be payin or bounce", code="invalidRequest",
                               details=[{"field": "/action", "issue": "must be payin or bounce"}])
    return rozo.respond(request, {"payment": payment})


@routes.post("/pay/{paymentId}/events")
async def pay_event(request: web.Request) -> web.Response:
    """The page reports each message it posted; a message that breaks the contract is refused."""
    rozo = this(request)
    payment_id = request.match_info["paymentId"]
    body, _ = await read_json(request)

    async def payment() -> str:
        return (await rozo.read(request, models.load, payment_id)).id

    return await rozo.record_browser_event(request, payment, body, "pay-event", {"paymentId": payment_id})
