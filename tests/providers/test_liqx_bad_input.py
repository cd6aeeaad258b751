"""LIQX bad input: every malformed request gets the right status in LIQX's envelope, never a 500."""

import io
import json

import pytest

from sandbox.contracts import Contracts
from tests.providers.liqx_support import PAYIN, auth, create_payin

CONTRACTS = Contracts()


def without(key):
    return {k: v for k, v in PAYIN.items() if k != key}


CASES = [
    ("malformed JSON", b'{"external_ref": ', "application/json", 400, "MALFORMED_JSON", None),
    ("not an object", b'["a"]', "application/json", 400, "VALIDATION_FAILED", "/"),
    ("missing external_ref", without("external_ref"), None, 400, "VALIDATION_FAILED", "/external_ref"),
    ("missing depositor_name", without("depositor_name"), None, 400, "VALIDATION_FAILED", "/depositor_name"),
    ("mistyped amount_krw", {**PAYIN, "amount_krw": 100000}, None, 400, "VALIDATION_FAILED", "/amount_krw"),
    ("fractional amount_krw", {**PAYIN, "amount_krw": "100.5"}, None, 400, "VALIDATION_FAILED", "/amount_krw"),
    ("negative amount_krw", {**PAYIN, "amount_krw": "-1"}, None, 400, "VALIDATION_FAILED", "/amount_krw"),
    ("zero amount_krw", {**PAYIN, "amount_krw": "0"}, None, 400, "VALIDATION_FAILED", "/amount_krw"),
    ("seven decimals of USDT", {**PAYIN, "amount_usdt": "1.1234567"}, None, 400, "VALIDATION_FAILED", "/amount_usdt"),
    ("zero USDT", {**PAYIN, "amount_usdt": "0.00"}, None, 400, "VALIDATION_FAILED", "/amount_usdt"),
    ("USDT as a float", {**PAYIN, "amount_usdt": 75.5}, None, 400, "VALIDATION_FAILED", "/amount_usdt"),
    ("external_ref too long", {**PAYIN, "external_ref": "x" * 65}, None, 400, "VALIDATION_FAILED", "/external_ref"),
    ("unknown field", {**PAYIN, "surprise": 1}, None, 400, "VALIDATION_FAILED", "/"),
    ("bad email", {**PAYIN, "user_email": "nope"}, None, 400, "VALIDATION_FAILED", "/user_email"),
    ("wrong widget_type", {**PAYIN, "widget_type": "PAYOUT"}, None, 400, "VALIDATION_FAILED", "/widget_type"),
    ("2 MiB body", b'{"x": "' + b"a" * (2 * 1024 * 1024) + b'"}', "application/json", 413, "PAYLOAD_TOO_LARGE", None),
    ("form encoded", b"external_ref=x", "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE", None),
    ("text/plain JSON", json.dumps(PAYIN).encode(), "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE", None),
    ("invalid UTF-8", b'{"external_ref": "\xff"}', "application/json", 400, "MALFORMED_JSON", None),
]


@pytest.mark.parametrize("name,body,content_type,status,code,field", CASES, ids=[c[0] for c in CASES])
async def test_bad_payin_request_is_refused_in_the_envelope(sandbox, name, body, content_type, status, code, field):
    """Each malformed PAYIN create answers its status and code, naming the offending field."""
    if isinstance(body, dict):
        raw, content_type = json.dumps(body).encode(), "application/json"
    else:
        raw = io.BytesIO(body) if len(body) > 1024 * 1024 else body
    got, answer, _ = await sandbox.request("POST", "/liqx/v1/payin-intents", data=raw,
                                           headers={**auth(sandbox), "Content-Type": content_type})
    assert got == status, answer
    assert answer["error"]["code"] == code
    assert answer["request_id"].startswith("req_")
    assert not CONTRACTS.errors("liqx", "responses", "error", answer)
    if field:
        assert field in {d["field"] for d in answer["error"]["details"]}
    listed = (await sandbox.control("GET", "/intents?provider=liqx"))["data"]
    assert listed == [], "a refused request stores nothing"


async def test_every_offending_field_is_named(sandbox):
    """Several problems at once are all reported, one detail each."""
    body = {"external_ref": "", "amount_krw": 5}
    status, answer, _ = await sandbox.request("POST", "/liqx/v1/payin-intents", json=body, headers=auth(sandbox))
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
    status, answer, _ = await sandbox.request("GET", "/liqx/v1/intents/lqi_nope", headers=auth(sandbox))
    assert status == 404 and answer["error"]["code"] == "NOT_FOUND"
    status, answer, _ = await sandbox.request("POST", "/liqx/v1/intents/lqi_nope/widget-sessions", headers=auth(sandbox))
    assert status == 404 and answer["error"]["code"] == "NOT_FOUND"
    status, answer, _ = await sandbox.request("GET", "/liqx/v2/whatever", headers=auth(sandbox))
    assert status == 404 and answer["error"]["code"] == "NOT_FOUND"


async def test_wrong_method_is_405_in_the_envelope(sandbox):
    """DELETE on the create path is refused in LIQX's shape, not aiohttp's text page."""
    status, answer, _ = await sandbox.request("DELETE", "/liqx/v1/payin-intents", headers=auth(sandbox))
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
    status, answer, _ = await sandbox.request("GET", f"/liqx/v1/intents?{query}", headers=auth(sandbox))
    assert status == 400 and field in {d["field"] for d in answer["error"]["details"]}


async def test_widget_session_for_terminal_intent_is_invalid_state(sandbox):
    """A COMPLETED intent cannot open a widget session: 409 INVALID_STATE."""
    _, intent, _ = await create_payin(sandbox)
    await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    status, answer, _ = await sandbox.request("POST", f"/liqx/v1/intents/{intent['intent_id']}/widget-sessions",
                                              headers=auth(sandbox))
    assert status == 409 and answer["error"]["code"] == "INVALID_STATE"


async def test_idempotency_key_replays_byte_for_byte(sandbox):
    """Same key and body: the stored status and bytes come back and only one intent exists."""
    headers = {**auth(sandbox), "Idempotency-Key": "key-1"}
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
    headers = {**auth(sandbox), "Idempotency-Key": "key-2"}
    await sandbox.request("POST", "/liqx/v1/payin-intents", json=PAYIN, headers=headers)
    status, answer, _ = await sandbox.request("POST", "/liqx/v1/payin-intents",
                                              json={**PAYIN, "external_ref": "other"}, headers=headers)
    assert status == 409 and answer["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert len((await sandbox.control("GET", "/intents?provider=liqx"))["data"]) == 1


async def test_preflight_failure_is_replayed_not_repeated(sandbox):
    """A 422 preflight failure under an Idempotency-Key is replayed: one FAILED intent, one event."""
    headers = {**auth(sandbox), "Idempotency-Key": "key-3"}
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
    _, again, _ = await sandbox.request("GET", f"/liqx/v1/intents/{intent['intent_id']}", headers=auth(sandbox))
    assert again["depositor_name"] == name and again["metadata"] == {"note": "메모"}
    await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "REJECTED"})
    await sandbox.settle()
    [hit] = await receiver.wait_for(1)
    assert json.loads(hit["raw"])["data"]["intent_id"] == intent["intent_id"]
    [listed] = (await sandbox.control("GET", "/intents?provider=liqx"))["data"]
    assert listed["object"]["depositor_name"] == name
