"""The sandbox's services in one place: store, clock, ids, contracts, scenarios, dispatcher, timers.

Providers, the control API and the partner side reach everything through one `Sandbox` object
(`request.config_dict[SANDBOX]`). It also owns the credentials and webhook endpoints, which are
persisted so a restart keeps what a partner already configured.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sandbox.clock import Clock, wall_now
from sandbox.contracts import Contracts
from sandbox.delivery.dispatcher import Dispatcher, Target
from sandbox.delivery.faults import FaultRule, add_rule, has_api_rules, log_fault, take_api_rule
from sandbox.delivery.policy import RetryPolicy
from sandbox.ids import Ids
from sandbox.jobs import JobRunner
from sandbox.scenarios import Scenario, Scenarios
from sandbox.settings import Settings
from sandbox.store import Store, UnitOfWork

if TYPE_CHECKING:
    from sandbox.providers.base import Provider

ROTATION_GRACE_MS = 24 * 3600 * 1000


class Sandbox:
    """Everything a request handler or background task needs."""

    def __init__(self, settings: Settings, store: Store, clock: Clock, ids: Ids, contracts: Contracts,
                 scenarios: Scenarios, providers: Mapping[str, Provider]) -> None:
        self.settings, self.store, self.clock, self.ids = settings, store, clock, ids
        self.contracts, self.scenarios, self.providers = contracts, scenarios, providers
        # A wildcard bind is reached through loopback from this machine (the built-in receiver, pages).
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
        host = f"[{host}]" if ":" in host else host
        self.base_url = (settings.public_url or f"http://{host}:{settings.port}").rstrip("/")
        self.credentials: dict[str, dict[str, str]] = {}
        self._endpoints: dict[str, dict[str, Any]] = {}
        self.api_rules_present = False
        targets = {name: Target(p.dialect, self._policy_getter(name)) for name, p in providers.items()}
        self.dispatcher = Dispatcher(store, clock, targets, contracts, self.endpoint, ids, settings.max_in_flight,
                                     signing_now=self.signing_now)
        self.jobs = JobRunner(store, clock, {name: self._job_handler(p) for name, p in providers.items()})

    # --- lifecycle ----------------------------------------------------------------------------

    async def load(self) -> None:
        """Fill in credentials (persisted on first start) and stored endpoint overrides."""
        generated = {name: p.default_credentials(self.ids) for name, p in self.providers.items()}
        stored = await self.store.commit(_load_credentials, generated)
        for name in self.providers:
            configured = self.settings.provider(name).model_dump(exclude={"delivery", "webhook_url", "settlement_delay_s"}, exclude_none=True)
            self.credentials[name] = {**stored[name], **configured}
        self._endpoints = await self.store.read(_load_endpoints, list(self.providers))
        self.api_rules_present = await self.store.read(has_api_rules)

    async def start_workers(self) -> None:
        await self.dispatcher.start()
        await self.jobs.start()

    async def stop_workers(self) -> None:
        """Stop timers, then let in-flight attempts finish (5 s at most). Safe to call twice."""
        await self.jobs.stop()
        await self.dispatcher.stop()

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
        return self.clock.now() if self.settings.signature_clock == "sandbox" else wall_now()

    # --- endpoints and secrets ----------------------------------------------------------------

    def default_webhook_url(self, provider: str) -> str:
        return f"{self.base_url}/api/webhooks/{provider}"

    def endpoint(self, provider: str) -> tuple[str, list[str]]:
        """Where a provider's webhooks go and the secrets to sign with (two during a rotation)."""
        override = self._endpoints.get(provider) or {}
        url = override.get("url") or self.settings.provider(provider).webhook_url or self.default_webhook_url(provider)
        secret = override.get("secret") or self.credentials.get(provider, {}).get("webhook_secret")
        secrets = [secret] if secret else []
        previous, until = override.get("previous_secret"), override.get("previous_until_ms")
        if previous and until and self.clock.now_ms() < until:
            secrets.append(previous)
        return url, secrets

    async def set_endpoint(self, provider: str, url: str | None, secret: str | None) -> None:
        entry = dict(self._endpoints.get(provider) or {})
        if url is not None:
            entry["url"] = url
        if secret is not None:
            entry["secret"] = secret
        await self.store.commit(_set_meta, f"endpoint:{provider}", entry)
        self._endpoints[provider] = entry

    async def rotate_secret(self, provider: str) -> str:
        """A new signing secret; the old one keeps signing beside it for 24 sandbox hours."""
        _, secrets = self.endpoint(provider)
        entry = dict(self._endpoints.get(provider) or {})
        entry["previous_secret"] = secrets[0] if secrets else None
        entry["previous_until_ms"] = self.clock.now_ms() + ROTATION_GRACE_MS
        entry["secret"] = self.providers[provider].default_credentials(self.ids).get("webhook_secret") or self.ids.hex(64)
        await self.store.commit(_set_meta, f"endpoint:{provider}", entry)
        self._endpoints[provider] = entry
        return entry["secret"]

    async def forget_endpoints(self, provider: str | None) -> None:
        names = [provider] if provider else list(self._endpoints)
        for name in names:
            self._endpoints.pop(name, None)
            await self.store.commit(_delete_meta, f"endpoint:{name}")

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
            self.api_rules_present = self.api_rules_present or rule.is_api
            uow.timeline.add(provider, intent_id, "fault_rule", now_ms, {"rule": rule.model_dump(exclude_none=True)})

    async def take_api_fault(self, provider: str, method: str, path: str) -> FaultRule | None:
        if not self.api_rules_present:
            return None
        rule = await self.store.commit(_take_and_log_api_rule, provider, method, path, self.clock.now_ms())
        if rule is None:
            self.api_rules_present = await self.store.read(has_api_rules)
        return rule

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
        async def handle(job) -> None:
            await provider.run_job(self, job)
        return handle


def _take_and_log_api_rule(uow: UnitOfWork, provider: str, method: str, path: str, now_ms: int):
    rule = take_api_rule(uow, provider, method, path)
    if rule is not None:
        # A call about one intent (its GET, its session) lands in that intent's timeline too.
        found = uow.intents.first_of(provider, [part for part in path.split("/") if part])
        log_fault(uow, rule, provider, found, "api", now_ms, {"method": method, "path": path})
    return rule


def _load_credentials(uow: UnitOfWork, generated: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
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


def _set_meta(uow: UnitOfWork, key: str, value: Any) -> None:
    uow.meta.set(key, value)


def _delete_meta(uow: UnitOfWork, key: str) -> None:
    uow.meta.delete(key)
