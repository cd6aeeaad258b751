"""Worlds survive restarts (SPEC §12): worlds, clocks, credentials and pending work, `kill -9` included."""

from __future__ import annotations

import asyncio
import json
import signal

import aiohttp

from tests.providers import liqx_support
from tests.support import credentials, db_url, free_socket, start_receiver, start_sandbox, stop_sandbox
from tests.test_durability import spawn, wait_healthy
from tests.worlds.support import WorldView, create_world

PINNED = {"now": "2030-01-01T00:00:00Z", "time_scale": 0}


def keys_of(credentials: dict) -> dict:
    """Credentials without the URLs (a restarted test server listens on another port)."""
    return {provider: {k: v for k, v in values.items() if not (isinstance(v, str) and "://" in v)}
            for provider, values in credentials.items()}


async def test_graceful_restart_keeps_worlds_clocks_credentials_and_timers(tmp_path):
    """Stop and start on one database: the same worlds, pinned clocks, keys; a timer set before fires after."""
    running = await start_sandbox(tmp_path)
    try:
        a = WorldView(running, await create_world(running, name="a", clock=PINNED))
        b = WorldView(running, await create_world(running, name="b", clock={"now": "2031-01-01T00:00:00Z",
                                                                             "time_scale": 0}, ttl_s=3600))
        await a.advance(120)
        _, intent, _ = await liqx_support.create_payin(b)
    finally:
        await stop_sandbox(running)
    running = await start_sandbox(tmp_path)
    try:
        listed = {w["id"]: w for w in (await running.control("GET", "/worlds"))["data"]}
        assert set(listed) == {"default", a.id, b.id}
        assert listed[a.id]["clock"] == {"now": "2030-01-01T00:02:00.000Z", "time_scale": 0.0}
        assert keys_of(listed[b.id]["credentials"]) == keys_of(b.world["credentials"]) and listed[b.id]["ttl_s"] == 3600
        b2 = WorldView(running, listed[b.id])
        status, got, _ = await running.request("GET", f"/liqx/v1/intents/{intent['intent_id']}",
                                                headers=credentials(b2, "liqx"))
        assert status == 200 and got["status"] != "EXPIRED"
        await b2.advance(31 * 60)
        _, got, _ = await running.request("GET", f"/liqx/v1/intents/{intent['intent_id']}",
                                          headers=credentials(b2, "liqx"))
        assert got["status"] == "EXPIRED", "the expiry timer set before the restart fired on b's clock"
    finally:
        await stop_sandbox(running)


async def test_a_worlds_api_fault_rule_still_applies_after_a_restart(tmp_path):
    """An API fault rule of a non-default world, added before a restart, answers that world's next API call after it."""
    running = await start_sandbox(tmp_path)
    try:
        world = WorldView(running, await create_world(running, name="faulty"))
        await world.control("POST", "/faults", {"provider": "liqx", "action": "api_error",
                                                "params": {"status": 503}, "times": 1})
    finally:
        await stop_sandbox(running)
    running = await start_sandbox(tmp_path)
    try:
        status, body, _ = await running.request("POST", "/liqx/v1/payin-intents", json=liqx_support.PAYIN,
                                                headers=credentials(world, "liqx"))
        assert status == 503, body
        status, _, _ = await running.request("POST", "/liqx/v1/payin-intents", json=liqx_support.PAYIN,
                                             headers=credentials(world, "liqx"))
        assert status == 201, "the rule was spent once"
    finally:
        await stop_sandbox(running)


async def test_kill_9_keeps_every_world_and_delivers_its_pending_webhooks(tmp_path):
    """A real `sandbox serve`, three worlds with webhooks due, SIGKILL, restart: all worlds and all webhooks."""
    receiver = await start_receiver()
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    base = f"http://127.0.0.1:{port}"
    db = db_url(tmp_path)
    proc = spawn(port, db, tmp_path)
    worlds, expected = [], set()
    async with aiohttp.ClientSession() as http:
        try:
            await wait_healthy(http, base, proc)
            for n in range(3):
                async with http.post(base + "/_sandbox/worlds", json={
                        "name": f"job-{n}", "clock": PINNED, "webhook_urls": {"liqx": receiver.url}}) as response:
                    assert response.status == 201
                    world = await response.json()
                worlds.append(world)
                key = world["credentials"]["liqx"]["api_key"]
                world_header = {"X-Sandbox-World": world["id"]}
                # A delay rule holds each world's webhook 60 s of its (frozen) clock: pending at the kill.
                async with http.post(base + "/_sandbox/faults", headers=world_header, json={
                        "provider": "liqx", "action": "delay", "params": {"delay_ms": 60_000}, "times": 0}) as response:
                    assert response.status == 201
                async with http.post(base + "/liqx/v1/payin-intents", json=liqx_support.PAYIN,
                                     headers={"Authorization": f"Bearer {key}"}) as response:
                    assert response.status == 201
                    intent = await response.json()
                async with http.post(base + f"/_sandbox/intents/liqx/{intent['intent_id']}/transition",
                                     headers=world_header, json={"to": "COMPLETED"}) as response:
                    assert response.status == 200
                expected.add(intent["intent_id"])
                async with http.post(base + "/_sandbox/clock/advance", headers=world_header,
                                     json={"seconds": 30}) as response:
                    assert response.status == 200
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        assert receiver.requests == [], "nothing was due before the kill"

        proc = spawn(port, db, tmp_path)
        try:
            await wait_healthy(http, base, proc)
            async with http.get(base + "/_sandbox/worlds") as response:
                listed = {w["id"]: w for w in (await response.json())["data"]}
            for world in worlds:
                assert listed[world["id"]]["credentials"] == world["credentials"]
                assert listed[world["id"]]["clock"] == {"now": "2030-01-01T00:00:30.000Z", "time_scale": 0.0}
                async with http.post(base + "/_sandbox/clock/advance", headers={"X-Sandbox-World": world["id"]},
                                     json={"seconds": 30}) as response:
                    assert response.status == 200
            await receiver.wait_for(3, timeout=20)
            intents = {json.loads(hit["raw"])["data"]["intent_id"] for hit in receiver.requests}
            assert intents == expected
            await asyncio.sleep(0.2)
            assert len(receiver.requests) == 3
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
            await receiver.runner.cleanup()
