"""The baseline: a bare aiohttp handler that parses a JSON body and answers it back."""

import sys

from aiohttp import web


async def echo(request: web.Request) -> web.Response:
    return web.json_response(await request.json(), status=201)


async def ok(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


app = web.Application()
app.router.add_post("/echo", echo)
app.router.add_get("/health", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
