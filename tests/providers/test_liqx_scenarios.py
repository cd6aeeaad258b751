"""Each LIQX scenario produces the states and deliveries it promises (SPEC §2, §6)."""

import json

import pytest

from tests.providers.liqx_support import PAYOUT, create_payin, point_at, verify_liqx
from tests.support import credentials


async def open_session(sandbox, intent_id):
    status, session, _ = await sandbox.request("POST", f"/liqx/v1/intents/{intent_id}/widget-sessions",
                                               headers=credentials(sandbox, "liqx"))
    assert status == 201, session
    return session


async def act(sandbox, session, action):
    return await sandbox.request("POST", f"/liqx/widget/{session['session_token']}/actions", json={"action": action})


async def status_of(sandbox, intent_id):
    _, intent, _ = await sandbox.request("GET", f"/liqx/v1/intents/{intent_id}", headers=credentials(sandbox, "liqx"))
    return intent["status"]


async def deliveries(sandbox, intent_id):
    return (await sandbox.control("GET", f"/deliveries?intent_id={intent_id}"))["data"]


async def test_happy_payin_completes_on_deposit(sandbox, receiver):
    """happy: the widget's deposit completes the intent and one webhook arrives at once."""
    secret = await point_at(sandbox, receiver)
    _, intent, _ = await create_payin(sandbox, **{"X-Sandbox-Scenario": "happy"})
    session = await open_session(sandbox, intent["intent_id"])
    assert await status_of(sandbox, intent["intent_id"]) == "PENDING"
    status, answer, _ = await act(sandbox, session, "deposit")
    assert status == 200 and answer["intent"]["status"] == "COMPLETED"
    await sandbox.settle()
    [hit] = receiver.requests
    assert json.loads(hit["raw"])["type"] == "transaction.completed"
    assert verify_liqx(secret, hit["headers"], hit["raw"])


async def test_webhook_delayed_holds_the_first_attempt_30_seconds(sandbox, receiver):
    """webhook-delayed: nothing for 29.9 s of sandbox time, then the webhook."""
    await point_at(sandbox, receiver)
    _, intent, _ = await create_payin(sandbox, **{"X-Sandbox-Scenario": "webhook-delayed"})
    await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    await sandbox.advance(29.9)
    assert receiver.requests == []
    await sandbox.advance(0.1)
    assert len(receiver.requests) == 1


async def test_webhook_missed_is_dropped_and_never_retried(sandbox, receiver):
    """webhook-missed: the delivery is logged as dropped and nothing is ever sent."""
    await point_at(sandbox, receiver)
    _, intent, _ = await create_payin(sandbox, **{"X-Sandbox-Scenario": "webhook-missed"})
    await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    await sandbox.advance(86400)
    assert receiver.requests == []
    [delivery] = await deliveries(sandbox, intent["intent_id"])
    assert delivery["status"] == "dropped" and delivery["attempts"] == []


async def test_webhook_duplicate_delivers_three_copies_one_second_apart(sandbox, receiver):
    """webhook-duplicate: 3 deliveries of one event id, the copies 1 s apart."""
    await point_at(sandbox, receiver)
    _, intent, _ = await create_payin(sandbox, **{"X-Sandbox-Scenario": "webhook-duplicate"})
    await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    await sandbox.settle()
    assert len(receiver.requests) == 1
    await sandbox.advance(1)
    assert len(receiver.requests) == 2
    await sandbox.advance(1)
    assert len(receiver.requests) == 3
    await sandbox.advance(60)
    assert len(receiver.requests) == 3
    assert len({h["headers"]["X-LIQX-Event-Id"] for h in receiver.requests}) == 1
    triggers = sorted(d["trigger"] for d in await deliveries(sandbox, intent["intent_id"]))
    assert triggers == ["duplicate", "duplicate", "scheduled"]


async def test_payin_rejected_rejects_five_seconds_after_the_session_opens(sandbox, receiver):
    """payin-rejected: REJECTED 5 s after the widget session opens, with transaction.failed."""
    await point_at(sandbox, receiver)
    _, intent, _ = await create_payin(sandbox, **{"X-Sandbox-Scenario": "payin-rejected"})
    await sandbox.advance(60)
    assert await status_of(sandbox, intent["intent_id"]) == "CREATED", "the timer starts with the session"
    await open_session(sandbox, intent["intent_id"])
    await sandbox.advance(4.9)
    assert await status_of(sandbox, intent["intent_id"]) == "PENDING"
    await sandbox.advance(0.1)
    assert await status_of(sandbox, intent["intent_id"]) == "REJECTED"
    [hit] = receiver.requests
    body = json.loads(hit["raw"])
    assert body["type"] == "transaction.failed" and body["data"]["failure_reason"] == "DEPOSIT_REJECTED"


async def test_payin_rejected_yields_to_the_widget_acting_first(sandbox, receiver):
    """payin-rejected: a deposit within the 5 s wins; the stale timer does nothing."""
    await point_at(sandbox, receiver)
    _, intent, _ = await create_payin(sandbox, **{"X-Sandbox-Scenario": "payin-rejected"})
    session = await open_session(sandbox, intent["intent_id"])
    await act(sandbox, session, "deposit")
    await sandbox.advance(10)
    assert await status_of(sandbox, intent["intent_id"]) == "COMPLETED"
    assert [json.loads(h["raw"])["type"] for h in receiver.requests] == ["transaction.completed"]


async def test_payin_expired_expires_after_sixty_seconds(sandbox, receiver):
    """payin-expired: EXPIRED 60 s after creation, with transaction.expired."""
    await point_at(sandbox, receiver)
    _, intent, _ = await create_payin(sandbox, **{"X-Sandbox-Scenario": "payin-expired"})
    assert intent["expires_at"] == "2026-11-22T09:01:00.000Z"
    await sandbox.advance(59.9)
    assert await status_of(sandbox, intent["intent_id"]) == "CREATED"
    await sandbox.advance(0.1)
    assert await status_of(sandbox, intent["intent_id"]) == "EXPIRED"
    [hit] = receiver.requests
    assert json.loads(hit["raw"])["type"] == "transaction.expired"


async def test_default_payin_expires_after_thirty_minutes(sandbox, receiver):
    """Without a scenario a PAYIN lives 30 minutes."""
    await point_at(sandbox, receiver)
    _, intent, _ = await create_payin(sandbox)
    await sandbox.advance(30 * 60 - 1)
    assert await status_of(sandbox, intent["intent_id"]) == "CREATED"
    await sandbox.advance(1)
    assert await status_of(sandbox, intent["intent_id"]) == "EXPIRED"


async def test_unknown_scenario_is_a_validation_error(sandbox):
    """An unknown X-Sandbox-Scenario is refused, naming the header."""
    status, answer, _ = await create_payin(sandbox, **{"X-Sandbox-Scenario": "nope"})
    assert status == 400 and answer["error"]["details"][0]["field"] == "X-Sandbox-Scenario"


async def create_payout(sandbox, **fields):
    return await sandbox.request("POST", "/liqx/v1/payout-intents", json={**PAYOUT, **fields}, headers=credentials(sandbox, "liqx"))


async def test_verified_payout_claims_settles_and_completes(sandbox, receiver):
    """VERIFIED: RESERVED → claim → PROCESSING → 5 s settlement → COMPLETED, phase PAYOUT."""
    secret = await point_at(sandbox, receiver)
    status, intent, _ = await create_payout(sandbox)
    assert status == 201 and intent["status"] == "RESERVED"
    assert intent["external_user_id"] == "partner-user-001" and intent["external_ref"].startswith("payout-")
    assert intent["payout_account"]["account_number"].startswith("********")
    session = await open_session(sandbox, intent["intent_id"])
    status, answer, _ = await act(sandbox, session, "claim")
    assert answer["intent"]["status"] == "PROCESSING"
    await sandbox.advance(4.9)
    assert receiver.requests == []
    await sandbox.advance(0.1)
    [hit] = receiver.requests
    body = json.loads(hit["raw"])
    assert body["type"] == "transaction.completed" and body["data"]["phase"] == "PAYOUT"
    assert verify_liqx(secret, hit["headers"], hit["raw"])


@pytest.mark.parametrize("scenario", ["KYC_REQUIRED", "BANK_ACCOUNT_MISSING", "BROKER_POLICY_BLOCKED",
                                      "MERCHANT_CAPACITY_EXCEEDED"])
async def test_preflight_scenarios_fail_with_422_and_a_failure_webhook(sandbox, receiver, scenario):
    """Preflight failures: 422 with reason and a FAILED intent, proven by transaction.failed."""
    await point_at(sandbox, receiver)
    status, answer, _ = await create_payout(sandbox, scenario=scenario)
    assert status == 422
    assert answer["error"]["code"] == "RESERVATION_PREFLIGHT_FAILED" and answer["error"]["reason"] == scenario
    intent_id = answer["error"]["intent_id"]
    assert await status_of(sandbox, intent_id) == "FAILED"
    await sandbox.settle()
    [hit] = receiver.requests
    body = json.loads(hit["raw"])
    assert body["type"] == "transaction.failed" and body["data"]["failure_reason"] == scenario
    assert body["data"]["phase"] == "PAYOUT" and body["data"]["intent_id"] == intent_id


async def test_expires_scenario_expires_the_reservation_after_sixty_seconds(sandbox, receiver):
    """EXPIRES: the reservation expires 60 s after creation with transaction.expired."""
    await point_at(sandbox, receiver)
    _, intent, _ = await create_payout(sandbox, scenario="EXPIRES")
    await sandbox.advance(59)
    assert await status_of(sandbox, intent["intent_id"]) == "RESERVED"
    await sandbox.advance(1)
    assert await status_of(sandbox, intent["intent_id"]) == "EXPIRED"
    [hit] = receiver.requests
    assert json.loads(hit["raw"])["type"] == "transaction.expired"


async def test_claim_rejected_fails_the_claim(sandbox, receiver):
    """CLAIM_REJECTED: the claim answers FAILED and transaction.failed follows."""
    await point_at(sandbox, receiver)
    _, intent, _ = await create_payout(sandbox, scenario="CLAIM_REJECTED")
    session = await open_session(sandbox, intent["intent_id"])
    _, answer, _ = await act(sandbox, session, "claim")
    assert answer["intent"]["status"] == "FAILED" and answer["intent"]["failure_reason"] == "CLAIM_REJECTED"
    await sandbox.settle()
    [hit] = receiver.requests
    assert json.loads(hit["raw"])["data"]["failure_reason"] == "CLAIM_REJECTED"


async def test_unmapped_user_fails_preflight(sandbox):
    """A payout for a user that is not a seeded mapped user fails preflight with USER_NOT_MAPPED."""
    status, answer, _ = await create_payout(sandbox, external_user_id="stranger")
    assert status == 422 and answer["error"]["reason"] == "USER_NOT_MAPPED"


async def test_payin_scenarios_combine_with_payout_field(sandbox, receiver):
    """A header scenario adds its faults to a payout's own scenario."""
    await point_at(sandbox, receiver)
    status, answer, _ = await sandbox.request(
        "POST", "/liqx/v1/payout-intents", json={**PAYOUT, "scenario": "KYC_REQUIRED"},
        headers={**credentials(sandbox, "liqx"), "X-Sandbox-Scenario": "webhook-missed"})
    assert status == 422
    await sandbox.advance(3600)
    assert receiver.requests == []
