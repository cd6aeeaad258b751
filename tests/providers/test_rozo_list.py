"""ROZO List Payments (limit/offset/status/fromDate/toDate) and `GET /payments/check`."""

from __future__ import annotations

import pytest

from tests.providers.rozo_support import api, body, created, payin


async def make(sandbox, count: int, step_s: float = 60) -> list[dict]:
    """`count` merchant payments created `step_s` sandbox seconds apart, oldest first."""
    out = []
    for n in range(count):
        out.append(await created(sandbox, body(orderId=f"order-{n}")))
        sandbox.clock.advance(step_s)
    return out


async def page(sandbox, query: str) -> dict:
    status, answer = await api(sandbox, "GET", "/payments" + query, key=sandbox.key("rozo"))
    assert status == 200, answer
    return answer


async def test_list_pages_newest_first_with_total(sandbox):
    """limit and offset walk the payments newest first; pagination echoes them and counts all matches."""
    made = await make(sandbox, 5)
    first = await page(sandbox, "?limit=2")
    second = await page(sandbox, "?limit=2&offset=2")
    last = await page(sandbox, "?limit=2&offset=4")
    ids = [p["id"] for p in first["data"] + second["data"] + last["data"]]
    assert ids == [p["id"] for p in reversed(made)]
    assert first["pagination"] == {"total": 5, "limit": 2, "offset": 0}
    assert last["pagination"] == {"total": 5, "limit": 2, "offset": 4} and len(last["data"]) == 1
    assert (await page(sandbox, "?offset=10"))["data"] == []
    huge = await page(sandbox, f"?offset={10**30}")
    assert huge["data"] == [] and huge["pagination"]["offset"] == 10**30


async def test_list_defaults_to_twenty(sandbox):
    """Without limit the page holds at most 20."""
    await make(sandbox, 21, step_s=1)
    listed = await page(sandbox, "")
    assert len(listed["data"]) == 20 and listed["pagination"] == {"total": 21, "limit": 20, "offset": 0}


async def test_list_filters_by_status(sandbox):
    """?status= keeps only payments in that status."""
    made = await make(sandbox, 3)
    status, _ = await payin(sandbox, made[1]["id"], "0x" + "cd" * 32)
    assert status == 200
    started = await page(sandbox, "?status=payment_started")
    assert [p["id"] for p in started["data"]] == [made[1]["id"]] and started["pagination"]["total"] == 1
    unpaid = await page(sandbox, "?status=payment_unpaid")
    assert unpaid["pagination"]["total"] == 2


async def test_list_filters_by_created_date_inclusive(sandbox):
    """fromDate and toDate bound createdAt, both ends included."""
    made = await make(sandbox, 4)  # 09:00, 09:01, 09:02, 09:03
    window = await page(sandbox, "?fromDate=2026-11-22T09:01:00Z&toDate=2026-11-22T09:02:00.000Z")
    assert [p["id"] for p in window["data"]] == [made[2]["id"], made[1]["id"]]
    assert (await page(sandbox, "?fromDate=2026-11-22T09:03:00Z"))["pagination"]["total"] == 1
    assert (await page(sandbox, "?toDate=2026-11-22T08:59:59Z"))["pagination"]["total"] == 0


@pytest.mark.parametrize(("query", "field"), [
    ("?limit=0", "limit"), ("?limit=101", "limit"), ("?limit=ten", "limit"), ("?offset=-1", "offset"),
    ("?status=paid", "status"), ("?fromDate=yesterday", "fromDate"), ("?toDate=2026-13-01", "toDate"),
])
async def test_list_rejects_bad_query_parameters_naming_them(sandbox, query, field):
    """Out-of-range limits, bad offsets, unknown statuses and non-ISO dates are 400 invalidRequest."""
    status, error = await api(sandbox, "GET", "/payments" + query, key=sandbox.key("rozo"))
    assert status == 400 and error["error"]["code"] == "invalidRequest"
    assert field in {f["field"] for f in error["error"]["details"]["fields"]}, error


async def test_check_finds_a_payment_by_its_payin_tx_hash(sandbox):
    """`GET /payments/check?txHash=` and `?sourceTxHash=` find the payment whose payin used that hash."""
    made = await make(sandbox, 2)
    tx = "0x" + "7a" * 32
    await payin(sandbox, made[0]["id"], tx, "0x" + "11" * 20)
    for name in ("txHash", "sourceTxHash"):
        status, found = await api(sandbox, "GET", f"/payments/check?{name}={tx}")
        assert status == 200 and found["id"] == made[0]["id"] and found["source"]["txHash"] == tx


async def test_check_finds_a_stellar_deposit_by_address_and_memo(sandbox):
    """A pooled Stellar deposit is found by receiverAddress + receiverMemo."""
    payment = await created(sandbox, body(source={"chainId": 1500, "tokenSymbol": "USDC", "amount": "3.00"}))
    source = payment["source"]
    status, found = await api(sandbox, "GET", f"/payments/check?receiverAddress={source['receiverAddress']}"
                              f"&receiverMemo={source['receiverMemo']}")
    assert status == 200 and found["id"] == payment["id"]


async def test_check_search_windows_end(sandbox):
    """The address + memo search covers 7 days: a deposit made 8 days ago is no longer found."""
    payment = await created(sandbox, body(source={"chainId": 1500, "tokenSymbol": "USDC", "amount": "3.00"}))
    source = payment["source"]
    sandbox.clock.advance(8 * 86400)
    status, error = await api(sandbox, "GET", f"/payments/check?receiverAddress={source['receiverAddress']}"
                              f"&receiverMemo={source['receiverMemo']}")
    assert status == 404 and error["error"]["code"] == "paymentNotFound"


@pytest.mark.parametrize("query", ["", "?receiverAddress=GABC", "?receiverMemo=1",
                                   "?txHash=0x1&sourceTxHash=0x2"])
async def test_check_without_a_usable_key_pair_is_400(sandbox, query):
    """No hash, an address without memo (or the reverse), or two hash parameters: 400 invalidRequest."""
    status, error = await api(sandbox, "GET", "/payments/check" + query)
    assert status == 400 and error["error"]["code"] == "invalidRequest"


async def test_check_unknown_hash_is_404(sandbox):
    """A hash no payment has is 404 paymentNotFound."""
    status, error = await api(sandbox, "GET", "/payments/check?txHash=0x" + "00" * 32)
    assert status == 404 and error["error"]["code"] == "paymentNotFound"
