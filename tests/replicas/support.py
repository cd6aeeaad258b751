"""Replicas under test: real `sandbox serve` processes on one PostgreSQL database, and a counting receiver."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from tests.live import terminate
from tests.providers.liqx_support import PAYIN
from tests.support import free_socket, serve_posts


class Replica:
    """One `sandbox serve` process."""

    def __init__(self, db: str, logs: Path, n: int, **env: str) -> None:
        sock = free_socket()
        self.port = sock.getsockname()[1]
        sock.close()
        self.base = f"http://127.0.0.1:{self.port}"
        self.id = ""
        environ = {**os.environ, "SANDBOX_SEED": "7", "SANDBOX_QUIET": "1", **env}
        with open(logs / f"replica-{n}.log", "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--port", str(self.port),
                                          "--db", db], stdout=log, stderr=subprocess.STDOUT, env=environ)

    async def ready(self, http: aiohttp.ClientSession) -> None:
        deadline = time.monotonic() + 60   # three replicas importing at once on a loaded 2-core machine
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "a replica exited during start"
            try:
                async with http.get(self.base + "/_sandbox/health") as response:
                    if response.status == 200:
                        self.id = (await response.json())["replica"]
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        raise AssertionError("replica did not start")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        terminate(self.proc)


async def start_replicas(http: aiohttp.ClientSession, db: str, logs: Path, count: int = 3, **env: str) -> list[Replica]:
    """`count` replicas started together (schema set-up races under the advisory lock), all answering."""
    replicas = [Replica(db, logs, n, **env) for n in range(count)]
    try:
        await asyncio.gather(*(replica.ready(http) for replica in replicas))
    except BaseException:
        for replica in replicas:
            replica.stop()
        raise
    return replicas


class CountingReceiver:
    """A partner endpoint counting each event id it was sent; `hold` keeps requests waiting until released."""

    def __init__(self) -> None:
        self.sent: collections.Counter[str] = collections.Counter()
        self.answered: collections.Counter[str] = collections.Counter()
        self.gate = asyncio.Event()
        self.gate.set()
        self.url = ""
        self.runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        event_id = json.loads(await request.read())["event_id"]
        self.sent[event_id] += 1
        await self.gate.wait()
        self.answered[event_id] += 1
        return web.json_response({"ok": True})

    async def start(self) -> None:
        self.runner, self.url = await serve_posts(self.handle, shutdown_timeout=0.1)

    async def wait_for(self, event_ids: set[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not event_ids <= set(self.answered) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)


async def completed_payin(http: aiohttp.ClientSession, replica: Replica, key: str, ref: str,
                          world: str | None = None) -> str:
    """Create a LIQX payin through `replica` and complete it through the control API (two events)."""
    async with http.post(replica.base + "/liqx/v1/payin-intents", json={**PAYIN, "external_ref": ref},
                         headers={"Authorization": f"Bearer {key}"}) as response:
        assert response.status == 201, await response.text()
        intent_id = (await response.json())["intent_id"]
    headers = {"X-Sandbox-World": world} if world else {}
    async with http.post(f"{replica.base}/_sandbox/intents/liqx/{intent_id}/transition", json={"to": "COMPLETED"},
                         headers=headers) as response:
        assert response.status == 200, await response.text()
    return intent_id
