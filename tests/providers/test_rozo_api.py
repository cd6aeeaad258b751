"""ROZO Payment API: create on every documented path, read back, 409, validation and bad input, fee quotes."""

from __future__ import annotations

import re

import pytest

from tests.providers.rozo_support import API, EXAMPLE, MERCHANT, api, body, create, created, get


@pytest.mark.parametrize("path", ["/", "", "/payments"])
async def test_create_answers_201_payment_on_every_documented_path(sandbox, path):
    """`POST /`, the SDK's bare `POST /payment-api` and the quick start's `POST /payments` all create."""
    status, payment = await create(sandbox, path=path)
    assert status == 201
    assert payment["status"] == "payment_unpaid" and payment["appId"] == "merchant_sandbox"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", payment["id"])


async def test_created_payment_is_read_back_identically_with_unicode(sandbox):
    """GET /payments/{id} returns exactly the created object, Unicode in display and metadata intact."""
    payment = await created(sandbox)
    assert payment["display"]["description"] == "Coffee + pastry ☕" and payment["metadata"] == {"cart": "홍길동"}
    assert await get(sandbox, payment["id"]) == payment
    assert await get(sandbox, payment["id"], key=sandbox.key("rozo")) == payment


async def test_payment_object_has_rozo_fields_and_expires_after_an_hour(sandbox):
    """Chain ids come back as strings, token addresses are filled in, the fee is priced, expiry is +1 h."""
    payment = await created(sandbox)
    assert payment["createdAt"] == "2026-11-22T09:00:00.000Z" and payment["expiresAt"] == "2026-11-22T10:00:00.000Z"
    source, destination = payment["source"], payment["destination"]
    assert source["chainId"] == "8453" and destination["chainId"] == "1500"
    assert source["tokenAddress"] == "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
    assert destination["tokenAddress"] == "USDC:GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN"
    assert (source["amount"], source["fee"], destination["amount"]) == ("10.00", "0.01", "9.99")
    assert re.fullmatch(r"0x[0-9a-f]{40}", source["receiverAddress"]) and "receiverMemo" not in source
    assert "txHash" not in source and "errorCode" not in payment  # unset members are omitted, never null


async def test_published_example_request_creates_without_a_key(sandbox):
    """The OpenAPI's own example (public appId) creates with no X-API-Key; USDT on Ethereum pays in."""
    payment = await created(sandbox, EXAMPLE, key=None)
    assert payment["appId"] == "rozoBridgeStellar" and payment["source"]["tokenSymbol"] == "USDT"
    assert payment["source"]["tokenAddress"] == EXAMPLE["source"]["tokenAddress"]


async def test_exact_out_adds_the_fee_to_the_input(sandbox):
    """exactOut: the recipient gets the destination amount exactly and the payer sends it plus the fee."""
    payload = body(type="exactOut", source={"chainId": 137, "tokenSymbol": "USDT"},
                   destination={**MERCHANT["destination"], "amount": "250.00"})
    payment = await created(sandbox, payload)
    assert (payment["destination"]["amount"], payment["source"]["fee"], payment["source"]["amount"]) == \
        ("250.00", "0.25", "250.25")


@pytest.mark.parametrize(("kind", "given", "fee", "other"), [
    ("exactIn", "999999999999999.999999999999999999", "1000000000000.000000000000000000",
     "998999999999999.999999999999999999"),
    ("exactOut", "123456789012345.123456789012345678", "123456789012.345123456789012346",
     "123580245801357.468580245801358024"),
])
async def test_the_largest_amounts_are_priced_to_the_last_place(sandbox, kind, given, fee, other):
    """15 integer digits and 18 places, as many as an amount may have: the fee (0.1 %, rounded up)
    and the other leg are exact. Their 33 digits are past Python's default 28, where quantizing
    them raised a 500."""
    leg, other_leg = ("source", "destination") if kind == "exactIn" else ("destination", "source")
    payload = body(type=kind, source={"chainId": 8453, "tokenSymbol": "USDC"},
                   destination=dict(MERCHANT["destination"]))
    payload[leg]["amount"] = given
    payment = await created(sandbox, payload)
    assert (payment[leg]["amount"], payment["source"]["fee"], payment[other_leg]["amount"]) == (given, fee, other)


@pytest.mark.parametrize(("chain", "family"), [("stellar", "stellar"), (900, "solana"), ("cctp:6", "evm")])
async def test_deposit_address_has_the_source_chains_shape(sandbox, chain, family):
    """Stellar and Solana deposits are a pooled address plus a memo; EVM deposits get their own address."""
    payload = body(orderId=None, source={"chainId": chain, "tokenSymbol": "USDC", "amount": "5.00"})
    source = (await created(sandbox, payload))["source"]
    shapes = {"stellar": r"G[A-Z2-7]{55}", "solana": r"[1-9A-HJ-NP-Za-km-z]{32,44}", "evm": r"0x[0-9a-f]{40}"}
    assert re.fullmatch(shapes[family], source["receiverAddress"])
    assert ("receiverMemo" in source) == (family != "evm")
    if family != "evm":
        again = (await created(sandbox, payload))["source"]
        assert again["receiverAddress"] == source["receiverAddress"] and again["receiverMemo"] != source["receiverMemo"]


async def test_duplicate_order_id_answers_409_naming_the_existing_payment(sandbox):
    """A second create with the same orderId in the same app is 409; another app may reuse the orderId."""
    first = await created(sandbox)
    status, error = await create(sandbox)
    assert status == 409 and error["error"]["code"] == "duplicateOrderId"
    assert error["error"]["details"]["paymentId"] == first["id"]
    other = await created(sandbox, key=sandbox.key("rozo", "wallet_api_key"))
    assert other["orderId"] == first["orderId"] and other["appId"] == "wallet_sandbox"


async def test_get_by_order_id_recovers_the_payment(sandbox):
    """GET /payments/order/{appId}/{orderId} finds the payment created with that orderId."""
    payment = await created(sandbox)
    status, found = await api(sandbox, "GET", f"/payments/order/merchant_sandbox/{payment['orderId']}",
                              key=sandbox.key("rozo"))
    assert status == 200 and found == payment
    status, error = await api(sandbox, "GET", "/payments/order/merchant_sandbox/nope", key=sandbox.key("rozo"))
    assert status == 404 and error["error"]["code"] == "paymentNotFound"


async def test_unknown_payment_id_is_404_in_rozo_shape(sandbox):
    """An id nobody created answers 404 paymentNotFound."""
    status, error = await api(sandbox, "GET", "/payments/00000000-0000-4000-8000-000000000000")
    assert status == 404 and error["error"]["code"] == "paymentNotFound"


async def test_missing_required_fields_are_all_named(sandbox):
    """A body missing display and destination is 400 invalidRequest naming both fields."""
    status, error = await create(sandbox, body(display=None, destination=None))
    assert status == 400 and error["error"]["code"] == "invalidRequest"
    fields = {f["field"] for f in error["error"]["details"]["fields"]}
    assert fields == {"/display", "/destination"}


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"source": {"chainId": 27, "tokenSymbol": "USDC", "amount": "1.00"}}, "invalidChainId", "/source/chainId"),
    ({"source": {"chainId": 1500, "tokenSymbol": "USDT", "amount": "1.00"}}, "invalidRequest", "/source/tokenSymbol"),
    ({"destination": {**MERCHANT["destination"], "tokenSymbol": "USDT"}}, "invalidRequest", "/destination/tokenSymbol"),
    ({"destination": {**MERCHANT["destination"], "receiverAddress": "0xabc"}}, "invalidRequest",
     "/destination/receiverAddress"),
    ({"source": {"chainId": 8453, "tokenSymbol": "USDC"}}, "invalidRequest", "/source/amount"),
    ({"source": {"chainId": 8453, "tokenSymbol": "USDC", "amount": "ten"}}, "invalidRequest", "/source/amount"),
    ({"source": {"chainId": 8453, "tokenSymbol": "USDC", "amount": "0.01"}}, "amountTooLow", "/source/amount"),
    ({"source": {"chainId": 8453, "tokenSymbol": "USDC", "amount": "1e1000000"}}, "invalidRequest", "/source/amount"),
    ({"type": "anyAmount"}, "invalidRequest", "/type"),
    ({"webhookUrl": "http://partner.example.com/hooks"}, "invalidRequest", "/webhookUrl"),
])
async def test_requests_rozo_would_refuse_are_400_with_the_field(sandbox, change, code, field):
    """Unknown chains, unsupported tokens, bad addresses and amounts, non-https webhook URLs: 400 naming the field."""
    status, error = await create(sandbox, body(**change))
    assert status == 400 and error["error"]["code"] == code
    assert field in {f["field"] for f in error["error"]["details"]["fields"]}


async def test_dryrun_quotes_the_fee_without_storing_a_payment(sandbox):
    """`POST /payments?dryrun=true` prices the request like create would and stores nothing."""
    status, quote = await api(sandbox, "POST", "/payments?dryrun=true", json_body=body(), key=sandbox.key("rozo"))
    assert status == 200 and "id" not in quote
    assert quote["source"] == {"chainId": "8453", "tokenSymbol": "USDC", "amount": "10.00", "fee": "0.01"}
    assert quote["destination"]["amount"] == "9.99" and quote["feeInfo"]["minimumFee"] == "$0.01"
    listed = (await api(sandbox, "GET", "/payments", key=sandbox.key("rozo")))[1]
    assert listed["pagination"]["total"] == 0
    again = await created(sandbox)  # the quote did not take the orderId either
    assert again["source"]["fee"] == quote["source"]["fee"]


async def test_dryrun_errors_like_create(sandbox):
    """A quote for an unknown chain fails exactly as the create would."""
    payload = body(source={"chainId": "cctp:25", "tokenSymbol": "USDC", "amount": "1.00"})
    status, error = await api(sandbox, "POST", "/payments?dryrun=true", json_body=payload, key=sandbox.key("rozo"))
    assert status == 400 and error["error"]["code"] == "invalidChainId"


async def test_cors_preflight_and_headers_let_browser_sdks_call(sandbox):
    """OPTIONS answers 204 with the allowed headers; answers (errors too) carry Access-Control-Allow-Origin."""
    status, _, response = await sandbox.request("OPTIONS", API + "/payments",
                                                headers={"Origin": "https://shop.example",
                                                         "Access-Control-Request-Method": "POST"})
    assert status == 204 and "x-api-key" in response.headers["Access-Control-Allow-Headers"]
    status, _, response = await sandbox.request("GET", API + "/payments/none")
    assert status == 404 and response.headers["Access-Control-Allow-Origin"] == "*"
