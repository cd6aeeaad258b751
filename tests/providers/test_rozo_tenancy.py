"""ROZO auth and tenancy as the OpenAPI describes: keys bound to appIds, key over body, other tenant → 404."""

from __future__ import annotations

import pytest

from tests.providers.rozo_support import EXAMPLE, api, body, create, created, payin


def wallet_key(sandbox) -> str:
    return sandbox.key("rozo", "wallet_api_key")


@pytest.mark.parametrize("app_id", ["merchant_sandbox", "merchantcafe", "wallet_alice", "rozomerchant_x"])
async def test_merchant_app_ids_without_a_key_are_missing_api_key(sandbox, app_id):
    """appIds starting wallet_, merchant or rozomerchant need X-API-Key: 400 missing_api_key."""
    status, error = await create(sandbox, body(appId=app_id), key=None)
    assert status == 400 and error["error"]["code"] == "missing_api_key"


async def test_unknown_key_is_invalid_api_key_everywhere(sandbox):
    """A key the sandbox never issued answers 400 invalid_api_key on create, get, list, payin and check."""
    payment = await created(sandbox, EXAMPLE, key=None)
    bad = "rz_test_not_a_real_key"
    calls = [("POST", "/", EXAMPLE), ("GET", f"/payments/{payment['id']}", None), ("GET", "/payments", None),
             ("POST", f"/payments/{payment['id']}/payin", {"txHash": "0x" + "1" * 64}),
             ("GET", "/payments/check?txHash=0x" + "1" * 64, None),
             ("GET", "/payments/order/rozoBridgeStellar/x", None)]
    for method, path, payload in calls:
        status, error = await api(sandbox, method, path, json_body=payload, key=bad)
        assert status == 400 and error["error"]["code"] == "invalid_api_key", (method, path, error)


async def test_key_overrides_the_body_app_id(sandbox):
    """With a valid key the body's appId is silently replaced by the key's app."""
    payment = await created(sandbox, body(appId="merchant_someone_else"))
    assert payment["appId"] == "merchant_sandbox"
    payment = await created(sandbox, body(appId="rozoBridgeStellar", orderId="w-1"), key=wallet_key(sandbox))
    assert payment["appId"] == "wallet_sandbox"


async def test_public_app_ids_create_without_a_key(sandbox):
    """Legacy public appIds need no key; an Authorization bearer token plays no part."""
    payment = await created(sandbox, EXAMPLE, key=None, headers={"Authorization": "Bearer anything"})
    assert payment["appId"] == "rozoBridgeStellar"


async def test_other_tenants_payment_is_404_with_a_key_and_visible_without(sandbox):
    """A key scopes GET to its own app (404 for others); without a key any id is fetchable (legacy)."""
    mine = await created(sandbox)
    status, error = await api(sandbox, "GET", f"/payments/{mine['id']}", key=wallet_key(sandbox))
    assert status == 404 and error["error"]["code"] == "paymentNotFound"
    status, found = await api(sandbox, "GET", f"/payments/{mine['id']}")
    assert status == 200 and found["id"] == mine["id"]
    public = await created(sandbox, EXAMPLE, key=None)
    status, _ = await api(sandbox, "GET", f"/payments/{public['id']}", key=sandbox.key("rozo"))
    assert status == 404


async def test_order_lookup_is_scoped_to_the_keys_app(sandbox):
    """GET /payments/order/{appId}/{orderId} with another app's key is 404; without a key it works."""
    payment = await created(sandbox)
    path = f"/payments/order/merchant_sandbox/{payment['orderId']}"
    status, _ = await api(sandbox, "GET", path, key=wallet_key(sandbox))
    assert status == 404
    status, found = await api(sandbox, "GET", path)
    assert status == 200 and found["id"] == payment["id"]


async def test_payin_for_another_tenants_payment_is_404(sandbox):
    """Registering a payin with another app's key cannot touch the payment."""
    payment = await created(sandbox)
    status, error = await payin(sandbox, payment["id"], "0x" + "ab" * 32, key=wallet_key(sandbox))
    assert status == 404 and error["error"]["code"] == "paymentNotFound"
    status, again = await api(sandbox, "GET", f"/payments/{payment['id']}")
    assert again["status"] == "payment_unpaid"


async def test_list_is_scoped_to_the_key_and_ignores_app_id_query(sandbox):
    """List Payments returns only the key's app's payments, whatever ?appId= says."""
    await created(sandbox)
    await created(sandbox, body(orderId="w-1"), key=wallet_key(sandbox))
    status, page = await api(sandbox, "GET", "/payments?appId=merchant_sandbox", key=wallet_key(sandbox))
    assert status == 200 and [p["appId"] for p in page["data"]] == ["wallet_sandbox"]


async def test_list_needs_a_key_for_merchant_apps(sandbox):
    """Without a key, listing a merchant app (or no app) is missing_api_key; a public ?appId= lists."""
    await created(sandbox, EXAMPLE, key=None)
    for query in ("", "?appId=merchant_sandbox"):
        status, error = await api(sandbox, "GET", "/payments" + query)
        assert status == 400 and error["error"]["code"] == "missing_api_key"
    status, page = await api(sandbox, "GET", "/payments?appId=rozoBridgeStellar")
    assert status == 200 and page["pagination"]["total"] == 1
