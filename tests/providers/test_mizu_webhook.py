"""Mizu's payment_intent.successed: published body, unsigned, one attempt, manual re-send, nothing on timeout."""

import json
import re

from tests.providers.mizu_support import (
    FIELD_NAMES,
    create_link,
    get_payment,
    mizu_deliveries,
    mizu_events,
    open_payment,
    point_at,
    press,
    table_mismatches,
)
from tests.support import contract_issues, start_sandbox, stop_sandbox


async def _confirmed(sandbox, email="payer@example.com", reference="order-42") -> dict:
    link = await create_link(sandbox)
    payment = await open_payment(sandbox, link["id"], email, reference)
    status, body = await press(sandbox, payment, "paid")
    assert status == 200 and body["payment"]["status"] == 1, body
    await sandbox.advance(10)
    return await get_payment(sandbox, payment["id"])


async def test_confirmed_payment_sends_the_published_flat_body(sandbox, receiver):
    """Status 1 → 4 after the settlement delay sends one flat body with exactly the table's keys and types."""
    await point_at(sandbox, receiver)
    payment = await _confirmed(sandbox)
    [hit] = await receiver.wait_for(1)
    body = json.loads(hit["raw"])
    assert table_mismatches(body) == []
    assert list(body) == FIELD_NAMES
    assert contract_issues("mizu", "webhooks", "payment-intent-successed", body) == []
    assert body["status"] == 4 and isinstance(body["payAmount"], str) and body["payAmount"] == "25.50"
    assert re.fullmatch(r"0x[0-9a-f]{64}", body["transactionHash"])
    assert re.fullmatch(r"0x[0-9a-f]{40}", body["receiveWalletAddress"])
    assert body["emailParam"] == "payer@example.com" and body["clientReferenceIdParam"] == "order-42"
    assert body["paidTime"] == "2026-11-22T09:00:10.000Z" and body["createTime"] == "2026-11-22T09:00:00.000Z"
    assert {k: payment[k] for k in FIELD_NAMES} == body


async def test_webhook_is_unsigned_and_carries_no_provider_headers(sandbox, receiver):
    """Mizu documents no signature: the request has only plain JSON headers."""
    await point_at(sandbox, receiver)
    await _confirmed(sandbox)
    [hit] = await receiver.wait_for(1)
    headers = {k.lower() for k in hit["headers"]}
    assert hit["headers"]["Content-Type"].startswith("application/json")
    assert not [h for h in headers if "signature" in h or h.startswith("x-")]


async def test_status_stays_one_until_the_confirmation_delay_passes(sandbox, receiver):
    """"I have paid" alone sends nothing; only the on-chain confirmation does."""
    await point_at(sandbox, receiver)
    link = await create_link(sandbox)
    payment = await open_payment(sandbox, link["id"])
    await press(sandbox, payment, "paid")
    await sandbox.advance(9)
    assert (await get_payment(sandbox, payment["id"]))["status"] == 1
    assert receiver.requests == [] and await mizu_events(sandbox) == []
    await sandbox.advance(1)
    assert (await get_payment(sandbox, payment["id"]))["status"] == 4
    assert len(await receiver.wait_for(1)) == 1


async def test_missing_pay_page_parameters_arrive_as_empty_strings(sandbox, receiver):
    """Without email and clientReferenceId the two *Param fields stay Strings (empty), never null."""
    await point_at(sandbox, receiver)
    await _confirmed(sandbox, email=None, reference=None)
    [hit] = await receiver.wait_for(1)
    body = json.loads(hit["raw"])
    assert body["emailParam"] == "" and body["clientReferenceIdParam"] == ""
    assert table_mismatches(body) == []


async def test_failed_delivery_is_not_retried(sandbox, receiver):
    """A receiver failure ends the delivery: one attempt, status failed, nothing more a day later."""
    await point_at(sandbox, receiver)
    receiver.script = [500]
    await _confirmed(sandbox)
    await receiver.wait_for(1)
    await sandbox.advance(24 * 3600)
    assert len(receiver.requests) == 1
    [delivery] = await mizu_deliveries(sandbox)
    assert delivery["status"] == "failed" and len(delivery["attempts"]) == 1
    assert delivery["attempts"][0]["status"] == 500 and delivery["next_ms"] is None


async def test_manual_resend_delivers_the_same_body_with_the_same_id(sandbox, receiver):
    """After a failure, POST /_sandbox/events/{id}/resend sends the identical bytes once more."""
    await point_at(sandbox, receiver)
    receiver.script = [503]
    payment = await _confirmed(sandbox)
    [first] = await receiver.wait_for(1)
    [event] = await mizu_events(sandbox)
    assert event["id"] == f"mizu_evt_{payment['id']}"
    answer = await sandbox.control("POST", f"/events/{event['id']}/resend")
    assert answer["trigger"] == "manual"
    await sandbox.settle()
    first, second = await receiver.wait_for(2)
    assert second["raw"] == first["raw"] and json.loads(second["raw"])["id"] == payment["id"]
    manual = [d for d in await mizu_deliveries(sandbox) if d["trigger"] == "manual"]
    assert [d["status"] for d in manual] == ["delivered"] and manual[0]["attempts"][0]["trigger"] == "manual"


async def test_builtin_receiver_keys_receipts_by_payment_id(sandbox):
    """The built-in receiver stores the body under event id str(id), unsigned, and counts a re-send as a duplicate."""
    payment = await _confirmed(sandbox, reference="주문-7")
    await sandbox.control("POST", f"/events/mizu_evt_{payment['id']}/resend")
    await sandbox.settle()
    status, read, _ = await sandbox.request("GET", "/api/webhooks/mizu/events?external_ref=주문-7")
    assert status == 200
    [receipt] = read["data"]
    assert receipt["event_id"] == str(payment["id"]) and receipt["intent_id"] == str(payment["id"])
    assert receipt["signature_valid"] is None and receipt["duplicates"] == 1
    assert receipt["type"] == "payment_intent.successed" and receipt["body"]["clientReferenceIdParam"] == "주문-7"


async def test_let_it_time_out_sends_nothing(sandbox, receiver):
    """The "Let it time out" button gives status 2 and no webhook, then or later."""
    await point_at(sandbox, receiver)
    link = await create_link(sandbox)
    payment = await open_payment(sandbox, link["id"], "p@example.com", "t-1")
    status, body = await press(sandbox, payment, "timeout")
    assert status == 200 and body["payment"]["status"] == 2
    assert body["payment"]["paidTime"] is None and body["payment"]["transactionHash"] is None
    await sandbox.advance(3600)
    assert receiver.requests == [] and await mizu_events(sandbox) == []
    assert (await get_payment(sandbox, payment["id"]))["status"] == 2


async def test_pay_window_expiry_times_out_and_sends_nothing(sandbox, receiver):
    """A payment left at 0 for the 30-minute pay window becomes 2 on the sandbox clock; no webhook."""
    await point_at(sandbox, receiver)
    link = await create_link(sandbox)
    payment = await open_payment(sandbox, link["id"])
    assert payment["expireTime"] == "2026-11-22T09:30:00.000Z"
    await sandbox.advance(30 * 60 - 1)
    assert (await get_payment(sandbox, payment["id"]))["status"] == 0
    await sandbox.advance(1)
    assert (await get_payment(sandbox, payment["id"]))["status"] == 2
    assert receiver.requests == [] and await mizu_events(sandbox) == []


async def test_marked_paid_payment_is_not_timed_out_by_its_window(sandbox):
    """Once the payer marked it paid, the pay window no longer applies: confirmation still arrives."""
    link = await create_link(sandbox)
    payment = await open_payment(sandbox, link["id"])
    await sandbox.advance(30 * 60 - 5)
    await press(sandbox, payment, "paid")
    await sandbox.advance(5)
    assert (await get_payment(sandbox, payment["id"]))["status"] == 1
    await sandbox.advance(5)
    assert (await get_payment(sandbox, payment["id"]))["status"] == 4


async def test_buttons_after_a_terminal_status_answer_invalid_state(sandbox):
    """Pressing a pay-page button on a confirmed payment is a 409 carrying the payment as it is."""
    payment = await _confirmed(sandbox)
    status, body = await press(sandbox, payment, "timeout")
    assert status == 409 and body["error"]["code"] == "invalid_state"
    assert body["error"]["payment"]["status"] == 4
    assert contract_issues("mizu", "responses", "error", body) == []


async def test_payin_expired_scenario_shortens_the_pay_window(sandbox, receiver):
    """X-Sandbox-Scenario: payin-expired on the link times its payments out after 60 s, silently."""
    await point_at(sandbox, receiver)
    link = await create_link(sandbox, **{"X-Sandbox-Scenario": "payin-expired"})
    payment = await open_payment(sandbox, link["id"])
    assert payment["expireTime"] == "2026-11-22T09:01:00.000Z"
    await sandbox.advance(60)
    assert (await get_payment(sandbox, payment["id"]))["status"] == 2
    assert receiver.requests == []


async def test_webhook_missed_scenario_drops_and_polling_reconciles(sandbox, receiver):
    """webhook-missed: the delivery is logged as dropped and the list endpoint finds the payment by reference."""
    await point_at(sandbox, receiver)
    link = await create_link(sandbox, **{"X-Sandbox-Scenario": "webhook-missed"})
    payment = await open_payment(sandbox, link["id"], reference="missed-1")
    await press(sandbox, payment, "paid")
    await sandbox.advance(10)
    assert receiver.requests == []
    assert [d["status"] for d in await mizu_deliveries(sandbox)] == ["dropped"]
    status, found, _ = await sandbox.request("GET", "/mizu/api/v1/payments?clientReferenceId=missed-1",
                                             headers={"Authorization": f"Bearer {sandbox.key('mizu')}"})
    assert status == 200 and [p["status"] for p in found["data"]] == [4]
    assert contract_issues("mizu", "responses", "payment-list", found) == []


async def test_webhook_duplicate_scenario_repeats_one_body(sandbox, receiver):
    """webhook-duplicate: three identical bodies with one id."""
    await point_at(sandbox, receiver)
    link = await create_link(sandbox, **{"X-Sandbox-Scenario": "webhook-duplicate"})
    payment = await open_payment(sandbox, link["id"])
    await press(sandbox, payment, "paid")
    await sandbox.advance(10)
    await sandbox.advance(2)
    hits = await receiver.wait_for(3)
    assert len({h["raw"] for h in hits}) == 1 and json.loads(hits[0]["raw"])["id"] == payment["id"]


async def test_control_transition_drives_a_payment_in_mizu_status_words(sandbox, receiver):
    """The control API takes 1/PAID, 2/TIMEOUT, 4/CONFIRMED; 4 sends the webhook at once."""
    await point_at(sandbox, receiver)
    link = await create_link(sandbox)
    payment = await open_payment(sandbox, link["id"])
    moved = await sandbox.control("POST", f"/intents/mizu/{payment['id']}/transition", {"to": "CONFIRMED"})
    assert moved["object"]["status"] == 4
    await sandbox.settle()
    [hit] = await receiver.wait_for(1)
    assert json.loads(hit["raw"])["id"] == payment["id"]
    for path, to, code in ((f"/intents/mizu/{payment['id']}/transition", "2", 409),
                           (f"/intents/mizu/{payment['id']}/transition", "0", 409),
                           (f"/intents/mizu/{payment['id']}/transition", "3", 400),
                           (f"/intents/mizu/{link['id']}/transition", "4", 409),
                           ("/intents/mizu/123/transition", "4", 404)):
        status, body, _ = await sandbox.request("POST", "/_sandbox" + path, json={"to": to})
        assert status == code, (to, body)


async def test_timeline_tells_the_payment_story(sandbox):
    """The payment's timeline holds 0 → 1 → 4, the event and its attempt."""
    payment = await _confirmed(sandbox)
    found = await sandbox.control("GET", f"/intents/mizu/{payment['id']}/timeline")
    moves = [(e["from"], e["to"], e["by"]) for e in found["timeline"] if e["kind"] == "transition"]
    assert moves == [(None, "0", "pay_page"), ("0", "1", "pay_page"), ("1", "4", "chain_confirmation")]
    kinds = [e["kind"] for e in found["timeline"]]
    assert "event" in kinds and "attempt" in kinds


async def test_same_seed_gives_byte_identical_webhooks(tmp_path, receiver):
    """Two servers with seed 1234 and a frozen clock send the same bytes for the same inputs."""
    bodies = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        running = await start_sandbox(tmp_path / name)
        try:
            await point_at(running, receiver)
            await _confirmed(running)
            bodies.append((await receiver.wait_for(len(bodies) + 1))[-1]["raw"])
        finally:
            await stop_sandbox(running)
    assert bodies[0] == bodies[1]


async def test_payin_rejected_scenario_times_out_an_untouched_payment(sandbox, receiver):
    """payin-rejected: 5 s after the page opened it, an untouched payment becomes 2; a paid one is left alone."""
    await point_at(sandbox, receiver)
    link = await create_link(sandbox, **{"X-Sandbox-Scenario": "payin-rejected"})
    untouched = await open_payment(sandbox, link["id"])
    paid = await open_payment(sandbox, link["id"])
    await press(sandbox, paid, "paid")
    await sandbox.advance(5)
    assert (await get_payment(sandbox, untouched["id"]))["status"] == 2
    assert (await get_payment(sandbox, paid["id"]))["status"] == 1
    await sandbox.advance(5)
    assert (await get_payment(sandbox, paid["id"]))["status"] == 4
    [hit] = await receiver.wait_for(1)
    assert json.loads(hit["raw"])["id"] == paid["id"]


async def test_webhook_delayed_scenario_holds_the_webhook_30_seconds(sandbox, receiver):
    """webhook-delayed: the API shows 4 at once, the body arrives 30 sandbox seconds later."""
    await point_at(sandbox, receiver)
    link = await create_link(sandbox, **{"X-Sandbox-Scenario": "webhook-delayed"})
    payment = await open_payment(sandbox, link["id"])
    await press(sandbox, payment, "paid")
    await sandbox.advance(10)
    assert (await get_payment(sandbox, payment["id"]))["status"] == 4
    await sandbox.advance(29)
    assert receiver.requests == []
    await sandbox.advance(1)
    assert len(await receiver.wait_for(1)) == 1
