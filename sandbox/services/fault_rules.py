"""Fault rules of every world (SPEC §6): the one service that adds, spends and deletes them.

Rules come from three places — a scenario chosen at creation, the control API and the built-in
receiver's instructions — and all of them are written here, so this service can keep the one
cache the request path relies on: which worlds may have an API-call rule. A provider API call in
a world without one skips the rule lookup entirely (no store round trip on the hot path). The
cache only ever errs towards "maybe": a rolled-back create or a spent rule leaves a world in it
until the next lookup finds nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from sandbox.delivery.faults import (
    FaultRule,
    add_rule,
    delete_rule,
    has_api_rules,
    log_fault,
    replace_receiver_rule,
    take_api_rule,
    worlds_with_api_rules,
)
from sandbox.scenarios import Scenario
from sandbox.store import Store, UnitOfWork
from sandbox.worlds import World

#: The in-transaction hook a create calls: `(uow, provider, intent_id, scenario, now_ms)`.
Attach = Callable[[UnitOfWork, str, str, Scenario | None, int], None]


class FaultRules:
    """Every world's fault rules, and which worlds may have an API-call rule."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._api_worlds: set[str] = set()

    def may_fault_api(self, world: World) -> bool:
        """Whether an API call in `world` has to look for a matching rule."""
        return world.id in self._api_worlds

    async def load(self) -> None:
        """Look in the store once for every world that has an API rule (at start)."""
        self._api_worlds = await self._store.read(worlds_with_api_rules)

    async def refresh(self, world: World) -> None:
        """Look again whether `world` has an API rule (after a reset)."""
        if await self._store.read(has_api_rules, world=world.id):
            self._api_worlds.add(world.id)
        else:
            self._api_worlds.discard(world.id)

    def forget(self, world_id: str) -> None:
        """A deleted world has no rules."""
        self._api_worlds.discard(world_id)

    def attach(self, world: World) -> Attach:
        """The hook that, inside a create transaction, turns a scenario's fault rules into rules of the new intent."""
        def attach(uow: UnitOfWork, provider: str, intent_id: str, scenario: Scenario | None, now_ms: int) -> None:
            if scenario is None:
                return
            uow.timeline.add(provider, intent_id, "scenario", now_ms,
                             {"name": scenario.name, "description": scenario.description})
            for template in scenario.faults:
                rule = template.model_copy(deep=True)
                rule.id = f"flt_{world.ids.alnum(16)}"
                rule.provider = provider
                rule.match.intent_id = intent_id
                add_rule(uow, rule, "scenario", now_ms)
                # Noted before the commit: a rolled-back create leaves the cache saying "maybe", which is safe.
                if rule.is_api:
                    self._api_worlds.add(world.id)
                uow.timeline.add(provider, intent_id, "fault_rule", now_ms, {"rule": rule.model_dump(exclude_none=True)})
        return attach

    async def take_api_fault(self, world: World, provider: str, method: str, path: str) -> FaultRule | None:
        """The API rule this call hits, spending one use and logging it; None (and no lookup) in most worlds."""
        if world.id not in self._api_worlds:
            return None
        rule = await self._store.commit(_take_and_log_api_rule, provider, method, path, world.clock.now_ms(),
                                        world=world.id)
        if rule is None:
            await self.refresh(world)
        return rule

    async def add(self, world: World, rule: FaultRule, source: str = "api") -> FaultRule:
        """Store a rule of `world` under a fresh id."""
        rule.id = f"flt_{world.ids.alnum(16)}"
        await self._store.commit(add_rule, rule, source, world.clock.now_ms(), world=world.id)
        if rule.is_api:
            self._api_worlds.add(world.id)
        return rule

    async def remove(self, world: World, rule_id: str) -> bool:
        """Delete one rule of `world`; False if it had none by that id."""
        return await self._store.commit(delete_rule, rule_id, world=world.id)

    async def clear(self, world: World) -> int:
        """Delete every rule of `world` (scenario rules of live intents included); how many there were."""
        deleted = await self._store.commit(_delete_all_rules, world=world.id)
        self._api_worlds.discard(world.id)
        return deleted

    async def instruct_receiver(self, world: World, provider: str, status: int, times: int,
                                delay_ms: int | None) -> FaultRule | None:
        """The built-in receiver's answer for its next `times` requests, replacing the last instruction (0: none)."""
        rule = None
        if times > 0:
            rule = FaultRule(id=f"flt_{world.ids.alnum(16)}", provider=provider, action="receiver_answer", times=times,
                             params={"status": status, "delay_ms": delay_ms or None})
        await self._store.commit(replace_receiver_rule, provider, rule, world.clock.now_ms(), world=world.id)
        return rule


def _take_and_log_api_rule(uow: UnitOfWork, provider: str, method: str, path: str, now_ms: int) -> FaultRule | None:
    rule = take_api_rule(uow, provider, method, path)
    if rule is not None:
        # A call about one intent (its GET, its session) lands in that intent's timeline too.
        found = uow.intents.first_of(provider, [part for part in path.split("/") if part])
        log_fault(uow, rule, provider, found, "api", now_ms, {"method": method, "path": path})
    return rule


def _delete_all_rules(uow: UnitOfWork) -> int:
    return uow.faults.delete_all()
