"""Inqud bad input: each malformed call gets its status in the Inqud error shape, never a 500."""

import json

import pytest

from tests.providers.inqud_support import (
    API_REQUEST,
    FIXED,
    SUGGESTED,
    act,
    base,
    create_checkout,
    create_request,
    creds,
    get_request,
    secret_headers,
)
from tests.support import contract_issues


def without(body, key):
    return {k: v for k, v in body.items() if k != key}


CHECKOUT_CASES = [
    ("missing type", without(FIXED, "type"), None, 400, "VALIDATION_FAILED", "/type"),
    ("unknown type", {**FIXED, "type": "FREE"}, None, 400, "VALIDATION_FAILED", "/type"),
    ("fixed price without amount", without(FIXED, "fixedAmount"), None, 400, "VALIDATION_FAILED", "/fixedAmount"),
    ("zero amount", {**FIXED, "fixedAmount": {"amount": 0, "currency": "USD"}}, None, 400, "VALIDATION_FAILED",
     "/fixedAmount/amount"),
    ("negative amount", {**FIXED, "fixedAmount": {"amount": -5, "currency": "USD"}}, None, 400, "VALIDATION_FAILED",
     "/fixedAmount/amount"),
    ("amount as a string", {**FIXED, "fixedAmount": {"amount": "100", "currency": "USD"}}, None, 400,
     "VALIDATION_FAILED", "/fixedAmount/amount"),
    ("amount below the limit", {**FIXED, "fixedAmount": {"amount": 1, "currency": "USD"}}, None, 400,
     "VALIDATION_FAILED", "/fixedAmount/amount"),
    ("unknown currency", {**FIXED, "fixedAmount": {"amount": 100, "currency": "XYZ"}}, None, 400,
     "VALIDATION_FAILED", "/fixedAmount/currency"),
    ("amount on NO_PRICE", {**FIXED, "type": "NO_PRICE"}, None, 400, "VALIDATION_FAILED", "/fixedAmount"),
    ("expiry in the past", {**FIXED, "expiresAt": "2020-01-01T00:00:00Z"}, None, 400, "VALIDATION_FAILED", "/expiresAt"),
    ("expiry not a date", {**FIXED, "expiresAt": "tomorrow"}, None, 400, "VALIDATION_FAILED", "/expiresAt"),
    ("impossible date", {**FIXED, "expiresAt": "2026-13-45T99:00:00Z"}, None, 400, "VALIDATION_FAILED", "/expiresAt"),
    ("returnUrl not a URL", {**FIXED, "returnUrl": "javascript:alert(1)"}, None, 400, "VALIDATION_FAILED", "/returnUrl"),
    ("clientOrderId a number", {**FIXED, "clientOrderId": 12}, None, 400, "VALIDATION_FAILED", "/clientOrderId"),
]


@pytest.mark.parametrize("name,body,content_type,status,code,field", CHECKOUT_CASES, ids=[c[0] for c in CHECKOUT_CASES])
async def test_bad_checkout_is_refused_in_the_error_shape(sandbox, name, body, content_type, status, code, field):
    """Each malformed create-checkout answers its status and code, naming the offending field."""
    raw, content_type = json.dumps(body).encode(), "application/json"
    got, answer, _ = await sandbox.request("POST", base(sandbox) + "/checkouts", data=raw,
                                           headers={**secret_headers(sandbox), "Content-Type": content_type})
    assert got == status, answer
    assert answer["code"] == code and answer["status"] == status
    assert not contract_issues("inqud", "responses", "error", answer)
    if field:
        assert field in {d["field"] for d in answer["details"]}
    assert (await sandbox.control("GET", "/intents?provider=inqud"))["data"] == [], "a refused request stores nothing"


REQUEST_CASES = [
    ("missing currency", without(API_REQUEST, "cryptoCurrency"), "/cryptoCurrency"),
    ("unknown currency", {**API_REQUEST, "cryptoCurrency": "DOGE_DOGE"}, "/cryptoCurrency"),
    ("amount without amountIn", without(API_REQUEST, "amountIn"), "/amountIn"),
    ("amountIn without amount", without(API_REQUEST, "amount"), "/amount"),
    ("amount too large", {**API_REQUEST, "amount": 10_000_000}, "/amount"),
    # Past the 28 digits of Python's default decimal context, and near a JSON number's largest:
    # converting either to the quoted places raised a 500 before amounts were worked out in `WIDE`.
    ("amount of 31 digits", {**API_REQUEST, "amount": 1234567890123456789012345678901}, "/amount"),
    ("amount of 1e300", {**API_REQUEST, "amount": 1e300}, "/amount"),
    ("zero amount", {**API_REQUEST, "amount": 0}, "/amount"),
]


@pytest.mark.parametrize("name,body,field", REQUEST_CASES, ids=[c[0] for c in REQUEST_CASES])
async def test_bad_request_is_refused_naming_the_field(sandbox, name, body, field):
    """Each malformed API-only request answers 400 VALIDATION_FAILED naming the field."""
    status, answer, _ = await sandbox.request("POST", base(sandbox) + "/requests", json=body,
                                              headers=secret_headers(sandbox))
    assert status == 400, answer
    assert answer["code"] == "VALIDATION_FAILED" and field in {d["field"] for d in answer["details"]}
    assert not contract_issues("inqud", "responses", "error", answer)


async def test_every_offending_field_is_named(sandbox):
    """Several problems at once are all reported, one detail each."""
    body = {"type": "FIXED_PRICE", "fixedAmount": {"amount": "x"}, "returnUrl": 5, "expiresAt": 7}
    status, answer, _ = await sandbox.request("POST", base(sandbox) + "/checkouts", json=body,
                                              headers=secret_headers(sandbox))
    assert status == 400
    fields = {d["field"] for d in answer["details"]}
    assert {"/fixedAmount/amount", "/fixedAmount/currency", "/returnUrl", "/expiresAt"} <= fields


async def test_unknown_path_and_method_answer_in_the_inqud_shape(sandbox):
    """Unknown paths are 404 and wrong methods 405, both in the Inqud error shape."""
    status, answer, _ = await sandbox.request("GET", "/inqud/v1/user/nothing-here", headers=secret_headers(sandbox))
    assert status == 404 and answer["code"] == "NOT_FOUND" and not contract_issues("inqud", "responses", "error", answer)
    status, answer, _ = await sandbox.request("DELETE", base(sandbox) + "/checkouts", headers=secret_headers(sandbox))
    assert status == 405 and answer["code"] == "METHOD_NOT_ALLOWED"
    assert not contract_issues("inqud", "responses", "error", answer)


async def test_unknown_scenario_is_refused(sandbox):
    """An X-Sandbox-Scenario that does not exist is a 400 naming the header."""
    status, answer, _ = await create_checkout(sandbox, FIXED, **{"X-Sandbox-Scenario": "no-such-thing"})
    assert status == 400 and answer["details"][0]["field"] == "X-Sandbox-Scenario"


@pytest.mark.parametrize("body,field", [
    ({"action": "dance"}, "/action"), ({"action": "pay", "amount": "lots"}, "/amount"),
    ({"action": "pay", "amount": -1}, "/amount"), ({"action": "pay", "amount": "NaN"}, "/amount"),
])
async def test_bad_hosted_page_actions_are_400(sandbox, body, field):
    """The hosted page's own endpoints refuse bad input with a 400 naming the field."""
    _, checkout, _ = await create_checkout(sandbox, FIXED)
    status, answer, _ = await sandbox.request("POST", f"/inqud/pay/api/checkouts/{checkout['id']}/select",
                                              json={"cryptoCurrency": "ETHEREUM_USDT"})
    assert status == 200
    status, answer, _ = await sandbox.request("POST", f"/inqud/pay/api/checkouts/{checkout['id']}/actions", json=body)
    assert status == 400 and field in {d["field"] for d in answer["details"]}


async def test_a_suggested_amount_far_past_the_limits_is_400_naming_it(sandbox):
    """The payer's own amount on a suggested-price page, 1e30 USD: 400 on `/amount`, not a 500."""
    project = f"/inqud/sandbox/projects/{creds(sandbox)['project_id']}"
    status, _, _ = await sandbox.request("PUT", project, json={"suggestedAmounts": {"currency": "USD", "amounts": [20]}},
                                         headers=secret_headers(sandbox))
    assert status == 200
    _, checkout, _ = await create_checkout(sandbox, SUGGESTED)
    status, answer, _ = await sandbox.request("POST", f"/inqud/pay/api/checkouts/{checkout['id']}/select",
                                              json={"cryptoCurrency": "ETHEREUM_USDT", "amount": 1e30})
    assert status == 400 and [d["field"] for d in answer["details"]] == ["/amount"], answer
    assert "above the maximum" in answer["details"][0]["issue"]


async def test_a_payment_of_1e300_is_confirmed_as_overpaid(sandbox):
    """The sandbox wallet pays 1e300 into a no-price request: the confirmation works its fees out
    and ends in CONFLICT, overpaid (its job raised `InvalidOperation`, leaving it pending for good)."""
    _, request, _ = await create_request(sandbox, {"cryptoCurrency": "ETHEREUM_USDT"})
    status, answer = await act(sandbox, request["id"], "pay", 1e300)
    assert status == 200, answer
    await sandbox.advance(3600)
    status, paid, _ = await get_request(sandbox, request["id"])
    assert status == 200 and paid["status"] == "CONFLICT" and paid["overpaid"] is True
    assert paid["paidAmount"] == 10 ** 300
    # 5 % plus the fixed 0.1 (a JSON number: a fraction goes out as the nearest float), the rest processed.
    assert paid["merchantPlatformFee"] == 5e298 and paid["processingAmount"] == 9.5e299
    assert not contract_issues("inqud", "responses", "request", paid)


async def test_hosted_page_actions_out_of_order_are_409(sandbox):
    """Paying before choosing a currency, or after the end, is 409 INVALID_STATE; never a 500."""
    _, checkout, _ = await create_checkout(sandbox, FIXED)
    status, answer = await act(sandbox, checkout["id"], "pay")
    assert status == 409 and answer["code"] == "INVALID_STATE" and answer["currentStatus"] == "NEW"
    assert (await act(sandbox, checkout["id"], "cancel"))[0] == 200
    for action in ("pay", "expire", "cancel"):
        status, answer = await act(sandbox, checkout["id"], action)
        assert status == 409 and not contract_issues("inqud", "responses", "error", answer)
    status, answer, _ = await sandbox.request("POST", f"/inqud/pay/api/checkouts/{checkout['id']}/select",
                                              json={"cryptoCurrency": "ETHEREUM_USDT"})
    assert status == 409
    status, answer, _ = await sandbox.request("POST", "/inqud/pay/api/checkouts/CCO-x/actions", data=b"{",
                                              headers={"Content-Type": "application/json"})
    assert status == 400 and answer["code"] == "MALFORMED_JSON"
    status, answer, _ = await sandbox.request("POST", "/inqud/pay/api/checkouts/CCO-x/actions", json={"action": "pay"})
    assert status == 404 and answer["code"] == "NOT_FOUND"


async def test_hosted_page_action_of_the_wrong_type_is_400(sandbox):
    """A non-string action on the hosted checkout's API is refused, never a 500."""
    from tests.providers.inqud_support import create_checkout

    status, checkout, _ = await create_checkout(sandbox)
    assert status in (200, 201)
    for action in ({}, ["pay"], 1, None):
        got, answer, _ = await sandbox.request("POST", f"/inqud/pay/api/checkouts/{checkout['id']}/actions",
                                               json={"action": action})
        assert got == 400, answer


async def test_page_apis_take_json_only_and_answer_the_widget_preflight(sandbox):
    """The hosted page's API answers 415 to text/plain and forms; the widget's JSON post gets its CORS preflight."""
    status, checkout, _ = await create_checkout(sandbox)
    assert status == 200, checkout
    events = f"/inqud/pay/api/checkouts/{checkout['id']}/events"
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        for path in (events, f"/inqud/pay/api/checkouts/{checkout['id']}/actions"):
            got, answer, _ = await sandbox.request("POST", path, data=b'{"action": "pay"}',
                                                   headers={"Content-Type": content_type})
            assert got == 415 and answer["code"] == "UNSUPPORTED_MEDIA_TYPE", (path, answer)
    got, _, response = await sandbox.request("OPTIONS", events, headers={
        "Origin": "http://partner.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert got == 204 and response.headers["Access-Control-Allow-Origin"] == "*"
    assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()
