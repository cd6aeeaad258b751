"""`--seed N` with a pinned clock: the same script gives the same ids, fake data and delivery trace."""

from __future__ import annotations

import json

from tests.faults.drivers import DRIVERS
from tests.providers.liqx_support import PAYIN, PAYOUT
from tests.support import credentials, start_receiver, start_sandbox, stop_sandbox

SIGNED_HEADERS = ("X-LIQX-Event-Id", "X-LIQX-Timestamp", "X-LIQX-Signature", "X-LIQX-Delivery-Attempt",
                  "X-Rozo-Timestamp", "X-Rozo-Signature", "X-Payload-Digest", "Content-Type", "User-Agent")


async def script(sandbox, receiver) -> dict:
    """Creates, widget actions, a duplicate fault, a retry and settlement: everything that draws ids."""
    await sandbox.control("PUT", "/endpoints/liqx", {"url": receiver.url})
    receiver.script = [500]
    out = {}
    _, payin, _ = await sandbox.request("POST", "/liqx/v1/payin-intents", json=PAYIN, headers=credentials(sandbox, "liqx"))
    _, session, _ = await sandbox.request("POST", f"/liqx/v1/intents/{payin['intent_id']}/widget-sessions",
                                          headers=credentials(sandbox, "liqx"))
    await sandbox.request("POST", f"/liqx/widget/{session['session_token']}/actions", json={"action": "deposit"})
    await sandbox.control("POST", "/faults", {"provider": "liqx", "action": "duplicate",
                                              "params": {"copies": 1, "spacing_ms": 1500}})
    _, payout, _ = await sandbox.request("POST", "/liqx/v1/payout-intents", json=PAYOUT,
                                         headers={**credentials(sandbox, "liqx"), "X-Sandbox-Scenario": "webhook-delayed"})
    _, failed, _ = await sandbox.request("POST", "/liqx/v1/payout-intents",
                                         json={**PAYOUT, "scenario": "KYC_REQUIRED"}, headers=credentials(sandbox, "liqx"))
    _, psession, _ = await sandbox.request("POST", f"/liqx/v1/intents/{payout['intent_id']}/widget-sessions",
                                           headers=credentials(sandbox, "liqx"))
    await sandbox.request("POST", f"/liqx/widget/{psession['session_token']}/actions", json={"action": "claim"})
    for name in ("rozo", "inqud", "mizu"):
        await DRIVERS[name].point(sandbox, receiver)
        out[name] = await DRIVERS[name].produce(sandbox)
    for _ in range(4):
        await sandbox.advance(10)
    await sandbox.advance(60)
    out["objects"] = [payin, session, payout, failed, psession]
    out["config"] = (await sandbox.control("GET", "/config"))["providers"]["liqx"]
    # Deliveries of one moment run concurrently, so arrival order may interleave: compare the
    # trace as a sorted list of (body, signed headers).
    out["trace"] = sorted(
        (hit["raw"], json.dumps({k: hit["headers"].get(k) for k in SIGNED_HEADERS}, sort_keys=True))
        for hit in receiver.requests
    )
    return out


async def run_once(tmp_path, name: str, seed: int) -> dict:
    directory = tmp_path / name
    directory.mkdir()
    # The same inputs include the same public URL: it appears in bodies (e.g. Inqud's acquiringUrl).
    # Signatures on sandbox time (SPEC §5's opt-in for pinned clocks), so their timestamps repeat too.
    sandbox = await start_sandbox(directory, seed=seed, public_url="http://sandbox.example",
                                  signature_clock="sandbox")
    receiver = await start_receiver()
    try:
        result = await script(sandbox, receiver)
    finally:
        await receiver.runner.cleanup()
        await stop_sandbox(sandbox)
    for item in (result["config"],):
        item.pop("webhook_url", None)
        for key in ("base_url", "sdk_url"):
            item.pop(key, None)
    for obj in result["objects"]:
        for key in ("widget_url", "sdk_url"):
            obj.pop(key, None)
    return result


async def test_same_seed_and_clock_give_identical_traces(tmp_path):
    """Two fresh servers with seed 42 produce byte-identical webhook bodies and signatures."""
    first = await run_once(tmp_path, "a", 42)
    second = await run_once(tmp_path, "b", 42)
    assert len(first["trace"]) >= 10, "the script exercises every provider, retries, duplicates and delays"
    assert {b'"type":"payment_payout_completed"' in raw for raw, _ in first["trace"]} == {True, False}
    assert first["objects"] == second["objects"]
    assert first["config"] == second["config"]
    assert first["trace"] == second["trace"]


async def test_another_seed_gives_other_ids(tmp_path):
    """A different seed changes ids and secrets, so the equality above is not an accident."""
    first = await run_once(tmp_path, "a", 42)
    other = await run_once(tmp_path, "c", 43)
    assert first["objects"][0]["intent_id"] != other["objects"][0]["intent_id"]
    assert first["config"]["webhook_secret"] != other["config"]["webhook_secret"]
    assert first["trace"] != other["trace"]
