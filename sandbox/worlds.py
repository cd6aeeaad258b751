"""Worlds: isolated tenants of one server (SPEC §12), and how a request finds its own.

A world owns credentials for every provider, webhook endpoints, a clock, a seed, fault rules,
receiver instructions and all its rows. Which world a request belongs to is never guessed:

- a provider API call presents credentials, and the key is the account (`by_credential`);
- a page, widget or pay-page URL names an object, whose row carries its world;
- a control call names its world with `X-Sandbox-World: wld_…` or `?world=` (`named_world`);
  without one it is the default world, and an unknown or deleted world is 404 `WORLD_NOT_FOUND`,
  never a fall-back to the default.

The default world (`default`) is the one configured by flags and environment, so a user who never
creates a world notices nothing. Worlds live in memory for lookups and in the store for restarts.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sandbox.clock import Clock, from_ms, iso, parse_iso, wall_now
from sandbox.errors import SandboxError
from sandbox.ids import Ids

DEFAULT = "default"
HEADER = "X-Sandbox-World"


class WorldNotFound(SandboxError):
    """A control call named a world that does not exist (or no longer does)."""

    def __init__(self, world_id: str) -> None:
        super().__init__(f"world {world_id!r} not found", code="WORLD_NOT_FOUND", status=404)


def wall_ms() -> int:
    """Real epoch milliseconds: creation times and TTLs of worlds are real time, not sandbox time."""
    return int(time.time() * 1000)


@dataclass(eq=False)
class World:
    """One tenant: its clock, ids, credentials and endpoints (its rows carry its id in the store)."""

    id: str
    clock: Clock
    ids: Ids
    credentials: dict[str, dict[str, str]]
    name: str | None = None
    seed: int | None = None
    signature_clock: str = "wall"
    #: Where webhooks go unless an endpoint override says otherwise (chosen at creation).
    webhook_urls: dict[str, str] = field(default_factory=dict)
    #: Overrides set through the control API: url, secret, and a rotated-out secret with its deadline.
    #: Credentials and endpoints change only through `sandbox.services.accounts`.
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    created_ms: int = field(default_factory=wall_ms)
    ttl_s: float | None = None

    @property
    def expires_ms(self) -> int | None:
        """Real epoch ms at which the world is deleted, when it has a TTL."""
        return None if self.ttl_s is None else self.created_ms + int(self.ttl_s * 1000)

    def signing_now(self) -> datetime:
        """The time webhook signatures carry (SPEC §5): the real clock unless sandbox time was chosen."""
        return self.clock.now() if self.signature_clock == "sandbox" else wall_now()

    def record(self) -> dict:
        """What the store keeps so a restart finds the world, its clock state and credentials again."""
        return {
            "id": self.id, "name": self.name, "seed": self.seed, "signature_clock": self.signature_clock,
            "credentials": self.credentials, "webhook_urls": self.webhook_urls, "endpoints": self.endpoints,
            "created_ms": self.created_ms, "ttl_s": self.ttl_s,
            "clock": self.saved_clock(),
        }

    def saved_clock(self) -> dict:
        """The clock's state as stored: its time and scale, and when they were read (real ms), so
        `sync_clock` can move another clock to where this one is by then."""
        return {**self.clock.state(), "saved_ms": wall_ms()}


async def save_world(store, world: World) -> None:
    """Persist a world's record (credentials, endpoints, clock); the default world is configured, not stored.

    On a database replicas share, the default world's clock is stored too, so they all keep one time.
    """
    if world.id != DEFAULT:
        await store.commit(_save_world, world.record(), world.created_ms, world.expires_ms, world=world.id)
    elif store.shared:
        await store.commit(_save_clock, world.record()["clock"], world=world.id)


def _save_world(uow, record: dict, created_ms: int, expires_ms: int | None) -> None:
    uow.save_world(record, created_ms, expires_ms)


def _save_clock(uow, state: dict) -> None:
    uow.meta.set("clock", state)
    uow.world_changed()


def load_clock(uow) -> dict | None:
    """The default world's clock as a replica last stored it (a unit of work's body)."""
    return uow.meta.get("clock")


def restore_clock(saved: dict) -> Clock:
    """A world's clock after a restart: it kept running at its scale while the server was down."""
    scale = float(saved.get("time_scale", 1.0))
    elapsed_s = max(0, wall_ms() - int(saved.get("saved_ms") or wall_ms())) / 1000
    now = parse_iso(saved["now"])
    return Clock(now + timedelta(seconds=elapsed_s * scale), time_scale=scale)


def sync_clock(clock: Clock, saved: dict) -> None:
    """Move `clock` to a state another replica saved (it kept running at its scale since)."""
    current = restore_clock(saved)
    clock.set(current.now(), current.time_scale)


def from_record(record: dict, ids: Ids) -> World:
    """The world a stored record describes."""
    return World(
        id=record["id"], clock=restore_clock(record["clock"]), ids=ids, credentials=record["credentials"],
        name=record.get("name"), seed=record.get("seed"), signature_clock=record.get("signature_clock", "wall"),
        webhook_urls=record.get("webhook_urls") or {}, endpoints=record.get("endpoints") or {},
        created_ms=record["created_ms"], ttl_s=record.get("ttl_s"),
    )


class Worlds:
    """Every live world, with the indexes requests are resolved by."""

    def __init__(self, default: World) -> None:
        self._worlds: dict[str, World] = {default.id: default}
        self._by_credential: dict[tuple[str, str], str] = {}
        self._indexed: dict[str, list[tuple[str, str]]] = {}   # world → the keys it owns in the index
        self.index(default)

    @property
    def default(self) -> World:
        return self._worlds[DEFAULT]

    def __len__(self) -> int:
        return len(self._worlds)

    def __iter__(self):
        """Default world first, then by creation (dicts keep insertion order)."""
        return iter(self._worlds.values())

    def find(self, world_id: str | None) -> World | None:
        return self._worlds.get(world_id) if world_id else None

    def get(self, world_id: str) -> World:
        """The world, or 404 `WORLD_NOT_FOUND`."""
        world = self._worlds.get(world_id)
        if world is None:
            raise WorldNotFound(world_id)
        return world

    def clock_of(self, world_id: str) -> Clock | None:
        world = self._worlds.get(world_id)
        return world.clock if world is not None else None

    def any_due(self, next_due_by_world: Mapping[str, int]) -> bool:
        """Whether a known world's earliest due time (sandbox ms) has come on its own clock."""
        for world_id, due_ms in next_due_by_world.items():
            clock = self.clock_of(world_id)
            if clock is not None and due_ms <= clock.now_ms():
                return True
        return False

    def add(self, world: World) -> None:
        self._worlds[world.id] = world
        self.index(world)

    def remove(self, world_id: str) -> World | None:
        """Forget a world at once, so its credentials and id resolve to nothing from now on."""
        world = self._worlds.pop(world_id, None)
        if world is not None:
            self._unindex(world_id)
        return world

    def index(self, world: World) -> None:
        """(Re)index a world's presented credentials: every string value of every provider's set.

        Only this world's own entries are touched, so indexing the 1,001st world costs what the first did.
        """
        self._unindex(world.id)
        owned = []
        for key in _credential_keys(world):
            if key not in self._by_credential:   # the first owner keeps a shared value
                self._by_credential[key] = world.id
                owned.append(key)
        self._indexed[world.id] = owned

    def _unindex(self, world_id: str) -> None:
        for key in self._indexed.pop(world_id, ()):
            if self._by_credential.get(key) == world_id:
                del self._by_credential[key]

    def by_credential(self, provider: str, value: str | None) -> World | None:
        """The world whose credentials for `provider` include `value` (an API key, app id, …)."""
        if not value:
            return None
        world_id = self._by_credential.get((provider, value))
        return self._worlds.get(world_id) if world_id else None

    def expired(self, now_ms: int | None = None) -> list[World]:
        """Worlds whose TTL has run out (real time)."""
        now_ms = wall_ms() if now_ms is None else now_ms
        return [w for w in self._worlds.values() if w.expires_ms is not None and w.expires_ms <= now_ms]

    def next_expiry_ms(self) -> int | None:
        found = [w.expires_ms for w in self._worlds.values() if w.expires_ms is not None]
        return min(found) if found else None


def _credential_keys(world: World) -> list[tuple[str, str]]:
    return [(provider, value) for provider, values in world.credentials.items()
            for value in values.values() if isinstance(value, str) and value]


def named_world(worlds: Worlds, headers, query) -> World:
    """The world a control call names (`X-Sandbox-World` or `?world=`), else the default world."""
    world_id = headers.get(HEADER) or query.get("world")
    if world_id is None or world_id == "":
        return worlds.default
    return worlds.get(world_id)


def describe(world: World, credentials: dict[str, dict]) -> dict:
    """A world as the control API answers it (SPEC §12's shape); `credentials` are its config entries."""
    return {
        "id": world.id, "name": world.name, "seed": world.seed, "signature_clock": world.signature_clock,
        "credentials": credentials, "base_urls": {name: c.get("base_url") for name, c in credentials.items()},
        "webhook_urls": {name: c.get("webhook_url") for name, c in credentials.items()},
        "clock": world.clock.state(),
        "ttl_s": world.ttl_s, "created_at": iso(from_ms(world.created_ms)),
        "expires_at": iso(from_ms(world.expires_ms)) if world.expires_ms is not None else None,
    }


async def resolve(sb, request) -> World:
    """The world a request belongs to (SPEC §12), raising `WorldNotFound` where one is named but absent.

    Control API and built-in receiver: the named world. A provider's URL space: the world whose
    credentials the request presents (any header value, or a path segment such as Inqud's project
    id); else, with worlds present, the world of the object or widget session its path names; else
    the default world, whose own checks then answer 401 or 404 as they always did.
    """
    path = request.path
    first = path.lstrip("/").split("/", 1)[0]
    store, worlds, lifecycle = sb.services.store, sb.worlds, sb.lifecycle
    shared = store.shared   # replicas: a world may be one another replica just created
    if first == "_sandbox" or path.startswith("/api/webhooks/"):
        named = request.headers.get(HEADER) or request.query.get("world")
        if shared and named:
            await lifecycle.find_world(named)
        return named_world(worlds, request.headers, request.query)
    if first not in sb.providers or (len(worlds) == 1 and not shared):
        return worlds.default
    for attempt in range(2 if shared else 1):
        if attempt:
            await lifecycle.sync_worlds()
        world = _presented_world(worlds, first, request.headers, path)
        if world is not None:
            return world
    segments = [part for part in path.split("/") if part and len(part) <= 255]
    owner = await store.read(_owner_world, first, segments[1:])
    return (await lifecycle.find_world(owner) if owner else None) or worlds.default


def _presented_world(worlds: Worlds, provider: str, headers, path: str) -> World | None:
    """The world whose credential for `provider` the request presents: the first header value (a
    bearer token without its scheme) that is one, in the headers' order, else the first path segment.

    Looked up value by value, stopping at the first hit: this runs for every provider request once
    a second world exists.
    """
    for value in headers.values():
        if len(value) <= 300:
            token = value[7:].strip() if value[:7].lower() == "bearer " else value.strip()
            world = worlds.by_credential(provider, token)
            if world is not None:
                return world
    for part in path.split("/"):
        if len(part) <= 255:
            world = worlds.by_credential(provider, part)
            if world is not None:
                return world
    return None


def _owner_world(uow, provider: str, segments: list[str]) -> str | None:
    return uow.intents.owner_world(provider, segments)
