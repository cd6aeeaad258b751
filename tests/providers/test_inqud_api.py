"""Inqud API: checkouts of the three types, API-only requests, the project settings, contracts."""

from decimal import Decimal

import pytest

from tests.providers.inqud_support import (
    API_REQUEST,
    FIXED,
    NO_PRICE,
    SUGGESTED,
    base,
    choose,
    create_checkout,
    create_request,
    creds,
    get_checkout,
    get_request,
    secret_headers,
)
from tests.support import contract_issues

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
DOCUMENTED_CHECKOUT_FIELDS = [
    "id", "projectId", "projectName", "merchantDomain", "clientOrderId", "status", "reason", "name", "type",
    "fixedAmount", "suggestedAmounts", "cryptoCurrencies", "cryptoCurrenciesByBlockchain", "cryptoCurrencyDetails",
    "estimatedPayAmounts", "minLimits", "maxLimits", "merchantFixedPlatformFees", "merchantPercentPlatformFees",
    "payerFixedPlatformFees", "payerPercentPlatformFees", "request", "returnUrl", "acquiringUrl", "createdAt",
    "lastUpdatedAt", "expiresAt",
]
DOCUMENTED_REQUEST_FIELDS = [
    "id", "orderId", "clientOrderId", "currency", "blockchain", "status", "reason", "cryptoAcquiringProjectId",
    "cryptoAcquiringProjectName", "checkoutId", "address", "paymentWindowEndsAt", "expiresAt", "createdAt",
    "lastUpdatedAt", "paymentStatus", "paymentId", "payment", "txHash", "requestAmount", "requestAmountIn",
    "requestAmountConverted", "convertPair", "convertRate", "payAmount", "payerPlatformFee", "payerFixedPlatformFee",
    "payerPercentPlatformFee", "merchantPlatformFee", "merchantFixedPlatformFee", "merchantPercentPlatformFee",
    "processingAmount", "paidAmount", "overpaid", "minLimit", "maxLimit",
]


async def test_fixed_price_checkout_has_every_documented_field(sandbox):
    """A FIXED_PRICE checkout answers the full documented model, NEW, with a CCO- id and a sandbox acquiringUrl."""
    status, checkout, _ = await create_checkout(sandbox, FIXED)
    assert status == 200, checkout
    assert list(checkout) == DOCUMENTED_CHECKOUT_FIELDS
    assert not contract_issues("inqud", "responses", "checkout", checkout)
    assert checkout["status"] == "NEW" and checkout["id"].startswith("CCO-")
    assert checkout["projectId"] == creds(sandbox)["project_id"] and checkout["projectId"].startswith("CAP-")
    assert checkout["acquiringUrl"] == f"{sandbox.base_url}/inqud/pay/checkout/{checkout['id']}"
    assert checkout["fixedAmount"] == {"currency": "USD", "amount": 100}
    assert checkout["request"] is None and checkout["lastUpdatedAt"] is None
    assert checkout["expiresAt"] == "2026-12-01T12:00:00.000Z"
    assert checkout["estimatedPayAmounts"]["ETHEREUM_USDT"] == 99.46291
    assert checkout["minLimits"] == {} and checkout["maxLimits"] == {}
    assert checkout["merchantPercentPlatformFees"]["ETHEREUM_USDT"] == 5
    assert checkout["cryptoCurrenciesByBlockchain"]["ETHEREUM"] == ["USDT", "USDC", "ETH"]


async def test_no_price_checkout_has_limits_and_no_amount(sandbox):
    """A NO_PRICE checkout has no fixedAmount and quotes per-currency limits instead of estimates."""
    status, checkout, _ = await create_checkout(sandbox, NO_PRICE)
    assert status == 200, checkout
    assert not contract_issues("inqud", "responses", "checkout", checkout)
    assert checkout["type"] == "NO_PRICE" and checkout["fixedAmount"] is None
    assert checkout["suggestedAmounts"] is None and checkout["estimatedPayAmounts"] == {}
    assert checkout["minLimits"]["ETHEREUM_USDT"] < checkout["maxLimits"]["ETHEREUM_USDT"]


async def test_suggested_checkout_takes_the_project_amounts(sandbox):
    """SUGGESTED_FIXED_PRICE carries the amounts configured on the project, not from the request."""
    project = f"/inqud/sandbox/projects/{creds(sandbox)['project_id']}"
    status, _, _ = await sandbox.request("PUT", project, json={"suggestedAmounts": {"currency": "EUR", "amounts": [5, 20]}},
                                         headers=secret_headers(sandbox))
    assert status == 200
    status, checkout, _ = await create_checkout(sandbox, SUGGESTED)
    assert status == 200, checkout
    assert checkout["suggestedAmounts"] == {"currency": "EUR", "amounts": [5, 20]}
    assert not contract_issues("inqud", "responses", "checkout", checkout)
    chosen = await choose(sandbox, checkout["id"], "TRON_USDT", 20)
    assert chosen["request"]["requestAmount"] == 20 and chosen["request"]["requestAmountIn"] == "EUR"


async def test_get_checkout_returns_what_create_returned(sandbox):
    """GET …/checkouts/{id} answers the same object, Unicode intact."""
    _, created, _ = await create_checkout(sandbox, {**FIXED, "name": "Заказ №7 — 咖啡 ☕"})
    status, again, _ = await get_checkout(sandbox, created["id"])
    assert status == 200 and again == created
    assert again["name"] == "Заказ №7 — 咖啡 ☕"


async def test_checkout_embeds_its_request_once_a_currency_is_chosen(sandbox):
    """Choosing a currency makes a CAPD- request linked both ways, readable on its own."""
    _, created, _ = await create_checkout(sandbox, FIXED)
    checkout = await choose(sandbox, created["id"])
    assert checkout["status"] == "WAITING_PAYMENT"
    assert not contract_issues("inqud", "responses", "checkout", checkout)
    status, request, _ = await get_request(sandbox, checkout["request"]["id"])
    assert status == 200 and request == checkout["request"]
    assert request["checkoutId"] == created["id"] and request["clientOrderId"] == FIXED["clientOrderId"]
    status, scoped, _ = await sandbox.request("GET", f"{base(sandbox)}/requests/{request['id']}",
                                              headers=secret_headers(sandbox))
    assert status == 200 and scoped == request


async def test_api_request_matches_the_documented_example_arithmetic(sandbox):
    """An API-only request: CAPD-/ORD- ids, WAITING_PAYMENT, and the example's conversion and fees."""
    status, request, _ = await create_request(sandbox, API_REQUEST)
    assert status == 200, request
    assert list(request) == DOCUMENTED_REQUEST_FIELDS
    assert not contract_issues("inqud", "responses", "request", request)
    assert request["id"].startswith("CAPD-") and request["orderId"].startswith("ORD-")
    assert request["status"] == "WAITING_PAYMENT" and request["checkoutId"] is None
    assert (request["currency"], request["blockchain"]) == ("USDT", "ETHEREUM")
    assert request["address"].startswith("0x") and len(request["address"]) == 42
    assert request["convertPair"] == "USDTUSD" and request["convertRate"] == 1.0054
    assert request["payAmount"] == 99.46291 and request["merchantPlatformFee"] == 5.07315
    assert request["processingAmount"] == 94.38976 and request["paidAmount"] is None
    assert Decimal(request["paymentWindowEndsAt"][11:19].replace(":", "")) > 0
    status, again, _ = await get_request(sandbox, request["id"])
    assert status == 200 and again == request


async def test_no_price_api_request_has_limits(sandbox):
    """A request without amount is a no-price request: limits, no pay amount."""
    status, request, _ = await create_request(sandbox, {"cryptoCurrency": "BITCOIN_BTC", "methodKey": "CRYPTOCOIN"})
    assert status == 200, request
    assert request["payAmount"] is None and request["minLimit"] > 0 and request["maxLimit"] > request["minLimit"]
    assert request["address"].startswith("bc1q")
    assert not contract_issues("inqud", "responses", "request", request)


@pytest.mark.parametrize("path", [
    "/checkouts", "/checkouts/CCO-00000000-0000-4000-8000-000000000000", "/requests",
])
async def test_unknown_project_is_404(sandbox, path):
    """A project id other than the sandbox's answers 404 NOT_FOUND in the error contract."""
    url = "/inqud/v1/user/crypto-acquiring/CAP-00000000-0000-4000-8000-000000000000" + path
    method = "GET" if "CCO-" in path else "POST"
    status, answer, _ = await sandbox.request(method, url, json=FIXED if method == "POST" else None,
                                              headers=secret_headers(sandbox))
    assert status == 404 and answer["code"] == "NOT_FOUND"
    assert not contract_issues("inqud", "responses", "error", answer)


@pytest.mark.parametrize("path", [
    "/checkouts/CCO-00000000-0000-4000-8000-000000000000", "/checkouts/nope", "/requests/CAPD-nope",
])
async def test_unknown_objects_are_404(sandbox, path):
    """Unknown checkout and request ids answer 404 in the error contract."""
    status, answer, _ = await sandbox.request("GET", base(sandbox) + path, headers=secret_headers(sandbox))
    assert status == 404 and answer["code"] == "NOT_FOUND"
    assert not contract_issues("inqud", "responses", "error", answer)
    status, answer, _ = await get_request(sandbox, "CAPD-00000000-0000-4000-8000-000000000000")
    assert status == 404 and not contract_issues("inqud", "responses", "error", answer)


async def test_project_settings_are_read_and_changed(sandbox, receiver):
    """The project shows its id, amounts, currencies and webhook endpoint; PUT changes them."""
    project = f"/inqud/sandbox/projects/{creds(sandbox)['project_id']}"
    status, before, _ = await sandbox.request("GET", project, headers=secret_headers(sandbox))
    assert status == 200 and not contract_issues("inqud", "responses", "project", before)
    assert before["id"] == creds(sandbox)["project_id"] and before["webhookSecret"]
    assert before["webhookUrl"] == f"{sandbox.base_url}/api/webhooks/inqud"
    change = {"cryptoCurrencies": ["TRON_USDT"], "webhookUrl": receiver.url, "webhookSecret": "s3cret", "name": "Shop"}
    status, after, _ = await sandbox.request("PUT", project, json=change, headers=secret_headers(sandbox))
    assert status == 200 and not contract_issues("inqud", "responses", "project", after)
    assert (after["cryptoCurrencies"], after["webhookUrl"], after["webhookSecret"]) == (["TRON_USDT"], receiver.url, "s3cret")
    endpoint = await sandbox.control("GET", "/endpoints/inqud")
    assert (endpoint["url"], endpoint["secret"]) == (receiver.url, "s3cret")
    _, checkout, _ = await create_checkout(sandbox, FIXED)
    assert checkout["cryptoCurrencies"] == ["TRON_USDT"] and checkout["projectName"] == "Shop"
    status, refused, _ = await create_request(sandbox, API_REQUEST)
    assert status == 400 and refused["details"][0]["field"] == "/cryptoCurrency"


async def test_config_describes_inqud(sandbox):
    """GET /_sandbox/config shows Inqud's token, project and widget script."""
    config = (await sandbox.control("GET", "/config"))["providers"]["inqud"]
    assert config["api_id"].startswith("TKN-") and config["project_id"].startswith("CAP-")
    assert config["api_secret"] and config["webhook_secret"]
    assert config["widget_script"] == f"{sandbox.base_url}/inqud/pay/widget.js"


async def test_strict_mode_finds_every_answer_within_its_contract(tmp_path):
    """With --strict the server checks its own answers: a whole flow of every call answers without a 500."""
    from sandbox.settings import load_settings
    from tests.providers.inqud_support import act
    from tests.support import start_sandbox, stop_sandbox

    running = await start_sandbox(tmp_path, settings=load_settings({"db": str(tmp_path / "s.db"), "seed": 5,
                                                                    "strict": True}, environ={}))
    try:
        for body in (FIXED, NO_PRICE, SUGGESTED):
            status, checkout, _ = await create_checkout(running, body)
            assert status == 200, checkout
            await choose(running, checkout["id"], amount=25 if body is SUGGESTED else None)
            assert (await act(running, checkout["id"], "overpay"))[0] == 200
            await running.advance(5)
            status, done, _ = await get_checkout(running, checkout["id"])
            assert status == 200 and done["status"] == "CONFLICT"
            status, request, _ = await get_request(running, done["request"]["id"])
            assert status == 200
        status, request, _ = await create_request(running, API_REQUEST)
        assert status == 200
        status, project, _ = await running.request("GET", f"/inqud/sandbox/projects/{creds(running)['project_id']}",
                                                   headers=secret_headers(running))
        assert status == 200 and project["cryptoCurrencies"]
    finally:
        await stop_sandbox(running)
