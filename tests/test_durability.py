"""Durability: a real server process killed with SIGKILL loses no committed webhook event."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from tests.support import db_url, free_socket, query

N_INTENTS = 20


class SlowThenFastReceiver:
    """Hangs every request while `slow` (so deliveries are in flight at the kill), then answers at once."""

    def __init__(self) -> None:
        self.slow = True
        self.seen: list[str] = []
        self.first = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        if self.slow:
            self.first.set()
            await asyncio.sleep(30)  # a stuck partner endpoint: real network time
            return web.Response(status=504)
        self.seen.append(body["event_id"])
        return web.json_response({"ok": True})


def spawn(port: int, db: str, logs: Path) -> subprocess.Popen:
    env = {**os.environ, "SANDBOX_SEED": "7"}
    with open(logs / f"server-{time.monotonic_ns()}.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "sandbox", "serve", "--port", str(port), "--db", str(db)],
            stdout=log, stderr=subprocess.STDOUT, env=env)


async def wait_healthy(http: aiohttp.ClientSession, base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60  # a loaded CI machine can take this long to import and bind
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited during start"
        try:
            async with http.get(base + "/_sandbox/health") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("server did not start")


async def test_sigkill_with_pending_deliveries_loses_no_event(tmp_path):
    """Kill -9 mid-delivery; after a restart every committed event reaches the receiver, counted exactly."""
    receiver = SlowThenFastReceiver()
    app = web.Application()
    app.router.add_post("/hooks", receiver.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    rsock = free_socket()
    await web.SockSite(runner, rsock).start()
    hook_url = f"http://127.0.0.1:{rsock.getsockname()[1]}/hooks"
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    base = f"http://127.0.0.1:{port}"
    db = db_url(tmp_path)
    proc = spawn(port, db, tmp_path)
    async with aiohttp.ClientSession() as http:
        try:
            await wait_healthy(http, base, proc)
            async with http.put(base + "/_sandbox/endpoints/liqx", json={"url": hook_url}) as r:
                assert r.status == 200
            async with http.get(base + "/_sandbox/config") as r:
                key = (await r.json())["providers"]["liqx"]["api_key"]
            headers = {"Authorization": f"Bearer {key}"}
            for n in range(N_INTENTS):
                body = {"external_ref": f"dur-{n}", "external_user_id": "partner-user-001", "depositor_name": "홍길동",
                        "amount_krw": "1000", "amount_usdt": "1.00"}
                async with http.post(base + "/liqx/v1/payin-intents", json=body, headers=headers) as r:
                    intent = await r.json()
                    assert r.status == 201, intent
                async with http.post(f"{base}/_sandbox/intents/liqx/{intent['intent_id']}/transition",
                                     json={"to": "COMPLETED"}) as r:
                    assert r.status == 200
            await asyncio.wait_for(receiver.first.wait(), 10)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
        receiver.slow = False
        proc = spawn(port, db, tmp_path)
        try:
            await wait_healthy(http, base, proc)
            async with http.get(base + "/_sandbox/events?provider=liqx&limit=500") as r:
                committed = {e["id"] for e in (await r.json())["data"]}
            assert len(committed) == N_INTENTS
            deadline = time.monotonic() + 30
            while set(receiver.seen) != committed and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert set(receiver.seen) == committed
            assert len(set(receiver.seen)) == N_INTENTS
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(15)
            await runner.cleanup()
    assert proc.returncode == 0, "SIGTERM stops the server cleanly"


async def test_sigterm_lets_an_in_flight_attempt_finish_and_records_it(tmp_path):
    """SIGTERM mid-attempt: the attempt completes, is recorded as delivered, and is not sent again."""
    hits: list[str] = []
    arrived = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        hits.append(json.loads(await request.read())["event_id"])
        arrived.set()
        await asyncio.sleep(1.5)  # a slow partner endpoint: real network time
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hooks", slow)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    rsock = free_socket()
    await web.SockSite(runner, rsock).start()
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    base, db = f"http://127.0.0.1:{port}", db_url(tmp_path)
    proc = spawn(port, db, tmp_path)
    try:
        async with aiohttp.ClientSession() as http:
            await wait_healthy(http, base, proc)
            async with http.put(base + "/_sandbox/endpoints/liqx",
                                json={"url": f"http://127.0.0.1:{rsock.getsockname()[1]}/hooks"}) as r:
                assert r.status == 200
            async with http.get(base + "/_sandbox/config") as r:
                key = (await r.json())["providers"]["liqx"]["api_key"]
            body = {"external_ref": "term-1", "external_user_id": "partner-user-001", "depositor_name": "홍길동",
                    "amount_krw": "1000", "amount_usdt": "1.00"}
            async with http.post(base + "/liqx/v1/payin-intents", json=body,
                                 headers={"Authorization": f"Bearer {key}"}) as r:
                intent = await r.json()
            async with http.post(f"{base}/_sandbox/intents/liqx/{intent['intent_id']}/transition",
                                 json={"to": "COMPLETED"}) as r:
                assert r.status == 200
            await asyncio.wait_for(arrived.wait(), 10)
            proc.send_signal(signal.SIGTERM)
            started = time.monotonic()
            await asyncio.to_thread(proc.wait, 15)
            assert proc.returncode == 0 and time.monotonic() - started < 7
    finally:
        if proc.poll() is None:
            proc.kill()
        await runner.cleanup()
    rows = query(db, "SELECT status, attempts FROM deliveries")
    assert rows == [("delivered", 1)]
    assert len(hits) == 1
