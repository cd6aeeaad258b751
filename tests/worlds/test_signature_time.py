"""Signature time is wall time (SPEC §5): days of sandbox time never break a partner's replay window."""

from __future__ import annotations

import json
import time

import pytest

from tests.faults.drivers import DRIVERS

PROVIDERS = sorted(DRIVERS)
THREE_DAYS = 3 * 86400


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_after_three_days_of_sandbox_time_honest_webhooks_verify_on_the_real_clock(sandbox, receiver, provider):
    """A 5-minute verifier on the real clock accepts every webhook sent after the clock jumped three days."""
    driver = DRIVERS[provider]
    secret = await driver.point(sandbox, receiver)
    await sandbox.advance(THREE_DAYS)
    _, count = await driver.produce(sandbox)
    await sandbox.settle()
    assert len(receiver.requests) == count >= 1
    for hit in receiver.requests:
        assert driver.verify(secret, hit, time.time()) in (True, None)
        if driver.timestamped:
            sandbox_now = sandbox.clock.now().timestamp()
            assert driver.verify(secret, hit, sandbox_now) is False, "a verifier on sandbox time would reject it"


@pytest.mark.parametrize("provider", [p for p in PROVIDERS if DRIVERS[p].timestamped])
async def test_stale_timestamp_is_ten_minutes_before_the_real_clock(sandbox, receiver, provider):
    """stale_timestamp after a 3-day jump: rejected by the 5-minute verifier, valid ten real minutes ago."""
    driver = DRIVERS[provider]
    secret = await driver.point(sandbox, receiver)
    await sandbox.advance(THREE_DAYS)
    await sandbox.control("POST", "/faults", {"provider": provider, "action": "stale_timestamp", "times": 0})
    _, count = await driver.produce(sandbox)
    await sandbox.settle()
    assert len(receiver.requests) == count >= 1
    now = time.time()
    for hit in receiver.requests:
        assert driver.verify(secret, hit, now) is False
        assert driver.verify(secret, hit, now - 600) is True


async def test_bodies_keep_sandbox_time_while_signatures_carry_real_time(sandbox, receiver):
    """LIQX after a 3-day jump: `created_at` is sandbox time, `X-LIQX-Timestamp` the real clock."""
    driver = DRIVERS["liqx"]
    await driver.point(sandbox, receiver)
    await sandbox.advance(THREE_DAYS)
    await driver.produce(sandbox)
    await sandbox.settle()
    [hit] = receiver.requests
    body = json.loads(hit["raw"])
    assert body["created_at"] == (await sandbox.control("GET", "/clock"))["now"]
    assert abs(int(hit["headers"]["X-LIQX-Timestamp"]) - time.time()) < 5


async def test_built_in_receiver_accepts_webhooks_after_the_clock_jumped(sandbox):
    """The built-in receiver checks the replay window on the real clock, so receipts stay valid."""
    driver = DRIVERS["liqx"]
    await sandbox.advance(THREE_DAYS)
    intent_id, _ = await driver.produce(sandbox)
    await sandbox.settle()
    status, read, _ = await sandbox.request("GET", f"/api/webhooks/liqx/events?intent_id={intent_id}")
    assert status == 200
    assert [r["signature_valid"] for r in read["data"]] == [True]


async def test_signature_clock_sandbox_signs_with_sandbox_time(tmp_path, receiver):
    """`signature_clock = "sandbox"` (pinned traces): the LIQX timestamp is the sandbox clock's second."""
    from tests.support import start_sandbox, stop_sandbox

    running = await start_sandbox(tmp_path, signature_clock="sandbox")
    try:
        await DRIVERS["liqx"].point(running, receiver)
        await running.advance(THREE_DAYS)
        await DRIVERS["liqx"].produce(running)
        await running.settle()
        [hit] = receiver.requests
        assert int(hit["headers"]["X-LIQX-Timestamp"]) == int(running.clock.now().timestamp())
    finally:
        await stop_sandbox(running)
