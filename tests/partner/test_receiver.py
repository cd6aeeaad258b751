"""The built-in receiver (SPEC §8): signature checks, durable receipts, duplicates, the bounded read."""

from __future__ import annotations

import io
import json
import time

import pytest

from tests.partner.liqx_signing import liqx_headers
from tests.providers.liqx_support import create_payin
from tests.support import credentials

EVENTS = "/api/webhooks/liqx/events"


def event(event_id: str = "evt_1", *, intent_id: str = "lqi_1", ref: str = "ref-1",
          type_: str = "transaction.completed") -> bytes:
    body = {"event_id": event_id, "type": type_, "created_at": "2026-11-22T09:00:00.000Z",
            "data": {"intent_id": intent_id, "external_ref": ref, "external_user_id": "partner-user-001",
                     "phase": "PAYIN", "status": "COMPLETED", "amount_krw": "100000", "amount_usdt": "75.50",
                     "failure_reason": None, "completed_at": "2026-11-22T09:00:00.000Z", "name": "홍길동"}}
    return json.dumps(body, ensure_ascii=False).encode()


async def secret_of(sandbox) -> str:
    return (await sandbox.control("GET", "/endpoints/liqx"))["secret"]


async def post(sandbox, raw: bytes, headers: dict):
    return await sandbox.request("POST", "/api/webhooks/liqx", data=raw, headers=headers)


async def post_signed(sandbox, secret: str, event_id: str = "evt_1", **fields):
    raw = event(event_id, **fields)
    return await post(sandbox, raw, liqx_headers(secret, raw, event_id=event_id))


async def read(sandbox, query: str = "") -> dict:
    status, body, _ = await sandbox.request("GET", f"{EVENTS}{query}")
    assert status == 200, body
    return body


async def test_signed_webhook_is_stored_as_a_durable_receipt(sandbox):
    """A correctly signed delivery answers 200 and is read back with its raw body, headers and ids."""
    secret = await secret_of(sandbox)
    raw = event("evt_a")
    status, answer, _ = await post(sandbox, raw, liqx_headers(secret, raw, event_id="evt_a"))
    assert status == 200 and answer["received"] is True and answer["signature_valid"] is True
    assert answer["duplicate"] is False and answer["count"] == 1
    [receipt] = (await read(sandbox))["data"]
    assert receipt["event_id"] == "evt_a" and receipt["type"] == "transaction.completed"
    assert receipt["intent_id"] == "lqi_1" and receipt["external_ref"] == "ref-1"
    assert receipt["signature_valid"] is True and receipt["deliveries"] == 1 and receipt["duplicates"] == 0
    assert receipt["raw_body"].encode() == raw and receipt["body"]["data"]["name"] == "홍길동"
    assert receipt["headers"]["X-LIQX-Event-Id"] == "evt_a"
    assert receipt["received_at"] == "2026-11-22T09:00:00.000Z"


async def test_wrongly_signed_webhook_is_stored_as_invalid(sandbox):
    """A delivery signed with another secret is still acknowledged and kept, marked signature_valid false."""
    status, answer, _ = await post_signed(sandbox, "whsec_not_the_secret", "evt_bad")
    assert status == 200 and answer["signature_valid"] is False
    assert (await read(sandbox))["data"][0]["signature_valid"] is False


async def test_missing_or_stale_signature_is_invalid(sandbox):
    """No signature header, or a timestamp ten minutes old, does not verify."""
    secret = await secret_of(sandbox)
    raw = event("evt_nosig")
    headers = liqx_headers(secret, raw, event_id="evt_nosig")
    del headers["X-LIQX-Signature"]
    _, answer, _ = await post(sandbox, raw, headers)
    assert answer["signature_valid"] is False
    raw = event("evt_stale")
    stale = liqx_headers(secret, raw, timestamp=int(time.time()) - 600, event_id="evt_stale")
    _, answer, _ = await post(sandbox, raw, stale)
    assert answer["signature_valid"] is False


async def test_tampered_body_does_not_verify(sandbox):
    """A signature over other bytes than those received is invalid."""
    secret = await secret_of(sandbox)
    raw = event("evt_t")
    headers = liqx_headers(secret, raw, event_id="evt_t")
    _, answer, _ = await post(sandbox, raw.replace(b"100000", b"900000"), headers)
    assert answer["signature_valid"] is False


async def test_previous_secret_still_verifies_during_rotation(sandbox):
    """After a rotation, a delivery signed with the old secret still verifies within the grace period."""
    old = await secret_of(sandbox)
    rotated = await sandbox.control("POST", "/endpoints/liqx/rotate-secret")
    assert rotated["secret"] != old
    _, answer, _ = await post_signed(sandbox, old, "evt_old")
    assert answer["signature_valid"] is True


async def test_repeated_event_id_counts_duplicates_on_one_receipt(sandbox):
    """Three deliveries of one event id make one receipt with deliveries 3 and duplicates 2."""
    secret = await secret_of(sandbox)
    answers = [(await post_signed(sandbox, secret, "evt_dup"))[1] for _ in range(3)]
    assert [a["duplicate"] for a in answers] == [False, True, True]
    assert [a["count"] for a in answers] == [1, 2, 3]
    assert len({a["receipt_id"] for a in answers}) == 1
    [receipt] = (await read(sandbox))["data"]
    assert receipt["deliveries"] == 3 and receipt["duplicates"] == 2


async def test_correctly_signed_retry_authenticates_a_badly_signed_event(sandbox):
    """A receipt first stored with a bad signature becomes valid when a correctly signed copy arrives."""
    secret = await secret_of(sandbox)
    await post_signed(sandbox, "whsec_wrong", "evt_up")
    assert (await read(sandbox))["data"][0]["signature_valid"] is False
    await post_signed(sandbox, secret, "evt_up")
    await post_signed(sandbox, "whsec_wrong", "evt_up")
    [receipt] = (await read(sandbox))["data"]
    assert receipt["signature_valid"] is True and receipt["deliveries"] == 3


async def test_filters_narrow_the_read(sandbox):
    """intent_id, external_ref and type each select only matching receipts, and combine."""
    secret = await secret_of(sandbox)
    await post_signed(sandbox, secret, "evt_1", intent_id="lqi_a", ref="ref-a")
    await post_signed(sandbox, secret, "evt_2", intent_id="lqi_b", ref="ref-b", type_="transaction.failed")
    await post_signed(sandbox, secret, "evt_3", intent_id="lqi_c", ref="ref-a", type_="transaction.failed")
    ids = lambda body: [r["event_id"] for r in body["data"]]  # noqa: E731
    assert ids(await read(sandbox, "?intent_id=lqi_b")) == ["evt_2"]
    assert ids(await read(sandbox, "?external_ref=ref-a")) == ["evt_3", "evt_1"]
    assert ids(await read(sandbox, "?type=transaction.failed")) == ["evt_3", "evt_2"]
    assert ids(await read(sandbox, "?type=transaction.failed&external_ref=ref-a")) == ["evt_3"]
    assert ids(await read(sandbox, "?intent_id=lqi_zzz")) == []


async def test_since_excludes_older_receipts(sandbox):
    """`since` keeps only receipts received at or after that moment (sandbox clock)."""
    secret = await secret_of(sandbox)
    await post_signed(sandbox, secret, "evt_early")
    await sandbox.advance(60)
    raw = event("evt_late")
    await post(sandbox, raw, liqx_headers(secret, raw, event_id="evt_late"))
    body = await read(sandbox, "?since=2026-11-22T09:00:30Z")
    assert [r["event_id"] for r in body["data"]] == ["evt_late"]
    assert body["data"][0]["signature_valid"] is True
    assert len((await read(sandbox, "?since=2026-11-22T09:00:00.000Z"))["data"]) == 2


async def test_read_is_bounded_newest_first(sandbox):
    """Default limit 20, explicit limit up to 100, newest first."""
    secret = await secret_of(sandbox)
    for n in range(25):
        await post_signed(sandbox, secret, f"evt_{n:02d}")
    body = await read(sandbox)
    assert body["limit"] == 20 and body["count"] == 20
    assert body["data"][0]["event_id"] == "evt_24" and body["data"][-1]["event_id"] == "evt_05"
    assert (await read(sandbox, "?limit=100"))["count"] == 25
    assert [r["event_id"] for r in (await read(sandbox, "?limit=2"))["data"]] == ["evt_24", "evt_23"]


async def test_bad_read_parameters_answer_400_naming_the_field(sandbox):
    """limit outside 1..100 or not a number, and a since that is not ISO 8601, answer 400."""
    for query, field in (("?limit=101", "limit"), ("?limit=0", "limit"), ("?limit=ten", "limit"),
                         ("?since=yesterday", "since")):
        status, body, _ = await sandbox.request("GET", EVENTS + query)
        assert status == 400, (query, body)
        assert body["error"]["code"] == "VALIDATION_FAILED"
        assert [d["field"] for d in body["error"]["details"]] == [field]


async def test_unknown_provider_is_404(sandbox):
    """Neither the receiver nor its read exist for a provider the sandbox does not impersonate."""
    status, _, _ = await sandbox.request("POST", "/api/webhooks/stripe", data=b"{}",
                                         headers={"Content-Type": "application/json"})
    assert status == 404
    status, _, _ = await sandbox.request("GET", "/api/webhooks/stripe/events")
    assert status == 404


async def test_non_json_body_is_refused_and_not_stored(sandbox):
    """A body that is not JSON answers 400 and leaves no receipt; an oversized one answers 413."""
    status, _, _ = await post(sandbox, b"not json", {"Content-Type": "application/json"})
    assert status == 400
    status, _, _ = await post(sandbox, io.BytesIO(b"x" * (1024 * 1024 + 1)), {"Content-Type": "application/json"})
    assert status == 413
    assert (await read(sandbox))["count"] == 0


async def test_instructed_failures_answer_without_storing(sandbox):
    """Told to answer 503 twice, the receiver does so without a receipt, then stores the third."""
    secret = await secret_of(sandbox)
    told = await sandbox.control("PUT", "/receiver/liqx", {"status": 503, "times": 2})
    assert told.pop("rule_id").startswith("flt_")
    assert told == {"provider": "liqx", "status": 503, "times": 2, "delay_ms": 0}
    statuses = [(await post_signed(sandbox, secret, "evt_r"))[0] for _ in range(3)]
    assert statuses == [503, 503, 200]
    [receipt] = (await read(sandbox))["data"]
    assert receipt["deliveries"] == 1


async def test_instructed_slow_success_still_stores(sandbox):
    """An instructed 200 with a delay is a slow endpoint: the receipt is stored after the wait."""
    secret = await secret_of(sandbox)
    await sandbox.control("PUT", "/receiver/liqx", {"status": 200, "times": 1, "delay_ms": 50})
    status, answer, _ = await post_signed(sandbox, secret, "evt_slow")
    assert status == 200 and answer["received"] is True
    assert (await read(sandbox))["count"] == 1


async def test_receiver_behaviour_body_is_validated(sandbox):
    """A status outside HTTP's range, a negative count or an unknown field answers 400."""
    for body in ({"status": 99}, {"times": -1}, {"status": 500, "colour": "red"}):
        status, answer, _ = await sandbox.request("PUT", "/_sandbox/receiver/liqx", json=body)
        assert status == 400, body
        assert answer["error"]["code"] == "VALIDATION_FAILED"
    status, _, _ = await sandbox.request("PUT", "/_sandbox/receiver/stripe", json={"status": 500})
    assert status == 404


async def test_provider_retries_after_instructed_failure_and_receipt_follows(sandbox):
    """A real LIQX webhook answered 500 once is retried 5 s later and then stored once."""
    await sandbox.control("PUT", "/receiver/liqx", {"status": 500, "times": 1})
    _, intent, _ = await create_payin(sandbox)
    await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    await sandbox.settle()
    assert (await read(sandbox, f"?intent_id={intent['intent_id']}"))["count"] == 0
    await sandbox.advance(5)
    [receipt] = (await read(sandbox, f"?intent_id={intent['intent_id']}"))["data"]
    assert receipt["signature_valid"] is True and receipt["deliveries"] == 1
    timeline = await sandbox.control("GET", f"/intents/liqx/{intent['intent_id']}/timeline")
    attempts = [e["attempt"]["status"] for e in timeline["timeline"] if e["kind"] == "attempt"]
    assert attempts == [500, 200]


async def test_duplicate_scenario_lands_as_one_receipt_with_two_duplicates(sandbox):
    """webhook-duplicate sends one event three times; the receiver keeps one receipt counting them."""
    _, intent, _ = await create_payin(sandbox, None, **{"X-Sandbox-Scenario": "webhook-duplicate"})
    await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    await sandbox.advance(2)
    [receipt] = (await read(sandbox, f"?external_ref={intent['external_ref']}"))["data"]
    assert receipt["deliveries"] == 3 and receipt["duplicates"] == 2 and receipt["signature_valid"] is True
    assert receipt["body"]["data"]["phase"] == "PAYIN"


async def test_receipts_are_kept_per_provider(sandbox):
    """A receipt read is scoped to its provider's path."""
    secret = await secret_of(sandbox)
    await post_signed(sandbox, secret, "evt_scoped")
    status, _, _ = await sandbox.request("GET", "/api/webhooks/liqx/events", headers=credentials(sandbox, "liqx"))
    assert status == 200
    assert (await read(sandbox, "?type=transaction.completed"))["count"] == 1


async def test_receiver_instructions_are_fault_rules(sandbox):
    """PUT /_sandbox/receiver makes a listed `receiver_answer` rule; each use is logged; it is spent after N."""
    await sandbox.control("PUT", "/receiver/liqx", {"status": 503, "times": 2})
    [rule] = (await sandbox.control("GET", "/faults"))["data"]
    assert rule["action"] == "receiver_answer" and rule["source"] == "receiver" and rule["remaining"] == 2
    statuses = []
    for _ in range(3):
        status, _, _ = await sandbox.request("POST", "/api/webhooks/liqx", json={"event_id": "evt_x"})
        statuses.append(status)
    assert statuses == [503, 503, 200]
    assert (await sandbox.control("GET", "/faults"))["data"] == []
    log = [e for e in (await sandbox.control("GET", "/faults/log"))["data"] if e["target"] == "receiver"]
    assert len(log) == 2


async def test_posted_receiver_rule_works_like_the_receiver_call(sandbox):
    """A receiver_answer rule posted to /_sandbox/faults drives the receiver the same way."""
    await sandbox.control("POST", "/faults", {"provider": "liqx", "action": "receiver_answer",
                                              "params": {"status": 500}, "times": 1})
    status, _, _ = await sandbox.request("POST", "/api/webhooks/liqx", json={"event_id": "evt_y"})
    assert status == 500
    status, answer, _ = await sandbox.request("POST", "/_sandbox/faults", json={"action": "receiver_answer"})
    assert status == 400, answer


@pytest.mark.parametrize("provider", ["liqx", "rozo", "inqud", "mizu"])
@pytest.mark.parametrize("odd", [{"a": [1]}, 10**40, True, None, "x" * 5000])
async def test_odd_ids_in_a_body_never_break_the_receiver(sandbox, provider, odd):
    """Whatever a sender puts where ids belong, the receiver stores a receipt and never answers 500."""
    body = {"event_id": odd, "id": odd, "type": odd, "data": {"id": odd, "intent_id": odd, "orderId": odd}}
    status, answer, _ = await sandbox.request("POST", f"/api/webhooks/{provider}", json=body)
    assert status == 200, answer
    status, read_back, _ = await sandbox.request("GET", f"/api/webhooks/{provider}/events")
    assert status == 200 and read_back["count"] == 1
