"""`/_sandbox/worlds` (SPEC §12): create, list, read and delete isolated tenants of this server.

A CI job creates a world, gets back its credentials for every provider, base URLs, webhook URLs
(the built-in receiver with `?world=` unless told otherwise) and clock, and names the world on
later control calls with `X-Sandbox-World`. Deleting it removes every row it owns and stops its
pending deliveries and timers; a `ttl_s` deletes it that many real seconds after creation.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from sandbox.clock import EARLIEST, LATEST, parse_iso
from sandbox.control.openapi import accepts
from sandbox.control.routes import _json, _sb
from sandbox.delivery.destinations import refuse_url
from sandbox.errors import ValidationFailed
from sandbox.keys import LIFECYCLE, SANDBOX
from sandbox.validation import read_model
from sandbox.worlds import DEFAULT

routes = web.RouteTableDef()

Url = Annotated[str, Field(min_length=8, max_length=2048, pattern=r"^https?://[^\s]+$")]


class WorldClock(BaseModel):
    """Where a new world's clock starts and how fast it runs (0 pins it)."""

    model_config = ConfigDict(extra="forbid")
    now: str | None = Field(None, max_length=64)
    time_scale: float | None = Field(None, ge=0, le=1_000_000)

    @field_validator("now")
    @classmethod
    def _iso_within_bounds(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            moment = parse_iso(value)
        except ValueError as exc:
            raise ValueError("must be an ISO 8601 timestamp") from exc
        if not EARLIEST <= moment < LATEST:
            raise ValueError("must be between the years 2000 and 2200")
        return value


class WorldBody(BaseModel):
    """`POST /_sandbox/worlds`: every member optional."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=1000)
    seed: StrictInt | None = Field(None, ge=0, le=2**63 - 1)
    clock: WorldClock | None = None
    webhook_urls: dict[str, Url] | None = None
    ttl_s: float | None = Field(None, gt=0, le=30 * 86400)
    signature_clock: Literal["wall", "sandbox"] = "wall"


def check_destinations(parsed: WorldBody, providers, policy) -> WorldBody:
    """Unknown providers and refused destinations in `webhook_urls` are named; the body otherwise as parsed."""
    for name, url in (parsed.webhook_urls or {}).items():
        refuse_url(url, policy, f"/webhook_urls/{name}")
    unknown = sorted(set(parsed.webhook_urls or {}) - set(providers))
    if unknown:
        raise ValidationFailed("unknown provider in webhook_urls", details=[
            {"field": f"/webhook_urls/{name}", "issue": f"unknown provider; known: {', '.join(providers)}"}
            for name in unknown])
    return parsed


@routes.post("/worlds")
@accepts(WorldBody, required=False, status=201)
async def create(request: web.Request) -> web.Response:
    """Create a world: 201 with its id, credentials, base URLs, webhook URLs and clock."""
    sb = request.config_dict[SANDBOX]   # worlds are made by the server, whatever world a header names
    lifecycle = request.config_dict[LIFECYCLE]
    parsed = await read_model(request, WorldBody, allow_empty=True)
    world = await lifecycle.create(check_destinations(parsed, sb.providers, sb.settings.webhook_policy))
    return _json(lifecycle.describe(world), 201)


@routes.get("/worlds")
async def list_worlds(request: web.Request) -> web.Response:
    """Every world, the default world first."""
    describe = request.config_dict[LIFECYCLE].describe
    return _json({"data": [describe(world) for world in _sb(request).worlds]})


@routes.get("/worlds/{world_id}")
async def get_world(request: web.Request) -> web.Response:
    return _json(request.config_dict[LIFECYCLE].describe(_sb(request).worlds.get(request.match_info["world_id"])))


@routes.delete("/worlds/{world_id}")
async def delete_world(request: web.Request) -> web.Response:
    """Delete a world: its rows go, its pending deliveries and timers stop; then it is 404."""
    sb = _sb(request)
    world_id = request.match_info["world_id"]
    if world_id == DEFAULT:
        raise ValidationFailed("the default world cannot be deleted (reset it instead)",
                               details=[{"field": "world_id", "issue": "is the default world"}])
    await request.config_dict[LIFECYCLE].delete(sb.worlds.get(world_id).id)
    return _json({"deleted": world_id})
