"""The services assembled (`Services`), and `Sandbox`: a world-bound view over them for provider code.

Each service owns its state and is the only code that changes it (SPEC §12's world scoping is
kept by passing the world explicitly):

- `Accounts` (`sandbox.services.accounts`): credentials, webhook endpoints and secrets;
- `FaultRules` (`sandbox.services.fault_rules`): fault rules and the API-rule cache;
- `WorldLifecycle` (`sandbox.services.lifecycle`): creating, restoring, expiring, deleting worlds;
- `Dispatcher` and `JobRunner`: due deliveries and due timers, over every world;
- `Leases` (`sandbox.leases`): this replica's heartbeat, and taking over a dead replica's claims;
- each world's `Clock` (`World.clock`).

Request handlers of the core look a service up by its typed key (`sandbox.keys`). Provider code,
written once for every tenant, gets a `Sandbox`: the world it serves (`world`, `clock`, `ids`,
`credentials`), that world's view of the store (every unit of work confined to it), the shared
read-only parts (settings, contracts, scenarios, providers, base URL) and accessors to the
services. The app keeps the default world's view (`SANDBOX`); the request middleware binds a request
about another world to `sb.scope(world)`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from sandbox.clock import Clock
from sandbox.contracts import Contracts
from sandbox.delivery.dispatcher import Dispatcher, Target
from sandbox.delivery.process import DeliveryProcess
from sandbox.ids import Ids
from sandbox.jobs import Job, JobRunner
from sandbox.leases import Leases
from sandbox.scenarios import Scenario, Scenarios
from sandbox.services.accounts import Accounts
from sandbox.services.fault_rules import FaultRules
from sandbox.services.lifecycle import WorldLifecycle, seeding
from sandbox.settings import Settings
from sandbox.store import Store
from sandbox.worlds import DEFAULT, World, Worlds

if TYPE_CHECKING:
    from sandbox.providers.base import Provider


@dataclass(slots=True, eq=False)
class Shared:
    """What every world shares: configuration, data and the services (read-only once built)."""

    settings: Settings
    contracts: Contracts
    scenarios: Scenarios
    providers: Mapping[str, Provider]
    base_url: str
    #: Every live world (to resolve and read; `lifecycle` adds and removes).
    worlds: Worlds
    accounts: Accounts
    fault_rules: FaultRules
    lifecycle: WorldLifecycle
    dispatcher: Dispatcher
    timers: JobRunner


#: The members of `Shared`, which a `Sandbox` view copies from `Services`.
SHARED = tuple(f.name for f in fields(Shared))


@dataclass(slots=True, eq=False)
class Services(Shared):
    """Every service of one server, made once at start."""

    #: The store across worlds; a `Sandbox`'s `store` is one world's view of it.
    store: Store
    #: This replica's heartbeat and the takeover of a dead replica's claims.
    leases: Leases
    #: Each live world's view, made at its first request (a view per request was 3% of a create's
    #: calls in a named world); entries of deleted worlds are dropped as the map outgrows the worlds.
    views: dict[str, Sandbox] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, store: Store, clock: Clock, ids: Ids, contracts: Contracts,
              scenarios: Scenarios, providers: Mapping[str, Provider], boot: int = 0) -> Services:
        """Wire the services for the default world on `clock` with `ids`; nothing runs until `start`."""
        worlds = Worlds(World(DEFAULT, clock, ids, {}, signature_clock=settings.signature_clock))
        base_url = public_base_url(settings)
        accounts = Accounts(settings, store, providers, base_url)
        targets = {name: Target(p.dialect, p.retry_policy(settings)) for name, p in providers.items()}
        parts = (store, worlds, targets, contracts, accounts.endpoint, settings.max_in_flight, settings.webhook_policy)
        dispatcher = (DeliveryProcess(*parts, settings=settings, boot=boot) if settings.delivery_process
                      else Dispatcher(*parts))
        def view(world: World) -> Sandbox:   # `services` is bound below, before anything calls this
            return services.view(world)

        timers = JobRunner(store, worlds, {name: _job_handler(p, view) for name, p in providers.items()})
        fault_rules = FaultRules(store)
        lifecycle = WorldLifecycle(settings, store, worlds, providers, boot, accounts, fault_rules, dispatcher, timers,
                                   view)
        leases = Leases(store, lifecycle.find_world, dispatcher.at_most_once, settings.lease_s)
        if settings.delivery_process:
            dispatcher.recover = leases.sweep   # a delivery process that died: its claims are abandoned
        services = cls(settings, contracts, scenarios, providers, base_url, worlds, accounts, fault_rules,
                       lifecycle, dispatcher, timers, store, leases)
        return services

    def view(self, world: World | None = None) -> Sandbox:
        """The `Sandbox` bound to `world` (default: the default world), made once per world."""
        world = world or self.worlds.default
        view = self.views.get(world.id)
        if view is None or view.world is not world:   # new, or a deleted world's id used again
            if len(self.views) > 2 * len(self.worlds) + 16:
                self.views = {wid: v for wid, v in self.views.items() if self.worlds.find(wid) is v.world}
            view = self.views[world.id] = Sandbox(*(getattr(self, name) for name in SHARED), world=world,
                                                  store=WorldStore(self.store, world.id), services=self)
        return view

    async def start(self) -> None:
        """Load the default world's accounts, let providers make their bookkeeping, restore worlds, start workers."""
        await self.lifecycle.load_default()
        default = self.view()
        await default.store.commit(seeding(self.providers.values(), default))
        await self.lifecycle.restore()
        await self.fault_rules.load()
        await self.leases.start()
        await self.dispatcher.start()
        await self.timers.start()
        await self.lifecycle.start()

    async def stop(self) -> None:
        """Stop the TTL watch and timers, let in-flight attempts finish (5 s at most), then leave. Safe to call twice."""
        await self.lifecycle.stop()
        await self.timers.stop()
        await self.dispatcher.stop()
        await self.leases.stop()

    async def settle(self, timeout_s: float = 10.0) -> None:
        """Wait (real time) until every due timer has fired and every due delivery was attempted."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.timers.wake()
            self.dispatcher.wake()
            await asyncio.sleep(0.005)
            if await self.timers.idle() and await self.dispatcher.idle():
                await asyncio.sleep(0.005)
                if await self.timers.idle() and await self.dispatcher.idle():
                    return
        raise TimeoutError("timers or deliveries still due")


def public_base_url(settings: Settings) -> str:
    """Where partners reach this server; a wildcard bind is reached through loopback from this machine."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    host = f"[{host}]" if ":" in host else host
    return (settings.public_url or f"http://{host}:{settings.port}").rstrip("/")


def _job_handler(provider: Provider, view: Callable[[World], Sandbox]):
    async def handle(world: World, job: Job) -> None:
        await provider.run_job(view(world), job)
    return handle


@dataclass(slots=True, eq=False)
class Sandbox(Shared):
    """One world's view of the services: what provider code needs, bound to the world it serves."""

    world: World
    #: This world's view of the store: every unit of work it runs is confined to the world.
    store: WorldStore
    services: Services

    def scope(self, world: World) -> Sandbox:
        """The view of `world`: the same services, that world's clock, ids, credentials and rows."""
        return self if world is self.world else self.services.view(world)

    # --- the world this view is bound to --------------------------------------------------------

    @property
    def clock(self) -> Clock:
        return self.world.clock

    @property
    def ids(self) -> Ids:
        return self.world.ids

    @property
    def credentials(self) -> Mapping[str, Mapping[str, str]]:
        """This world's credentials, to read (`accounts` changes them)."""
        return self.world.credentials

    def endpoint(self, provider: str) -> tuple[str, list[str]]:
        """Where a provider's webhooks go in this world and the secrets to sign with."""
        return self.services.accounts.endpoint(self.world, provider)

    def scenario(self, name: str | None, provider: str) -> Scenario | None:
        """The named scenario for this provider (raises UnknownScenario), or None for `happy`/none."""
        return self.services.scenarios.get(name, provider) if name else None

    async def settle(self, timeout_s: float = 10.0) -> None:
        """Wait (real time) until every due timer has fired and every due delivery was attempted."""
        await self.services.settle(timeout_s)


class WorldStore:
    """The store as one world sees it: every unit of work it runs is confined to that world."""

    __slots__ = ("_store", "world")

    def __init__(self, store: Store, world: str) -> None:
        self._store, self.world = store, world

    # Plain methods handing back the store's awaitable: a coroutine of their own here would be
    # one more frame made, entered and left for every request's transaction.
    def commit(self, fn: Callable[..., Any], *args: Any) -> Awaitable[Any]:
        return self._store.commit(fn, *args, world=self.world)

    def read(self, fn: Callable[..., Any], *args: Any) -> Awaitable[Any]:
        return self._store.read(fn, *args, world=self.world)

    def __getattr__(self, name: str) -> Any:   # path, trace, watch: the shared store's
        return getattr(self._store, name)
