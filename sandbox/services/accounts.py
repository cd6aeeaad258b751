"""Credentials and webhook endpoints of every world: the one service that writes them.

A world's credentials (API keys, ids, the webhook secret) and its endpoint overrides (URL,
secret, a rotated-out secret with its deadline) live on its `World` record, and only this service
changes them, so the rules of SPEC §5 and §12 are written once: where a provider's webhooks go,
which secrets sign them (two during a rotation), and how a change survives a restart — the
default world's in the store's meta entries, any other world's in its world record.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sandbox.ids import Ids
from sandbox.settings import Settings
from sandbox.store import Store, UnitOfWork
from sandbox.worlds import DEFAULT, World, save_world

if TYPE_CHECKING:
    from sandbox.providers.base import Provider

#: How long a rotated-out secret keeps signing beside the new one (sandbox time).
ROTATION_GRACE_MS = 24 * 3600 * 1000
#: Configured provider settings that are not credentials.
NOT_CREDENTIALS = {"delivery", "webhook_url", "settlement_delay_s"}


class Accounts:
    """Loads, hands out and changes each world's credentials and webhook endpoints."""

    def __init__(self, settings: Settings, store: Store, providers: Mapping[str, Provider], base_url: str) -> None:
        self._settings, self._store, self._providers, self._base_url = settings, store, providers, base_url

    async def load_default(self, world: World) -> None:
        """The default world's credentials (made and persisted on first start, configured values on top) and endpoints."""
        generated = {name: p.default_credentials(world.ids) for name, p in self._providers.items()}
        stored = await self._store.commit(_load_credentials, generated, world=world.id)
        for name in self._providers:
            configured = self._settings.provider(name).model_dump(exclude=NOT_CREDENTIALS, exclude_none=True)
            world.credentials[name] = {**stored[name], **configured}
        world.endpoints = await self._store.read(_load_endpoints, list(self._providers), world=world.id)

    async def reload_default(self, world: World) -> None:
        """Another replica changed the default world's endpoints or credentials: read them again."""
        world.endpoints = await self._store.read(_load_endpoints, list(self._providers), world=world.id)
        stored = await self._store.read(_stored_credentials, list(self._providers), world=world.id)
        for name, values in stored.items():
            world.credentials[name] = {**world.credentials.get(name, {}), **values}

    def adopt_record(self, world: World, record: dict) -> None:
        """Another replica changed a world's record: take its credentials and endpoints."""
        world.credentials, world.endpoints = record["credentials"], record.get("endpoints") or {}

    def copy_account(self, world: World, other: World) -> None:
        """Give a new `world` copies of `other`'s credentials and webhook secrets (a rotation's previous
        secret and deadline too, not its endpoint URLs), so what it sends verifies with the secret a
        partner of `other` holds. `other` keeps its credentials in the index (a value's first owner keeps it).
        """
        world.credentials = copy.deepcopy(other.credentials)
        world.endpoints = {provider: {k: v for k, v in entry.items() if k != "url"}
                           for provider, entry in other.endpoints.items()}

    def new_credentials(self, ids: Ids) -> dict[str, dict[str, str]]:
        """Every provider's credentials for a new world (SPEC §12), made from that world's ids."""
        return {name: p.world_credentials(ids) for name, p in self._providers.items()}

    def default_webhook_url(self, world: World, provider: str) -> str:
        """The built-in receiver; another world's webhooks carry `?world=` so receipts stay apart."""
        if world.id == DEFAULT:
            return self._settings.provider(provider).webhook_url or f"{self._base_url}/api/webhooks/{provider}"
        return world.webhook_urls.get(provider) or f"{self._base_url}/api/webhooks/{provider}?world={world.id}"

    def endpoint(self, world: World, provider: str) -> tuple[str, list[str]]:
        """Where a provider's webhooks go in `world` and the secrets to sign with (two during a rotation)."""
        override = world.endpoints.get(provider) or {}
        url = override.get("url") or self.default_webhook_url(world, provider)
        secret = override.get("secret") or world.credentials.get(provider, {}).get("webhook_secret")
        secrets = [secret] if secret else []
        previous, until = override.get("previous_secret"), override.get("previous_until_ms")
        if previous and until and world.clock.now_ms() < until:
            secrets.append(previous)
        return url, secrets

    async def set_endpoint(self, world: World, provider: str, url: str | None, secret: str | None) -> None:
        """Override the webhook URL and/or signing secret; None leaves that part as it is."""
        entry = dict(world.endpoints.get(provider) or {})
        if url is not None:
            entry["url"] = url
        if secret is not None:
            entry["secret"] = secret
        await self._save_endpoint(world, provider, entry)

    async def rotate_secret(self, world: World, provider: str) -> str:
        """A new signing secret; the old one keeps signing beside it for 24 sandbox hours."""
        _, secrets = self.endpoint(world, provider)
        entry = dict(world.endpoints.get(provider) or {})
        entry["previous_secret"] = secrets[0] if secrets else None
        entry["previous_until_ms"] = world.clock.now_ms() + ROTATION_GRACE_MS
        entry["secret"] = self._providers[provider].new_webhook_secret(world.ids)
        await self._save_endpoint(world, provider, entry)
        return entry["secret"]

    async def unsign(self, world: World, provider: str) -> None:
        """No secret at all from now on (webhooks go out unsigned); an endpoint URL override stays."""
        world.credentials[provider] = {**world.credentials.get(provider, {}), "webhook_secret": ""}
        if world.id == DEFAULT:
            await self._store.commit(_forget_secret, provider, world=world.id)
        entry = {k: v for k, v in (world.endpoints.get(provider) or {}).items() if k == "url"}
        await self._save_endpoint(world, provider, entry or None)

    async def forget_endpoints(self, world: World, provider: str | None) -> None:
        """Drop the overrides of one provider (None: every provider), as a reset does."""
        for name in [provider] if provider else list(world.endpoints):
            await self._save_endpoint(world, name, None)

    async def _save_endpoint(self, world: World, provider: str, entry: dict | None) -> None:
        if entry is None:
            world.endpoints.pop(provider, None)
        else:
            world.endpoints[provider] = entry
        if world.id == DEFAULT:
            await self._store.commit(_set_meta, f"endpoint:{provider}", entry or {}, world=world.id)
        else:
            await save_world(self._store, world)


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


def _forget_secret(uow: UnitOfWork, provider: str) -> None:
    stored = uow.meta.get(f"credentials:{provider}") or {}
    stored["webhook_secret"] = ""
    uow.meta.set(f"credentials:{provider}", stored)
    uow.world_changed()


def _set_meta(uow: UnitOfWork, key: str, value: Any) -> None:
    uow.meta.set(key, value)
    uow.world_changed()


def _stored_credentials(uow: UnitOfWork, names: list[str]) -> dict[str, dict]:
    return {name: uow.meta.get(f"credentials:{name}") or {} for name in names}
