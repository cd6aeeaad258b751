"""A local webhook receiver for the delivery benchmark: answers 200, optionally after a delay."""

import asyncio
import sys

from aiohttp import web

DELAY_S = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
COUNT = {"n": 0}


async def hook(request: web.Request) -> web.Response:
    await request.read()
    if DELAY_S:
        await asyncio.sleep(DELAY_S)  # a slow partner endpoint: real network time
    COUNT["n"] += 1
    return web.Response(text="ok")


async def count(request: web.Request) -> web.Response:
    return web.json_response(COUNT)


app = web.Application()
app.router.add_post("/hook", hook)
app.router.add_get("/count", count)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None, backlog=4096)
