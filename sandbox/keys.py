"""The typed application keys, kept in one small module as the aiohttp docs suggest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from sandbox.engine import Sandbox

SANDBOX: web.AppKey[Sandbox] = web.AppKey("sandbox")
