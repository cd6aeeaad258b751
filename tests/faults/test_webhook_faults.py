"""Every webhook fault action, for every provider: the receiver sees exactly what the rule promised."""

from __future__ import annotations

import json

import pytest

from tests.faults.drivers import DRIVERS, now_of

PROVIDERS = sorted(DRIVERS)


async def arm(sandbox, provider: str, action: str, **rule) -> dict:
    return await sandbox.control("POST", "/faults", {"provider": provider, "action": action, **rule})


async def baseline(sandbox, receiver, provider):
    driver = DRIVERS[provider]
    secret = await driver.point(sandbox, receiver)
    return driver, secret


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_without_faults_every_event_arrives_once_and_verifies(sandbox, receiver, provider):
    """The control case: each emitted event arrives once, validly signed where the provider signs."""
    driver, secret = await baseline(sandbox, receiver, provider)
    _, count = await driver.produce(sandbox)
    await sandbox.settle()
    assert len(receiver.requests) == count >= 1
    for hit in receiver.requests:
        assert driver.verify(secret, hit, now_of(sandbox)) in (True, None)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_drop_sends_nothing_and_logs_dropped(sandbox, receiver, provider):
    """drop: no request ever reaches the receiver; each delivery is `dropped`."""
    driver, _ = await baseline(sandbox, receiver, provider)
    await arm(sandbox, provider, "drop", times=0)
    intent_id, count = await driver.produce(sandbox)
    await sandbox.advance(7 * 86400)
    assert receiver.requests == []
    deliveries = (await sandbox.control("GET", f"/deliveries?provider={provider}&intent_id={intent_id}"))["data"]
    assert len(deliveries) == count and {d["status"] for d in deliveries} == {"dropped"}
    log = (await sandbox.control("GET", "/faults/log"))["data"]
    assert sum(1 for entry in log if entry["action"] == "drop" and entry["provider"] == provider) == count


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_delay_holds_every_event_for_the_delay(sandbox, receiver, provider):
    """delay 30 s: nothing at 29.9 s of sandbox time, everything at 30 s."""
    driver, _ = await baseline(sandbox, receiver, provider)
    await arm(sandbox, provider, "delay", params={"delay_ms": 30000}, times=0)
    _, count = await driver.produce(sandbox)
    await sandbox.advance(29.9)
    assert receiver.requests == []
    await sandbox.advance(0.1)
    assert len(receiver.requests) == count


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_duplicate_sends_copies_with_the_spacing(sandbox, receiver, provider):
    """duplicate 2 copies, 1 s apart: each event three times, identical, copies 1 s apart."""
    driver, secret = await baseline(sandbox, receiver, provider)
    await arm(sandbox, provider, "duplicate", params={"copies": 2, "spacing_ms": 1000}, times=0)
    _, count = await driver.produce(sandbox)
    await sandbox.settle()
    assert len(receiver.requests) == count
    await sandbox.advance(1)
    assert len(receiver.requests) == 2 * count
    await sandbox.advance(1)
    assert len(receiver.requests) == 3 * count
    await sandbox.advance(3600)
    assert len(receiver.requests) == 3 * count
    by_event: dict[str, list[bytes]] = {}
    for hit in receiver.requests:
        by_event.setdefault(driver.identity(hit), []).append(hit["raw"])
        assert driver.verify(secret, hit, None) in (True, None), "each copy is validly signed"
    assert len(by_event) == count
    assert all(len(raws) == 3 and len(set(raws)) == 1 for raws in by_event.values())


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_reorder_holds_an_event_until_a_later_one_was_delivered(sandbox, receiver, provider):
    """reorder: the first event arrives after the next one; with a single event, after the 1 h hold."""
    driver, _ = await baseline(sandbox, receiver, provider)
    await arm(sandbox, provider, "reorder", times=1)
    intent_id, count = await driver.produce(sandbox)
    await sandbox.settle()
    events = (await sandbox.control("GET", f"/events?provider={provider}&intent_id={intent_id}"))["data"]
    emitted = [e["body"] for e in reversed(events)]  # oldest first
    if count == 1:
        assert receiver.requests == []
        await sandbox.advance(3599)
        assert receiver.requests == []
        await sandbox.advance(1)
        assert len(receiver.requests) == 1
        return
    arrived = [json.loads(hit["raw"]) for hit in receiver.requests]
    assert len(arrived) == count
    assert arrived.index(emitted[0]) > arrived.index(emitted[1]), "the held event comes after the next one"
    assert arrived[0] != emitted[0]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_bad_signature_fails_verification_but_is_delivered(sandbox, receiver, provider):
    """bad_signature: every request arrives and fails the partner's verification (unsigned: unchanged)."""
    driver, secret = await baseline(sandbox, receiver, provider)
    await arm(sandbox, provider, "bad_signature", times=0)
    _, count = await driver.produce(sandbox)
    await sandbox.settle()
    assert len(receiver.requests) == count
    for hit in receiver.requests:
        assert driver.verify(secret, hit, now_of(sandbox)) in ((None,) if secret is None else (False,))


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_stale_timestamp_is_signed_ten_minutes_ago(sandbox, receiver, provider):
    """stale_timestamp: the HMAC matches its (old) timestamp but fails a 5-minute replay window."""
    driver, secret = await baseline(sandbox, receiver, provider)
    await arm(sandbox, provider, "stale_timestamp", times=0)
    _, count = await driver.produce(sandbox)
    await sandbox.settle()
    assert len(receiver.requests) == count
    now = now_of(sandbox)
    for hit in receiver.requests:
        if driver.timestamped:
            assert driver.verify(secret, hit, now) is False
            assert driver.verify(secret, hit, now - 600) is True
        else:
            assert driver.verify(secret, hit, now) in (True, None), "no timestamp to make stale"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_missing_signature_strips_the_header(sandbox, receiver, provider):
    """missing_signature: the signature header is absent and verification fails."""
    driver, secret = await baseline(sandbox, receiver, provider)
    await arm(sandbox, provider, "missing_signature", times=0)
    _, count = await driver.produce(sandbox)
    await sandbox.settle()
    assert len(receiver.requests) == count
    for hit in receiver.requests:
        if driver.signature_header:
            assert driver.signature_header.lower() not in {k.lower() for k in hit["headers"]}
            assert driver.verify(secret, hit, now_of(sandbox)) is False


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_rule_limited_to_n_deliveries_stops_after_n(sandbox, receiver, provider):
    """times=1: only the first matching delivery is dropped; later events of later objects arrive."""
    driver, _ = await baseline(sandbox, receiver, provider)
    await arm(sandbox, provider, "drop", times=1)
    _, count = await driver.produce(sandbox)
    await sandbox.settle()
    assert len(receiver.requests) == count - 1
    _, again = await driver.produce(sandbox)
    await sandbox.settle()
    assert len(receiver.requests) == count - 1 + again
    assert (await sandbox.control("GET", "/faults"))["data"] == []
