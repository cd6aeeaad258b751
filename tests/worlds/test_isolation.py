"""Isolation between worlds (SPEC §12): credentials, pages and the control API never cross a world's edge."""

from __future__ import annotations

import pytest

from tests.faults.drivers import DRIVERS
from tests.providers import inqud_support, liqx_support, mizu_support, rozo_support
from tests.support import credentials
from tests.worlds.support import PROVIDERS, WorldView, world_view

FINAL = {"liqx": "COMPLETED", "rozo": "payment_completed", "inqud": "SUCCESS", "mizu": "4"}


async def _get_as(view: WorldView, provider: str, object_id: str) -> int:
    """GET one object of `provider` with `view`'s credentials; returns the status."""
    if provider == "liqx":
        status, _, _ = await view.request("GET", f"/liqx/v1/intents/{object_id}", headers=credentials(view, "liqx"))
    elif provider == "rozo":
        status, _, _ = await view.request("GET", f"{rozo_support.API}/payments/{object_id}",
                                          headers=rozo_support.keyed(view.key("rozo")))
    elif provider == "inqud":
        status, _, _ = await inqud_support.get_checkout(view, object_id)
    else:
        status, _, _ = await view.request("GET", f"/mizu/api/v1/payments/{object_id}", headers=credentials(view, "mizu"))
    return status


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_credentials_of_one_world_never_see_another_worlds_object(sandbox, provider):
    """World A's credentials on world B's object: 404 as if absent; B's own credentials: 200."""
    a, b = await world_view(sandbox), await world_view(sandbox)
    object_id, _ = await DRIVERS[provider].produce(b)
    assert await _get_as(b, provider, object_id) == 200
    assert await _get_as(a, provider, object_id) == 404
    assert await _get_as(sandbox, provider, object_id) == 404, "the default world is a world like any other"


@pytest.mark.parametrize("provider", ["liqx", "rozo", "mizu"])  # Inqud has no list call
async def test_lists_with_one_worlds_credentials_hold_only_its_objects(sandbox, provider):
    """A list call (where the provider has one) with A's key returns A's objects, never B's."""
    a, b = await world_view(sandbox), await world_view(sandbox)
    mine, _ = await DRIVERS[provider].produce(a)
    theirs, _ = await DRIVERS[provider].produce(b)
    if provider == "liqx":
        _, body, _ = await a.request("GET", "/liqx/v1/intents", headers=credentials(a, "liqx"))
        ids = [item["intent_id"] for item in body["data"]]
    elif provider == "rozo":
        _, body, _ = await a.request("GET", f"{rozo_support.API}/payments", headers=rozo_support.keyed(a.key("rozo")))
        ids = [item["id"] for item in body["data"]]
    else:
        _, body, _ = await a.request("GET", "/mizu/api/v1/payments", headers=credentials(a, "mizu"))
        ids = [str(item["id"]) for item in (body["data"] if isinstance(body, dict) and "data" in body else body)]
    assert str(mine) in [str(i) for i in ids] and str(theirs) not in [str(i) for i in ids]


async def _page_state(view: WorldView, provider: str, object_id: str) -> dict:
    """What the provider's hosted page for an object reads: its state endpoint."""
    if provider == "rozo":
        status, body, _ = await view.request("GET", f"/rozo/pay/{object_id}/state")
    elif provider == "inqud":
        status, body, _ = await view.request("GET", f"/inqud/pay/api/checkouts/{object_id}")
    else:
        raise AssertionError(provider)
    assert status == 200, body
    return body


@pytest.mark.parametrize("provider", ["rozo", "inqud"])
async def test_pages_of_a_worlds_object_show_that_worlds_data(sandbox, provider):
    """B's hosted page shows B's object; driving it emits B's webhook into B's receipts only."""
    a, b = await world_view(sandbox), await world_view(sandbox)
    await DRIVERS[provider].produce(a)
    object_id, count = await DRIVERS[provider].produce(b)
    state = await _page_state(b, provider, object_id)
    assert object_id in str(state)
    if provider == "rozo":  # B's pooled deposit addresses are B's own credentials
        pools = {b.credentials("rozo").get("stellar_deposit_address"), b.credentials("rozo").get("solana_deposit_address")}
        others = {a.credentials("rozo").get("stellar_deposit_address")}
        assert not (others - {None}) & set(str(state).split("'")), "A's pool never appears on B's page"
        assert pools
    await sandbox.settle()
    assert {r["intent_id"] for r in await b.receipts(provider)} >= {object_id}
    assert object_id not in {r["intent_id"] for r in await a.receipts(provider)}


async def test_liqx_widget_page_belongs_to_the_world_of_its_session(sandbox):
    """The widget session token of B's intent opens B's intent; its action completes B's intent only."""
    a, b = await world_view(sandbox), await world_view(sandbox)
    _, intent, _ = await liqx_support.create_payin(b)
    _, session, _ = await b.request("POST", f"/liqx/v1/intents/{intent['intent_id']}/widget-sessions",
                                    headers=credentials(b, "liqx"))
    status, state, _ = await b.request("GET", f"/liqx/widget/{session['session_token']}/state")
    assert status == 200 and intent["intent_id"] in str(state)
    status, _, _ = await b.request("POST", f"/liqx/widget/{session['session_token']}/actions", json={"action": "deposit"})
    assert status == 200
    await sandbox.settle()
    status, got, _ = await b.request("GET", f"/liqx/v1/intents/{intent['intent_id']}", headers=credentials(b, "liqx"))
    assert status == 200 and got["status"] == "COMPLETED"
    assert [r["intent_id"] for r in await b.receipts("liqx")] == [intent["intent_id"]]
    assert await a.receipts("liqx") == []


async def test_mizu_pay_page_payment_belongs_to_the_world_of_its_link(sandbox):
    """A payment opened on B's payment link is B's: B's key reads it, A's key gets 404."""
    a, b = await world_view(sandbox), await world_view(sandbox)
    link = await mizu_support.create_link(b)
    payment = await mizu_support.open_payment(b, link["id"], "payer@example.com", "order-7")
    status, _, _ = await b.request("GET", f"/mizu/api/v1/payments/{payment['id']}", headers=credentials(b, "mizu"))
    assert status == 200
    status, _, _ = await a.request("GET", f"/mizu/api/v1/payments/{payment['id']}", headers=credentials(a, "mizu"))
    assert status == 404


async def test_control_calls_with_one_worlds_header_never_list_another_worlds_rows(sandbox):
    """Intents, events, deliveries, timelines, faults, fault log, endpoints: each answers its world's rows only."""
    a, b = await world_view(sandbox), await world_view(sandbox)
    produced = {}
    for provider in PROVIDERS:
        produced[provider], _ = await DRIVERS[provider].produce(b)
    await b.control("POST", "/faults", {"provider": "liqx", "action": "drop", "times": 0})
    await b.control("PUT", "/receiver/liqx", {"status": 500, "times": 3})
    await b.control("PUT", "/endpoints/rozo", {"url": "http://127.0.0.1:9/b-only"})
    await DRIVERS["liqx"].produce(b)
    await sandbox.settle()
    for path in ("/intents", "/events", "/deliveries", "/faults", "/faults/log"):
        assert (await a.control("GET", path))["data"] == [], path
        assert (await b.control("GET", path))["data"] != [], path
    for provider, object_id in produced.items():
        status, _ = await a.control_raw("GET", f"/intents/{provider}/{object_id}/timeline")
        assert status == 404, provider
        status, _ = await a.control_raw("POST", f"/intents/{provider}/{object_id}/transition", {"to": FINAL[provider]})
        assert status == 404, provider
    assert (await a.control("GET", "/endpoints/rozo"))["url"] != "http://127.0.0.1:9/b-only"
    [event] = (await b.control("GET", f"/events?provider=liqx&intent_id={produced['liqx']}"))["data"]
    status, _ = await a.control_raw("POST", f"/events/{event['id']}/resend")
    assert status == 404, "A cannot resend B's event"


async def test_one_worlds_fault_rule_and_receiver_instruction_act_in_that_world_only(sandbox):
    """B's drop rule and B's receiver instruction leave A's identical deliveries untouched."""
    a, b = await world_view(sandbox), await world_view(sandbox)
    await b.control("POST", "/faults", {"provider": "liqx", "action": "drop", "times": 0})
    await b.control("PUT", "/receiver/mizu", {"status": 500, "times": 5})
    for view in (a, b):
        await DRIVERS["liqx"].produce(view)
        await DRIVERS["mizu"].produce(view)
    await a.advance(60)
    await b.advance(60)
    assert [r["type"] for r in await a.receipts("liqx")] == ["transaction.completed"]
    assert len(await a.receipts("mizu")) == 1
    assert await b.receipts("liqx") == [] and await b.receipts("mizu") == []
    a_statuses = {d["status"] for d in (await a.control("GET", "/deliveries"))["data"]}
    assert a_statuses == {"delivered"}
    assert {d["status"] for d in (await b.control("GET", "/deliveries"))["data"]} == {"dropped", "failed"}
