"""The Provider base class: what every impersonated provider shares, written once.

Modelled on moto's `BaseResponse`: a provider is a subclass that declares what is its own — name,
title, credentials (which also become its settings fields and `SANDBOX_<P>_*` variables), webhook
dialect, retry policy, status words and graph, contracts folder, documented API operations, routes
and pages — and overrides only the behaviour that differs. Everything else has a default here:
the transaction context (`Ctx`), authentication, reading and validating a body, the create and
read paths with `Idempotency-Key` replay and the `api_call` timeline entry, JSON answers (checked
against their contract in `--strict`), the browser-event recorder of hosted pages, hosted-page
rendering through the shared Jinja2 layout and the one error page, error rendering, timers, the
control API's transitions and `describe()`.

Each provider folder has the same files: `__init__.py` (the subclass and `PROVIDER`), `routes.py`
(the partner API), `pages.py` (hosted pages), `models.py` (state and transitions), `events.py`
(webhook bodies and the signing dialect), `errors.py` (the error envelope), `grading.py`,
`templates/` and `static/` (served at `/<name>/static/`). Handlers find their provider with
`this(request)`; every helper takes `where` — the request, or for background work the world-bound
`Sandbox` view (`sandbox.engine`) — so the same provider code serves every world (SPEC §12).
Changes to credentials, endpoints and fault rules go through their services (`sb.accounts`,
`sb.fault_rules`), never by writing the view's data.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from aiohttp import web

from sandbox.bodies import read_json
from sandbox.clock import iso, to_ms
from sandbox.contracts import DEFAULT_DIR as CONTRACTS_DIR
from sandbox.delivery.policy import RetryPolicy, WebhookDialect
from sandbox.errors import NotFound, SandboxError, Unauthorized, ValidationFailed
from sandbox.grading.sample import GradeProfile
from sandbox.idempotency import encode, run_once
from sandbox.ids import Ids
from sandbox.jobs import Job
from sandbox.jsontext import Fragment, loads
from sandbox.keys import sandbox_for
from sandbox.scenarios import Scenario, UnknownScenario, combine
from sandbox.signing import equal
from sandbox.store import IntentRow, UnitOfWork
from sandbox.validation import refuse
from sandbox.web.render import error_page, render

if TYPE_CHECKING:
    from sandbox.engine import Sandbox
    from sandbox.settings import Settings

log = logging.getLogger("sandbox.providers")

T = TypeVar("T")

#: The provider a sub-app serves, so a handler can find it: `this(request)`.
THIS: web.AppKey[Provider] = web.AppKey("provider")

#: Where a provider finds its world's `Sandbox` view: a request, or the view background work was given.
Where = Any
#: What a request is: aiohttp's, or the API path's (`sandbox.web.fastpath.ApiRequest`, a dict).
_REQUESTS = (web.Request, dict)


@dataclass(frozen=True, slots=True)
class Credential:
    """One credential a provider hands out, made once per database so restarts keep it.

    `setting` credentials are also configuration: `[providers.<name>] <credential>` in the TOML
    file and `SANDBOX_<NAME>_<CREDENTIAL>` in the environment (SPEC §1). `make` None means the
    sandbox makes none; only a configured value exists.
    """

    name: str
    make: Callable[[Ids], str] | None = None
    setting: bool = True


@dataclass(frozen=True, slots=True)
class Operation:
    """One documented operation for `/_sandbox/openapi.json`: contracts and the success status.

    `request` names a `requests/` contract, or another kind's as `kind/name` (a hosted page's
    event post is checked against `browser/<name>`). A `public` operation takes no credential:
    a hosted page's own calls."""

    request: str | None
    status: str
    response: str | None
    public: bool = False


@dataclass(slots=True)
class Ctx:
    """What one transaction needs from the sandbox, taken once per request and passed into the DB thread."""

    ids: Ids
    now: datetime
    base_url: str
    settlement_delay_s: float = 5.0
    #: `now` as of the last `now_ms`, and its milliseconds (a create asks five times; ROZO's timers
    #: move `now` back, so the cache follows the value rather than being taken once).
    _ms_of: datetime | None = field(default=None, init=False, repr=False, compare=False)
    _ms: int = field(default=0, init=False, repr=False, compare=False)

    @property
    def now_ms(self) -> int:
        """The transaction's now in epoch milliseconds."""
        now = self.now
        if now is not self._ms_of:
            self._ms_of, self._ms = now, to_ms(now)
        return self._ms

    @property
    def stamp(self) -> str:
        """The transaction's now as ISO 8601 UTC text."""
        return iso(self.now)


def public(data: dict) -> dict:
    """The wire object: members starting with `_` are the sandbox's own bookkeeping."""
    return {k: v for k, v in data.items() if k[:1] != "_"}   # a slice: a third faster than startswith


def this(request: web.Request) -> Provider:
    """The provider whose sub-app is serving `request`."""
    return request.app[THIS]


def bearer_token(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer …` header, None without one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require_key(presented: str | None, expected: str | None, what: str = "API key") -> None:
    """Constant-time check of a presented credential; missing and wrong both answer 401."""
    if not presented:
        raise Unauthorized(f"missing {what}")
    if not expected or not equal(presented, expected):
        raise Unauthorized(f"invalid {what}")


def _get_intent(uow: UnitOfWork, provider: str, object_id: str) -> IntentRow | None:
    return uow.intents.get(provider, object_id)


def _add_timeline(uow: UnitOfWork, provider: str, object_id: str, kind: str, at_ms: int, data: dict) -> None:
    uow.timeline.add(provider, object_id, kind, at_ms, data)


def _sandbox(where: Where) -> Sandbox:
    """The sandbox of a request's world, or the world-bound sandbox background work was given."""
    return sandbox_for(where) if isinstance(where, _REQUESTS) else where


class Provider:
    """One impersonated provider. Subclasses set the class attributes and override what differs."""

    name: ClassVar[str]
    title: ClassVar[str]
    dialect: ClassVar[WebhookDialect]
    policy: ClassVar[RetryPolicy]
    #: API keys, ids and the webhook secret, in the order they are made (a seed replays them).
    credentials: ClassVar[tuple[Credential, ...]] = ()
    #: Status words, for the control API and the inspector's force-transition menu.
    statuses: ClassVar[tuple[str, ...]] = ()
    #: Which status may follow which: the state graph the models enforce, for the inspector.
    graph: ClassVar[Mapping[str, frozenset[str]]] = {}
    #: Sandbox seconds between "paid" and "settled" unless `settlement_delay_s` is configured.
    settlement_delay_s: ClassVar[float] = 5.0
    #: The partner API's path below `/<name>`: `describe()`'s `base_url`.
    api_base: ClassVar[str] = ""
    #: Routes of the partner API (`routes.py`) and of the hosted pages (`pages.py`).
    routes: ClassVar[Iterable[web.AbstractRouteDef]] = ()
    pages: ClassVar[Iterable[web.AbstractRouteDef]] = ()
    #: The documented operations (method, path below `/<name>`); none: not in `/_sandbox/openapi.json`.
    openapi: ClassVar[Mapping[tuple[str, str], Operation]] = {}
    openapi_tag: ClassVar[str] = ""
    #: The OpenAPI security scheme of the documented operations.
    auth_scheme: ClassVar[Mapping[str, str]] = {"type": "http", "scheme": "bearer"}
    #: The member of a created object that holds its id (where its `api_call` lands in the timeline).
    id_field: ClassVar[str] = "id"
    ctx_type: ClassVar[type[Ctx]] = Ctx
    #: The name hosted pages show in their header and error page (default: the title).
    page_brand: ClassVar[str | None] = None
    #: `models.run_job` and `models.force`: a due timer and the control API's transition, each one transaction.
    fire: ClassVar[Callable[..., None]]
    force: ClassVar[Callable[..., dict]]
    #: Its part in grading a partner's receiver (SPEC §15): synthetic events and what does not apply.
    grading: ClassVar[GradeProfile | None] = None
    #: Turns a domain error into the provider's error envelope (`errors.error_body`).
    error_body: ClassVar[Callable[[SandboxError, str], dict]]

    # --- the folder and its files -----------------------------------------------------------------

    @cached_property
    def folder(self) -> Path:
        """The provider's package folder (where `templates/` and `static/` are)."""
        return Path(sys.modules[type(self).__module__].__file__).parent

    @property
    def contracts(self) -> Path:
        """The provider's contracts folder (`<kind>/<name>.schema.json` below it): the packaged `contracts/<name>/`."""
        return CONTRACTS_DIR / self.name

    def make_app(self) -> web.Application:
        """The `/<name>` sub-app: API routes, hosted pages and the static files at `/static`."""
        app = web.Application(middlewares=self.middlewares())
        app[THIS] = self
        app.add_routes(self.routes)
        app.add_routes(self.pages)
        static = self.folder / "static"
        if static.is_dir():
            app.router.add_static("/static", static, append_version=False)
        return app

    def middlewares(self) -> list:
        """Middlewares of the provider's sub-app (ROZO adds CORS)."""
        return []

    # --- credentials and settings ---------------------------------------------------------------

    def default_credentials(self, ids: Ids) -> dict[str, str]:
        """Every credential the sandbox makes, in declaration order (the seed replays them)."""
        return {c.name: c.make(ids) for c in self.credentials if c.make is not None}

    def world_credentials(self, ids: Ids) -> dict[str, str]:
        """Credentials for a new world (SPEC §12); a provider overrides where they must differ in more than randomness."""
        return self.default_credentials(ids)

    def new_webhook_secret(self, ids: Ids) -> str:
        """A fresh signing secret in the provider's own format (rotation makes only this one)."""
        for credential in self.credentials:
            if credential.name == "webhook_secret" and credential.make is not None:
                return credential.make(ids)
        return ids.hex(64)

    def setting_names(self) -> tuple[str, ...]:
        """Credentials a partner may configure, besides the webhook URL every provider has."""
        return tuple(c.name for c in self.credentials if c.setting)

    def credential(self, where: Where, key: str) -> str | None:
        """One of this provider's current credentials."""
        return _sandbox(where).credentials.get(self.name, {}).get(key)

    def retry_policy(self, settings: Settings) -> RetryPolicy:
        """The provider's retry policy with any configured `[providers.<name>.delivery]` laid over it."""
        configured = settings.provider(self.name).delivery
        delays = tuple(configured.retry_delays_s) if configured.retry_delays_s is not None else self.policy.retry_delays_s
        timeout = configured.timeout_s if configured.timeout_s is not None else self.policy.timeout_s
        return RetryPolicy(delays, timeout, self.policy.jitter_ratio)

    def effective_policy(self, where: Where) -> RetryPolicy:
        """The retry policy this server delivers with."""
        return self.retry_policy(_sandbox(where).settings)

    # --- services -------------------------------------------------------------------------------

    def sandbox(self, where: Where) -> Sandbox:
        """The `Sandbox` view of the world of `where` (a request's, or the one background work runs in)."""
        return _sandbox(where)

    def base_url(self, where: Where) -> str:
        """The public base URL of the sandbox (no trailing slash)."""
        return _sandbox(where).base_url

    def now(self, where: Where) -> datetime:
        """Sandbox time."""
        return _sandbox(where).clock.now()

    def settlement_delay(self, where: Where) -> float:
        """Sandbox seconds from paid to settled: configured, else the provider's default."""
        configured = _sandbox(where).settings.provider(self.name).settlement_delay_s
        return self.settlement_delay_s if configured is None else configured

    def ctx(self, where: Where, now: datetime | None = None) -> Ctx:
        """The transaction context: ids, sandbox time, base URL, settlement delay and `ctx_fields`."""
        sb = _sandbox(where)
        return self.ctx_type(sb.ids, now or sb.clock.now(), sb.base_url, self.settlement_delay(where),
                             **self.ctx_fields(where))

    def ctx_fields(self, where: Where) -> dict:
        """Extra members of a provider's own `Ctx` subclass."""
        return {}

    def commit(self, where: Where, fn: Callable[..., T], *args: Any) -> Awaitable[T]:
        """Run `fn(uow, *args)` as one write transaction, then wake whoever it queued work for
        (the store's awaitable itself: no coroutine of its own per request)."""
        return _sandbox(where).store.commit(fn, *args)

    def read(self, where: Where, fn: Callable[..., T], *args: Any) -> Awaitable[T]:
        """Run `fn(uow, *args)` as a read (the store's awaitable)."""
        return _sandbox(where).store.read(fn, *args)

    async def find(self, where: Where, object_id: str) -> IntentRow | None:
        """The stored object of this provider with that id, or None."""
        return await self.read(where, _get_intent, self.name, object_id)

    def attach(self, where: Where):
        """The in-transaction hook that turns a chosen scenario's fault rules into rules of a new object."""
        sb = _sandbox(where)
        return sb.fault_rules.attach(sb.world)

    # --- requests -------------------------------------------------------------------------------

    def authenticate(self, request: web.Request) -> None:
        """Default: `Authorization: Bearer <api_key>`."""
        require_key(bearer_token(request), self.credential(request, "api_key"))

    async def read_body(self, request: web.Request, contract: str) -> tuple[dict, bytes]:
        """Authenticate, read the JSON object body and check it against `requests/<contract>`."""
        self.authenticate(request)
        body, raw = await read_json(request)
        self.validate(request, contract, body)
        return body, raw

    def validate(self, where: Where, contract: str, body: Any) -> None:
        """Check a request body against `requests/<contract>`; 400 naming every offending field."""
        issues = _sandbox(where).contracts.errors(self.name, "requests", contract, body)
        if issues:
            fields = ", ".join(sorted({i.field for i in issues}))
            raise refuse(f"request does not match the contract: {fields}", issues)

    def chosen_scenario(self, request: web.Request, field_value: str | None = None) -> Scenario | None:
        """The scenario chosen at creation: `X-Sandbox-Scenario`, plus a body field where the provider has one.

        Both given (a LIQX payout's `scenario` and a header) act as one combined scenario. An
        unknown name is a validation error naming where it came from.
        """
        scenarios = _sandbox(request).scenarios
        chosen = []
        for source, name in (("/scenario", field_value), ("X-Sandbox-Scenario", request.headers.get("X-Sandbox-Scenario"))):
            if not name:
                continue
            try:
                chosen.append(scenarios.get(name, self.name))
            except UnknownScenario as exc:
                raise ValidationFailed(f"unknown scenario {name!r}; known: {', '.join(scenarios.names(self.name))}",
                                       details=[{"field": source, "issue": "unknown scenario"}]) from exc
        return combine(chosen)

    def respond(self, where: Where, body: Any = None, *, status: int = 200, contract: str | None = None,
                raw: bytes | None = None, headers: Mapping[str, str] | None = None) -> web.Response:
        """A JSON answer; with `--strict`, one that breaks its own response contract is a sandbox bug (500)."""
        sb = _sandbox(where)
        if sb.settings.strict and contract is not None:
            instance = loads(raw) if body is None and raw is not None else body
            issues = sb.contracts.errors(self.name, "responses", contract, instance)
            if issues:
                log.error("response violates %s/responses/%s: %s", self.name, contract, issues)
                raise SandboxError(f"sandbox bug: response violates its contract {contract}", code="INTERNAL",
                                   status=500, details=[i.as_dict() for i in issues])
        return web.Response(status=status, body=raw if raw is not None else encode(body),
                            content_type="application/json", charset="utf-8", headers=headers)

    async def answer_found(self, request: web.Request, object_id: str, *, noun: str, contract: str) -> web.Response:
        """A whole read handler: authenticate, find the object, 404 in the provider's words, answer its wire form."""
        self.authenticate(request)
        row = await self.find(request, object_id)
        if row is None:
            raise NotFound(f"{noun} {object_id!r} not found")
        return self.respond(request, public(row.data), contract=contract)

    def object_id(self, answer: dict) -> str | None:
        """The id of the object a create answered with (None: nothing to put in a timeline)."""
        value = answer.get(self.id_field)
        return None if value is None else str(value)

    async def create(self, request: web.Request, body: dict, raw: bytes,
                     make: Callable[[Any, Ctx], tuple[int, dict]], *, contract: str,
                     idempotent: bool = False) -> web.Response:
        """The create path: `make(db, ctx)` and the `api_call` timeline entry as one transaction.

        With `idempotent`, an `Idempotency-Key` replays the stored answer byte for byte (the check,
        the create and the stored answer share the transaction). `contract` names the success
        answer's contract; any other status is checked against `error`.
        """
        ctx = self.ctx(request)
        key = request.headers.get("Idempotency-Key") if idempotent else None
        call = {"method": request.method, "path": request.path}
        if request.query_string:
            call["query"] = request.query_string

        def created(db) -> tuple[int, bytes]:
            status, answer = make(db, ctx)
            encoded = encode(answer)
            object_id = self.object_id(answer)
            if object_id:
                # The request's bytes (JSON the strict reader took) and the answer's, embedded as
                # they are: neither is encoded, nor searched for NaN, a second time.
                db.timeline.add(self.name, object_id, "api_call", ctx.now_ms,
                                {**call, "status": status, "request": Fragment(raw), "response": Fragment(encoded)})
            return status, encoded

        def work(db) -> tuple[int, bytes, bool]:
            return run_once(db, self.name, key, raw, created, ctx.now_ms)

        status, encoded, replayed = await self.commit(request, work)
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        return self.respond(request, status=status, contract=contract if 200 <= status < 300 else "error",
                            raw=encoded, headers=headers)

    async def create_from_request(self, request: web.Request, request_contract: str, make: Callable[..., tuple[int, dict]],
                                  *, contract: str, idempotent: bool = False,
                                  scenario_field: Callable[[dict], str | None] | None = None) -> web.Response:
        """A whole create handler: `read_body`, the chosen scenario, then `create` with `make(db, ctx, body, scenario, attach)`.

        `scenario_field` reads a scenario name from the body where the provider has such a field.
        """
        body, raw = await self.read_body(request, request_contract)
        scenario = self.chosen_scenario(request, scenario_field(body) if scenario_field else None)
        attach = self.attach(request)
        return await self.create(request, body, raw, lambda db, ctx: make(db, ctx, body, scenario, attach),
                                 contract=contract, idempotent=idempotent)

    async def record_browser_event(self, request: web.Request, object_id: str | Callable[[], Awaitable[str]],
                                   body: dict, contract: str, belongs: Mapping[str, str],
                                   headers: Mapping[str, str] | None = None) -> web.Response:
        """A hosted page reports a message it posted: checked against `browser/<contract>`, then timelined.

        `belongs` maps body members to the values this page's object has (`{"intent_id": …}`); an
        event naming another object is refused like one that breaks the contract. `object_id` may
        be a lookup, run after those checks (it raises 404 for an object that does not exist).
        """
        issues = [i.as_dict() for i in _sandbox(request).contracts.errors(self.name, "browser", contract, body)]
        if not issues:
            issues = [{"field": f"/{member}", "issue": "not this page's object"}
                      for member, expected in belongs.items() if str(body.get(member)) != expected]
        if issues:
            raise ValidationFailed("browser event does not match the contract", details=issues)
        if callable(object_id):
            object_id = await object_id()
        await self.commit(request, _add_timeline, self.name, object_id, "browser_event",
                          _sandbox(request).clock.now_ms(), {"event": body})
        return web.json_response({"recorded": True}, status=202, headers=headers)

    # --- pages ----------------------------------------------------------------------------------

    def render_page(self, request: web.Request, template: str, state: dict) -> web.Response:
        """A hosted page from the provider's `templates/<template>`, its state embedded by the base layout."""
        return render(request, f"{self.name}/{template}", {"state": state})

    def not_found_page(self, request: web.Request, message: str) -> web.Response:
        """The one HTML error page, for a hosted page whose object does not exist."""
        return error_page(request, self.page_brand or self.title, message)

    # --- errors ---------------------------------------------------------------------------------

    def request_id(self, where: Where) -> str:
        """A fresh `req_…` id for an error answer."""
        return "req_" + _sandbox(where).ids.alnum(20)

    def render_error(self, error: SandboxError, request_id: str) -> web.Response:
        """The HTTP answer for a domain error, in the provider's envelope."""
        return web.Response(status=error.status, body=encode(self.error_body(error, request_id)),
                            content_type="application/json", charset="utf-8")

    # --- the core's questions -------------------------------------------------------------------

    async def run_job(self, where: Where, job: Job) -> None:
        """A due timer (expiry, settlement, scenario outcome), as one transaction."""
        await self.commit(where, self.fire, self.ctx(where), job.intent_id, job.kind, job.payload)

    async def transition(self, where: Where, object_id: str, to: str) -> dict:
        """The control API's transition, in the provider's own status words."""
        return await self.commit(where, self.force, self.ctx(where), object_id, to)

    def seed(self, db: Any, ctx: Ctx) -> None:
        """Make what the provider keeps besides intents, inside the caller's transaction (on start, in
        a new world, after a reset; see `sandbox.services.lifecycle.seeding`). Nothing by default."""

    async def receiver_secrets(self, where: Where, body: dict) -> list[str]:
        """The secrets the built-in receiver accepts for a body: the endpoint's."""
        return _sandbox(where).endpoint(self.name)[1]

    def describe(self, where: Where) -> dict:
        """Base URL, credentials and webhook endpoint for `GET /_sandbox/config` and the start banner."""
        url, secrets = _sandbox(where).endpoint(self.name)
        described = {"base_url": f"{self.base_url(where)}/{self.name}{self.api_base}"}
        described.update({name: self.credential(where, name) for name in self.setting_names()
                          if name != "webhook_secret"})
        described.update({"webhook_url": url, "webhook_secret": secrets[0] if secrets else None})
        described.update(self.describe_more(where))
        return described

    def describe_more(self, where: Where) -> dict:
        """Provider-specific members of `describe()`."""
        return {}
