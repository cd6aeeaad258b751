"""A local webhook receiver for the delivery benchmarks: answers 200, optionally after a delay.

`receiver_server.py PORT [DELAY_S] [record]`: with `record`, it also notes the wall-clock arrival
time of each event id (the lateness benchmark reads them back from `GET /arrivals`).
"""

import asyncio
import json
import sys
import time

from aiohttp import web

DELAY_S = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
RECORD = len(sys.argv) > 3 and sys.argv[3] == "record"
COUNT = {"n": 0}
ARRIVALS: dict[str, float] = {}


async def hook(request: web.Request) -> web.Response:
    body = await request.read()
    if RECORD:
        ARRIVALS.setdefault(json.loads(body)["event_id"], time.time())
    if DELAY_S:
        await asyncio.sleep(DELAY_S)  # a slow partner endpoint: real network time
    COUNT["n"] += 1
    return web.Response(text="ok")


async def count(request: web.Request) -> web.Response:
    return web.json_response(COUNT)


async def arrivals(request: web.Request) -> web.Response:
    return web.json_response(ARRIVALS)


app = web.Application()
app.router.add_post("/hook", hook)
app.router.add_get("/count", count)
app.router.add_get("/arrivals", arrivals)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None, backlog=4096)
