"""Effective configuration: CLI flags > `SANDBOX_*` environment > `--config sandbox.toml` > defaults.

Each source is read into a plain nested dict, the dicts are merged in precedence order, and the
result is validated once by pydantic, so a typo in any source fails at start with a clear message
rather than at the first request. Values left unset here (API keys, webhook secrets) are filled in
by the accounts service (`sandbox.services.accounts`) from the database, so a restart keeps the
credentials a partner already configured.

The core settings are fixed; each provider contributes its own fields (its configurable
credentials) and so its own `SANDBOX_<NAME>_<FIELD>` variables. The providers come from the
registry unless a caller names them (a test registering a provider of its own).
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from sandbox.delivery.destinations import DestinationPolicy, policy_for


class Contributor(Protocol):
    """What settings need of a provider: its name and the credentials a partner may configure."""

    name: str

    def setting_names(self) -> tuple[str, ...]: ...


class DeliveryPolicy(BaseModel):
    """How a provider retries: delays (sandbox seconds) after each failed attempt, and a timeout."""

    model_config = ConfigDict(extra="forbid")
    retry_delays_s: list[float] | None = None
    timeout_s: float | None = None


class ProviderSettings(BaseModel):
    """What every provider can be told: its webhook endpoint, settlement delay and retry policy.

    A provider's own model (`provider_model`) adds its configurable credentials as fields.
    """

    model_config = ConfigDict(extra="forbid")
    webhook_url: str | None = None
    webhook_secret: str | None = None
    #: Sandbox seconds between "paid" and "settled" where a provider has such a step.
    settlement_delay_s: float | None = Field(None, ge=0)
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)


class Settings(BaseModel):
    """Everything `sandbox serve` can be told."""

    model_config = ConfigDict(extra="forbid")
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    db: str = "./.sandbox/sandbox.db"
    seed: int | None = None
    time_scale: float = Field(1.0, ge=0)
    #: Which clock signature timestamps follow (SPEC §5): the real one, or the sandbox's for pinned traces.
    signature_clock: Literal["wall", "sandbox"] = "wall"
    admin_token: str | None = None
    strict: bool = False
    max_in_flight: int = Field(256, ge=1)
    #: Real seconds after which a silent replica's claimed deliveries and timers are taken over (SPEC §14).
    lease_s: float = Field(15.0, gt=0, le=30)
    public_url: str | None = None
    #: Client timeout of the Partner CRM simulator's demo proxy when it calls the LIQX API (real seconds).
    partner_proxy_timeout_s: float = Field(10.0, gt=0, le=600)
    #: Where webhooks may go when bound beyond loopback (SPEC §10): host names, wildcards, CIDRs.
    #: None: loopback and the private ranges. `SANDBOX_WEBHOOK_ALLOW` takes a comma-separated list.
    webhook_allow: list[str] | None = None
    #: Webhook attempts in a second process (SQLite only): the store stays in this one, which the
    #: other asks for its claims and attempt rows, so a busy API no longer delays deliveries.
    delivery_process: bool = False
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)

    def provider(self, name: str) -> ProviderSettings:
        found = self.providers.get(name)   # not setdefault: that builds a model on every call
        if found is None:
            found = self.providers[name] = ProviderSettings()
        return found

    @field_validator("webhook_allow", mode="before")
    @classmethod
    def _split_allow(cls, value):
        return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value

    @field_validator("webhook_allow")
    @classmethod
    def _check_allow(cls, value):
        if value is not None:
            DestinationPolicy.build(False, value)  # raises on an entry that is no host, wildcard or CIDR
        return value

    @property
    def loopback_only(self) -> bool:
        """True when only this machine can reach the server, so the control API needs no token.

        Decided by `ipaddress`, not by the text: `127.evil.example` is a host name, not loopback.
        """
        host = self.host.strip("[]")
        if host.lower() == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    @property
    def webhook_policy(self) -> DestinationPolicy:
        """Where this server's webhooks may go (`sandbox.delivery.destinations`)."""
        return policy_for(self.loopback_only, None if self.webhook_allow is None else tuple(self.webhook_allow))


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which source and field."""


def _merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif value is not None:
            out[key] = value
    return out


@cache
def _model(fields: tuple[str, ...]) -> type[ProviderSettings]:
    extra: dict[str, Any] = {name: (str | None, None) for name in fields if name not in ProviderSettings.model_fields}
    return create_model("ProviderSettings", __base__=ProviderSettings, **extra)


def provider_model(provider: Contributor) -> type[ProviderSettings]:
    """The settings model of one provider: the common fields plus its configurable credentials."""
    return _model(provider.setting_names())


def _env_fields(provider: Contributor) -> tuple[str, ...]:
    return tuple(dict.fromkeys(("webhook_url", "webhook_secret", *provider.setting_names())))


def _registered() -> Sequence[Contributor]:
    """The registry's providers (imported when asked: the registry imports the providers)."""
    from sandbox.providers import registered as providers

    return providers()


def from_environment(environ: dict[str, str], providers: Sequence[Contributor] | None = None) -> dict[str, Any]:
    """Read the `SANDBOX_*` variables of SPEC §1 into the settings' shape."""
    found: dict[str, Any] = {}
    for field in ("host", "port", "db", "seed", "time_scale", "admin_token", "public_url", "max_in_flight",
                  "lease_s", "partner_proxy_timeout_s", "signature_clock", "webhook_allow"):
        value = environ.get(f"SANDBOX_{field.upper()}")
        if value not in (None, ""):
            found[field] = value
    for flag in ("strict", "delivery_process"):
        if environ.get(f"SANDBOX_{flag.upper()}"):
            found[flag] = environ[f"SANDBOX_{flag.upper()}"].lower() in ("1", "true", "yes", "on")
    for provider in _registered() if providers is None else providers:
        for key in _env_fields(provider):
            value = environ.get(f"SANDBOX_{provider.name.upper()}_{key.upper()}")
            if value not in (None, ""):
                found.setdefault("providers", {}).setdefault(provider.name, {})[key] = value
    return found


def from_file(path: str | Path) -> dict[str, Any]:
    """Read a TOML config file; its layout mirrors `Settings` (`[providers.liqx]` tables)."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc


def _validate_providers(merged: dict[str, Any], providers: Sequence[Contributor]) -> None:
    """Each provider's table through its own model (every provider gets one); errors keep their place."""
    tables = merged.get("providers") or {}
    if not isinstance(tables, dict):
        return  # Settings' own validation names the problem
    tables = merged["providers"] = dict(tables)  # the layers keep their own values, for naming errors
    known = {p.name for p in providers}
    for name in set(tables) - known:  # left for `preflight.problems`, which names the unknown provider
        tables[name] = ProviderSettings.model_construct()
    errors = []
    for provider in providers:
        try:
            tables[provider.name] = provider_model(provider).model_validate(tables.get(provider.name) or {})
        except ValidationError as exc:
            errors += [{"type": e["type"], "loc": ("providers", provider.name, *e["loc"]), "input": e["input"],
                        **({"ctx": e["ctx"]} if "ctx" in e else {})} for e in exc.errors()]
    if errors:
        raise ValidationError.from_exception_data("Settings", errors)


def load_settings(
    flags: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
    config_file: str | Path | None = None,
    providers: Sequence[Contributor] | None = None,
) -> Settings:
    """Merge the sources in precedence order and validate the result (providers: the registry's)."""
    providers = _registered() if providers is None else providers
    environ = dict(os.environ) if environ is None else environ
    config_file = config_file or environ.get("SANDBOX_CONFIG")
    from sandbox import preflight

    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    layers = [preflight.Layer("flag", flags), preflight.Layer("env", from_environment(environ, providers)),
              preflight.Layer("file", from_file(config_file) if config_file else {}, config_file)]
    merged: dict[str, Any] = {}
    for layer in reversed(layers):
        merged = _merge(merged, dict(layer.values))
    try:
        _validate_providers(merged, providers)
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(preflight.explain(exc, layers)) from exc
    problems = preflight.problems(settings, layers, [p.name for p in providers])
    if problems:
        raise ConfigError("\n".join(problems))
    return settings
