"""LIQX bad input beyond the shared table (tests/conformance): LIQX's own fields, queries and idempotency."""

import json

import pytest

from tests.providers.liqx_support import PAYIN, create_payin
from tests.support import assert_contract, credentials


def without(key):
    return {k: v for k, v in PAYIN.items() if k != key}


CASES = [
    ("missing external_ref", without("external_ref"), "/external_ref"),
    ("missing depositor_name", without("depositor_name"), "/depositor_name"),
    ("mistyped amount_krw", {**PAYIN, "amount_krw": 100000}, "/amount_krw"),
    ("fractional amount_krw", {**PAYIN, "amount_krw": "100.5"}, "/amount_krw"),
    ("negative amount_krw", {**PAYIN, "amount_krw": "-1"}, "/amount_krw"),
    ("zero amount_krw", {**PAYIN, "amount_krw": "0"}, "/amount_krw"),
    ("seven decimals of USDT", {**PAYIN, "amount_usdt": "1.1234567"}, "/amount_usdt"),
    ("zero USDT", {**PAYIN, "amount_usdt": "0.00"}, "/amount_usdt"),
    ("USDT as a float", {**PAYIN, "amount_usdt": 75.5}, "/amount_usdt"),
    ("external_ref too long", {**PAYIN, "external_ref": "x" * 65}, "/external_ref"),
    ("unknown field", {**PAYIN, "surprise": 1}, "/"),
    ("bad email", {**PAYIN, "user_email": "nope"}, "/user_email"),
    ("wrong widget_type", {**PAYIN, "widget_type": "PAYOUT"}, "/widget_type"),
]


@pytest.mark.parametrize("name,body,field", CASES, ids=[c[0] for c in CASES])
async def test_bad_payin_request_is_refused_naming_the_field(sandbox, name, body, field):
    """Each PAYIN create that breaks LIQX's field rules is 400 VALIDATION_FAILED naming the field, storing nothing."""
    got, answer, _ = await sandbox.request("POST", "/liqx/v1/payin-intents", json=body, headers=credentials(sandbox, "liqx"))
    assert got == 400, answer
    assert answer["error"]["code"] == "VALIDATION_FAILED" and answer["request_id"].startswith("req_")
    assert_contract("liqx", "responses", "error", answer)
    assert field in {d["field"] for d in answer["error"]["details"]}
    listed = (await sandbox.control("GET", "/intents?provider=liqx"))["data"]
    assert listed == [], "a refused request stores nothing"


async def test_every_offending_field_is_named(sandbox):
    """Several problems at once are all reported, one detail each."""
    body = {"external_ref": "", "amount_krw": 5}
    status, answer, _ = await sandbox.request("POST", "/liqx/v1/payin-intents", json=body, headers=credentials(sandbox, "liqx"))
    assert status == 400
    fields = {d["field"] for d in answer["error"]["details"]}
    assert {"/external_ref", "/amount_krw", "/external_user_id", "/depositor_name", "/amount_usdt"} <= fields


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc", "Bearer "])
async def test_missing_or_wrong_key_is_401(sandbox, header):
    """No key, a wrong key or another scheme: 401 UNAUTHORIZED."""
    headers = {"Authorization": header} if header else {}
    status, answer, _ = await sandbox.request("POST", "/liqx/v1/payin-intents", json=PAYIN, headers=headers)
    assert status == 401 and answer["error"]["code"] == "UNAUTHORIZED"
    status, answer, _ = await sandbox.request("GET", "/liqx/v1/intents", headers=headers)
    assert status == 401


async def test_unknown_intent_and_path_are_404(sandbox):
    """An unknown intent id or path answers 404 NOT_FOUND in LIQX's shape."""
    status, answer, _ = await sandbox.request("GET", "/liqx/v1/intents/lqi_nope", headers=credentials(sandbox, "liqx"))
    assert status == 404 and answer["error"]["code"] == "NOT_FOUND"
    status, answer, _ = await sandbox.request("POST", "/liqx/v1/intents/lqi_nope/widget-sessions", headers=credentials(sandbox, "liqx"))
    assert status == 404 and answer["error"]["code"] == "NOT_FOUND"
    status, answer, _ = await sandbox.request("GET", "/liqx/v2/whatever", headers=credentials(sandbox, "liqx"))
    assert status == 404 and answer["error"]["code"] == "NOT_FOUND"


async def test_wrong_method_is_405_in_the_envelope(sandbox):
    """DELETE on the create path is refused in LIQX's shape, not aiohttp's text page."""
    status, answer, _ = await sandbox.request("DELETE", "/liqx/v1/payin-intents", headers=credentials(sandbox, "liqx"))
    assert status == 405 and answer["error"]["code"] == "METHOD_NOT_ALLOWED"


async def test_duplicate_external_ref_is_409_with_existing_intent(sandbox):
    """A second create with the same external_ref answers 409 and names the existing intent."""
    _, first, _ = await create_payin(sandbox)
    status, answer, _ = await create_payin(sandbox, {**PAYIN, "amount_krw": "5"})
    assert status == 409 and answer["error"]["code"] == "DUPLICATE_EXTERNAL_REF"
    assert answer["error"]["intent_id"] == first["intent_id"]


@pytest.mark.parametrize("query,field", [("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"),
                                         ("status=NOPE", "status"), ("cursor=!!!", "cursor")])
async def test_bad_list_query_is_400(sandbox, query, field):
    """Out-of-range limits, unknown statuses and forged cursors are refused, naming the parameter."""
    status, answer, _ = await sandbox.request("GET", f"/liqx/v1/intents?{query}", headers=credentials(sandbox, "liqx"))
    assert status == 400 and field in {d["field"] for d in answer["error"]["details"]}


async def test_widget_session_for_terminal_intent_is_invalid_state(sandbox):
    """A COMPLETED intent cannot open a widget session: 409 INVALID_STATE."""
    _, intent, _ = await create_payin(sandbox)
    await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    status, answer, _ = await sandbox.request("POST", f"/liqx/v1/intents/{intent['intent_id']}/widget-sessions",
                                              headers=credentials(sandbox, "liqx"))
    assert status == 409 and answer["error"]["code"] == "INVALID_STATE"


async def test_idempotency_key_replays_byte_for_byte(sandbox):
    """Same key and body: the stored status and bytes come back and only one intent exists."""
    headers = {**credentials(sandbox, "liqx"), "Idempotency-Key": "key-1"}
    s1, _, r1 = await sandbox.request("POST", "/liqx/v1/payin-intents", json=PAYIN, headers=headers)
    async with sandbox.http.post(sandbox.base_url + "/liqx/v1/payin-intents", json=PAYIN, headers=headers) as r2:
        raw2 = await r2.read()
        assert r2.status == s1 == 201
        assert r2.headers.get("Idempotent-Replayed") == "true"
    async with sandbox.http.post(sandbox.base_url + "/liqx/v1/payin-intents", json=PAYIN, headers=headers) as r3:
        assert await r3.read() == raw2
    assert len((await sandbox.control("GET", "/intents?provider=liqx"))["data"]) == 1


async def test_idempotency_key_with_another_body_is_409(sandbox):
    """Reusing a key with a different body answers 409 IDEMPOTENCY_KEY_REUSED and creates nothing."""
    headers = {**credentials(sandbox, "liqx"), "Idempotency-Key": "key-2"}
    await sandbox.request("POST", "/liqx/v1/payin-intents", json=PAYIN, headers=headers)
    status, answer, _ = await sandbox.request("POST", "/liqx/v1/payin-intents",
                                              json={**PAYIN, "external_ref": "other"}, headers=headers)
    assert status == 409 and answer["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert len((await sandbox.control("GET", "/intents?provider=liqx"))["data"]) == 1


async def test_preflight_failure_is_replayed_not_repeated(sandbox):
    """A 422 preflight failure under an Idempotency-Key is replayed: one FAILED intent, one event."""
    headers = {**credentials(sandbox, "liqx"), "Idempotency-Key": "key-3"}
    body = {"scenario": "KYC_REQUIRED", "legal_name": "홍길동", "amount_krw": "1000", "amount_usdt": "1.0"}
    first = await sandbox.request("POST", "/liqx/v1/payout-intents", json=body, headers=headers)
    second = await sandbox.request("POST", "/liqx/v1/payout-intents", json=body, headers=headers)
    assert first[0] == second[0] == 422 and first[1] == second[1]
    events = (await sandbox.control("GET", "/events?provider=liqx"))["data"]
    assert len(events) == 1 and events[0]["type"] == "transaction.failed"


async def test_unicode_round_trips_through_api_store_and_webhook(sandbox, receiver):
    """Korean, emoji and combining marks come back byte-identical from GET and in the webhook."""
    name = "홍길동 👩‍💻 e\u0301"
    await sandbox.control("PUT", "/endpoints/liqx", {"url": receiver.url})
    _, intent, _ = await create_payin(sandbox, {**PAYIN, "depositor_name": name, "metadata": {"note": "메모"}})
    _, again, _ = await sandbox.request("GET", f"/liqx/v1/intents/{intent['intent_id']}", headers=credentials(sandbox, "liqx"))
    assert again["depositor_name"] == name and again["metadata"] == {"note": "메모"}
    await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "REJECTED"})
    await sandbox.settle()
    [hit] = await receiver.wait_for(1)
    assert json.loads(hit["raw"])["data"]["intent_id"] == intent["intent_id"]
    [listed] = (await sandbox.control("GET", "/intents?provider=liqx"))["data"]
    assert listed["object"]["depositor_name"] == name
