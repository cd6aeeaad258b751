"""The control API (SPEC §9): JSON in and out, for scripts, CI and the inspector.

On loopback it needs no token; bound to any other address every call needs
`Authorization: Bearer $SANDBOX_ADMIN_TOKEN` (checked in `sandbox.app`'s middleware).
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from sandbox import __version__
from sandbox.bodies import json_response
from sandbox.clock import EARLIEST, LATEST, from_ms, iso, parse_iso
from sandbox.contracts import UnknownContract
from sandbox.control.openapi import accepts
from sandbox.delivery.destinations import refuse_url
from sandbox.delivery.faults import (
    MAX_DELAY_MS,
    MAX_TIMES,
    FaultRule,
    list_rules,
    read_fault_log,
)
from sandbox.delivery.outbox import resend
from sandbox.engine import Sandbox
from sandbox.errors import NotFound, ValidationFailed
from sandbox.keys import ACCOUNTS, FAULT_RULES, LIFECYCLE, sandbox_for, world_of
from sandbox.partner.receiver import set_behaviour
from sandbox.partner.site import SIMULATOR_PAGES
from sandbox.services.lifecycle import seeding
from sandbox.store import UnitOfWork, masked
from sandbox.validation import parse_query, query_int, query_text, read_model, takes_query

routes = web.RouteTableDef()


def _sb(request: web.Request) -> Sandbox:
    return sandbox_for(request)


_json = json_response


def _provider(sb: Sandbox, name: str) -> str:
    if name not in sb.providers:
        raise NotFound(f"unknown provider {name!r}; known: {', '.join(sb.providers)}")
    return name


class ListQuery(BaseModel):
    """The filters of the control API's list reads (each an exact match), newest first, at most `limit`."""

    provider: query_text(64) = None
    intent_id: query_text() = None
    event_id: query_text() = None
    type: query_text() = None
    status: query_text(64) = None
    limit: query_int(1, 500) = 100


class IntentsQuery(ListQuery):
    limit: query_int(1, 500) = 50


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    # `replica`: which process answered (several may serve one PostgreSQL database, SPEC §14).
    return _json({"status": "ok", "version": __version__, "replica": _sb(request).services.store.replica})


def effective_config(sb: Sandbox) -> dict:
    """What `GET /_sandbox/config` answers and the start banner prints; each provider describes itself."""
    s = sb.settings
    return {
        "world": sb.world.id, "version": __version__, "base_url": sb.base_url, "host": s.host, "port": s.port, "db": masked(s.db), "seed": s.seed,
        "time_scale": sb.clock.time_scale, "signature_clock": sb.world.signature_clock, "strict": s.strict,
        "max_in_flight": s.max_in_flight,
        "admin_token_required": not s.loopback_only,
        "providers": {name: p.describe(sb) for name, p in sb.providers.items()},
        "partner": {name: sb.base_url + path for name, path in SIMULATOR_PAGES.items()},
        "inspector": f"{sb.base_url}/_sandbox/ui/",
        "scenarios": sb.scenarios.names(),
    }


@routes.get("/config")
async def config(request: web.Request) -> web.Response:
    return _json(effective_config(_sb(request)))


class ResetBody(BaseModel):
    """`POST /_sandbox/reset`: forget one provider's state, or everything when `provider` is absent."""

    model_config = ConfigDict(extra="forbid")
    provider: str | None = Field(None, max_length=64)


@routes.post("/reset")
@accepts(ResetBody, required=False)
async def reset_state(request: web.Request) -> web.Response:
    sb = _sb(request)
    provider = (await read_model(request, ResetBody, allow_empty=True)).provider
    if provider is not None:
        _provider(sb, provider)
    await sb.store.commit(_reset, provider)
    await request.config_dict[ACCOUNTS].forget_endpoints(sb.world, provider)
    await sb.store.commit(seeding([p for name, p in sb.providers.items() if provider in (None, name)], sb))
    await request.config_dict[FAULT_RULES].refresh(sb.world)
    return _json({"reset": provider or "all"})


def _reset(uow: UnitOfWork, provider: str | None) -> None:
    uow.reset(provider)


def _intent_summary(row) -> dict:
    return {"provider": row.provider, "id": row.id, "external_ref": row.external_ref, "status": row.status,
            "scenario": row.scenario, "created_at": iso(from_ms(row.created_ms)),
            "updated_at": iso(from_ms(row.updated_ms)), "object": {k: v for k, v in row.data.items() if not k.startswith("_")}}


@routes.get("/intents")
@takes_query(IntentsQuery)
async def intents(request: web.Request) -> web.Response:
    sb = _sb(request)
    query = parse_query(IntentsQuery, request.query)
    if query.provider:
        _provider(sb, query.provider)
    rows = await sb.store.read(lambda uow: uow.intents.list(query.provider, account=None, limit=query.limit))
    return _json({"data": [_intent_summary(r) for r in rows]})


def _timeline(uow: UnitOfWork, provider: str, intent_id: str) -> dict | None:
    row = uow.intents.get(provider, intent_id)
    if row is None:
        return None
    entries = uow.timeline.read(provider, intent_id)
    attempts = {(a["delivery_id"], a["n"]): a for a in uow.attempts.of_intent(provider, intent_id)}
    for entry in entries:
        entry["at"] = iso(from_ms(entry["at_ms"]))
        if entry["kind"] == "attempt":
            entry["attempt"] = attempts.get((entry.get("delivery_id"), entry.get("n")))
    deliveries = uow.deliveries.list(None, provider, None, intent_id=intent_id)
    return {"intent": _intent_summary(row), "timeline": entries, "deliveries": deliveries}


@routes.get("/intents/{provider}/{intent_id}/timeline")
async def timeline(request: web.Request) -> web.Response:
    sb = _sb(request)
    provider = _provider(sb, request.match_info["provider"])
    found = await sb.store.read(_timeline, provider, request.match_info["intent_id"])
    if found is None:
        raise NotFound(f"{provider} intent {request.match_info['intent_id']!r} not found")
    return _json(found)


class TransitionBody(BaseModel):
    """`POST …/transition`: the status to drive the intent to, in the provider's own words."""

    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=1, max_length=64)


@routes.post("/intents/{provider}/{intent_id}/transition")
@accepts(TransitionBody)
async def transition(request: web.Request) -> web.Response:
    sb = _sb(request)
    provider = _provider(sb, request.match_info["provider"])
    to = (await read_model(request, TransitionBody)).to
    result = await sb.providers[provider].transition(sb, request.match_info["intent_id"], to)
    return _json({"provider": provider, "object": result})


@routes.get("/events")
@takes_query(ListQuery)
async def events(request: web.Request) -> web.Response:
    sb = _sb(request)
    q = parse_query(ListQuery, request.query)
    rows = await sb.store.read(lambda uow: uow.events.list(q.provider, q.intent_id, q.type, q.limit))
    return _json({"data": rows})


@routes.get("/deliveries")
@takes_query(ListQuery)
async def deliveries(request: web.Request) -> web.Response:
    sb = _sb(request)
    q = parse_query(ListQuery, request.query)
    rows = await sb.store.read(lambda uow: uow.deliveries.list(q.event_id, q.provider, q.status, q.intent_id, q.limit))
    return _json({"data": rows})


@routes.post("/events/{event_id}/resend")
async def resend_event(request: web.Request) -> web.Response:
    sb = _sb(request)
    delivery_id = await sb.store.commit(resend, request.match_info["event_id"], sb.clock.now_ms())
    if delivery_id is None:
        raise NotFound(f"event {request.match_info['event_id']!r} not found")
    return _json({"event_id": request.match_info["event_id"], "delivery_id": delivery_id, "trigger": "manual"}, 202)


@routes.get("/faults")
async def faults(request: web.Request) -> web.Response:
    return _json({"data": await _sb(request).store.read(list_rules)})


@routes.get("/faults/log")
@takes_query(ListQuery)
async def fault_log(request: web.Request) -> web.Response:
    """Every fault applied so far, newest first: deliveries, attempts, API calls and the receiver."""
    sb = _sb(request)
    return _json({"data": await sb.store.read(read_fault_log, parse_query(ListQuery, request.query).limit)})


@routes.post("/faults")
@accepts(FaultRule, status=201)
async def add_fault(request: web.Request) -> web.Response:
    sb = _sb(request)
    rule = await read_model(request, FaultRule)
    if rule.provider is not None:
        _provider(sb, rule.provider)
    await request.config_dict[FAULT_RULES].add(sb.world, rule)
    return _json(rule.model_dump(), 201)


@routes.delete("/faults")
async def clear_faults(request: web.Request) -> web.Response:
    """Delete every fault rule (scenario rules of live intents included)."""
    return _json({"deleted": await request.config_dict[FAULT_RULES].clear(world_of(request))})


@routes.delete("/faults/{rule_id}")
async def remove_fault(request: web.Request) -> web.Response:
    if not await request.config_dict[FAULT_RULES].remove(world_of(request), request.match_info["rule_id"]):
        raise NotFound(f"fault rule {request.match_info['rule_id']!r} not found")
    return _json({"deleted": request.match_info["rule_id"]})


@routes.get("/clock")
async def clock(request: web.Request) -> web.Response:
    return _json(_sb(request).clock.state())


class AdvanceBody(BaseModel):
    """`POST /_sandbox/clock/advance`: sandbox seconds to move forward."""

    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(ge=0, le=10 * 365 * 86400)


def _within_bounds(moment, field: str):
    """The sandbox clock stays between the years 2000 and 2200 (SPEC §10)."""
    if not EARLIEST <= moment < LATEST:
        raise ValidationFailed(f"the clock must stay between {iso(EARLIEST)} and {iso(LATEST)}",
                               details=[{"field": field, "issue": "outside the years 2000 to 2199"}])
    return moment


@routes.post("/clock/advance")
@accepts(AdvanceBody)
async def advance(request: web.Request) -> web.Response:
    sb = _sb(request)
    seconds = (await read_model(request, AdvanceBody)).seconds
    _within_bounds(sb.clock.now() + timedelta(seconds=seconds), "/seconds")
    sb.clock.advance(seconds)
    await request.config_dict[LIFECYCLE].save(sb.world)   # a world's clock survives a restart, kill -9 included
    return _json(sb.clock.state())


class ClockBody(BaseModel):
    """`PUT /_sandbox/clock`: pin the time (ISO 8601) and/or set the scale (0 freezes)."""

    model_config = ConfigDict(extra="forbid")
    now: str | None = Field(None, max_length=64)
    time_scale: float | None = Field(None, ge=0, le=1_000_000)


@routes.put("/clock")
@accepts(ClockBody)
async def set_clock(request: web.Request) -> web.Response:
    sb = _sb(request)
    parsed = await read_model(request, ClockBody)
    try:
        now = parse_iso(parsed.now) if parsed.now else None
    except (ValueError, OverflowError) as exc:
        raise ValidationFailed("now must be ISO 8601", details=[{"field": "/now", "issue": str(exc)}]) from exc
    if now is not None:
        _within_bounds(now, "/now")
    sb.clock.set(now, parsed.time_scale)
    await request.config_dict[LIFECYCLE].save(sb.world)
    return _json(sb.clock.state())


@routes.get("/endpoints/{provider}")
async def endpoint(request: web.Request) -> web.Response:
    sb = _sb(request)
    provider = _provider(sb, request.match_info["provider"])
    url, secrets = sb.endpoint(provider)
    return _json({"provider": provider, "url": url, "secret": secrets[0] if secrets else None,
                  "secrets": secrets})


class EndpointBody(BaseModel):
    """`PUT /_sandbox/endpoints/{provider}`: where the provider's webhooks go and the secret they are signed with."""

    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(None, pattern=r"^https?://", max_length=2048)
    secret: str | None = Field(None, min_length=1, max_length=256)


@routes.put("/endpoints/{provider}")
@accepts(EndpointBody)
async def set_endpoint(request: web.Request) -> web.Response:
    sb = _sb(request)
    provider = _provider(sb, request.match_info["provider"])
    parsed = await read_model(request, EndpointBody)
    if parsed.url is not None:
        refuse_url(parsed.url, sb.settings.webhook_policy, "/url")
    await request.config_dict[ACCOUNTS].set_endpoint(sb.world, provider, parsed.url, parsed.secret)
    return await endpoint(request)


@routes.post("/endpoints/{provider}/rotate-secret")
async def rotate(request: web.Request) -> web.Response:
    sb = _sb(request)
    provider = _provider(sb, request.match_info["provider"])
    await request.config_dict[ACCOUNTS].rotate_secret(sb.world, provider)
    return await endpoint(request)


class ReceiverBody(BaseModel):
    """`PUT /_sandbox/receiver/{provider}`: how the built-in receiver answers its next `times` requests."""

    model_config = ConfigDict(extra="forbid")
    status: int = Field(500, ge=100, le=599)
    times: int = Field(1, ge=0, le=MAX_TIMES)
    delay_ms: int = Field(0, ge=0, le=min(120_000, MAX_DELAY_MS))


@routes.put("/receiver/{provider}")
@accepts(ReceiverBody)
async def receiver(request: web.Request) -> web.Response:
    sb = _sb(request)
    provider = _provider(sb, request.match_info["provider"])
    behaviour = (await read_model(request, ReceiverBody)).model_dump()
    return _json({"provider": provider, **await set_behaviour(sb, provider, behaviour)})


@routes.get("/contracts")
async def contracts(request: web.Request) -> web.Response:
    sb = _sb(request)
    return _json({"data": [{"provider": p, "kind": k, "name": n, "url": f"{sb.base_url}/_sandbox/contracts/{p}/{k}/{n}"}
                           for p, k, n in sb.contracts.names()]})


@routes.get("/contracts/{provider}/{kind}/{name}")
async def contract(request: web.Request) -> web.Response:
    m = request.match_info
    try:
        schema = _sb(request).contracts.schema(m["provider"], m["kind"], m["name"].removesuffix(".schema.json"))
    except UnknownContract as exc:
        raise NotFound(f"no contract {m['provider']}/{m['kind']}/{m['name']}") from exc
    return _json(schema)


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document for the providers that document an API, and for the control API."""
    from sandbox.control.openapi import build

    sb = _sb(request)
    root = request.match_info.apps[0]  # the root application: its router has every sub-app
    return _json(build(root, sb.providers, sb.contracts, sb.settings, sb.base_url))


@routes.get("/scenarios")
async def scenarios(request: web.Request) -> web.Response:
    return _json({"data": [s.model_dump(exclude_none=True) for s in _sb(request).scenarios.all()]})
