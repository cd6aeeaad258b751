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

from pathlib import Path

from aiohttp import web

from sandbox.bodies import read_json
from sandbox.errors import NotFound, ValidationFailed
from sandbox.providers.common import json_response, render_page, sandbox_of
from sandbox.providers.rozo import chains, models
from sandbox.providers.rozo.routes import ctx_of
from sandbox.web.render import error_page

NAME = models.NAME
HERE = Path(__file__).parent
STATIC = HERE / "static"

routes = web.RouteTableDef()


def _view(payment: dict) -> dict:
    """What the page shows besides the payment itself: chain names, the deposit instructions."""
    source = chains.resolve_chain(payment["source"]["chainId"])
    destination = chains.resolve_chain(payment["destination"]["chainId"])
    return {"sourceChain": source.name, "destinationChain": destination.name, "errorCodes": list(models.ERROR_CODES)}


@routes.get("/pay/{paymentId}")
async def pay_page(request: web.Request) -> web.Response:
    """The page itself, with the payment embedded; a bad id is a plain 404 page."""
    sb = sandbox_of(request)
    payment_id = request.match_info["paymentId"]
    try:
        payment = await sb.store.commit(models.open_page, ctx_of(sb), payment_id)
    except NotFound:
        return error_page(request, "ROZO Pay", "Payment not found.")
    base = f"/rozo/pay/{payment_id}"
    state = {"payment": payment, "view": _view(payment),
             "urls": {"state": f"{base}/state", "actions": f"{base}/actions", "events": f"{base}/events"}}
    return render_page(request, "rozo/pay.html", state)


@routes.get("/pay/{paymentId}/state")
async def pay_state(request: web.Request) -> web.Response:
    """The payment as the page polls it."""
    sb = sandbox_of(request)
    row = await sb.store.read(models.load, request.match_info["paymentId"])
    return json_response(sb, NAME, {"payment": models.public(row.data)})


@routes.post("/pay/{paymentId}/actions")
async def pay_action(request: web.Request) -> web.Response:
    """`{"action": "payin"}` or `{"action": "bounce", "errorCode": …}` from the page's buttons."""
    sb = sandbox_of(request)
    body, _ = await read_json(request)
    payment_id = request.match_info["paymentId"]
    action = body.get("action")
    ctx = ctx_of(sb)
    if action == "payin":
        payment = await sb.store.commit(models.send_payin, ctx, payment_id, "pay_page")
    elif action == "bounce":
        payment = await sb.store.commit(models.bounce, ctx, payment_id, str(body.get("errorCode") or ""), "pay_page")
    else:
        raise ValidationFailed("action must be payin or bounce", code="invalidRequest",
                               details=[{"field": "/action", "issue": "must be payin or bounce"}])
    return json_response(sb, NAME, {"payment": payment})


@routes.post("/pay/{paymentId}/events")
async def pay_event(request: web.Request) -> web.Response:
    """The page reports each message it posted; a message that breaks the contract is refused."""
    sb = sandbox_of(request)
    payment_id = request.match_info["paymentId"]
    body, _ = await read_json(request)
    issues = sb.contracts.errors(NAME, "browser", "pay-event", body)
    if issues or body.get("paymentId") != payment_id:
        details = [i.as_dict() for i in issues] or [{"field": "/paymentId", "issue": "not this page's payment"}]
        raise ValidationFailed("browser event does not match the contract", code="invalidRequest", details=details)
    await sb.store.read(models.load, payment_id)
    await sb.store.commit(models.record_browser_event, sb.clock.now_ms(), payment_id, body)
    return web.json_response({"recorded": True}, status=202)
