"""Mizu's provisional payment-link API: answers, contracts, and bad input refused in Mizu's envelope."""

import json
import re

import pytest

from sandbox.contracts import Contracts
from tests.providers.mizu_support import (
    FIELD_NAMES,
    LINK,
    create_link,
    get_payment,
    open_payment,
    press,
)
from tests.support import contract_issues, credentials, start_sandbox, stop_sandbox

CONTRACTS = Contracts()


def _error_ok(answer: dict, status: int, code: str) -> None:
    assert answer["error"]["status"] == status and answer["error"]["code"] == code, answer
    assert answer["requestId"].startswith("req_")
    assert not CONTRACTS.errors("mizu", "responses", "error", answer), answer


def without(key):
    """The sample link body without one field."""
    return {k: v for k, v in LINK.items() if k != key}


async def test_payment_link_is_created_and_read_back(sandbox):
    """A link answers a numeric id, a pay-page URL and an EVM wallet address, and GET returns it unchanged."""
    link = await create_link(sandbox)
    assert isinstance(link["id"], int) and not isinstance(link["id"], bool)
    assert link["url"] == f"{sandbox.base_url}/mizu/pay/{link['id']}"
    assert re.fullmatch(r"0x[0-9a-f]{40}", link["receiveWalletAddress"])
    assert link["title"] == LINK["title"] and link["amount"] == "25.50" and link["status"] == "active"
    status, again, _ = await sandbox.request("GET", f"/mizu/api/v1/payment-links/{link['id']}", headers=credentials(sandbox, "mizu"))
    assert status == 200 and again == link


async def test_links_and_payments_have_distinct_numeric_ids(sandbox):
    """Every link and payment number names one object; a payment id is not a link id and vice versa."""
    link = await create_link(sandbox)
    payment = await open_payment(sandbox, link["id"])
    assert payment["id"] != link["id"] and payment["paymentLinkId"] == link["id"]
    assert payment["receiveWalletAddress"] == link["receiveWalletAddress"] and payment["payAmount"] == link["amount"]
    status, answer, _ = await sandbox.request("GET", f"/mizu/api/v1/payment-links/{payment['id']}", headers=credentials(sandbox, "mizu"))
    assert status == 404
    _error_ok(answer, 404, "not_found")
    status, answer, _ = await sandbox.request("GET", f"/mizu/api/v1/payments/{link['id']}", headers=credentials(sandbox, "mizu"))
    assert status == 404


async def test_payment_read_back_follows_the_status_path(sandbox):
    """GET /payments/{id} shows 0, then 1, then 4 with the chain facts filled in, each valid against its contract."""
    link = await create_link(sandbox)
    payment = await open_payment(sandbox, link["id"], "payer@example.com", "ref-1")
    assert (await get_payment(sandbox, payment["id"]))["status"] == 0
    await press(sandbox, payment, "paid")
    marked = await get_payment(sandbox, payment["id"])
    assert marked["status"] == 1 and marked["transactionHash"] is None and marked["paidTime"] is None
    await sandbox.advance(10)
    confirmed = await get_payment(sandbox, payment["id"])
    assert confirmed["status"] == 4 and re.fullmatch(r"0x[0-9a-f]{64}", confirmed["transactionHash"])
    assert isinstance(confirmed["logIndex"], int)


@pytest.mark.parametrize("chain", ["ethereum", "polygon", "arbitrum", "base", "optimism", "bsc"])
async def test_every_chain_gets_addresses_and_hashes_of_its_shape(sandbox, chain):
    """Each supported chain's wallet and transaction hash match that chain's (EVM) shape."""
    link = await create_link(sandbox, {**LINK, "chain": chain, "currency": "USDT"})
    payment = await open_payment(sandbox, link["id"])
    await sandbox.control("POST", f"/intents/mizu/{payment['id']}/transition", {"to": "4"})
    confirmed = await get_payment(sandbox, payment["id"])
    assert confirmed["chain"] == chain and confirmed["currency"] == "USDT"
    assert re.fullmatch(r"0x[0-9a-f]{40}", confirmed["receiveWalletAddress"])
    assert re.fullmatch(r"0x[0-9a-f]{64}", confirmed["transactionHash"])


async def test_list_finds_payments_by_reference_link_and_status(sandbox):
    """GET /payments filters by clientReferenceId, paymentLinkId and status, newest first."""
    link = await create_link(sandbox)
    other = await create_link(sandbox)
    first = await open_payment(sandbox, link["id"], reference="주문-1")
    second = await open_payment(sandbox, link["id"], reference="주문-1")
    await open_payment(sandbox, other["id"], reference="주문-1")
    await press(sandbox, first, "timeout")
    for query, expected in ((f"clientReferenceId=주문-1&paymentLinkId={link['id']}", [second["id"], first["id"]]),
                            ("clientReferenceId=주문-1&status=2", [first["id"]]),
                            (f"paymentLinkId={link['id']}&limit=1", [second["id"]])):
        status, found, _ = await sandbox.request("GET", f"/mizu/api/v1/payments?{query}", headers=credentials(sandbox, "mizu"))
        assert status == 200, found
        assert [p["id"] for p in found["data"]] == expected, query
        assert contract_issues("mizu", "responses", "payment-list", found) == []


async def test_unicode_round_trips_through_api_page_params_and_webhook(sandbox, receiver):
    """Korean, emoji and combining marks come back byte-identical from the API and in the webhook."""
    title, reference = "홍길동 👩‍💻 e\u0301", "주문-👩‍💻-e\u0301"
    await sandbox.control("PUT", "/endpoints/mizu", {"url": receiver.url})
    link = await create_link(sandbox, {**LINK, "title": title, "description": "메모"})
    status, again, _ = await sandbox.request("GET", f"/mizu/api/v1/payment-links/{link['id']}", headers=credentials(sandbox, "mizu"))
    assert again["title"] == title and again["description"] == "메모"
    payment = await open_payment(sandbox, link["id"], "홍@example.com", reference)
    await sandbox.control("POST", f"/intents/mizu/{payment['id']}/transition", {"to": "CONFIRMED"})
    await sandbox.settle()
    [hit] = await receiver.wait_for(1)
    body = json.loads(hit["raw"])
    assert body["clientReferenceIdParam"] == reference and body["emailParam"] == "홍@example.com"
    assert reference.encode() in hit["raw"], "sent as UTF-8, not \\u escapes"


async def test_idempotency_key_replays_the_same_link(sandbox):
    """Same Idempotency-Key and body: the same bytes come back and one link exists; another body is 409."""
    headers = {**credentials(sandbox, "mizu"), "Idempotency-Key": "mizu-key-1"}
    url = sandbox.base_url + "/mizu/api/v1/payment-links"
    async with sandbox.http.post(url, json=LINK, headers=headers) as first:
        raw = await first.read()
    async with sandbox.http.post(url, json=LINK, headers=headers) as second:
        assert second.status == 201 and await second.read() == raw
        assert second.headers.get("Idempotent-Replayed") == "true"
    status, answer, _ = await sandbox.request("POST", "/mizu/api/v1/payment-links", json={**LINK, "amount": "1"},
                                              headers=headers)
    assert status == 409
    _error_ok(answer, 409, "idempotency_key_reused")
    assert len((await sandbox.control("GET", "/intents?provider=mizu"))["data"]) == 1


async def test_config_describes_mizu_as_unsigned_and_provisional(sandbox):
    """GET /_sandbox/config gives Mizu's base URL and key, no webhook secret, and marks the API provisional."""
    described = (await sandbox.control("GET", "/config"))["providers"]["mizu"]
    assert described["base_url"] == f"{sandbox.base_url}/mizu/api/v1"
    assert re.fullmatch(r"mizu_sk_sandbox_[a-z0-9]{24}", described["api_key"])
    assert described["webhook_secret"] is None and described["webhook_signed"] is False
    assert described["api_status"] == "provisional"


async def test_strict_server_answers_every_call_within_its_contracts(tmp_path):
    """With --strict the server checks its own answers: a whole link-to-webhook flow raises no 500."""
    running = await start_sandbox(tmp_path, strict=True)
    try:
        assert running.sb.settings.strict
        link = await create_link(running)
        payment = await open_payment(running, link["id"], "s@example.com", "strict-1")
        status, state = await press(running, payment, "paid")
        assert status == 200 and state["payment"]["status"] == 1
        await running.advance(10)
        assert (await get_payment(running, payment["id"]))["status"] == 4
        for path in (f"/mizu/api/v1/payment-links/{link['id']}", "/mizu/api/v1/payments?clientReferenceId=strict-1",
                     f"/mizu/pay/{link['id']}/payments/{payment['id']}"):
            status, _, _ = await running.request("GET", path, headers=credentials(running, "mizu"))
            assert status == 200, path
        [delivery] = (await running.control("GET", "/deliveries?provider=mizu"))["data"]
        assert delivery["status"] == "delivered"
    finally:
        await stop_sandbox(running)


# --- bad input ----------------------------------------------------------------------------------

CASES = [
    ("missing amount", without("amount"), None, 400, "validation_failed", "/amount"),
    ("missing currency", without("currency"), None, 400, "validation_failed", "/currency"),
    ("missing chain", without("chain"), None, 400, "validation_failed", "/chain"),
    ("missing title", without("title"), None, 400, "validation_failed", "/title"),
    ("amount as a number", {**LINK, "amount": 25.5}, None, 400, "validation_failed", "/amount"),
    ("zero amount", {**LINK, "amount": "0.00"}, None, 400, "validation_failed", "/amount"),
    ("negative amount", {**LINK, "amount": "-1"}, None, 400, "validation_failed", "/amount"),
    ("seven decimals", {**LINK, "amount": "1.1234567"}, None, 400, "validation_failed", "/amount"),
    ("unknown currency", {**LINK, "currency": "BTC"}, None, 400, "validation_failed", "/currency"),
    ("lower-case currency", {**LINK, "currency": "usdc"}, None, 400, "validation_failed", "/currency"),
    ("unknown chain", {**LINK, "chain": "bitcoin"}, None, 400, "validation_failed", "/chain"),
    ("empty title", {**LINK, "title": ""}, None, 400, "validation_failed", "/title"),
    ("title too long", {**LINK, "title": "x" * 201}, None, 400, "validation_failed", "/title"),
    ("unknown field", {**LINK, "surprise": 1}, None, 400, "validation_failed", "/"),
]


@pytest.mark.parametrize("name,body,content_type,status,code,field", CASES, ids=[c[0] for c in CASES])
async def test_bad_link_request_is_refused_in_the_envelope(sandbox, name, body, content_type, status, code, field):
    """Each malformed create answers its status and code in Mizu's envelope, naming the offending field."""
    raw, content_type = json.dumps(body).encode(), "application/json"
    got, answer, _ = await sandbox.request("POST", "/mizu/api/v1/payment-links", data=raw,
                                           headers={**credentials(sandbox, "mizu"), "Content-Type": content_type})
    assert got == status, answer
    _error_ok(answer, status, code)
    if field:
        assert field in {d["field"] for d in answer["error"]["details"]}
    assert (await sandbox.control("GET", "/intents?provider=mizu"))["data"] == [], "a refused request stores nothing"


async def test_every_offending_field_is_named(sandbox):
    """Several problems at once are all reported, one detail each."""
    status, answer, _ = await sandbox.request("POST", "/mizu/api/v1/payment-links",
                                              json={"amount": 5, "chain": "tron"}, headers=credentials(sandbox, "mizu"))
    assert status == 400
    assert {"/amount", "/chain", "/currency", "/title"} <= {d["field"] for d in answer["error"]["details"]}


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc", "Bearer ", "mizu_sk_sandbox_x"])
async def test_missing_or_wrong_key_is_401(sandbox, header):
    """No key, a wrong key, a bare key or another scheme: 401 unauthorized on every API path."""
    headers = {"Authorization": header} if header else {}
    for method, path in (("POST", "/mizu/api/v1/payment-links"), ("GET", "/mizu/api/v1/payment-links/1"),
                         ("GET", "/mizu/api/v1/payments/1"), ("GET", "/mizu/api/v1/payments")):
        status, answer, _ = await sandbox.request(method, path, json=LINK if method == "POST" else None,
                                                  headers=headers)
        assert status == 401, (method, path)
        _error_ok(answer, 401, "unauthorized")


@pytest.mark.parametrize("path", ["/mizu/api/v1/payment-links/99999999", "/mizu/api/v1/payment-links/abc",
                                  "/mizu/api/v1/payments/99999999", "/mizu/api/v1/payments/-1",
                                  "/mizu/api/v1/payments/1234567890123456789", "/mizu/api/v2/anything"])
async def test_unknown_ids_and_paths_are_404(sandbox, path):
    """Unknown or non-numeric ids and unknown paths answer 404 not_found in Mizu's shape."""
    status, answer, _ = await sandbox.request("GET", path, headers=credentials(sandbox, "mizu"))
    assert status == 404
    _error_ok(answer, 404, "not_found")


async def test_wrong_method_is_405_in_the_envelope(sandbox):
    """DELETE on the create path is refused in Mizu's shape, not aiohttp's text page."""
    status, answer, _ = await sandbox.request("DELETE", "/mizu/api/v1/payment-links", headers=credentials(sandbox, "mizu"))
    assert status == 405
    _error_ok(answer, 405, "method_not_allowed")


async def test_unknown_scenario_header_is_400(sandbox):
    """X-Sandbox-Scenario naming no scenario is refused, naming the header; nothing is created."""
    status, answer, _ = await sandbox.request("POST", "/mizu/api/v1/payment-links", json=LINK,
                                              headers={**credentials(sandbox, "mizu"), "X-Sandbox-Scenario": "no-such"})
    assert status == 400 and answer["error"]["details"][0]["field"] == "X-Sandbox-Scenario"
    _error_ok(answer, 400, "validation_failed")
    assert (await sandbox.control("GET", "/intents?provider=mizu"))["data"] == []


@pytest.mark.parametrize("query,field", [("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"),
                                         ("status=3", "status"), ("paymentLinkId=abc", "paymentLinkId"),
                                         ("clientReferenceId=" + "x" * 129, "clientReferenceId"),
                                         ("cursor=1", "cursor")])
async def test_bad_list_query_is_400(sandbox, query, field):
    """Out-of-range limits, unpublished statuses, non-numeric ids and unknown parameters are refused by name."""
    status, answer, _ = await sandbox.request("GET", f"/mizu/api/v1/payments?{query}", headers=credentials(sandbox, "mizu"))
    assert status == 400 and field in {d["field"] for d in answer["error"]["details"]}
    _error_ok(answer, 400, "validation_failed")


@pytest.mark.parametrize("body,field", [({"email": "not-an-email"}, "/email"), ({"clientReferenceId": 7}, "/clientReferenceId"),
                                        ({"clientReferenceId": "x" * 129}, "/clientReferenceId"),
                                        ({"amount": "1"}, "/")])
async def test_bad_pay_page_parameters_are_refused(sandbox, body, field):
    """The pay page's payment opening refuses a bad email or reference in Mizu's envelope and opens nothing."""
    link = await create_link(sandbox)
    status, answer, _ = await sandbox.request("POST", f"/mizu/pay/{link['id']}/payments", json=body)
    assert status == 400 and field in {d["field"] for d in answer["error"]["details"]}
    _error_ok(answer, 400, "validation_failed")
    assert len((await sandbox.control("GET", "/intents?provider=mizu"))["data"]) == 1


async def test_bad_pay_page_actions_and_events_are_refused(sandbox):
    """Unknown buttons, foreign payments and off-contract browser events get 4xx in Mizu's envelope."""
    link = await create_link(sandbox)
    other = await create_link(sandbox)
    payment = await open_payment(sandbox, link["id"])
    base = f"/mizu/pay/{link['id']}/payments/{payment['id']}"
    checks = [
        ("POST", base + "/actions", {"action": "refund"}, 400, "validation_failed"),
        ("POST", f"/mizu/pay/{other['id']}/payments/{payment['id']}/actions", {"action": "paid"}, 404, "not_found"),
        ("GET", f"/mizu/pay/{other['id']}/payments/{payment['id']}", None, 404, "not_found"),
        ("POST", "/mizu/pay/99999999/payments", {}, 404, "not_found"),
        ("POST", base + "/events", {"source": "mizu-pay", "type": "nope"}, 400, "validation_failed"),
        ("POST", base + "/events", {"source": "mizu-pay", "version": 1, "type": "paymentConfirmed",
                                    "paymentLinkId": link["id"], "paymentId": payment["id"], "status": 0,
                                    "at": "2026-11-22T09:00:00.000Z"}, 400, "validation_failed"),
        ("POST", base + "/events", {"source": "mizu-pay", "version": 1, "type": "payReady",
                                    "paymentLinkId": link["id"], "paymentId": payment["id"] + 1000, "status": 0,
                                    "at": "2026-11-22T09:00:00.000Z"}, 400, "validation_failed"),
    ]
    for method, path, body, status, code in checks:
        got, answer, _ = await sandbox.request(method, path, json=body)
        assert got == status, (path, body, answer)
        _error_ok(answer, status, code)
    assert (await get_payment(sandbox, payment["id"]))["status"] == 0


async def test_unknown_pay_page_is_a_404_page(sandbox):
    """A pay page for no link answers a 404 HTML page, not a stack trace."""
    for path in ("/mizu/pay/99999999", "/mizu/pay/abc"):
        status, text, response = await sandbox.request("GET", path)
        assert status == 404 and response.content_type == "text/html"
        assert "Payment link not found" in text


# --- the contracts themselves -------------------------------------------------------------------


def test_webhook_contract_lists_exactly_the_published_table():
    """The webhook schema requires and allows the published fields, nothing else, status always 4."""
    schema = CONTRACTS.schema("mizu", "webhooks", "payment-intent-successed")
    assert schema["required"] == FIELD_NAMES and list(schema["properties"]) == FIELD_NAMES
    assert schema["additionalProperties"] is False and schema["properties"]["status"] == {
        "const": 4, "description": schema["properties"]["status"]["description"]}
    assert schema["properties"]["payAmount"]["type"] == "string"


def test_embedded_payment_copies_match_the_payment_contract():
    """payment-list and pay-state embed the payment schema unchanged, so the three cannot drift apart."""
    payment = {k: v for k, v in CONTRACTS.schema("mizu", "responses", "payment").items()
               if k not in ("$schema", "$id", "title", "description", "x-provisional")}
    for name in ("payment-list", "pay-state"):
        assert CONTRACTS.schema("mizu", "responses", name)["$defs"]["payment"] == payment, name


def test_provisional_contracts_are_marked():
    """Every Mizu contract except the published webhook is marked provisional or says what it is."""
    for provider, kind, name in CONTRACTS.names():
        if provider != "mizu":
            continue
        schema = CONTRACTS.schema(provider, kind, name)
        if kind in ("requests", "responses") and name in ("payment-link", "payment", "payment-list", "error"):
            assert schema.get("x-provisional") is True and "PROVISIONAL" in schema["description"], name
        if kind == "webhooks":
            assert "x-provisional" not in schema


@pytest.mark.parametrize("scenario,status,code", [("api-error", 500, "internal_error"),
                                                  ("api-unavailable", 503, "service_unavailable")])
async def test_api_fault_scenarios_hit_the_next_call_about_the_link(sandbox, scenario, status, code):
    """api-error / api-unavailable on a link: the next API call naming it fails once in Mizu's shape."""
    link = await create_link(sandbox, **{"X-Sandbox-Scenario": scenario})
    path = f"/mizu/api/v1/payment-links/{link['id']}"
    got, answer, _ = await sandbox.request("GET", path, headers=credentials(sandbox, "mizu"))
    assert got == status
    _error_ok(answer, status, code)
    assert answer["error"]["fault_rule"].startswith("flt_")
    got, again, _ = await sandbox.request("GET", path, headers=credentials(sandbox, "mizu"))
    assert got == 200 and again == link
    payment = await open_payment(sandbox, link["id"])
    assert (await get_payment(sandbox, payment["id"]))["status"] == 0, "payments carry no API faults"
