"""The Provider descriptor: everything the core needs of a provider, and nothing more.

A provider folder translates its wire format to and from the provider-neutral core (intents,
events, deliveries). Adding a provider is one folder with the same files as the others, its
contracts, and one line in `sandbox.providers.PROVIDERS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from sandbox.delivery.policy import RetryPolicy, WebhookDialect
from sandbox.errors import SandboxError
from sandbox.grading.sample import GradeProfile
from sandbox.ids import Ids

if TYPE_CHECKING:
    from sandbox.engine import Sandbox
    from sandbox.jobs import Job


@dataclass(frozen=True)
class Provider:
    """One impersonated provider."""

    name: str
    title: str
    #: Builds the sub-app mounted at `/<name>`: the provider's API, hosted pages and static files.
    make_app: Callable[[], web.Application]
    dialect: WebhookDialect
    policy: RetryPolicy
    #: Credentials made once per database: api keys, webhook secret, ids (persisted, so restarts keep them).
    default_credentials: Callable[[Ids], dict[str, str]]
    #: Turns a domain error into the provider's own error envelope.
    render_error: Callable[[SandboxError, str], web.Response]
    #: Fires a due timer (expiry, settlement, scenario outcome).
    run_job: Callable[[Sandbox, Job], Awaitable[None]]
    #: Drives an intent as the widget would, in the provider's own status words (control API).
    transition: Callable[[Sandbox, str, str], Awaitable[dict]]
    statuses: tuple[str, ...]
    #: Base URLs and keys to print at start and to return from `GET /_sandbox/config`.
    describe: Callable[[Sandbox], dict]
    #: Which secrets the built-in receiver should accept for a body (default: the endpoint's).
    receiver_secrets: Callable[[Sandbox, dict], Awaitable[list[str]]] | None = None
    on_start: Callable[[Sandbox], Awaitable[None]] | None = None
    #: Its part in grading a partner's receiver (SPEC §15): synthetic events and what does not apply.
    grading: GradeProfile | None = None
    #: Credentials for a new world, where they must differ from the default world's in more than
    #: randomness (ROZO's appIds); None: `default_credentials`.
    world_credentials: Callable[[Ids], dict[str, str]] | None = None
    extra: dict = field(default_factory=dict)
