"""The typed application keys, kept in one small module as the aiohttp docs suggest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from sandbox.engine import Sandbox

SANDBOX: web.AppKey[Sandbox] = web.AppKey("sandbox")

#: The request's sandbox bound to the request's world (set by the world middleware in `sandbox.app`).
WORLD_SANDBOX: web.RequestKey[Sandbox] = web.RequestKey("sandbox.world")


def sandbox_for(request: web.Request) -> Sandbox:
    """The sandbox of the request's world (the default world's when none was resolved)."""
    try:
        return request[WORLD_SANDBOX]
    except KeyError:  # a request the world middleware did not see (static files, tests' bare apps)
        return request.config_dict[SANDBOX]
