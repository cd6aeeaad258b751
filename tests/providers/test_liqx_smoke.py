"""LIQX basics against a real server: create, read back, and a signed webhook to a real receiver."""

import json

from tests.providers.liqx_support import PAYIN, create_payin, point_at, verify_liqx
from tests.support import credentials


async def test_payin_create_is_read_back_with_unicode(sandbox):
    """A created PAYIN intent comes back from GET exactly as sent, 홍길동 included."""
    status, intent, _ = await create_payin(sandbox)
    assert status == 201, intent
    assert intent["depositor_name"] == "홍길동" and intent["status"] == "CREATED"
    status, again, _ = await sandbox.request("GET", f"/liqx/v1/intents/{intent['intent_id']}",
                                             headers={"Authorization": f"Bearer {sandbox.key('liqx')}"})
    assert status == 200 and again == intent


async def test_completed_payin_sends_signed_webhook(sandbox, receiver):
    """Driving a PAYIN to COMPLETED delivers transaction.completed, verifiably signed."""
    secret = await point_at(sandbox, receiver)
    _, intent, _ = await create_payin(sandbox)
    await sandbox.control("POST", f"/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    await sandbox.settle()
    [hit] = await receiver.wait_for(1)
    body = json.loads(hit["raw"])
    assert body["type"] == "transaction.completed" and body["data"]["phase"] == "PAYIN"
    assert verify_liqx(secret, hit["headers"], hit["raw"])
    assert not verify_liqx(secret + "x", hit["headers"], hit["raw"])
    assert PAYIN["external_ref"] == body["data"]["external_ref"]


async def test_timeline_api_call_holds_the_request_and_answer_as_exchanged(sandbox):
    """The create's `api_call` entry holds the request as the strict reader took it (spaces, 홍길동 and an
    integer beyond 64 bits included) and the very answer the caller got."""
    body = {**PAYIN, "external_ref": "timeline-raw", "metadata": {"order": 2**70, "note": "주문 1"}}
    raw = json.dumps(body, indent=2, ensure_ascii=False).encode()
    status, intent, _ = await sandbox.request("POST", "/liqx/v1/payin-intents", data=raw,
                                              headers={**credentials(sandbox, "liqx"), "Content-Type": "application/json"})
    assert status == 201, intent
    found = await sandbox.control("GET", f"/intents/liqx/{intent['intent_id']}/timeline")
    [call] = [entry for entry in found["timeline"] if entry["kind"] == "api_call"]
    assert call["request"] == body and call["request"]["metadata"]["order"] == 2**70
    assert call["response"] == intent and call["status"] == 201
