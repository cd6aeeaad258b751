"""Control-API numbers are bounded (SPEC §10): counts to a million, delays to a week, the clock within 2000–2200."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path,body,field", [
    ("/faults", {"provider": "liqx", "action": "drop", "times": 1e20}, "/times"),
    ("/faults", {"provider": "liqx", "action": "drop", "times": 1_000_001}, "/times"),
    ("/faults", {"provider": "liqx", "action": "delay", "params": {"delay_ms": 1e19}}, "/params/delay_ms"),
    ("/faults", {"provider": "liqx", "action": "delay", "params": {"delay_ms": 7 * 86400 * 1000 + 1}},
     "/params/delay_ms"),
    ("/faults", {"provider": "liqx", "action": "drop", "match": {"intent_id": "x" * 256}}, "/match/intent_id"),
])
async def test_out_of_range_fault_rules_are_400(sandbox, path, body, field):
    """A rule whose count or delay is beyond its bound is refused naming the field; nothing is stored."""
    status, answer, _ = await sandbox.request("POST", "/_sandbox" + path, json=body)
    assert status == 400 and field in {d["field"] for d in answer["error"]["details"]}, answer
    assert (await sandbox.control("GET", "/faults"))["data"] == []


async def test_fault_rules_at_their_bounds_are_taken(sandbox):
    """A million times and a week of delay are still accepted."""
    rule = await sandbox.control("POST", "/faults", {"provider": "liqx", "action": "delay", "times": 1_000_000,
                                                     "params": {"delay_ms": 7 * 86400 * 1000}})
    assert rule["times"] == 1_000_000


@pytest.mark.parametrize("body", [{"times": 2_000_000}, {"times": 1e20}, {"delay_ms": 1e19}, {"status": 99}])
async def test_out_of_range_receiver_instructions_are_400(sandbox, body):
    """The receiver's instructions are bounded like fault rules."""
    status, answer, _ = await sandbox.request("PUT", "/_sandbox/receiver/liqx", json=body)
    assert status == 400, answer


@pytest.mark.parametrize("now", ["9999-12-31T23:59:59.999Z", "1999-12-31T23:59:59Z", "2200-01-01T00:00:00Z",
                                 "0001-01-01T00:00:00Z", "2026-01-01T00:00:00+99:00"])
async def test_clock_outside_2000_to_2200_is_400_and_reads_keep_working(sandbox, now):
    """Pinning the clock outside its range is refused; the clock and the API keep answering."""
    before = await sandbox.control("GET", "/clock")
    status, answer, _ = await sandbox.request("PUT", "/_sandbox/clock", json={"now": now})
    assert status == 400, answer
    assert await sandbox.control("GET", "/clock") == before
    assert (await sandbox.request("GET", "/_sandbox/intents"))[0] == 200


async def test_advancing_past_2200_is_400_and_within_range_works(sandbox):
    """An advance that would leave the range is refused; a day's advance works."""
    await sandbox.control("PUT", "/clock", {"now": "2199-12-31T00:00:00Z"})
    status, _, _ = await sandbox.request("POST", "/_sandbox/clock/advance", json={"seconds": 2 * 86400})
    assert status == 400
    state = await sandbox.control("POST", "/clock/advance", {"seconds": 3600})
    assert state["now"] == "2199-12-31T01:00:00.000Z"
