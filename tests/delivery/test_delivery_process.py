"""`sandbox serve --delivery-process`: webhook attempts in a second process, the store in the server's.

Every test runs the real command line and a real receiver; what the server tells the delivery
process (worlds created after start, their clocks moved, deletions) is proven by webhooks that
can only arrive if it was told.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.providers.liqx_support import PAYIN, verify_liqx
from tests.support import free_socket, start_receiver
from tests.test_durability import wait_healthy

pytestmark = pytest.mark.sqlite_only


class Server:
    """`sandbox serve --delivery-process` on a free port, its log in `tmp_path`."""

    def __init__(self, tmp_path: Path, *extra: str) -> None:
        sock = free_socket()
        self.port = sock.getsockname()[1]
        sock.close()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / f"server-{time.monotonic_ns()}.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "sandbox", "serve", "--port", str(self.port), "--db", str(tmp_path / "s.db"),
                 "--delivery-process", *extra], stdout=log, stderr=subprocess.STDOUT)

    async def up(self, http: aiohttp.ClientSession) -> None:
        await wait_healthy(http, self.base, self.proc)

    def delivery_pids(self) -> list[int]:
        """The server's children running the delivery process (Linux /proc)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                cmdline = (stat.parent / "cmdline").read_bytes()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid and b"sandbox.delivery.worker" in cmdline:
                found.append(int(stat.parent.name))
        return found

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextlib.asynccontextmanager
async def serving(tmp_path: Path, script: tuple[int, ...] = ()):
    """A receiver answering `script`'s statuses (then 200), and the server; both stopped after."""
    receiver = await start_receiver()
    receiver.script = list(script)
    server = Server(tmp_path)
    try:
        async with aiohttp.ClientSession() as http:
            await server.up(http)
            yield server, http, receiver
    finally:
        server.stop()
        await receiver.runner.cleanup()


async def _liqx_to(http: aiohttp.ClientSession, server: Server, receiver) -> dict:
    """Point the default world's LIQX webhooks at `receiver`; LIQX's entry of `/_sandbox/config`."""
    _, config = await _json(http, "GET", f"{server.base}/_sandbox/config")
    status, _ = await _json(http, "PUT", f"{server.base}/_sandbox/endpoints/liqx", json={"url": receiver.url})
    assert status == 200
    return config["providers"]["liqx"]


async def _json(http: aiohttp.ClientSession, method: str, url: str, **kwargs) -> tuple[int, dict]:
    async with http.request(method, url, **kwargs) as response:
        return response.status, await response.json()


async def _completed_payin(http: aiohttp.ClientSession, base: str, key: str, ref: str, world: str | None = None) -> str:
    status, intent = await _json(http, "POST", f"{base}/liqx/v1/payin-intents",
                                 json=dict(PAYIN, external_ref=ref), headers={"Authorization": f"Bearer {key}"})
    assert status == 201, intent
    headers = {"X-Sandbox-World": world} if world else {}
    status, moved = await _json(http, "POST", f"{base}/_sandbox/intents/liqx/{intent['intent_id']}/transition",
                                json={"to": "COMPLETED"}, headers=headers)
    assert status == 200, moved
    return intent["intent_id"]


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
async def test_attempts_are_made_by_the_delivery_process_signed_and_recorded(tmp_path):
    """With the delivery process paused nothing is sent; once it runs again the webhook arrives."""
    async with serving(tmp_path) as (server, http, receiver):
        [child] = server.delivery_pids()
        liqx = await _liqx_to(http, server, receiver)
        os.kill(child, signal.SIGSTOP)
        try:
            intent = await _completed_payin(http, server.base, liqx["api_key"], "dp-1")
            await asyncio.sleep(1.5)
            assert receiver.requests == []   # the server itself sends nothing
        finally:
            os.kill(child, signal.SIGCONT)
        [request] = await receiver.wait_for(1, timeout=20)
        assert verify_liqx(liqx["webhook_secret"], request["headers"], request["raw"], now=time.time())
        assert json.loads(request["raw"])["data"]["intent_id"] == intent
        deadline = time.monotonic() + 20   # the attempt's row follows its POST by a round trip
        while True:
            _, deliveries = await _json(http, "GET", f"{server.base}/_sandbox/deliveries?intent_id={intent}")
            if deliveries["data"][0]["status"] != "in_flight" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        assert deliveries["data"][0]["status"] == "delivered"
        log = server.log.read_text()
        assert f"-> {receiver.url} 200" in log, log[-600:]   # the attempt line, written by the delivery process
    assert server.proc.returncode == 0
    assert _gone(child)


async def test_a_world_made_after_start_delivers_when_its_clock_is_advanced(tmp_path):
    """The world, its endpoint and its clock all reach the delivery process: the payin's expiry,
    30 minutes away on the world's clock, arrives only because the advance was passed on."""
    async with serving(tmp_path) as (server, http, receiver):
        status, world = await _json(http, "POST", f"{server.base}/_sandbox/worlds",
                                    json={"webhook_urls": {"liqx": receiver.url}})
        assert status == 201, world
        key = world["credentials"]["liqx"]["api_key"]
        status, intent = await _json(http, "POST", f"{server.base}/liqx/v1/payin-intents",
                                     json=dict(PAYIN, external_ref="dp-expire"), headers={"Authorization": f"Bearer {key}"})
        assert status == 201, intent
        await asyncio.sleep(0.5)
        assert receiver.requests == []
        status, _ = await _json(http, "POST", f"{server.base}/_sandbox/clock/advance", json={"seconds": 31 * 60},
                                headers={"X-Sandbox-World": world["id"]})
        assert status == 200
        [request] = await receiver.wait_for(1, timeout=20)
        body = json.loads(request["raw"])
        assert (body["data"]["intent_id"], body["data"]["status"]) == (intent["intent_id"], "EXPIRED")
        assert verify_liqx(world["credentials"]["liqx"]["webhook_secret"], request["headers"], request["raw"])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; PR_SET_PDEATHSIG")
async def test_killing_the_server_ends_the_delivery_process_and_a_restart_delivers_what_was_left(tmp_path):
    async with serving(tmp_path, script=(503,) * 50) as (server, http, receiver):   # retried until the kill
        [child] = server.delivery_pids()
        liqx = await _liqx_to(http, server, receiver)
        intent = await _completed_payin(http, server.base, liqx["api_key"], "dp-kill")
        await receiver.wait_for(1, timeout=20)
        server.proc.kill()
        server.proc.wait()
        deadline = time.monotonic() + 10
        while not _gone(child) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert _gone(child), "the delivery process outlived the server"
        receiver.script = []
        seen = len(receiver.requests)
        again = Server(tmp_path)
        try:
            await again.up(http)
            requests = await receiver.wait_for(seen + 1, timeout=60)
            assert json.loads(requests[-1]["raw"])["data"]["intent_id"] == intent
        finally:
            again.stop()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
async def test_a_delivery_process_that_dies_is_replaced_and_its_claims_recovered(tmp_path):
    async with serving(tmp_path) as (server, http, receiver):
        [child] = server.delivery_pids()
        os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and server.delivery_pids() in ([], [child]):
            await asyncio.sleep(0.1)
        [successor] = server.delivery_pids()
        assert successor != child
        liqx = await _liqx_to(http, server, receiver)
        intent = await _completed_payin(http, server.base, liqx["api_key"], "dp-replaced")
        [request] = await receiver.wait_for(1, timeout=20)
        assert json.loads(request["raw"])["data"]["intent_id"] == intent
        assert "the delivery process ended" in server.log.read_text()


async def test_deleting_a_world_stops_its_retries_in_the_delivery_process(tmp_path):
    async with serving(tmp_path, script=(503,) * 1000) as (server, http, receiver):
        status, world = await _json(http, "POST", f"{server.base}/_sandbox/worlds",
                                    json={"webhook_urls": {"liqx": receiver.url}, "clock": {"time_scale": 600}})
        assert status == 201, world
        await _completed_payin(http, server.base, world["credentials"]["liqx"]["api_key"], "dp-delete", world["id"])
        await receiver.wait_for(2, timeout=20)   # the first attempt and a retry: retries are flowing
        async with http.delete(f"{server.base}/_sandbox/worlds/{world['id']}") as response:
            assert response.status in (200, 204)
        await asyncio.sleep(0.5)   # an attempt already on the wire may still land
        seen = len(receiver.requests)
        await asyncio.sleep(3)     # half an hour of that world's time: several retries were due
        assert len(receiver.requests) == seen


def test_postgresql_is_refused_with_a_clear_error(tmp_path):
    done = subprocess.run([sys.executable, "-m", "sandbox", "serve", "--delivery-process",
                           "--db", "postgresql://sandbox@127.0.0.1:1/none"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "SQLite only" in done.stderr

