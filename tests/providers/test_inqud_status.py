"""Inqud status path (SPEC §4): NEW → WAITING_PAYMENT → PENDING_PAYMENT → SUCCESS | CONFLICT, expiry, cancel."""

import pytest

from tests.providers.inqud_support import (
    API_REQUEST,
    FIXED,
    NO_PRICE,
    act,
    choose,
    create_checkout,
    create_request,
    get_checkout,
    get_request,
)
from tests.support import contract_issues


async def _history(sandbox, object_id):
    timeline = await sandbox.control("GET", f"/intents/inqud/{object_id}/timeline")
    return [e["to"] for e in timeline["timeline"] if e["kind"] == "transition"]


async def _waiting(sandbox, body=FIXED):
    _, checkout, _ = await create_checkout(sandbox, body)
    return await choose(sandbox, checkout["id"])


async def test_paid_checkout_walks_the_whole_path(sandbox):
    """Pay → PENDING_PAYMENT at once, SUCCESS after the confirmation delay, with the payment recorded."""
    checkout = await _waiting(sandbox)
    status, answer = await act(sandbox, checkout["id"], "pay")
    assert status == 200 and answer["object"]["status"] == "PENDING_PAYMENT"
    pending = answer["object"]["request"]
    assert pending["paymentStatus"] == "PENDING" and pending["paidAmount"] == pending["payAmount"]
    assert pending["txHash"].startswith("0x") and pending["payment"]["id"].startswith("CAPP-")
    await sandbox.advance(4)
    assert (await get_checkout(sandbox, checkout["id"]))[1]["status"] == "PENDING_PAYMENT"
    await sandbox.advance(1)
    _, done, _ = await get_checkout(sandbox, checkout["id"])
    assert done["status"] == "SUCCESS" and done["reason"] is None
    assert done["request"]["status"] == "SUCCESS" and done["request"]["paymentStatus"] == "SUCCESS"
    assert done["lastUpdatedAt"] is not None and not contract_issues("inqud", "responses", "checkout", done)
    assert await _history(sandbox, checkout["id"]) == ["NEW", "WAITING_PAYMENT", "PENDING_PAYMENT", "SUCCESS"]
    assert (await get_request(sandbox, done["request"]["id"]))[1] == done["request"]


@pytest.mark.parametrize("action,reason,overpaid", [("underpay", "UNDERPAID", False), ("overpay", "OVERPAID", True)])
async def test_wrong_amount_ends_in_conflict(sandbox, action, reason, overpaid):
    """Under- and over-payment are confirmed as CONFLICT, with the reason and the overpaid flag."""
    checkout = await _waiting(sandbox)
    status, answer = await act(sandbox, checkout["id"], action)
    assert status == 200 and answer["object"]["status"] == "PENDING_PAYMENT"
    await sandbox.advance(5)
    _, done, _ = await get_checkout(sandbox, checkout["id"])
    assert done["status"] == "CONFLICT" and done["reason"] == reason
    request = done["request"]
    assert request["status"] == "CONFLICT" and request["overpaid"] is overpaid
    assert (request["paidAmount"] < request["payAmount"]) is (not overpaid)
    assert not contract_issues("inqud", "responses", "checkout", done)


async def test_no_price_checkout_conflicts_only_outside_the_limits(sandbox):
    """A no-price payment within the limits succeeds; one below the minimum is a CONFLICT."""
    ok = await _waiting(sandbox, NO_PRICE)
    assert ok["request"]["payAmount"] is None and ok["request"]["minLimit"] > 0
    await act(sandbox, ok["id"], "pay", amount=ok["request"]["minLimit"] * 3)
    low = await _waiting(sandbox, NO_PRICE)
    await act(sandbox, low["id"], "pay", amount=low["request"]["minLimit"] / 2)
    await sandbox.advance(5)
    _, ok_done, _ = await get_checkout(sandbox, ok["id"])
    _, low_done, _ = await get_checkout(sandbox, low["id"])
    assert ok_done["status"] == "SUCCESS" and ok_done["request"]["merchantPlatformFee"] > 0
    assert low_done["status"] == "CONFLICT" and low_done["reason"] == "UNDERPAID"


@pytest.mark.parametrize("chosen", [False, True], ids=["new", "waiting"])
async def test_let_expire_and_cancel_end_the_checkout(sandbox, chosen):
    """"Let expire" → EXPIRED and "Cancel" → CANCELLED, from NEW and from WAITING_PAYMENT."""
    for action, word in (("expire", "EXPIRED"), ("cancel", "CANCELLED")):
        _, checkout, _ = await create_checkout(sandbox, FIXED)
        if chosen:
            checkout = await choose(sandbox, checkout["id"])
        status, answer = await act(sandbox, checkout["id"], action)
        assert status == 200 and answer["object"]["status"] == word
        if chosen:
            assert answer["object"]["request"]["status"] == word


async def test_checkout_expires_at_expires_at_on_the_sandbox_clock(sandbox):
    """Unpaid at expiresAt (sandbox time), the checkout becomes EXPIRED by itself."""
    _, checkout, _ = await create_checkout(sandbox, {**FIXED, "expiresAt": "2026-11-22T09:30:00Z"})
    await sandbox.advance(29 * 60)
    assert (await get_checkout(sandbox, checkout["id"]))[1]["status"] == "NEW"
    await sandbox.advance(60)
    assert (await get_checkout(sandbox, checkout["id"]))[1]["status"] == "EXPIRED"


async def test_payment_window_end_expires_checkout_and_request(sandbox):
    """A chosen currency holds its quote for 10 minutes: unpaid by then, both expire."""
    checkout = await _waiting(sandbox)
    assert checkout["request"]["paymentWindowEndsAt"] == "2026-11-22T09:10:00.000Z"
    await sandbox.advance(600)
    _, done, _ = await get_checkout(sandbox, checkout["id"])
    assert done["status"] == "EXPIRED" and done["request"]["status"] == "EXPIRED"


async def test_a_seen_payment_is_not_expired(sandbox):
    """Once PENDING_PAYMENT, the expiry timers no longer apply; confirmation decides."""
    checkout = await _waiting(sandbox, {**FIXED, "expiresAt": "2026-11-22T09:00:03Z"})
    await act(sandbox, checkout["id"], "pay")
    await sandbox.advance(10)
    assert (await get_checkout(sandbox, checkout["id"]))[1]["status"] == "SUCCESS"


async def test_api_request_path_through_the_sandbox_wallet(sandbox):
    """An API-only request is paid through the sandbox wallet endpoint and confirmed."""
    _, request, _ = await create_request(sandbox, API_REQUEST)
    status, answer = await act(sandbox, request["id"], "pay")
    assert status == 200 and answer["object"]["status"] == "PENDING_PAYMENT"
    await sandbox.advance(5)
    _, done, _ = await get_request(sandbox, request["id"])
    assert done["status"] == "SUCCESS" and not contract_issues("inqud", "responses", "request", done)
    _, other, _ = await create_request(sandbox, API_REQUEST)
    await sandbox.advance(600)
    assert (await get_request(sandbox, other["id"]))[1]["status"] == "EXPIRED"


@pytest.mark.parametrize("to", ["WAITING_PAYMENT", "PENDING_PAYMENT", "SUCCESS", "CONFLICT", "EXPIRED", "CANCELLED"])
async def test_control_api_walks_a_new_checkout_to_any_status(sandbox, to):
    """POST /_sandbox/intents/inqud/{id}/transition reaches each status, step by step."""
    _, checkout, _ = await create_checkout(sandbox, FIXED)
    answer = await sandbox.control("POST", f"/intents/inqud/{checkout['id']}/transition", {"to": to})
    assert answer["object"]["status"] == to
    assert not contract_issues("inqud", "responses", "checkout", answer["object"])
    path = await _history(sandbox, checkout["id"])
    assert path[0] == "NEW" and path[-1] == to


async def test_control_api_refuses_impossible_moves(sandbox):
    """Unknown words are 400 and moves the path does not allow are 409."""
    _, checkout, _ = await create_checkout(sandbox, FIXED)
    status, answer, _ = await sandbox.request("POST", f"/_sandbox/intents/inqud/{checkout['id']}/transition",
                                              json={"to": "PAID"})
    assert status == 400
    await sandbox.control("POST", f"/intents/inqud/{checkout['id']}/transition", {"to": "SUCCESS"})
    status, _, _ = await sandbox.request("POST", f"/_sandbox/intents/inqud/{checkout['id']}/transition",
                                         json={"to": "CANCELLED"})
    assert status == 409


async def test_expiring_scenario_shortens_the_checkout(sandbox):
    """X-Sandbox-Scenario: payin-expired makes the checkout expire 60 s after creation."""
    _, checkout, _ = await create_checkout(sandbox, FIXED, **{"X-Sandbox-Scenario": "payin-expired"})
    assert checkout["expiresAt"] == "2026-11-22T09:01:00.000Z"
    await sandbox.advance(60)
    assert (await get_checkout(sandbox, checkout["id"]))[1]["status"] == "EXPIRED"


async def test_rejecting_scenario_underpays_after_the_currency_is_chosen(sandbox):
    """payin-rejected: 5 s after the payer chose a currency, an underpayment arrives → CONFLICT."""
    _, checkout, _ = await create_checkout(sandbox, FIXED, **{"X-Sandbox-Scenario": "payin-rejected"})
    await sandbox.advance(30)
    assert (await get_checkout(sandbox, checkout["id"]))[1]["status"] == "NEW"
    await choose(sandbox, checkout["id"])
    await sandbox.advance(5)
    assert (await get_checkout(sandbox, checkout["id"]))[1]["status"] == "PENDING_PAYMENT"
    await sandbox.advance(5)
    _, done, _ = await get_checkout(sandbox, checkout["id"])
    assert done["status"] == "CONFLICT" and done["reason"] == "UNDERPAID"
