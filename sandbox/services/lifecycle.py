"""Worlds' lifecycle (SPEC §12): create, restore at start, describe, expire (TTL) and delete.

On a database several replicas share (SPEC §14) it also keeps this replica's worlds in step with
the others': a world another replica created is loaded when a request names it, and a change
another replica made (record, clock, endpoints, credentials, fault rules) or a deletion is read
again when the store announces it.

This service is the only one that adds worlds to or removes them from the `Worlds` index, so a
world either resolves with everything it needs — credentials, clock watched by the dispatcher and
the timers, provider bookkeeping made — or not at all. Deleting a world takes it out of the index
first (its credentials and id resolve to nothing at once), stops its work, then removes its rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sandbox.clock import Clock, parse_iso
from sandbox.delivery.dispatcher import Dispatcher
from sandbox.ids import Ids
from sandbox.jobs import JobRunner
from sandbox.services.accounts import Accounts
from sandbox.services.fault_rules import FaultRules
from sandbox.settings import Settings
from sandbox.store import Store, UnitOfWork
from sandbox.worlds import DEFAULT, World, Worlds, from_record, load_clock, save_world, sync_clock, wall_ms
from sandbox.worlds import describe as describe_world

if TYPE_CHECKING:
    from sandbox.engine import Sandbox
    from sandbox.providers.base import Provider


class WorldLifecycle:
    """Creates, restores, describes, expires and deletes worlds; owns the `Worlds` index."""

    def __init__(self, settings: Settings, store: Store, worlds: Worlds, providers: Mapping[str, Provider], boot: int,
                 accounts: Accounts, fault_rules: FaultRules, dispatcher: Dispatcher, timers: JobRunner,
                 view: Callable[[World], Sandbox]) -> None:
        self._settings, self._store, self._worlds, self._providers = settings, store, worlds, providers
        self._boot, self._accounts, self._fault_rules = boot, accounts, fault_rules
        self._dispatcher, self._timers, self._view = dispatcher, timers, view
        self._expiry: asyncio.Task | None = None
        self._expiry_wake: asyncio.Event | None = None
        self._reloads: set[asyncio.Task] = set()
        self._watch_clock(worlds.default)
        store.watch(worlds=self._world_changed)

    async def load_default(self) -> None:
        """The default world's credentials and endpoints, then index it (before anything is served)."""
        default = self._worlds.default
        await self._accounts.load_default(default)
        if self._store.shared:   # replicas share the default world's clock too
            saved = await self._store.read(load_clock, world=default.id)
            if saved:
                sync_clock(default.clock, saved)
        self._worlds.index(default)

    async def restore(self) -> None:
        """Bring back the stored worlds (each clock ran on at its scale while the server was down)."""
        for record in await self._store.read(_world_records):
            self._adopt(self._from_record(record))

    async def start(self) -> None:
        """Watch TTLs: one task for every world, asleep until the next expiry."""
        self._expiry_wake = asyncio.Event()
        self._expiry = asyncio.create_task(self._expire(), name="world-ttl")

    async def stop(self) -> None:
        """Stop watching TTLs and other replicas' changes. Safe to call twice."""
        if self._expiry is not None:
            self._expiry.cancel()
            await asyncio.gather(self._expiry, return_exceptions=True)
        for task in list(self._reloads):
            task.cancel()

    async def create(self, spec: Any, account_of: World | None = None) -> World:
        """A new world from a validated `POST /_sandbox/worlds` body: credentials, clock, persisted.

        With `account_of` it presents and signs exactly as that world does, with none of its rows:
        copies of its credentials and webhook secrets (`Accounts.copy_account`), its signature clock
        and its clock (time and scale). The grade's own world is made so (SPEC §15): what it sends
        verifies with the secret a partner of `account_of` holds and the times in its bodies are on
        that world's clock, while its rows, fault rules, receiver instructions and clock stay its own.
        """
        world_id = "wld_" + self._worlds.default.ids.alnum(20)
        seed = spec.seed if spec.seed is not None else self._settings.seed
        ids = Ids(seed, self._boot, world=world_id)
        clock_spec = spec.clock
        now = parse_iso(clock_spec.now) if clock_spec and clock_spec.now else None
        scale = clock_spec.time_scale if clock_spec and clock_spec.time_scale is not None else 1.0
        world = World(world_id, Clock(now, scale), ids, self._accounts.new_credentials(ids), name=spec.name,
                      seed=spec.seed, signature_clock=spec.signature_clock, webhook_urls=dict(spec.webhook_urls or {}),
                      ttl_s=spec.ttl_s)
        if account_of is not None:
            self._accounts.copy_account(world, account_of)
            world.signature_clock = account_of.signature_clock
            world.clock.set(now=account_of.clock.now(), time_scale=account_of.clock.time_scale)
        seed = seeding(self._providers.values(), self._view(world))
        await self._store.commit(_create_world, world.record(), world.created_ms, world.expires_ms, seed,
                                 world=world_id)
        self._adopt(world)
        return world

    async def find_world(self, world_id: str) -> World | None:
        """The live world `world_id`; on a shared database one another replica just created is loaded."""
        world = self._worlds.find(world_id)
        if world is None and self._store.shared:
            record = await self._store.read(_world_record, world=world_id)
            if record is not None and self._worlds.find(world_id) is None:
                self._adopt(self._from_record(record))
            world = self._worlds.find(world_id)
        return world

    async def sync_worlds(self) -> None:
        """Load every world other replicas created that this one has not seen yet (a credential lookup missed)."""
        if self._store.shared:
            for world_id in await self._store.read(_world_ids):
                if self._worlds.find(world_id) is None:
                    await self.find_world(world_id)

    async def save(self, world: World) -> None:
        """Persist `world`'s record now (after its clock moved, so a restart — kill -9 included — keeps it)."""
        await save_world(self._store, world)

    async def delete(self, world_id: str) -> None:
        """Delete a world: it resolves to nothing at once, its work stops, then all its rows go."""
        world = self._worlds.remove(world_id)
        if world is None:
            return
        self._forget(world_id)
        await self._store.commit(_delete_world, world=world_id)

    def describe(self, world: World) -> dict:
        """A world as `/_sandbox/worlds` answers it: its config entry per provider is its credentials."""
        view = self._view(world)
        return describe_world(world, {name: p.describe(view) for name, p in self._providers.items()})

    def _forget(self, world_id: str) -> None:
        self._dispatcher.forget_world(world_id)
        self._timers.forget_world(world_id)
        self._fault_rules.forget(world_id)

    def _from_record(self, record: dict) -> World:
        seed = record["seed"] if record.get("seed") is not None else self._settings.seed
        return from_record(record, Ids(seed, self._boot, world=record["id"]))

    def _world_changed(self, world_id: str) -> None:
        """Another replica changed a world (record, clock, endpoints, fault rules) or deleted it."""
        task = asyncio.ensure_future(self._reload_world(world_id))
        self._reloads.add(task)
        task.add_done_callback(self._reloads.discard)

    async def _reload_world(self, world_id: str) -> None:
        if world_id == DEFAULT:
            world = self._worlds.default
            await self._accounts.reload_default(world)
            saved = await self._store.read(load_clock, world=world_id)
            if saved:
                sync_clock(world.clock, saved)
            self._worlds.index(world)
            await self._fault_rules.refresh(world)
            return
        record = await self._store.read(_world_record, world=world_id)
        world = self._worlds.find(world_id)
        if record is None:   # deleted: forgotten, with any notes of its work kept before it was loaded
            self._worlds.remove(world_id)
            self._forget(world_id)
            return
        if world is None:
            self._adopt(self._from_record(record))
            return
        self._accounts.adopt_record(world, record)
        world.webhook_urls = record.get("webhook_urls") or {}
        sync_clock(world.clock, record["clock"])
        self._worlds.index(world)
        await self._fault_rules.refresh(world)

    def _adopt(self, world: World) -> None:
        self._worlds.add(world)
        self._watch_clock(world)
        # Deliveries and timers queued in it before it was loaded here (another process made it)
        # were noted with no clock to map them onto real time: they get their deadlines now.
        self._dispatcher.rekey(world.id)
        self._timers.rekey(world.id)
        if world.expires_ms is not None and self._expiry_wake is not None:
            self._expiry_wake.set()

    def _watch_clock(self, world: World) -> None:
        """A change of `world`'s clock re-keys its due deliveries and timers."""
        def changed() -> None:
            self._dispatcher.rekey(world.id)
            self._timers.rekey(world.id)
        world.clock.on_change(changed)

    async def _expire(self) -> None:
        """Delete worlds whose TTL ran out (real time)."""
        assert self._expiry_wake is not None
        while True:
            for world in self._worlds.expired():
                await self.delete(world.id)
            next_ms = self._worlds.next_expiry_ms()
            timeout = None if next_ms is None else max(0.0, (next_ms - wall_ms()) / 1000)
            self._expiry_wake.clear()
            try:
                await asyncio.wait_for(self._expiry_wake.wait(), timeout)
            except TimeoutError:
                pass


def seeding(providers: Iterable[Provider], where: Any) -> Callable[[Any], None]:
    """One unit of work running every provider's `seed` for `where`'s world: a new world is made in
    one transaction (its record and every provider's bookkeeping together)."""
    work = [(provider.seed, provider.ctx(where)) for provider in providers]

    def seed_all(db: Any) -> None:
        for seed, ctx in work:
            seed(db, ctx)
    return seed_all


def _create_world(uow: UnitOfWork, record: dict, created_ms: int, expires_ms: int | None,
                  seed: Callable[[UnitOfWork], None]) -> None:
    """A new world's record and every provider's bookkeeping, as one transaction."""
    uow.save_world(record, created_ms, expires_ms)
    seed(uow)


def _delete_world(uow: UnitOfWork) -> None:
    uow.delete_world()


def _world_records(uow: UnitOfWork) -> list[dict]:
    return uow.world_records()


def _world_record(uow: UnitOfWork) -> dict | None:
    return uow.world_record()


def _world_ids(uow: UnitOfWork) -> list[str]:
    return uow.world_ids()
