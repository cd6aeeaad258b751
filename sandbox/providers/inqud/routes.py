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
from urllib.parse import urlparse

from aiohttp import web

from sandbox.bodies import decode_json, read_raw
from sandbox.errors import NotFound, Unauthorized, ValidationFailed
from sandbox.providers.common import chosen_scenario, json_response, require_key, sandbox_of, validate
from sandbox.providers.inqud import models
from sandbox.providers.inqud import project as projects
from sandbox.providers.inqud.wire import Ctx, public
from sandbox.signing import equal, hmac_hex

NAME = "inqud"
BASE = "/v1/user/crypto-acquiring"

routes = web.RouteTableDef()


def ctx_of(sb) -> Ctx:
    """What a transaction needs from the sandbox, taken once per request."""
    delay = sb.settings.provider(NAME).settlement_delay_s
    return Ctx(sb.ids, sb.clock.now(), sb.base_url, sb.credentials[NAME]["project_id"],
               urlparse(sb.base_url).netloc, 5.0 if delay is None else delay)


def authenticate(request: web.Request, raw: bytes) -> None:
    """Either token mode; anything missing or wrong is 401."""
    credentials = sandbox_of(request).credentials[NAME]
    headers = request.headers
    require_key(headers.get("X-Token-API-Id"), credentials.get("api_id"), "X-Token-API-Id")
    if "X-Token-API-Secret" in headers:
        require_key(headers.get("X-Token-API-Secret"), credentials.get("api_secret"), "X-Token-API-Secret")
        return
    salt, signature = headers.get("X-Salt"), headers.get("X-HMAC-SHA256-Signature")
    if salt is None and signature is None:
        raise Unauthorized("send X-Token-API-Secret, or X-Salt with X-HMAC-SHA256-Signature")
    if not salt or not signature:
        raise Unauthorized("HMAC authentication needs both X-Salt and X-HMAC-SHA256-Signature")
    expected = hmac_hex(credentials.get("api_secret") or "", raw + salt.encode("utf-8"))
    if not equal(expected, signature.strip().lower()):
        raise Unauthorized("invalid X-HMAC-SHA256-Signature for this body and salt")


def check_project(request: web.Request) -> str:
    """The path's project must be the sandbox's project (`CAP-…`); any other is 404."""
    project_id = request.match_info["projectId"]
    if not equal(project_id, sandbox_of(request).credentials[NAME]["project_id"]):
        raise NotFound(f"project {project_id!r} not found", id=project_id)
    return project_id


def _scenario(sb, request: web.Request):
    return chosen_scenario(sb, NAME, request)


async def _read(request: web.Request, contract: str) -> dict:
    raw = await read_raw(request)
    authenticate(request, raw)
    check_project(request)
    body, _ = decode_json(raw, request.content_type if request.headers.get("Content-Type") else "")
    validate(sandbox_of(request), NAME, contract, body)
    return body


async def _create(request: web.Request, contract: str, make, answer_contract: str) -> web.Response:
    sb = sandbox_of(request)
    body = await _read(request, contract)
    scenario = _scenario(sb, request)
    ctx = ctx_of(sb)
    call = {"method": request.method, "path": request.path}

    def work(db):
        status, answer = make(db, ctx, body, scenario, sb.attach_scenario)
        db.timeline.add(NAME, answer["id"], "api_call", ctx.now_ms,
                        {**call, "status": status, "request": body, "response": answer})
        return status, answer

    status, answer = await sb.store.commit(work)
    return json_response(sb, NAME, answer, status=status, contract=answer_contract)


@routes.post(BASE + "/{projectId}/checkouts")
async def create_checkout(request: web.Request) -> web.Response:
    """`POST …/{projectId}/checkouts`."""
    return await _create(request, "create-checkout", models.create_checkout, "checkout")


@routes.post(BASE + "/{projectId}/requests")
async def create_request(request: web.Request) -> web.Response:
    """`POST …/{projectId}/requests` (API-only flow)."""
    return await _create(request, "create-request", models.create_request, "request")


async def _get(request: web.Request, object_id: str, prefix: str, contract: str) -> web.Response:
    sb = sandbox_of(request)
    what = "checkout" if prefix == "CCO-" else "request"
    if not object_id.startswith(prefix):
        raise NotFound(f"{what} {object_id!r} not found", id=object_id)
    obj = await sb.store.read(models.load, object_id)
    return json_response(sb, NAME, public(obj), contract=contract)


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


async def _project_answer(sb) -> dict:
    settings = await sb.store.commit(projects.load)
    url, secrets = sb.endpoint(NAME)
    return projects.public(settings, sb.credentials[NAME]["project_id"], urlparse(sb.base_url).netloc, url,
                           secrets[0] if secrets else None)


@routes.get("/sandbox/projects/{projectId}")
async def get_project(request: web.Request) -> web.Response:
    """The project settings, with the webhook endpoint."""
    authenticate(request, b"")
    check_project(request)
    sb = sandbox_of(request)
    return json_response(sb, NAME, await _project_answer(sb), contract="project")


def _forget_secret(db, name: str) -> None:
    stored = db.meta.get(f"credentials:{name}") or {}
    stored["webhook_secret"] = ""
    db.meta.set(f"credentials:{name}", stored)


async def _clear_secret(sb) -> None:
    """No secret at all: webhooks go out without `X-Payload-Digest`, as Inqud's do."""
    url, _ = sb.endpoint(NAME)
    await sb.forget_endpoints(NAME)
    sb.credentials[NAME]["webhook_secret"] = ""
    await sb.store.commit(_forget_secret, NAME)
    if url != sb.endpoint(NAME)[0]:
        await sb.set_endpoint(NAME, url, None)


@routes.put("/sandbox/projects/{projectId}")
async def put_project(request: web.Request) -> web.Response:
    """Change project settings and the webhook URL / secret (`null` secret: unsigned)."""
    sb = sandbox_of(request)
    body = await _read(request, "project-settings")
    amounts = body.get("suggestedAmounts")
    if amounts is not None and any(Decimal(str(a)) <= 0 for a in amounts["amounts"]):
        raise ValidationFailed("suggested amounts must be positive",
                               details=[{"field": "/suggestedAmounts/amounts", "issue": "must be > 0"}])
    await sb.store.commit(projects.update, body)
    if "webhookUrl" in body:
        await sb.set_endpoint(NAME, body["webhookUrl"], None)
    if "webhookSecret" in body:
        if body["webhookSecret"] is None:
            await _clear_secret(sb)
        else:
            await sb.set_endpoint(NAME, None, body["webhookSecret"])
    return json_response(sb, NAME, await _project_answer(sb), contract="project")
