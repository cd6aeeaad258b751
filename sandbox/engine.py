"""The sandbox's services in one place: store, worlds, contracts, scenarios, dispatcher, timers.

Providers, the control API and the partner side reach everything through one `Sandbox` object.
A `Sandbox` is bound to one world (SPEC §12): its `clock`, `ids`, `credentials`, endpoints and
`store` are that world's, so provider code written for one tenant serves every tenant. The app
keeps the default world's (`request.config_dict[SANDBOX]`); a request about another world gets
`sb.scope(world)` from the world middleware (`sandbox.keys.sandbox_for`), a copy sharing every
service but bound to that world. Worlds are created, restored, expired (TTL) and deleted here.
Credentials and endpoints are persisted so a restart keeps what a partner already configured.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sandbox.clock import Clock, parse_iso
from sandbox.contracts import Contracts
from sandbox.delivery.dispatcher import Dispatcher, Target
from sandbox.delivery.faults import FaultRule, add_rule, has_api_rules, log_fault, take_api_rule
from sandbox.delivery.policy import RetryPolicy
from sandbox.ids import Ids
from sandbox.jobs import JobRunner
from sandbox.leases import Leases
from sandbox.scenarios import Scenario, Scenarios
from sandbox.settings import Settings
from sandbox.store import Store, UnitOfWork
from sandbox.worlds import DEFAULT, World, Worlds, from_record, sync_clock, wall_ms
from sandbox.worlds import describe as describe_world

if TYPE_CHECKING:
    from sandbox.providers.base import Provider

ROTATION_GRACE_MS = 24 * 3600 * 1000


class Sandbox:
    """Everything a request handler or background task needs."""

    def __init__(self, settings: Settings, store: Store, clock: Clock, ids: Ids, contracts: Contracts,
                 scenarios: Scenarios, providers: Mapping[str, Provider], boot: int = 0) -> None:
        self.settings, self.contracts, self.scenarios, self.providers = settings, contracts, scenarios, providers
        self.boot = boot
        #: The store across worlds (workers, world lifecycle); `store` is this world's view of it.
        self.shared_store = store
        self.world = World(DEFAULT, clock, ids, {}, signature_clock=settings.signature_clock)
        self.worlds = Worlds(self.world)
        self.store = WorldStore(store, DEFAULT)
        # A wildcard bind is reached through loopback from this machine (the built-in receiver, pages).
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
        host = f"[{host}]" if ":" in host else host
        self.base_url = (settings.public_url or f"http://{host}:{settings.port}").rstrip("/")
        targets = {name: Target(p.dialect, self._policy_getter(name)) for name, p in providers.items()}
        self.dispatcher = Dispatcher(store, self.worlds, targets, contracts, self.endpoint_of, settings.max_in_flight,
                                     settings.webhook_policy)
        self.jobs = JobRunner(store, self.worlds, {name: self._job_handler(p) for name, p in providers.items()})
        self.leases = Leases(store, self.find_world, self.dispatcher.at_most_once, settings.lease_s)
        self.watch_clock(self.world)
        self._expiry_wake: asyncio.Event | None = None
        self._reloads: set[asyncio.Task] = set()
        store.watch(worlds=self._world_changed)

    # --- the world this sandbox is bound to -----------------------------------------------------

    @property
    def clock(self) -> Clock:
        return self.world.clock

    @property
    def ids(self) -> Ids:
        return self.world.ids

    @property
    def credentials(self) -> dict[str, dict[str, str]]:
        return self.world.credentials

    @property
    def api_rules_present(self) -> bool:
        """Whether this world may have an API fault rule (changed only by the fault-rule methods here)."""
        return self.world.api_rules_present

    def scope(self, world: World) -> Sandbox:
        """This sandbox bound to `world`: the same services, that world's clock, ids, credentials and rows."""
        if world is self.world:
            return self
        scoped = copy.copy(self)
        scoped.world = world
        scoped.store = WorldStore(self.shared_store, world.id)
        return scoped

    def watch_clock(self, world: World) -> None:
        """A change of `world`'s clock re-keys its due deliveries and timers."""
        def changed() -> None:
            self.dispatcher.schedule.rekey(world.id)
            self.jobs.schedule.rekey(world.id)
        world.clock.on_change(changed)

    # --- lifecycle ----------------------------------------------------------------------------

    async def load(self) -> None:
        """Fill in credentials (persisted on first start) and stored endpoint overrides."""
        generated = {name: p.default_credentials(self.ids) for name, p in self.providers.items()}
        stored = await self.store.commit(_load_credentials, generated)
        for name in self.providers:
            configured = self.settings.provider(name).model_dump(exclude={"delivery", "webhook_url", "settlement_delay_s"}, exclude_none=True)
            self.credentials[name] = {**stored[name], **configured}
        self.world.endpoints = await self.store.read(_load_endpoints, list(self.providers))
        if self.shared_store.shared:   # replicas share the default world's clock too
            saved = await self.store.read(_load_clock)
            if saved:
                sync_clock(self.clock, saved)
        await self.refresh_fault_rules()
        self.worlds.index(self.world)

    async def start_workers(self) -> None:
        """Bring back the stored worlds, then start the dispatcher, the timers and the TTL watch."""
        for record in await self.shared_store.read(_world_records):
            self._adopt(self._from_record(record))
        await self.leases.start()
        await self.dispatcher.start()
        await self.jobs.start()
        self._expiry = asyncio.create_task(self._expire(), name="world-ttl")

    async def stop_workers(self) -> None:
        """Stop timers, then let in-flight attempts finish (5 s at most). Safe to call twice."""
        expiry = getattr(self, "_expiry", None)
        if expiry is not None:
            expiry.cancel()
            await asyncio.gather(expiry, return_exceptions=True)
        await self.jobs.stop()
        await self.dispatcher.stop()
        await self.leases.stop()
        for task in list(self._reloads):
            task.cancel()

    # --- worlds (SPEC §12) -----------------------------------------------------------------------

    async def create_world(self, spec, account_of: World | None = None) -> World:
        """A new world from a validated `POST /_sandbox/worlds` body: credentials, clock, persisted.
        With `account_of`, it presents and signs as that world does (`World.take_account_of`)."""
        world_id = "wld_" + self.worlds.default.ids.alnum(20)
        seed = spec.seed if spec.seed is not None else self.settings.seed
        ids = Ids(seed, self.boot, world=world_id)
        clock_spec = spec.clock
        now = parse_iso(clock_spec.now) if clock_spec and clock_spec.now else None
        scale = clock_spec.time_scale if clock_spec and clock_spec.time_scale is not None else 1.0
        credentials = {name: p.world_credentials(ids) for name, p in self.providers.items()}
        world = World(world_id, Clock(now, scale), ids, credentials, name=spec.name, seed=spec.seed,
                      signature_clock=spec.signature_clock, webhook_urls=dict(spec.webhook_urls or {}),
                      ttl_s=spec.ttl_s)
        if account_of is not None:
            world.take_account_of(account_of)
        scoped = self.scope(world)
        await scoped.save_world()
        for provider in self.providers.values():
            await provider.on_start(scoped)
        self._adopt(world)
        return world

    async def find_world(self, world_id: str) -> World | None:
        """The live world `world_id`; on a shared database one another replica just created is loaded."""
        world = self.worlds.find(world_id)
        if world is None and self.shared_store.shared:
            record = await self.shared_store.read(_world_record, world=world_id)
            if record is not None and self.worlds.find(world_id) is None:
                self._adopt(self._from_record(record))
            world = self.worlds.find(world_id)
        return world

    async def sync_worlds(self) -> None:
        """Load every world other replicas created that this one has not seen yet (a credential lookup missed)."""
        if self.shared_store.shared:
            for world_id in await self.shared_store.read(_world_ids):
                if self.worlds.find(world_id) is None:
                    await self.find_world(world_id)

    def _world_changed(self, world_id: str) -> None:
        """Another replica changed a world (record, clock, endpoints, fault rules) or deleted it."""
        task = asyncio.ensure_future(self._reload_world(world_id))
        self._reloads.add(task)
        task.add_done_callback(self._reloads.discard)

    async def _reload_world(self, world_id: str) -> None:
        if world_id == DEFAULT:
            self.world.endpoints = await self.store.read(_load_endpoints, list(self.providers))
            stored = await self.store.read(_stored_credentials, list(self.providers))
            for name, values in stored.items():
                self.credentials[name] = {**self.credentials.get(name, {}), **values}
            saved = await self.store.read(_load_clock)
            if saved:
                sync_clock(self.clock, saved)
            self.worlds.index(self.world)
            await self.refresh_fault_rules()
            return
        record = await self.shared_store.read(_world_record, world=world_id)
        world = self.worlds.find(world_id)
        if record is None:
            if world is not None:
                self.worlds.remove(world_id)
                self.dispatcher.forget_world(world_id)
                self.jobs.schedule.forget(world_id)
            return
        if world is None:
            self._adopt(self._from_record(record))
            return
        world.credentials, world.endpoints = record["credentials"], record.get("endpoints") or {}
        world.webhook_urls = record.get("webhook_urls") or {}
        sync_clock(world.clock, record["clock"])
        self.worlds.index(world)
        await self.scope(world).refresh_fault_rules()

    def _from_record(self, record: dict) -> World:
        seed = record["seed"] if record.get("seed") is not None else self.settings.seed
        return from_record(record, Ids(seed, self.boot, world=record["id"]))

    async def delete_world(self, world_id: str) -> None:
        """Delete a world: it resolves to nothing at once, its work stops, then all its rows go."""
        world = self.worlds.remove(world_id)
        if world is None:
            return
        self.dispatcher.forget_world(world_id)
        self.jobs.schedule.forget(world_id)
        await self.shared_store.commit(_delete_world, world=world_id)

    def describe_world(self, world: World) -> dict:
        """A world as `/_sandbox/worlds` answers it: its config entry per provider is its credentials."""
        scoped = self.scope(world)
        described = {name: p.describe(scoped) for name, p in self.providers.items()}
        return describe_world(world, described)

    def _adopt(self, world: World) -> None:
        self.worlds.add(world)
        self.watch_clock(world)
        if world.expires_ms is not None and self._expiry_wake is not None:
            self._expiry_wake.set()

    async def _expire(self) -> None:
        """Delete worlds whose TTL ran out (real time); one task for every world, asleep in between."""
        self._expiry_wake = asyncio.Event()
        while True:
            for world in self.worlds.expired():
                await self.delete_world(world.id)
            next_ms = self.worlds.next_expiry_ms()
            timeout = None if next_ms is None else max(0.0, (next_ms - wall_ms()) / 1000)
            self._expiry_wake.clear()
            try:
                await asyncio.wait_for(self._expiry_wake.wait(), timeout)
            except TimeoutError:
                pass

    async def settle(self, timeout_s: float = 10.0) -> None:
        """Wait (real time) until every due timer has fired and every due delivery was attempted."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.jobs.wake()
            self.dispatcher.wake()
            await asyncio.sleep(0.005)
            if await self.jobs.idle() and await self.dispatcher.idle():
                await asyncio.sleep(0.005)
                if await self.jobs.idle() and await self.dispatcher.idle():
                    return
        raise TimeoutError("timers or deliveries still due")

    def signing_now(self) -> datetime:
        """The time webhook signatures carry (SPEC §5): the real clock unless sandbox time was chosen."""
        return self.world.signing_now()

    # --- endpoints and secrets ----------------------------------------------------------------

    def default_webhook_url(self, provider: str) -> str:
        """The built-in receiver; another world's webhooks carry `?world=` so receipts stay apart."""
        if self.world.id == DEFAULT:
            return self.settings.provider(provider).webhook_url or f"{self.base_url}/api/webhooks/{provider}"
        return self.world.webhook_urls.get(provider) or f"{self.base_url}/api/webhooks/{provider}?world={self.world.id}"

    def endpoint(self, provider: str) -> tuple[str, list[str]]:
        """Where a provider's webhooks go and the secrets to sign with (two during a rotation)."""
        override = self.world.endpoints.get(provider) or {}
        url = override.get("url") or self.default_webhook_url(provider)
        secret = override.get("secret") or self.credentials.get(provider, {}).get("webhook_secret")
        secrets = [secret] if secret else []
        previous, until = override.get("previous_secret"), override.get("previous_until_ms")
        if previous and until and self.clock.now_ms() < until:
            secrets.append(previous)
        return url, secrets

    def endpoint_of(self, world: World, provider: str) -> tuple[str, list[str]]:
        """`endpoint` in another world (the dispatcher signs for every world)."""
        return self.scope(world).endpoint(provider)

    async def _save_endpoint(self, provider: str, entry: dict | None) -> None:
        if entry is None:
            self.world.endpoints.pop(provider, None)
        else:
            self.world.endpoints[provider] = entry
        if self.world.id == DEFAULT:
            await self.store.commit(_set_meta, f"endpoint:{provider}", entry or {})
        else:
            await self.save_world()

    async def set_endpoint(self, provider: str, url: str | None, secret: str | None) -> None:
        entry = dict(self.world.endpoints.get(provider) or {})
        if url is not None:
            entry["url"] = url
        if secret is not None:
            entry["secret"] = secret
        await self._save_endpoint(provider, entry)

    async def rotate_secret(self, provider: str) -> str:
        """A new signing secret; the old one keeps signing beside it for 24 sandbox hours."""
        _, secrets = self.endpoint(provider)
        entry = dict(self.world.endpoints.get(provider) or {})
        entry["previous_secret"] = secrets[0] if secrets else None
        entry["previous_until_ms"] = self.clock.now_ms() + ROTATION_GRACE_MS
        entry["secret"] = self.providers[provider].new_webhook_secret(self.ids)
        await self._save_endpoint(provider, entry)
        return entry["secret"]

    async def unsign(self, provider: str) -> None:
        """No secret at all from now on (webhooks go out unsigned); an endpoint URL override stays."""
        self.credentials[provider] = {**self.credentials.get(provider, {}), "webhook_secret": ""}
        if self.world.id == DEFAULT:
            await self.store.commit(_forget_secret, provider)
        entry = {k: v for k, v in (self.world.endpoints.get(provider) or {}).items() if k == "url"}
        await self._save_endpoint(provider, entry or None)

    async def forget_endpoints(self, provider: str | None) -> None:
        for name in [provider] if provider else list(self.world.endpoints):
            await self._save_endpoint(name, None)

    async def save_world(self) -> None:
        """Persist this world's record (credentials, endpoints, clock); the default world is configured."""
        if self.world.id != DEFAULT:
            await self.store.commit(_save_world, self.world.record(), self.world.created_ms, self.world.expires_ms)
        elif self.shared_store.shared:   # the default world's clock is shared by the replicas too
            await self.store.commit(_save_clock, self.world.record()["clock"])

    # --- scenarios and faults -----------------------------------------------------------------

    def scenario(self, name: str | None, provider: str) -> Scenario | None:
        """The named scenario for this provider (raises UnknownScenario), or None for `happy`/none."""
        if not name:
            return None
        return self.scenarios.get(name, provider)

    def attach_scenario(self, uow: UnitOfWork, provider: str, intent_id: str, scenario: Scenario | None,
                        now_ms: int) -> None:
        """Inside a create transaction: the scenario's fault rules become rules scoped to this intent."""
        if scenario is None:
            return
        uow.timeline.add(provider, intent_id, "scenario", now_ms, {"name": scenario.name, "description": scenario.description})
        for template in scenario.faults:
            rule = template.model_copy(deep=True)
            rule.id = f"flt_{self.ids.alnum(16)}"
            rule.provider = provider
            rule.match.intent_id = intent_id
            add_rule(uow, rule, "scenario", now_ms)
            # Noted before the commit: a rolled-back create leaves the cache saying "maybe", which is safe.
            self.world.api_rules_present = self.world.api_rules_present or rule.is_api
            uow.timeline.add(provider, intent_id, "fault_rule", now_ms, {"rule": rule.model_dump(exclude_none=True)})

    async def take_api_fault(self, provider: str, method: str, path: str) -> FaultRule | None:
        if not self.api_rules_present:
            return None
        rule = await self.store.commit(_take_and_log_api_rule, provider, method, path, self.clock.now_ms())
        if rule is None:
            await self.refresh_fault_rules()
        return rule

    async def add_fault_rule(self, rule: FaultRule, source: str = "api") -> FaultRule:
        """Store a rule of this world under a fresh id."""
        rule.id = f"flt_{self.ids.alnum(16)}"
        await self.store.commit(add_rule, rule, source, self.clock.now_ms())
        self.world.api_rules_present = self.world.api_rules_present or rule.is_api
        return rule

    async def clear_fault_rules(self) -> int:
        """Delete every rule of this world (scenario rules of live intents included); how many there were."""
        deleted = await self.store.commit(_delete_all_rules)
        self.world.api_rules_present = False
        return deleted

    async def refresh_fault_rules(self) -> None:
        """Look again whether this world has an API rule (at start and after a reset)."""
        self.world.api_rules_present = await self.store.read(has_api_rules)

    # --- internals ----------------------------------------------------------------------------

    def _policy_getter(self, name: str) -> Callable[[], RetryPolicy]:
        def policy() -> RetryPolicy:
            base = self.providers[name].policy
            configured = self.settings.provider(name).delivery
            delays = tuple(configured.retry_delays_s) if configured.retry_delays_s is not None else base.retry_delays_s
            timeout = configured.timeout_s if configured.timeout_s is not None else base.timeout_s
            return RetryPolicy(delays, timeout, base.jitter_ratio)
        return policy

    def _job_handler(self, provider: Provider):
        async def handle(world: World, job) -> None:
            await provider.run_job(self.scope(world), job)
        return handle


def _take_and_log_api_rule(uow: UnitOfWork, provider: str, method: str, path: str, now_ms: int):
    rule = take_api_rule(uow, provider, method, path)
    if rule is not None:
        # A call about one intent (its GET, its session) lands in that intent's timeline too.
        found = uow.intents.first_of(provider, [part for part in path.split("/") if part])
        log_fault(uow, rule, provider, found, "api", now_ms, {"method": method, "path": path})
    return rule


def _delete_all_rules(uow: UnitOfWork) -> int:
    return uow.faults.delete_all()


def _load_credentials(uow: UnitOfWork, generated: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    uow.serialize("credentials")   # replicas starting together keep the first one's keys, all of them
    out = {}
    for name, fresh in generated.items():
        stored = uow.meta.get(f"credentials:{name}") or {}
        merged = {**fresh, **stored}
        if merged != stored:
            uow.meta.set(f"credentials:{name}", merged)
        out[name] = merged
    return out


def _load_endpoints(uow: UnitOfWork, names: list[str]) -> dict[str, dict]:
    return {name: uow.meta.get(f"endpoint:{name}") or {} for name in names}


def _load_clock(uow: UnitOfWork) -> dict | None:
    return uow.meta.get("clock")


def _save_clock(uow: UnitOfWork, state: dict) -> None:
    uow.meta.set("clock", state)
    uow.world_changed()


def _stored_credentials(uow: UnitOfWork, names: list[str]) -> dict[str, dict]:
    return {name: uow.meta.get(f"credentials:{name}") or {} for name in names}


def _world_record(uow: UnitOfWork) -> dict | None:
    return uow.world_record()


def _world_ids(uow: UnitOfWork) -> list[str]:
    return uow.world_ids()


def _forget_secret(uow: UnitOfWork, provider: str) -> None:
    stored = uow.meta.get(f"credentials:{provider}") or {}
    stored["webhook_secret"] = ""
    uow.meta.set(f"credentials:{provider}", stored)
    uow.world_changed()


def _set_meta(uow: UnitOfWork, key: str, value: Any) -> None:
    uow.meta.set(key, value)
    uow.world_changed()


def _save_world(uow: UnitOfWork, record: dict, created_ms: int, expires_ms: int | None) -> None:
    uow.save_world(record, created_ms, expires_ms)


def _delete_world(uow: UnitOfWork) -> None:
    uow.delete_world()


def _world_records(uow: UnitOfWork) -> list[dict]:
    return uow.world_records()


class WorldStore:
    """The store as one world sees it: every unit of work it runs is confined to that world."""

    __slots__ = ("_store", "world")

    def __init__(self, store: Store, world: str) -> None:
        self._store, self.world = store, world

    async def commit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await self._store.commit(fn, *args, world=self.world)

    async def read(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await self._store.read(fn, *args, world=self.world)

    def __getattr__(self, name: str) -> Any:   # path, trace, watch: the shared store's
        return getattr(self._store, name)
