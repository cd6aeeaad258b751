"""Replicas (SPEC §14): three `sandbox serve` processes on one PostgreSQL database serve the same worlds.

Every test here runs real processes against the session's PostgreSQL cluster, the topology of
`examples/compose-postgres.yml` without the load balancer (the test spreads requests itself).
"""

from __future__ import annotations

import asyncio
import itertools
import time

import aiohttp
import pytest

from tests.replicas.support import CountingReceiver, completed_payin, start_replicas
from tests.support import db_url, query

pytestmark = pytest.mark.postgres_only

EVENTS = 1_000


async def test_a_thousand_events_created_across_three_replicas_are_each_delivered_once(tmp_path):
    """1,000 payins completed round-robin over three replicas: every event arrives exactly once, one attempt each."""
    receiver = CountingReceiver()
    await receiver.start()
    db = db_url(tmp_path)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as http:
        replicas = await start_replicas(http, db, tmp_path, SANDBOX_LIQX_WEBHOOK_URL=receiver.url)
        try:
            async with http.get(replicas[0].base + "/_sandbox/config") as response:
                key = (await response.json())["providers"]["liqx"]["api_key"]
            gate = asyncio.Semaphore(24)
            spread = itertools.cycle(replicas)

            async def one(n: int, replica) -> None:
                async with gate:
                    await completed_payin(http, replica, key, f"rep-{n}")

            started = time.monotonic()
            await asyncio.gather(*(one(n, next(spread)) for n in range(EVENTS)))
            events = {row[0] for row in query(db, "SELECT id FROM events")}
            await receiver.wait_for(events, timeout=180)
            elapsed = time.monotonic() - started
        finally:
            for replica in replicas:
                replica.stop()
            await receiver.runner.cleanup()
    attempts = dict(query(db, "SELECT event_id, COUNT(*) FROM attempts GROUP BY event_id"))
    senders = dict(query(db, "SELECT replica, COUNT(*) FROM attempts GROUP BY replica"))
    print(f"\nreplicas: 3, events: {len(events)}, delivered: {len(receiver.answered)}, lost: "
          f"{len(events - set(receiver.answered))}, duplicates: {sum(receiver.sent.values()) - len(receiver.sent)}, "
          f"attempts by replica: {sorted(senders.values())}, {elapsed:.1f} s")
    assert len(events) == EVENTS
    assert set(receiver.sent) == events, "every event reached the receiver"
    assert set(receiver.sent.values()) == {1}, "no event was sent twice (each claim taken by one replica)"
    assert set(attempts.values()) == {1} and set(attempts) == events, "one attempt per event, as LIQX's policy says"
    assert set(senders) == {r.id for r in replicas}, "every replica sent its share"


async def test_kill_9_of_a_replica_holding_in_flight_deliveries_loses_none(tmp_path):
    """A replica killed while its claimed attempts hang is taken over after its lease: every event delivered."""
    receiver = CountingReceiver()
    await receiver.start()
    receiver.gate.clear()   # every webhook hangs: deliveries stay claimed and in flight
    db = db_url(tmp_path)
    count = 60
    async with aiohttp.ClientSession() as http:
        replicas = await start_replicas(http, db, tmp_path, SANDBOX_LIQX_WEBHOOK_URL=receiver.url,
                                        SANDBOX_LEASE_S="5")
        try:
            async with http.get(replicas[0].base + "/_sandbox/config") as response:
                key = (await response.json())["providers"]["liqx"]["api_key"]
            spread = itertools.cycle(replicas)
            await asyncio.gather(*(completed_payin(http, next(spread), key, f"kill-{n}") for n in range(count)))
            events = {row[0] for row in query(db, "SELECT id FROM events")}
            deadline = time.monotonic() + 60
            while len(receiver.sent) < count and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            claims = dict(query(db, "SELECT claimed_by, COUNT(*) FROM deliveries WHERE status = 'in_flight'"
                                    " GROUP BY claimed_by"))
            victim = max(replicas, key=lambda r: claims.get(r.id, 0))
            held = claims.get(victim.id, 0)
            assert held > 0, claims
            victim.kill()
            killed_at = time.monotonic()
            receiver.gate.set()   # the killed replica's attempts get their answer too late: nobody records it
            deadline = time.monotonic() + 60
            while (query(db, "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'")[0][0] < count
                   and time.monotonic() < deadline):
                await asyncio.sleep(0.2)
            taken_over_s = time.monotonic() - killed_at
            retaken = query(db, "SELECT COUNT(*) FROM attempts WHERE replica != ? AND event_id IN"
                                " (SELECT event_id FROM deliveries WHERE claimed_by IS NULL OR claimed_by != ?)",
                            (victim.id, victim.id))[0][0]
        finally:
            for replica in replicas:
                replica.stop()
            await receiver.runner.cleanup()
    duplicates = sum(receiver.sent.values()) - len(receiver.sent)
    print(f"\nevents: {len(events)}, in flight on the killed replica: {held}, lost: "
          f"{len(events - set(receiver.answered))}, duplicates: {duplicates} (each an attempt the killed replica "
          f"had sent and never saw answered, sent again with the same event id after its lease), "
          f"all delivered {taken_over_s:.1f} s after the kill, attempts by survivors: {retaken}")
    assert len(events) == count
    assert set(receiver.answered) == events, "lost = 0"
    assert duplicates == held, "exactly the killed replica's in-flight attempts were repeated (at-least-once)"
    assert taken_over_s < 30, "taken over within the SPEC's 30 s"
    statuses = dict(query(db, "SELECT status, COUNT(*) FROM deliveries GROUP BY status"))
    assert statuses == {"delivered": count}


async def test_advancing_a_world_clock_through_one_replica_fires_timers_another_created(tmp_path):
    """A payin created on replica A expires when its world's clock is advanced through replica B; C sees it."""
    receiver = CountingReceiver()
    await receiver.start()
    db = db_url(tmp_path)
    async with aiohttp.ClientSession() as http:
        a, b, c = await start_replicas(http, db, tmp_path)
        try:
            async with http.post(a.base + "/_sandbox/worlds", json={
                    "clock": {"now": "2030-01-01T00:00:00Z", "time_scale": 0},
                    "webhook_urls": {"liqx": receiver.url}}) as response:
                assert response.status == 201
                world = await response.json()
            key = world["credentials"]["liqx"]["api_key"]
            async with http.post(a.base + "/liqx/v1/payin-intents", json=PAYIN_BODY,
                                 headers={"Authorization": f"Bearer {key}"}) as response:
                assert response.status == 201
                intent_id = (await response.json())["intent_id"]
            async with http.post(b.base + "/_sandbox/clock/advance", json={"seconds": 3600},
                                 headers={"X-Sandbox-World": world["id"]}) as response:
                assert response.status == 200
                assert (await response.json())["now"].startswith("2030-01-01T01:00")
            status = None
            deadline = time.monotonic() + 30
            while status != "EXPIRED" and time.monotonic() < deadline:
                async with http.get(f"{c.base}/liqx/v1/intents/{intent_id}",
                                    headers={"Authorization": f"Bearer {key}"}) as response:
                    status = (await response.json())["status"]
                await asyncio.sleep(0.1)
            async with http.get(c.base + "/_sandbox/clock", headers={"X-Sandbox-World": world["id"]}) as response:
                clock_on_c = (await response.json())["now"]
            fired = query(db, "SELECT COUNT(*), MIN(claimed_by) FROM jobs WHERE intent_id = ? AND done = 1",
                          (intent_id,))[0]
        finally:
            for replica in (a, b, c):
                replica.stop()
            await receiver.runner.cleanup()
    assert status == "EXPIRED"
    assert clock_on_c.startswith("2030-01-01T01:00"), "the world's clock is one clock, on every replica"
    assert fired[0] == 1, "the timer fired once"


async def test_a_world_created_on_one_replica_is_usable_on_the_others_at_once(tmp_path):
    """Created through A, the world's key works on B at once, C reads the intent, and deletion through C holds on A."""
    db = db_url(tmp_path)
    async with aiohttp.ClientSession() as http:
        a, b, c = await start_replicas(http, db, tmp_path)
        try:
            async with http.post(a.base + "/_sandbox/worlds", json={"name": "ci-job-1"}) as response:
                world = await response.json()
            key = world["credentials"]["liqx"]["api_key"]
            auth = {"Authorization": f"Bearer {key}"}
            async with http.post(b.base + "/liqx/v1/payin-intents", json=PAYIN_BODY, headers=auth) as response:
                assert response.status == 201, await response.text()
                intent_id = (await response.json())["intent_id"]
            async with http.get(f"{c.base}/liqx/v1/intents/{intent_id}", headers=auth) as response:
                assert response.status == 200
            async with http.get(f"{c.base}/_sandbox/worlds/{world['id']}") as response:
                assert response.status == 200 and (await response.json())["name"] == "ci-job-1"
            async with http.delete(f"{c.base}/_sandbox/worlds/{world['id']}") as response:
                assert response.status in (200, 204)
            deadline = time.monotonic() + 5
            gone = None
            while gone != 404 and time.monotonic() < deadline:
                async with http.get(f"{a.base}/_sandbox/worlds/{world['id']}") as response:
                    gone = response.status
                await asyncio.sleep(0.05)
        finally:
            for replica in (a, b, c):
                replica.stop()
    assert gone == 404, "a world deleted through one replica is gone on the others"


PAYIN_BODY = {"external_ref": "rep-world", "external_user_id": "u-1", "depositor_name": "홍길동",
              "amount_krw": "1000", "amount_usdt": "1.00"}
