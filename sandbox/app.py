"""`create_app(settings, clock=None, *, providers=None)`: the aiohttp application and its resources' lifetimes.

Resources live in one `cleanup_ctx` generator: the store opens first and closes last; the services
(`sandbox.engine.Services`) are built on it, registered under their typed keys (`sandbox.keys`),
and their workers — leases, dispatcher, timers, the worlds' TTL watch — start after it and stop
before it (in-flight attempts get up to 5 s).
Each provider is a sub-app at `/<name>`, the control API at `/_sandbox`. One middleware renders
every error in the shape of the provider whose URL space it happened in, so a partner never sees
a foreign error envelope — and never a bare 500. The providers' API routes are served through the
same middleware and handlers by `sandbox.web.fastpath.ApiSite` without aiohttp's per-request
objects; everything else by aiohttp itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from sandbox.clock import Clock
from sandbox.contracts import Contracts
from sandbox.control.app import make_app as make_control_app
from sandbox.control.ui import TEMPLATES as CONTROL_TEMPLATES
from sandbox.engine import Sandbox, Services
from sandbox.errors import (
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    SandboxError,
    Unauthorized,
    ValidationFailed,
)
from sandbox.grading.page import TEMPLATES as GRADING_TEMPLATES
from sandbox.idempotency import encode
from sandbox.ids import Ids
from sandbox.keys import (
    ACCOUNTS,
    DISPATCHER,
    FAULT_RULES,
    LIFECYCLE,
    SANDBOX,
    SERVICES,
    SETTINGS,
    TIMERS,
    WORLD_SANDBOX,
)
from sandbox.partner.receiver import routes as receiver_routes
from sandbox.partner.site import TEMPLATES as PARTNER_TEMPLATES
from sandbox.partner.site import landing_routes
from sandbox.partner.site import make_app as make_partner_app
from sandbox.providers import registered
from sandbox.providers.base import Provider
from sandbox.scenarios import DEFAULT_DIR as SCENARIOS_DIR
from sandbox.scenarios import Scenarios
from sandbox.settings import Settings
from sandbox.signing import equal
from sandbox.store import Store, UnitOfWork
from sandbox.web import render as pages
from sandbox.worlds import resolve as resolve_world

log = logging.getLogger("sandbox")

def _first_segment(path: str) -> str:
    return path.lstrip("/").split("/", 1)[0]


def render_error(request: web.Request, error: SandboxError) -> web.Response:
    """The error in the shape of whoever owns the URL: a provider's envelope, else the control shape."""
    sb: Sandbox | None = request.app.get(SANDBOX)
    request_id = "req_" + (sb.ids.alnum(20) if sb else "startup")
    provider = sb.providers.get(_first_segment(request.path)) if sb else None
    if provider is not None:
        return provider.render_error(error, request_id)
    body = {"error": {"code": error.code, "message": error.message, "details": error.details, **error.extra},
            "request_id": request_id}
    return web.Response(status=error.status, body=encode(body), content_type="application/json", charset="utf-8")


@web.middleware
async def request_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Every request's steps, in order: headers, admin token, world, injected API faults, the handler;
    and any error, from any of them, answered in the shape of whoever owns the URL.

    One middleware calling each step, rather than one middleware per step: aiohttp makes a
    coroutine and a partial for every middleware of every request.
    """
    try:
        refuse_undecodable_headers(request)
        require_admin_token(request)
        sb: Sandbox = request.app[SANDBOX]
        # Set for the default world too: every handler asks for it several times, and a request key is
        # one dict lookup where `config_dict` walks the chain of apps.
        sb = request[WORLD_SANDBOX] = sb.scope(await resolve_world(sb, request))
        await inject_api_fault(request, sb)
        return await handler(request)
    except SandboxError as error:
        return render_error(request, error)
    except web.HTTPException as exc:
        if exc.status == 404:
            return render_error(request, NotFound(f"no such path: {request.method} {request.path}"))
        if exc.status == 405:
            return render_error(request, MethodNotAllowed(f"{request.method} is not allowed on {request.path}"))
        if exc.status == 413:
            return render_error(request, PayloadTooLarge("request body is too large"))
        raise
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception:  # a bug: log it with its traceback and still answer in the provider's shape
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(request, SandboxError("internal error (a sandbox bug)", code="INTERNAL", status=500))


#: Headers that carry credentials: a value that is not UTF-8 is a wrong credential (401), not a 500.
CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key", "x-token-api-id", "x-token-api-secret", "x-salt",
                                "x-hmac-sha256-signature"})


def refuse_undecodable_headers(request: web.Request) -> None:
    """Refuse header values that are not UTF-8 (aiohttp hands them on as lone surrogates).

    Nothing past this point can then fail to encode a header it compares, stores or echoes.
    """
    for name, value in request.headers.items():
        if value.isascii() and name.isascii():
            continue
        try:
            name.encode("utf-8")
            value.encode("utf-8")
        except UnicodeEncodeError:
            if name.lower() in CREDENTIAL_HEADERS:
                raise Unauthorized(f"the {name} header is not valid UTF-8") from None
            raise ValidationFailed(f"the {name!r} header is not valid UTF-8".encode("ascii", "replace").decode(),
                                   details=[{"field": name.encode("ascii", "replace").decode(),
                                             "issue": "is not valid UTF-8"}]) from None


def require_admin_token(request: web.Request) -> None:
    """Beyond loopback the control API and inspector need the admin token."""
    settings = request.app[SETTINGS]
    # Health says only "ok" and the version, and container health checks cannot hold the token.
    if request.path.startswith("/_sandbox") and request.path != "/_sandbox/health" and not settings.loopback_only:
        token = settings.admin_token or ""
        header = request.headers.get("Authorization", "")
        presented = header[7:] if header.lower().startswith("bearer ") else request.query.get("admin_token", "")
        if not token or not presented or not equal(presented, token):
            raise Unauthorized("the control API needs Authorization: Bearer $SANDBOX_ADMIN_TOKEN")


async def inject_api_fault(request: web.Request, sb: Sandbox) -> None:
    """Injected API faults (SPEC §6): answer 500/503, or hang past the client's timeout."""
    faults = request.app[FAULT_RULES]
    if not faults.may_fault_api(sb.world):
        return
    provider = _first_segment(request.path)
    if provider in sb.providers:
        rule = await faults.take_api_fault(sb.world, provider, request.method, request.path)
        if rule is not None:
            if rule.action == "api_timeout":
                await asyncio.sleep((rule.params.delay_ms or 0) / 1000)  # network time, not sandbox time
                raise SandboxError("injected fault: upstream timed out", code="SERVICE_UNAVAILABLE", status=504,
                                   fault_rule=rule.id)
            status = rule.params.status or 500
            code = "SERVICE_UNAVAILABLE" if status == 503 else "INTERNAL"
            raise SandboxError(f"injected fault: HTTP {status}", code=code, status=status, fault_rule=rule.id)


def create_app(settings: Settings, clock: Clock | None = None, *, providers: Sequence[Provider] | None = None,
               scenarios_dir: Path = SCENARIOS_DIR) -> web.Application:
    """The whole sandbox as one aiohttp application, serving `providers` (default: the registry's)."""
    providers = registered() if providers is None else tuple(providers)
    app = web.Application(middlewares=[request_middleware])
    app[SETTINGS] = settings
    contracts = Contracts({p.name: p.contracts for p in providers})
    scenarios = Scenarios(scenarios_dir)

    async def lifetime(app: web.Application):
        store = await Store.open(settings.db)
        try:
            boot = await store.commit(_next_boot)
            ids = Ids(settings.seed, boot)
            services = Services.build(settings, store, clock or Clock(time_scale=settings.time_scale), ids, contracts,
                                      scenarios, {p.name: p for p in providers}, boot)
            register(app, services)
            await services.start()
            try:
                yield
            finally:
                await services.stop()
        finally:
            await store.close()

    app.cleanup_ctx.append(lifetime)
    subapps = {f"/{provider.name}": provider.make_app() for provider in providers}
    subapps["/_sandbox"] = make_control_app()
    subapps["/partner"] = make_partner_app()
    # One template environment for every page, registered before the sub-apps are attached.
    env = pages.make_environment(template_sources(providers))
    pages.setup([app, *subapps.values()], env)
    for prefix, subapp in subapps.items():
        app.add_subapp(prefix, subapp)
    app.add_routes(receiver_routes)
    app.add_routes(landing_routes)
    pages.mount_static(app)
    return app


def register(app: web.Application, services: Services) -> None:
    """Each service under its typed key, and the default world's view."""
    app[SERVICES] = services
    app[ACCOUNTS] = services.accounts
    app[FAULT_RULES] = services.fault_rules
    app[LIFECYCLE] = services.lifecycle
    app[DISPATCHER] = services.dispatcher
    app[TIMERS] = services.timers
    app[SANDBOX] = services.view()


def template_sources(providers: Sequence[Provider]) -> dict[str, Path]:
    """Template folders by name: each provider's `templates/`, the partner pages', the inspector's and the grade pages'."""
    sources = {"partner": PARTNER_TEMPLATES, "control": CONTROL_TEMPLATES, "grading": GRADING_TEMPLATES}
    for provider in providers:
        sources[provider.name] = provider.folder / "templates"
    return sources


def _next_boot(uow: UnitOfWork) -> int:
    return uow.meta.increment("boot", 0, shared=True)   # replicas starting together get different boots
