"""Fault rule semantics: attempt-limited rules, API faults, validation, and the rehearsal CLI."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import aiohttp
import pytest

from tests.faults.drivers import DRIVERS
from tests.providers.liqx_support import PAYIN, create_payin, point_at, verify_liqx
from tests.support import credentials


async def test_rule_for_the_second_attempt_only(sandbox, receiver):
    """A bad_signature rule with attempt=2: attempt 1 and 3 verify, attempt 2 does not."""
    secret = await point_at(sandbox, receiver)
    receiver.script = [500, 500, 200]
    await sandbox.control("POST", "/faults", {"provider": "liqx", "action": "bad_signature", "attempt": 2, "times": 0})
    _, intent, _ = await create_payin(sandbox)
    await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    await sandbox.settle()
    await sandbox.advance(5)
    await sandbox.advance(30)
    hits = await receiver.wait_for(3)
    assert [verify_liqx(secret, h["headers"], h["raw"]) for h in hits] == [True, False, True]
    [delivery] = (await sandbox.control("GET", f"/deliveries?intent_id={intent['intent_id']}"))["data"]
    assert [a["faults"] for a in delivery["attempts"]] == [[], ["bad_signature"], []]


async def test_drop_on_the_first_attempt_is_retried(sandbox, receiver):
    """drop with attempt=1 loses only that attempt: the retry 5 s later arrives."""
    await point_at(sandbox, receiver)
    await sandbox.control("POST", "/faults", {"provider": "liqx", "action": "drop", "attempt": 1})
    _, intent, _ = await create_payin(sandbox)
    await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    await sandbox.settle()
    assert receiver.requests == []
    await sandbox.advance(5)
    [hit] = receiver.requests
    assert hit["headers"]["X-LIQX-Delivery-Attempt"] == "2"


async def test_rule_matches_on_external_ref_only(sandbox, receiver):
    """A rule matching one external_ref leaves other intents' webhooks alone."""
    await point_at(sandbox, receiver)
    await sandbox.control("POST", "/faults", {"action": "drop", "match": {"external_ref": "target"}, "times": 0})
    for ref in ("target", "bystander"):
        _, intent, _ = await create_payin(sandbox, {**PAYIN, "external_ref": ref})
        await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    await sandbox.settle()
    [hit] = receiver.requests
    assert json.loads(hit["raw"])["data"]["external_ref"] == "bystander"


async def test_rule_matches_on_event_type(sandbox, receiver):
    """A rule for transaction.failed does not touch transaction.completed."""
    await point_at(sandbox, receiver)
    await sandbox.control("POST", "/faults", {"provider": "liqx", "action": "drop",
                                              "match": {"event_type": "transaction.failed"}, "times": 0})
    for ref, to in (("a", "REJECTED"), ("b", "COMPLETED")):
        _, intent, _ = await create_payin(sandbox, {**PAYIN, "external_ref": ref})
        await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": to})
    await sandbox.settle()
    assert [json.loads(h["raw"])["type"] for h in receiver.requests] == ["transaction.completed"]


API_CALLS = {
    "liqx": ("POST", "/liqx/v1/payin-intents"),
    "rozo": ("POST", "/rozo/functions/v1/payment-api/"),
    "inqud": ("POST", None),
    "mizu": ("POST", "/mizu/api/v1/payment-links"),
}


@pytest.mark.parametrize("provider", sorted(DRIVERS))
@pytest.mark.parametrize("status", [500, 503])
async def test_api_error_answers_once_then_the_call_succeeds(sandbox, provider, status):
    """api_error: the next matching create answers the chosen status in the provider's shape; the next succeeds."""
    method, path = API_CALLS[provider]
    if path is None:
        path = f"/inqud/v1/user/crypto-acquiring/{sandbox.sb.credentials['inqud']['project_id']}/checkouts"
    await sandbox.control("POST", "/faults", {"provider": provider, "action": "api_error",
                                              "match": {"method": method, "path": path}, "params": {"status": status}})
    driver = DRIVERS[provider]
    with pytest.raises(AssertionError) as failed:
        await driver.produce(sandbox)
    assert str(status) in str(failed.value) or "error" in str(failed.value).lower()
    log = (await sandbox.control("GET", "/faults/log"))["data"]
    assert log[0]["action"] == "api_error" and log[0]["path"] == path
    intent_id, count = await driver.produce(sandbox)
    assert intent_id and count >= 1


async def test_api_error_status_and_shape_reach_the_client(sandbox):
    """The injected 503 is LIQX's error envelope, never a bare page, and nothing was created."""
    await sandbox.control("POST", "/faults", {"provider": "liqx", "action": "api_error",
                                              "match": {"method": "POST", "path": "/liqx/v1/payin-intents"},
                                              "params": {"status": 503}})
    status, answer, _ = await create_payin(sandbox)
    assert status == 503 and answer["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert (await sandbox.control("GET", "/intents?provider=liqx"))["data"] == []
    status, _, _ = await create_payin(sandbox)
    assert status == 201


async def test_api_timeout_outlasts_the_client_timeout_then_the_next_call_succeeds(sandbox):
    """api_timeout: the client's own 0.5 s timeout fires; the next call answers at once."""
    await sandbox.control("POST", "/faults", {"provider": "liqx", "action": "api_timeout",
                                              "match": {"method": "GET", "path": "/liqx/v1/intents"},
                                              "params": {"delay_ms": 3000}})
    timeout = aiohttp.ClientTimeout(total=0.5)
    with pytest.raises(asyncio.TimeoutError):
        async with sandbox.http.get(sandbox.base_url + "/liqx/v1/intents", headers=credentials(sandbox, "liqx"), timeout=timeout):
            pass
    async with sandbox.http.get(sandbox.base_url + "/liqx/v1/intents", headers=credentials(sandbox, "liqx"), timeout=timeout) as r:
        assert r.status == 200


async def test_scenario_api_fault_hits_calls_about_its_own_intent(sandbox):
    """api-unavailable: the next GET of that intent answers 503 once; another intent is untouched."""
    _, target, _ = await create_payin(sandbox, **{"X-Sandbox-Scenario": "api-unavailable"})
    _, other, _ = await create_payin(sandbox, {**PAYIN, "external_ref": "other"})
    status, _, _ = await sandbox.request("GET", f"/liqx/v1/intents/{other['intent_id']}", headers=credentials(sandbox, "liqx"))
    assert status == 200
    status, answer, _ = await sandbox.request("GET", f"/liqx/v1/intents/{target['intent_id']}", headers=credentials(sandbox, "liqx"))
    assert status == 503 and answer["error"]["code"] == "SERVICE_UNAVAILABLE"
    status, _, _ = await sandbox.request("GET", f"/liqx/v1/intents/{target['intent_id']}", headers=credentials(sandbox, "liqx"))
    assert status == 200
    timeline = await sandbox.control("GET", f"/intents/liqx/{target['intent_id']}/timeline")
    assert any(e["kind"] == "fault" and e["action"] == "api_error" for e in timeline["timeline"])


@pytest.mark.parametrize("rule,field", [
    ({"action": "explode"}, "/action"),
    ({"action": "delay"}, "/"),
    ({"action": "reorder", "attempt": 2}, "/"),
    ({"action": "drop", "times": -1}, "/times"),
    ({"action": "duplicate", "params": {"copies": 0}}, "/params/copies"),
    ({"action": "drop", "provider": "nope"}, None),
])
async def test_invalid_rules_are_refused(sandbox, rule, field):
    """A rule that cannot work is refused with a clear error, never stored."""
    status, answer, _ = await sandbox.request("POST", "/_sandbox/faults", json=rule)
    assert status in (400, 404), answer
    if field:
        assert field in {d["field"] for d in answer["error"]["details"]}
    assert (await sandbox.control("GET", "/faults"))["data"] == []


def cli(sandbox, *args: str) -> subprocess.CompletedProcess:
    """Run a rehearsal command as a script would: `--json`, so the output is the control API's answer."""
    env = {**os.environ, "SANDBOX_URL": sandbox.base_url}
    return subprocess.run([sys.executable, "-m", "sandbox", *args, "--json"], capture_output=True, text=True,
                          env=env, timeout=30)


async def test_cli_adds_lists_and_clears_rules_and_advances_the_clock(sandbox, receiver):
    """`sandbox faults add/list/clear`, `clock advance` and `events resend` drive a running server."""
    await point_at(sandbox, receiver)
    added = await asyncio.to_thread(cli, sandbox, "faults", "add", "delay", "--provider", "liqx",
                                    "--delay-ms", "60000", "--times", "1")
    assert added.returncode == 0, added.stderr
    rule = json.loads(added.stdout)
    listed = json.loads((await asyncio.to_thread(cli, sandbox, "faults", "list")).stdout)
    assert [r["id"] for r in listed["data"]] == [rule["id"]]
    _, intent, _ = await create_payin(sandbox)
    await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    await sandbox.settle()
    assert receiver.requests == []
    moved = await asyncio.to_thread(cli, sandbox, "clock", "advance", "60")
    assert moved.returncode == 0 and json.loads(moved.stdout)["now"] == "2026-11-22T09:01:00.000Z"
    await sandbox.settle()
    [hit] = receiver.requests
    event_id = json.loads(hit["raw"])["event_id"]
    resent = await asyncio.to_thread(cli, sandbox, "events", "resend", event_id)
    assert resent.returncode == 0 and json.loads(resent.stdout)["trigger"] == "manual"
    await sandbox.settle()
    assert len(receiver.requests) == 2 and receiver.requests[1]["raw"] == hit["raw"]
    await sandbox.control("POST", "/faults", {"action": "drop"})
    cleared = await asyncio.to_thread(cli, sandbox, "faults", "clear")
    assert cleared.returncode == 0 and json.loads(cleared.stdout)["deleted"] == 1
    bad = await asyncio.to_thread(cli, sandbox, "faults", "clear", "flt_unknown")
    assert bad.returncode == 1
