"""Inqud's partner API under `/inqud/v1/user/crypto-acquiring` and the sandbox's project settings.

Handlers stay thin: read the raw body (size first), authenticate (either of Inqud's two token
modes), check the project, parse and validate against the contract, run one model function as
one transaction, answer. Order of checks: 413, 401, 404 (unknown project), 415, 400.

Auth (docs.inqud.com/developer/authentication): `X-Token-API-Id` (`TKN-…`) with either
`X-Token-API-Secret`, or `X-Salt` + `X-HMAC-SHA256-Signature` = hex HMAC-SHA256(secret, body +
salt), the body being "" for GET.
"""

from __future__ import annotations

from decimal import Decimal

from aiohttp import web

from sandbox.bodies import content_type_of, decode_json, read_raw
from sandbox.delivery.destinations import refuse_url
from sandbox.errors import NotFound, Unauthorized, ValidationFailed
from sandbox.providers.base import public, require_key, this
from sandbox.providers.inqud import models
from sandbox.providers.inqud import project as projects
from sandbox.signing import equal, hmac_hex

NAME = "inqud"
BASE = "/v1/user/crypto-acquiring"

routes = web.RouteTableDef()


def authenticate(request: web.Request, raw: bytes) -> None:
    """Either token mode; anything missing or wrong is 401."""
    inqud = this(request)
    headers = request.headers
    require_key(headers.get("X-Token-API-Id"), inqud.credential(request, "api_id"), "X-Token-API-Id")
    secret = inqud.credential(request, "api_secret")
    if "X-Token-API-Secret" in headers:
        require_key(headers.get("X-Token-API-Secret"), secret, "X-Token-API-Secret")
        return
    salt, signature = headers.get("X-Salt"), headers.get("X-HMAC-SHA256-Signature")
    if salt is None and signature is None:
        raise Unauthorized("send X-Token-API-Secret, or X-Salt with X-HMAC-SHA256-Signature")
    if not salt or not signature:
        raise Unauthorized("HMAC authentication needs both X-Salt and X-HMAC-SHA256-Signature")
    expected = hmac_hex(secret or "", raw + salt.encode("utf-8"))
    if not equal(expected, signature.strip().lower()):
        raise Unauthorized("invalid X-HMAC-SHA256-Signature for this body and salt")


def check_project(request: web.Request) -> str:
    """The path's project must be the sandbox's project (`CAP-…`); any other is 404."""
    project_id = request.match_info["projectId"]
    if not equal(project_id, this(request).credential(request, "project_id")):
        raise NotFound(f"project {project_id!r} not found", id=project_id)
    return project_id


async def read_body(request: web.Request, contract: str) -> tuple[dict, bytes]:
    """Size, then auth (the HMAC mode signs the raw body), then project, then type and JSON, then the contract."""
    raw = await read_raw(request)
    authenticate(request, raw)
    check_project(request)
    body, _ = decode_json(raw, content_type_of(request))
    this(request).validate(request, contract, body)
    return body, raw


@routes.post(BASE + "/{projectId}/checkouts")
async def create_checkout(request: web.Request) -> web.Response:
    """`POST …/{projectId}/checkouts`."""
    return await this(request).create_from_request(request, "create-checkout", models.create_checkout,
                                                   contract="checkout")


@routes.post(BASE + "/{projectId}/requests")
async def create_request(request: web.Request) -> web.Response:
    """`POST …/{projectId}/requests` (API-only flow)."""
    return await this(request).create_from_request(request, "create-request", models.create_request,
                                                   contract="request")


async def _get(request: web.Request, object_id: str, prefix: str, contract: str) -> web.Response:
    inqud = this(request)
    what = "checkout" if prefix == "CCO-" else "request"
    if not object_id.startswith(prefix):
        raise NotFound(f"{what} {object_id!r} not found", id=object_id)
    obj = await inqud.read(request, models.load, object_id)
    return inqud.respond(request, public(obj), contract=contract)


@routes.get(BASE + "/requests/{requestId}")
async def get_request(request: web.Request) -> web.Response:
    """`GET …/requests/{requestId}`."""
    authenticate(request, b"")
    return await _get(request, request.match_info["requestId"], "CAPD-", "request")


@routes.get(BASE + "/{projectId}/checkouts/{checkoutId}")
async def get_checkout(request: web.Request) -> web.Response:
    """`GET …/{projectId}/checkouts/{checkoutId}`."""
    authenticate(request, b"")
    check_project(request)
    return await _get(request, request.match_info["checkoutId"], "CCO-", "checkout")


@routes.get(BASE + "/{projectId}/requests/{requestId}")
async def get_project_request(request: web.Request) -> web.Response:
    """The project-scoped form some Inqud clients use; same answer as the unscoped one."""
    authenticate(request, b"")
    check_project(request)
    return await _get(request, request.match_info["requestId"], "CAPD-", "request")


# --- the sandbox's project settings (Inqud keeps these in its app, not its API) -----------------


async def _project_answer(request: web.Request) -> dict:
    inqud = this(request)
    settings = await inqud.commit(request, projects.load)
    url, secrets = inqud.sandbox(request).endpoint(NAME)
    return projects.public(settings, inqud.credential(request, "project_id"), inqud.ctx(request).merchant_domain,
                           url, secrets[0] if secrets else None)


@routes.get("/sandbox/projects/{projectId}")
async def get_project(request: web.Request) -> web.Response:
    """The project settings, with the webhook endpoint."""
    authenticate(request, b"")
    check_project(request)
    return this(request).respond(request, await _project_answer(request), contract="project")


@routes.put("/sandbox/projects/{projectId}")
async def put_project(request: web.Request) -> web.Response:
    """Change project settings and the webhook URL / secret (`null` secret: unsigned)."""
    inqud = this(request)
    sb = inqud.sandbox(request)
    body, _ = await inqud.read_body(request, "project-settings")
    amounts = body.get("suggestedAmounts")
    if amounts is not None and any(Decimal(str(a)) <= 0 for a in amounts["amounts"]):
        raise ValidationFailed("suggested amounts must be positive",
                               details=[{"field": "/suggestedAmounts/amounts", "issue": "must be > 0"}])
    if body.get("webhookUrl"):
        refuse_url(body["webhookUrl"], sb.settings.webhook_policy, "/webhookUrl")
    await inqud.commit(request, projects.update, body)
    if "webhookUrl" in body:
        await sb.accounts.set_endpoint(sb.world, NAME, body["webhookUrl"], None)
    if "webhookSecret" in body:
        if body["webhookSecret"] is None:  # no secret at all: unsigned webhooks, as Inqud's are
            await sb.accounts.unsign(sb.world, NAME)
        else:
            await sb.accounts.set_endpoint(sb.world, NAME, None, body["webhookSecret"])
    return inqud.respond(request, await _project_answer(request), contract="project")
