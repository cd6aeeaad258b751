"""The root application's typed keys, kept in one small module as the aiohttp docs suggest.

(A sub-app's own keys stay with it: a provider's `THIS`, the partner proxy's `PROXY`.)

A request handler of the core asks for the service it needs — `request.config_dict[ACCOUNTS]`,
`[FAULT_RULES]`, `[LIFECYCLE]`, `[DISPATCHER]`, `[TIMERS]` — and for the world it acts in with
`world_of(request)`; provider code gets the world-bound `Sandbox` view with `sandbox_for(request)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from sandbox.delivery.dispatcher import Dispatcher
    from sandbox.engine import Sandbox, Services
    from sandbox.jobs import JobRunner
    from sandbox.services.accounts import Accounts
    from sandbox.services.fault_rules import FaultRules
    from sandbox.services.lifecycle import WorldLifecycle
    from sandbox.settings import Settings
    from sandbox.worlds import World

#: The effective configuration (set when the app is built, before any service exists).
SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
#: Every service of the server (what the app's lifetime starts and stops).
SERVICES: web.AppKey[Services] = web.AppKey("services")
ACCOUNTS: web.AppKey[Accounts] = web.AppKey("accounts")
FAULT_RULES: web.AppKey[FaultRules] = web.AppKey("fault_rules")
LIFECYCLE: web.AppKey[WorldLifecycle] = web.AppKey("lifecycle")
DISPATCHER: web.AppKey[Dispatcher] = web.AppKey("dispatcher")
TIMERS: web.AppKey[JobRunner] = web.AppKey("timers")

#: The default world's view of the services.
SANDBOX: web.AppKey[Sandbox] = web.AppKey("sandbox")

#: The request's view bound to the request's world (set by the request middleware in `sandbox.app`).
WORLD_SANDBOX: web.RequestKey[Sandbox] = web.RequestKey("sandbox.world")


def sandbox_for(request: web.Request) -> Sandbox:
    """The view of the request's world (the default world's when none was resolved)."""
    try:
        return request[WORLD_SANDBOX]
    except KeyError:  # a request the request middleware did not see (static files, tests' bare apps)
        return request.config_dict[SANDBOX]


def world_of(request: web.Request) -> World:
    """The world the request acts in (SPEC §12)."""
    return sandbox_for(request).world
