"""The poisoned-store regression: one hostile ROZO create must not break ROZO for every app.

Before the strict reader, a keyless create on a public appId with `"metadata": {"x": NaN}` was
stored; SQLite's JSON functions then failed on that row, so ROZO's list and payin answered 500
for every app, across restarts, until the database was repaired by hand.
"""

from __future__ import annotations

import json

from tests.providers.rozo_support import API, EXAMPLE, check_answer
from tests.support import start_sandbox, stop_sandbox


async def _list_and_payin(running, payment_id: str) -> None:
    status, listed, _ = await running.request("GET", API + "/payments?appId=rozoBridgeStellar")
    check_answer(status, listed, "payment-list")
    assert status == 200 and [p["id"] for p in listed["data"]] == [payment_id]
    status, page, _ = await running.request("GET", f"{API}/payments/{payment_id}")
    check_answer(status, page, "payment")
    assert status == 200


async def test_nan_metadata_is_refused_and_rozo_still_lists_and_takes_payins_after_a_restart(tmp_path):
    """NaN in a keyless create is 400; list and payin still answer 200, also after a restart."""
    running = await start_sandbox(tmp_path)
    try:
        status, payment, _ = await running.request("POST", API + "/payments", json=EXAMPLE)
        assert status == 201, payment
        poisoned = json.dumps(EXAMPLE)[:-1] + ', "extra": {"x": NaN}}'
        poisoned = poisoned.replace('"metadata": {"intent": "Deposit"}', '"metadata": {"x": NaN}')
        assert "NaN" in poisoned
        status, error, _ = await running.request("POST", API + "/payments", data=poisoned,
                                                 headers={"Content-Type": "application/json"})
        check_answer(status, error, "error")
        assert status == 400 and error["error"]["code"] == "invalidRequest"
        await _list_and_payin(running, payment["id"])
        status, paid, _ = await running.request("POST", f"{API}/payments/{payment['id']}/payin",
                                                json={"txHash": "0x" + "ab" * 32,
                                                      "fromAddress": "0x" + "12" * 20})
        check_answer(status, paid, "payment")
        assert status == 200
    finally:
        await stop_sandbox(running)
    again = await start_sandbox(tmp_path)
    try:
        await _list_and_payin(again, payment["id"])
    finally:
        await stop_sandbox(again)
