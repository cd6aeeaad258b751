"""ROZO's state path driven through the API alone: payin → confirmation → payout → completed; bounce; expiry."""

from __future__ import annotations

import re

import pytest

from tests.providers.rozo_support import api, body, created, deliveries, get, payin

STATES = ("payment_unpaid", "payment_started", "payment_payin_completed", "payment_payout_completed",
          "payment_completed")
ERROR_CODES = ("amountTooHigh", "amountTooLow", "chainUnavailable", "insufficientLiquidity", "invalidRecipient",
               "missingTrustline", "networkError", "providerError", "serviceMaintenance")


async def events_of(sandbox, payment_id: str) -> list[str]:
    data = (await sandbox.control("GET", f"/events?provider=rozo&intent_id={payment_id}"))["data"]
    return sorted(e["type"] for e in data)


async def test_api_only_payin_walks_the_whole_path(sandbox):
    """Register payin → started; 2 s → payin_completed; settlement 5 s → payout_completed; 1 s → completed."""
    payment = await created(sandbox)
    tx, sender = "0x" + "9f" * 32, "0x" + "4e" * 20
    status, started = await payin(sandbox, payment["id"], tx, sender)
    assert status == 200 and started["status"] == "payment_started"
    assert started["source"]["txHash"] == tx and started["source"]["senderAddress"] == sender
    seen = [payment["status"], started["status"]]
    for seconds in (2, 5, 1):
        await sandbox.advance(seconds)
        seen.append((await get(sandbox, payment["id"]))["status"])
    assert tuple(seen) == STATES
    final = await get(sandbox, payment["id"])
    assert final["source"]["amountReceived"] == "10.00" and final["source"]["confirmedAt"] == "2026-11-22T09:00:02.000Z"
    assert re.fullmatch(r"[0-9a-f]{64}", final["destination"]["txHash"])  # a Stellar payout hash: no 0x
    assert final["destination"]["confirmedAt"] == "2026-11-22T09:00:07.000Z"
    assert await events_of(sandbox, payment["id"]) == ["payment_payin_completed", "payment_payout_completed"]


async def test_settlement_delay_is_configurable(tmp_path):
    """`providers.rozo.settlement_delay_s` sets the payin → payout delay on the sandbox clock."""
    from sandbox.settings import load_settings
    from tests.support import db_url, start_sandbox, stop_sandbox

    settings = load_settings({"port": 0, "db": db_url(tmp_path), "seed": 1},
                             environ={}) .model_copy(deep=True)
    settings.provider("rozo").settlement_delay_s = 60
    running = await start_sandbox(tmp_path, settings=settings)
    try:
        payment = await created(running)
        await payin(running, payment["id"], "0x" + "aa" * 32)
        await running.advance(2 + 59)
        assert (await get(running, payment["id"]))["status"] == "payment_payin_completed"
        await running.advance(1)
        assert (await get(running, payment["id"]))["status"] == "payment_payout_completed"
    finally:
        await stop_sandbox(running)


@pytest.mark.parametrize(("chain", "tx", "sender"), [
    (1500, "c" * 64, "GC56BXCNEWL6JSGKHD3RJ5HJRNKFEJQ53D3YY3SMD6XK7YPDI75BQ7FD"),
    (900, "5" * 88, "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"),
])
async def test_payins_take_each_chains_own_hash_shape(sandbox, chain, tx, sender):
    """Stellar payins take 64 hex without 0x, Solana payins base58 signatures."""
    payment = await created(sandbox, body(source={"chainId": chain, "tokenSymbol": "USDC", "amount": "2.00"}))
    status, started = await payin(sandbox, payment["id"], tx, sender)
    assert status == 200 and started["status"] == "payment_started"


async def test_payin_with_the_wrong_chains_hash_is_400(sandbox):
    """An EVM payment refuses a Stellar-shaped hash and a Stellar sender, naming both fields."""
    payment = await created(sandbox)
    status, error = await payin(sandbox, payment["id"], "c" * 64, "GC56BXCNEWL6JSGKHD3RJ5HJRNKFEJQ53D3YY3SMD6XK7YPDI75BQ7FD")
    assert status == 400 and error["error"]["code"] == "invalidRequest"
    assert {f["field"] for f in error["error"]["details"]["fields"]} == {"/txHash", "/fromAddress"}


async def test_payin_accepts_the_sdks_sender_address_and_no_sender(sandbox):
    """`senderAddress` stands for fromAddress; without a sender, confirmation fills one in."""
    first, second = await created(sandbox, body(orderId="a")), await created(sandbox, body(orderId="b"))
    status, one = await api(sandbox, "POST", f"/payments/{first['id']}/payin",
                            json_body={"txHash": "0x" + "01" * 32, "senderAddress": "0x" + "02" * 20})
    assert status == 200 and one["source"]["senderAddress"] == "0x" + "02" * 20
    status, two = await api(sandbox, "POST", f"/payments/{second['id']}/payin", json_body={"txHash": "0x" + "03" * 32})
    assert status == 200 and "senderAddress" not in two["source"]
    await sandbox.advance(2)
    assert re.fullmatch(r"0x[0-9a-f]{40}", (await get(sandbox, second["id"]))["source"]["senderAddress"])


async def test_payin_is_idempotent_for_the_same_hash_and_refuses_reuse(sandbox):
    """The same hash twice answers the payment unchanged; another payment cannot claim that hash."""
    first, second = await created(sandbox, body(orderId="a")), await created(sandbox, body(orderId="b"))
    tx = "0x" + "ee" * 32
    _, once = await payin(sandbox, first["id"], tx)
    status, twice = await payin(sandbox, first["id"], tx)
    assert status == 200 and twice == once
    status, error = await payin(sandbox, second["id"], tx)
    assert status == 400 and error["error"]["details"]["fields"][0]["field"] == "/txHash"


async def test_payin_without_tx_hash_or_for_unknown_payment(sandbox):
    """A body without txHash is 400 naming it; an unknown payment is 404."""
    payment = await created(sandbox)
    status, error = await api(sandbox, "POST", f"/payments/{payment['id']}/payin", json_body={"fromAddress": "0x1"})
    assert status == 400 and "/txHash" in {f["field"] for f in error["error"]["details"]["fields"]}
    status, error = await payin(sandbox, "00000000-0000-4000-8000-000000000000", "0x" + "01" * 32)
    assert status == 404 and error["error"]["code"] == "paymentNotFound"


@pytest.mark.parametrize("code", ERROR_CODES)
async def test_bounce_with_each_error_code_sends_no_webhook(sandbox, code):
    """Every PaymentErrorCode bounces the payment with that code and a message; no webhook follows."""
    payment = await created(sandbox)
    result = await sandbox.control("POST", f"/intents/rozo/{payment['id']}/transition",
                                   {"to": f"payment_bounced:{code}"})
    assert result["object"]["status"] == "payment_bounced"
    bounced = await get(sandbox, payment["id"])
    assert bounced["status"] == "payment_bounced" and bounced["errorCode"] == code and bounced["errorMessage"]
    await sandbox.advance(3600)
    assert (await get(sandbox, payment["id"]))["status"] == "payment_bounced"
    assert await events_of(sandbox, payment["id"]) == []


async def test_bounce_after_payin_keeps_the_payin_webhook_only(sandbox):
    """A payout that bounces after the payin confirmed: the payin webhook exists, no payout one, no timers left."""
    payment = await created(sandbox)
    await payin(sandbox, payment["id"], "0x" + "bb" * 32)
    await sandbox.advance(2)
    await sandbox.control("POST", f"/intents/rozo/{payment['id']}/transition", {"to": "payment_bounced:missingTrustline"})
    await sandbox.advance(60)
    final = await get(sandbox, payment["id"])
    assert final["status"] == "payment_bounced" and final["errorCode"] == "missingTrustline"
    assert await events_of(sandbox, payment["id"]) == ["payment_payin_completed"]


async def test_unpaid_payment_expires_at_expires_at_without_webhook(sandbox, receiver):
    """One hour after creation an unpaid payment is payment_expired, and nothing is sent."""
    await sandbox.control("PUT", "/endpoints/rozo", {"url": receiver.url})
    payment = await created(sandbox)
    await sandbox.advance(3599)
    assert (await get(sandbox, payment["id"]))["status"] == "payment_unpaid"
    await sandbox.advance(1)
    expired = await get(sandbox, payment["id"])
    assert expired["status"] == "payment_expired" and expired["updatedAt"] == payment["expiresAt"]
    assert await events_of(sandbox, payment["id"]) == [] and await deliveries(sandbox, payment["id"]) == []
    assert receiver.requests == []
    status, error = await payin(sandbox, payment["id"], "0x" + "01" * 32)
    assert status == 400 and error["error"]["details"]["paymentStatus"] == "payment_expired"


async def test_started_payment_does_not_expire(sandbox):
    """A payment whose payin was registered before expiresAt carries on instead of expiring."""
    payment = await created(sandbox)
    await sandbox.advance(3598)
    await payin(sandbox, payment["id"], "0x" + "02" * 32)
    await sandbox.advance(10)
    assert (await get(sandbox, payment["id"]))["status"] == "payment_completed"


async def test_scenario_payin_expired_shortens_the_expiry(sandbox):
    """`X-Sandbox-Scenario: payin-expired` makes expiresAt creation + 60 s."""
    status, payment = await api(sandbox, "POST", "/", json_body=body(), key=sandbox.key("rozo"),
                                headers={"X-Sandbox-Scenario": "payin-expired"})
    assert status == 201 and payment["expiresAt"] == "2026-11-22T09:01:00.000Z"
    await sandbox.advance(60)
    assert (await get(sandbox, payment["id"]))["status"] == "payment_expired"


async def test_unknown_scenario_is_400(sandbox):
    """A scenario name that does not exist is refused, naming the header."""
    status, error = await api(sandbox, "POST", "/", json_body=body(), key=sandbox.key("rozo"),
                              headers={"X-Sandbox-Scenario": "no-such-thing"})
    assert status == 400 and error["error"]["details"]["fields"][0]["field"] == "X-Sandbox-Scenario"


async def test_control_transition_walks_the_path_and_refuses_nonsense(sandbox):
    """The control API can drive a payment to completed step by step; an unknown status is refused."""
    payment = await created(sandbox)
    result = await sandbox.control("POST", f"/intents/rozo/{payment['id']}/transition", {"to": "payment_completed"})
    assert result["object"]["status"] == "payment_completed"
    assert await events_of(sandbox, payment["id"]) == ["payment_payin_completed", "payment_payout_completed"]
    status, _, _ = await sandbox.request("POST", f"/_sandbox/intents/rozo/{payment['id']}/transition",
                                         json={"to": "payment_paid"})
    assert status == 400
