"""Simple simulator pages for ROZO, Inqud and Mizu (`/partner/rozo`, `/partner/inqud`, `/partner/mizu`).

Each page is a partner's minimal integration, in the style of the LIQX pages: a form posts to this
demo proxy, which creates the payment with the provider's default sandbox credentials over real
HTTP (the credentials never reach the browser); the page then embeds the provider's hosted page
and polls the built-in receiver until a signed (Mizu: unsigned, as documented) webhook receipt for
the object is read back. Each recipe below is what a partner's server would send — the provider's
own request shape, auth headers and the id to match receipts by.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from sandbox.bodies import read_json
from sandbox.engine import Sandbox
from sandbox.errors import NotFound
from sandbox.keys import SANDBOX
from sandbox.partner.proxy import call_upstream
from sandbox.partner.texts import QUICK_PAGES
from sandbox.web.render import render

routes = web.RouteTableDef()

STELLAR_RECEIVER = "GC56BXCNEWL6JSGKHD3RJ5HJRNKFEJQ53D3YY3SMD6XK7YPDI75BQ7FD"


@dataclass(frozen=True)
class Recipe:
    """How a partner creates one payment with a provider, and how the page follows it."""

    #: (form) -> (path, auth headers, body)
    request: Callable[[Sandbox, dict], tuple[str, dict, dict]]
    #: (form, answer) -> (object id, hosted page path, receipt filter {intent_id | external_ref: value})
    follow: Callable[[dict, dict], tuple[str, str, dict]]


def _rozo_request(sb: Sandbox, form: dict) -> tuple[str, dict, dict]:
    c = sb.credentials["rozo"]
    body = {"appId": c["app_id"], "orderId": form["reference"], "type": "exactIn",
            "display": {"title": form["title"], "currency": "USD"},
            "source": {"chainId": "8453", "tokenSymbol": "USDC", "amount": form["amount"]},
            "destination": {"chainId": "1500", "receiverAddress": STELLAR_RECEIVER, "tokenSymbol": "USDC"}}
    return "/rozo/functions/v1/payment-api/payments", {"X-API-Key": c["api_key"]}, body


def _rozo_follow(form: dict, answer: dict) -> tuple[str, str, dict]:
    return answer["id"], f"/rozo/pay/{answer['id']}", {"intent_id": answer["id"]}


def _number(text: str) -> int | float | str:
    """A form amount as the JSON number Inqud expects; anything else is sent as typed, for Inqud to refuse."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _inqud_request(sb: Sandbox, form: dict) -> tuple[str, dict, dict]:
    c = sb.credentials["inqud"]
    body = {"type": "FIXED_PRICE", "name": form["title"], "clientOrderId": form["reference"],
            "fixedAmount": {"amount": _number(form["amount"]), "currency": "USD"},
            "returnUrl": form["return_url"]}
    path = f"/inqud/v1/user/crypto-acquiring/{c['project_id']}/checkouts"
    return path, {"X-Token-API-Id": c["api_id"], "X-Token-API-Secret": c["api_secret"]}, body


def _inqud_follow(form: dict, answer: dict) -> tuple[str, str, dict]:
    return answer["id"], urlsplit(answer["acquiringUrl"]).path + "?embed=1", {"intent_id": answer["id"]}


def _mizu_request(sb: Sandbox, form: dict) -> tuple[str, dict, dict]:
    body = {"amount": form["amount"], "currency": "USDC", "chain": "polygon", "title": form["title"]}
    return "/mizu/api/v1/payment-links", {"Authorization": f"Bearer {sb.credentials['mizu']['api_key']}"}, body


def _mizu_follow(form: dict, answer: dict) -> tuple[str, str, dict]:
    query = urlencode({"email": form["email"], "clientReferenceId": form["reference"]})
    return str(answer["id"]), f"/mizu/pay/{answer['id']}?{query}", {"external_ref": form["reference"]}


RECIPES = {
    "rozo": Recipe(_rozo_request, _rozo_follow),
    "inqud": Recipe(_inqud_request, _inqud_follow),
    "mizu": Recipe(_mizu_request, _mizu_follow),
}


def _page(request: web.Request) -> tuple[str, dict]:
    name = request.match_info["provider"]
    sb: Sandbox = request.config_dict[SANDBOX]
    if name not in RECIPES or name not in sb.providers:
        raise NotFound(f"no simulator page for {name!r}")
    return name, QUICK_PAGES[name]


@routes.get("/{provider}")
async def quick_page(request: web.Request) -> web.Response:
    """The simple simulator page of one provider."""
    name, page = _page(request)
    return render(request, "partner/quick.html", {"page": page, "state": page, "current": name})


def _error(call: dict) -> dict | None:
    """What went wrong upstream, or None for a 2xx JSON answer."""
    if call["error"] is not None:
        return {"status": call["status"], "message": call["error"]["message"]}
    if call["status"] is not None and 200 <= call["status"] < 300 and isinstance(call["body"], dict):
        return None
    body = call["body"] if isinstance(call["body"], dict) else {}
    nested = body.get("error") if isinstance(body.get("error"), dict) else {}
    message = nested.get("message") or body.get("message") or f"HTTP {call['status']}"
    code = nested.get("code") or body.get("code")
    return {"status": call["status"], "message": f"{message} ({code})" if code else message}


@routes.post("/api/{provider}/payments")
async def create(request: web.Request) -> web.Response:
    """Create through the provider's API with the server-held key; answer the envelope the page renders."""
    name, page = _page(request)
    sb: Sandbox = request.config_dict[SANDBOX]
    form, _ = await read_json(request)
    form = {field[0]: str(form.get(field[0]) or field[2]) for field in page["fields"]}
    path, auth, body = RECIPES[name].request(sb, form)
    scenario = request.headers.get("X-Sandbox-Scenario", "").strip()
    call = await call_upstream(request, "POST", path, body, {"X-Sandbox-Scenario": scenario} if scenario else None,
                               auth=auth)
    error = _error(call)
    envelope = {"ok": error is None, "provider": name, "request": {"method": "POST", "path": path, "body": body,
                                                                   "headers": {k: "(held by the demo proxy)" for k in auth}},
                "upstream": call, "error": error, "object_id": None, "pay_path": None, "match": None}
    if error is None:
        envelope["object_id"], envelope["pay_path"], envelope["match"] = RECIPES[name].follow(form, call["body"])
    status = 201 if error is None else (call["status"] or 502)
    return web.json_response(envelope, status=status, headers={"Cache-Control": "no-store"})
