"""The toy's partner API under `/toy/v1`: create and read gadgets, with a Bearer key."""

from __future__ import annotations

from aiohttp import web

from sandbox.providers.base import this
from tests.toy_provider import models

routes = web.RouteTableDef()


@routes.post("/v1/gadgets")
async def create_gadget(request: web.Request) -> web.Response:
    """Create a gadget."""
    return await this(request).create_from_request(request, "gadget", models.create, contract="gadget",
                                                   idempotent=True)


@routes.get("/v1/gadgets/{gadget_id}")
async def get_gadget(request: web.Request) -> web.Response:
    """Read a gadget."""
    return await this(request).answer_found(request, request.match_info["gadget_id"], noun="gadget", contract="gadget")
