"""Inqud webhooks: the object on every transition, X-Payload-Digest, and Inqud's retry schedule.

Digests are checked with `verify_digest`, written from Inqud's published verification sample, not
with the sandbox's signer. Retry timing is driven by advancing the sandbox clock, never by sleeping.
"""

import json

from sandbox.settings import load_settings
from tests.providers.inqud_support import (
    API_REQUEST,
    FIXED,
    act,
    bodies,
    choose,
    create_checkout,
    create_request,
    get_checkout,
    point_at,
    verify_digest,
)
from tests.support import contract_issues, db_url, start_sandbox, stop_sandbox

SCHEDULE_MIN = [1, 2, 5, 15, 30, 60, 120, 360, 720, 1440]


async def _paid(sandbox, receiver, secret="whsec-inqud-test", **headers):
    await point_at(sandbox, receiver, secret)
    _, checkout, _ = await create_checkout(sandbox, FIXED, **headers)
    await choose(sandbox, checkout["id"])
    await act(sandbox, checkout["id"], "pay")
    await sandbox.advance(5)
    return checkout


async def test_every_checkout_transition_posts_the_checkout_signed(sandbox, receiver):
    """WAITING_PAYMENT, PENDING_PAYMENT and SUCCESS each POST the checkout, digest verifiable from Inqud's docs."""
    checkout = await _paid(sandbox, receiver)
    hits = await receiver.wait_for(3)
    assert [b["status"] for b in bodies(receiver)] == ["WAITING_PAYMENT", "PENDING_PAYMENT", "SUCCESS"]
    for hit in hits:
        body = json.loads(hit["raw"])
        assert body["id"] == checkout["id"] and not contract_issues("inqud", "webhooks", "checkout", body)
        assert verify_digest("whsec-inqud-test", hit["raw"], hit["headers"])
        assert not verify_digest("another-secret", hit["raw"], hit["headers"])
        assert hit["headers"]["Content-Type"] == "application/json"
    _, final, _ = await get_checkout(sandbox, checkout["id"])
    assert json.loads(hits[-1]["raw"]) == final, "the webhook body is the same model as GET"


async def test_without_a_secret_there_is_no_digest_header(sandbox, receiver):
    """With no webhook secret set, webhooks carry no X-Payload-Digest at all."""
    await _paid(sandbox, receiver, secret=None)
    hits = await receiver.wait_for(3)
    assert all("X-Payload-Digest" not in hit["headers"] for hit in hits)
    assert (await sandbox.control("GET", "/endpoints/inqud"))["secret"] is None
    receipts = (await sandbox.request("GET", "/api/webhooks/inqud/events"))[1]
    assert receipts["count"] == 0, "those went to the test receiver, not the built-in one"


async def test_built_in_receiver_verifies_the_digest(sandbox):
    """Out of the box webhooks reach the built-in receiver, which finds the digest valid."""
    _, checkout, _ = await create_checkout(sandbox, FIXED)
    await choose(sandbox, checkout["id"])
    await sandbox.settle()
    _, receipts, _ = await sandbox.request("GET", f"/api/webhooks/inqud/events?intent_id={checkout['id']}")
    [receipt] = receipts["data"]
    assert receipt["signature_valid"] is True and receipt["event_id"] == f"{checkout['id']}:WAITING_PAYMENT"
    secret = (await sandbox.control("GET", "/endpoints/inqud"))["secret"]
    assert verify_digest(secret, receipt["raw_body"].encode(), receipt["headers"])


async def test_api_request_transitions_post_the_request(sandbox, receiver):
    """An API-only request's transitions POST the request object; checkout requests post no request webhooks."""
    await point_at(sandbox, receiver)
    _, request, _ = await create_request(sandbox, API_REQUEST)
    await act(sandbox, request["id"], "underpay")
    await sandbox.advance(5)
    hits = await receiver.wait_for(2)
    sent = bodies(receiver)
    assert [(b["id"], b["status"]) for b in sent] == [(request["id"], "PENDING_PAYMENT"), (request["id"], "CONFLICT")]
    assert all(not contract_issues("inqud", "webhooks", "request", b) for b in sent)
    assert all(verify_digest("whsec-inqud-test", h["raw"], h["headers"]) for h in hits)
    events = (await sandbox.control("GET", "/events?provider=inqud"))["data"]
    assert {e["type"] for e in events} == {"request.PENDING_PAYMENT", "request.CONFLICT"}


async def test_retries_follow_the_schedule_and_eleven_failures_fail_the_delivery(sandbox, receiver):
    """SPEC §4: 11 attempts (the first and 10 retries after 1…1440 min); the 11th failure ends it as `failed`."""
    await point_at(sandbox, receiver)
    receiver.script = [500] * 20
    _, checkout, _ = await create_checkout(sandbox, FIXED)
    await act(sandbox, checkout["id"], "cancel")  # one event, and no timer left to make another
    await receiver.wait_for(1)
    await sandbox.settle()
    for n, minutes in enumerate(SCHEDULE_MIN, start=2):
        await sandbox.advance(minutes * 60 - 1)
        assert len(receiver.requests) == n - 1, f"attempt {n} came early"
        await sandbox.advance(1)
        await receiver.wait_for(n)
        await sandbox.settle()
        [delivery] = (await sandbox.control("GET", "/deliveries?provider=inqud"))["data"]
        assert delivery["status"] == ("failed" if n == 11 else "pending"), (n, delivery["status"])
    assert len(receiver.requests) == 11
    await sandbox.advance(7 * 24 * 3600)
    assert len(receiver.requests) == 11, "no twelfth attempt"
    [delivery] = (await sandbox.control("GET", "/deliveries?provider=inqud"))["data"]
    attempts = delivery["attempts"]
    gaps = [(b["at_ms"] - a["at_ms"]) // 60000 for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps == SCHEDULE_MIN and [a["trigger"] for a in attempts][:2] == ["scheduled", "retry"]
    assert len({hit["raw"] for hit in receiver.requests}) == 1, "every attempt carries the same bytes"
    assert all(verify_digest("whsec-inqud-test", h["raw"], h["headers"]) for h in receiver.requests)


async def test_a_retry_that_succeeds_stops_the_schedule(sandbox, receiver):
    """Two failures then a 200: delivered on the third attempt, nothing after."""
    await point_at(sandbox, receiver)
    receiver.script = [500, 302]
    _, checkout, _ = await create_checkout(sandbox, FIXED)
    await act(sandbox, checkout["id"], "cancel")
    await sandbox.settle()
    await sandbox.advance(60)
    await sandbox.advance(120)
    await receiver.wait_for(3)
    await sandbox.advance(24 * 3600)
    [delivery] = (await sandbox.control("GET", "/deliveries?provider=inqud"))["data"]
    assert delivery["status"] == "delivered" and len(delivery["attempts"]) == 3
    assert [a["status"] for a in delivery["attempts"]] == [500, 302, 200]


async def test_policy_is_inquds(sandbox):
    """The provider's policy: 10 s timeout and the ten documented back-off delays."""
    policy = sandbox.sb.providers["inqud"].policy
    assert policy.timeout_s == 10 and policy.max_attempts == 11
    assert policy.retry_delays_s == tuple(m * 60 for m in SCHEDULE_MIN)


async def test_no_answer_within_the_timeout_is_a_failure_and_is_retried(tmp_path):
    """A receiver slower than the timeout counts as failed and gets the next attempt a minute later."""
    settings = load_settings({"db": db_url(tmp_path), "seed": 3,
                              "providers": {"inqud": {"delivery": {"timeout_s": 0.2}}}}, environ={})
    running = await start_sandbox(tmp_path, settings=settings)
    try:
        await running.control("PUT", "/receiver/inqud", {"status": 200, "times": 1, "delay_ms": 1500})
        _, checkout, _ = await create_checkout(running, FIXED)
        await choose(running, checkout["id"])
        await running.settle()
        [delivery] = (await running.control("GET", "/deliveries?provider=inqud"))["data"]
        assert delivery["status"] == "pending" and "timeout" in delivery["attempts"][0]["error"]
        await running.advance(60)
        [delivery] = (await running.control("GET", "/deliveries?provider=inqud"))["data"]
        assert delivery["status"] == "delivered" and len(delivery["attempts"]) == 2
    finally:
        await stop_sandbox(running)


async def test_bad_signature_scenario_breaks_the_digest(sandbox, receiver):
    """X-Sandbox-Scenario: webhook-bad-signature sends digests that do not verify."""
    await _paid(sandbox, receiver, **{"X-Sandbox-Scenario": "webhook-bad-signature"})
    hits = await receiver.wait_for(3)
    assert all(h["headers"].get("X-Payload-Digest") for h in hits)
    assert not any(verify_digest("whsec-inqud-test", h["raw"], h["headers"]) for h in hits)


async def test_duplicate_scenario_repeats_one_event(sandbox, receiver):
    """webhook-duplicate: each transition arrives three times with identical bytes."""
    await point_at(sandbox, receiver)
    _, checkout, _ = await create_checkout(sandbox, FIXED, **{"X-Sandbox-Scenario": "webhook-duplicate"})
    await choose(sandbox, checkout["id"])
    await sandbox.advance(2)
    hits = await receiver.wait_for(3)
    assert len({h["raw"] for h in hits}) == 1 and json.loads(hits[0]["raw"])["status"] == "WAITING_PAYMENT"
