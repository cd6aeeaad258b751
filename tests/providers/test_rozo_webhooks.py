"""ROZO webhooks as ROZO documents them: two types, envelope, data = GET minus stripped fields, signature, at-most-once."""
from __future__ import annotations

import json
import re

from tests.providers.rozo_support import (
    STRIPPED,
    api,
    body,
    created,
    deliveries,
    get,
    header,
    payin,
    point_at,
    verify_rozo,
    wall_ms,
)
from tests.support import assert_contract


async def pay_through(sandbox, payment_id: str, tx: str = "0x" + "ab" * 32) -> None:
    status, _ = await payin(sandbox, payment_id, tx, "0x" + "cd" * 20)
    assert status == 200


def parsed(hit: dict) -> dict:
    return json.loads(hit["raw"])


async def test_payin_and_payout_webhooks_are_signed_as_documented(sandbox, receiver):
    """Both events arrive with X-Rozo-Timestamp in ms and a sha256= signature an independent verifier accepts."""
    secret = await point_at(sandbox, receiver)
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    payment = await created(sandbox)
    await pay_through(sandbox, payment["id"])
    await sandbox.advance(2)
    await sandbox.advance(5)
    hits = await receiver.wait_for(2)
    assert [parsed(h)["type"] for h in hits] == ["payment_payin_completed", "payment_payout_completed"]
    for hit in hits:
        assert_contract("rozo", "webhooks", "webhook-event", parsed(hit))
        now_ms = wall_ms()
        assert header(hit["headers"], "Content-Type").startswith("application/json")
        assert header(hit["headers"], "X-Rozo-Signature").startswith("sha256=")
        assert abs(int(header(hit["headers"], "X-Rozo-Timestamp")) - now_ms) < 10_000  # milliseconds, not seconds
        assert verify_rozo(secret, hit["headers"], hit["raw"], now_ms)
        assert not verify_rozo(secret[::-1], hit["headers"], hit["raw"], now_ms)
        assert not verify_rozo(secret, hit["headers"], hit["raw"] + b" ", now_ms)
        assert not verify_rozo(secret, hit["headers"], hit["raw"], now_ms + 5 * 60 * 1000 + 10_000)


async def test_every_webhook_validates_and_data_equals_get_minus_stripped_fields(sandbox, receiver):
    """Each body is a valid WebhookEvent whose data equals GET /payments/{id} at that moment, key by key."""
    await point_at(sandbox, receiver)
    payment = await created(sandbox, body(webhookUrl=None))
    await pay_through(sandbox, payment["id"])
    await sandbox.advance(2)
    [payin_hit] = await receiver.wait_for(1)
    payin_get = await get(sandbox, payment["id"])
    await sandbox.advance(5)
    hits = await receiver.wait_for(2)
    payout_get = await get(sandbox, payment["id"])
    for hit, current in ((payin_hit, payin_get), (hits[1], payout_get)):
        event = parsed(hit)
        assert_contract("rozo", "webhooks", "webhook-event", event)
        assert set(event) == {"event_id", "type", "timestamp", "data"}
        expected = {k: v for k, v in current.items() if k not in STRIPPED}
        assert event["data"] == expected
        assert "metadata" in current and "paymentLink" in current and not STRIPPED & set(event["data"])
        assert event["data"]["status"] == event["type"]
    payout = parsed(hits[1])["data"]
    assert payout["destination"]["txHash"] and payout["destination"]["confirmedAt"]
    assert "txHash" not in parsed(payin_hit)["data"]["destination"]  # unset: omitted, never null


async def test_event_ids_are_uuids_and_unique(sandbox, receiver):
    """event_id is a UUID per event (the dedup key)."""
    await point_at(sandbox, receiver)
    payment = await created(sandbox)
    await pay_through(sandbox, payment["id"])
    await sandbox.advance(7)
    ids = [parsed(h)["event_id"] for h in await receiver.wait_for(2)]
    assert len(set(ids)) == 2 and all(re.fullmatch(r"[0-9a-f-]{36}", i) for i in ids)


async def test_per_payment_webhook_url_gets_a_generated_secret(sandbox, receiver):
    """webhookUrl on create overrides the app URL; a 64-hex webhookSecret is generated, returned and signs."""
    await sandbox.control("PUT", "/endpoints/rozo", {"url": "http://127.0.0.1:9/never"})
    payment = await created(sandbox, body(webhookUrl=receiver.url))
    secret = payment["webhookSecret"]
    assert re.fullmatch(r"[0-9a-f]{64}", secret) and payment["webhookUrl"] == receiver.url
    assert (await get(sandbox, payment["id"]))["webhookSecret"] == secret
    await pay_through(sandbox, payment["id"])
    await sandbox.advance(2)
    [hit] = await receiver.wait_for(1)
    assert verify_rozo(secret, hit["headers"], hit["raw"], wall_ms())
    app_secret = (await sandbox.control("GET", "/endpoints/rozo"))["secret"]
    assert not verify_rozo(app_secret, hit["headers"], hit["raw"], wall_ms())


async def test_given_webhook_secret_is_used_as_is(sandbox, receiver):
    """A webhookSecret sent on create is the one that signs that payment's webhooks."""
    payment = await created(sandbox, body(webhookUrl=receiver.url, webhookSecret="my-own-secret-✓"))
    assert payment["webhookSecret"] == "my-own-secret-✓"
    await pay_through(sandbox, payment["id"])
    await sandbox.advance(2)
    [hit] = await receiver.wait_for(1)
    assert verify_rozo("my-own-secret-✓", hit["headers"], hit["raw"], wall_ms())


async def test_without_webhook_url_the_app_endpoint_and_secret_are_used(sandbox, receiver):
    """No webhookUrl: the app's URL and secret; the payment has no webhookSecret member."""
    secret = await point_at(sandbox, receiver)
    payment = await created(sandbox)
    assert "webhookSecret" not in payment and "webhookUrl" not in payment
    await pay_through(sandbox, payment["id"])
    await sandbox.advance(2)
    [hit] = await receiver.wait_for(1)
    assert verify_rozo(secret, hit["headers"], hit["raw"], wall_ms())


async def test_http_webhook_urls_only_for_local_receivers(sandbox):
    """ROZO demands https; the sandbox also takes http for loopback, private and single-label hosts."""
    for url in ("http://127.0.0.1:3000/h", "http://localhost/h", "http://partner-app:8000/h", "http://10.1.2.3/h",
                "https://partner.example.com/hooks"):
        status, answer = await api(sandbox, "POST", "/", json_body=body(orderId=None, webhookUrl=url),
                                   key=sandbox.key("rozo"))
        assert status == 201, (url, answer)
    status, error = await api(sandbox, "POST", "/", json_body=body(webhookUrl="http://partner.example.com/h"),
                              key=sandbox.key("rozo"))
    assert status == 400 and "https" in error["error"]["message"]


async def test_receiver_500_is_not_retried_and_logged_failed(sandbox, receiver):
    """At most once: a 500 from the partner is final; the delivery is `failed` after one attempt."""
    await point_at(sandbox, receiver)
    receiver.script = [500]
    payment = await created(sandbox)
    await pay_through(sandbox, payment["id"])
    await sandbox.advance(2)
    await receiver.wait_for(1)
    await sandbox.advance(3 * 3600)  # long enough for any retry schedule
    rows = sorted(await deliveries(sandbox, payment["id"]), key=lambda d: d["id"])
    assert [d["status"] for d in rows] == ["failed", "delivered"]  # payin failed for good, payout went on
    assert len(rows[0]["attempts"]) == 1 and rows[0]["attempts"][0]["status"] == 500
    payin_hits = [h for h in receiver.requests if parsed(h)["type"] == "payment_payin_completed"]
    assert len(payin_hits) == 1


async def test_builtin_receiver_verifies_per_payment_secrets(sandbox):
    """The sandbox's own receiver accepts both the app-signed and the per-payment-signed webhooks."""
    own = await created(sandbox, body(orderId="own", webhookUrl=f"{sandbox.base_url}/api/webhooks/rozo"))
    app = await created(sandbox, body(orderId="app"))
    for payment in (own, app):
        await pay_through(sandbox, payment["id"], "0x" + payment["id"].replace("-", "")[:32] * 2)
    await sandbox.advance(2)
    status, receipts, _ = await sandbox.request("GET", "/api/webhooks/rozo/events?type=payment_payin_completed")
    assert status == 200 and len(receipts["data"]) == 2
    assert all(r["signature_valid"] is True for r in receipts["data"])
    assert {r["intent_id"] for r in receipts["data"]} == {own["id"], app["id"]}
    assert {r["external_ref"] for r in receipts["data"]} == {"own", "app"}


async def test_scenario_webhook_missed_drops_every_webhook(sandbox, receiver):
    """`X-Sandbox-Scenario: webhook-missed`: both events are logged as dropped and never sent."""
    await point_at(sandbox, receiver)
    status, payment = await api(sandbox, "POST", "/", json_body=body(), key=sandbox.key("rozo"),
                                headers={"X-Sandbox-Scenario": "webhook-missed"})
    assert status == 201
    await pay_through(sandbox, payment["id"])
    await sandbox.advance(7)
    rows = await deliveries(sandbox, payment["id"])
    assert sorted(d["status"] for d in rows) == ["dropped", "dropped"] and receiver.requests == []


async def test_scenario_out_of_order_delivers_payout_before_payin(sandbox, receiver):
    """`webhook-out-of-order`: payment_payout_completed arrives before payment_payin_completed."""
    await point_at(sandbox, receiver)
    status, payment = await api(sandbox, "POST", "/", json_body=body(), key=sandbox.key("rozo"),
                                headers={"X-Sandbox-Scenario": "webhook-out-of-order"})
    assert status == 201
    await pay_through(sandbox, payment["id"])
    await sandbox.advance(2)
    assert receiver.requests == []
    await sandbox.advance(5)
    hits = await receiver.wait_for(2)
    assert [parsed(h)["type"] for h in hits] == ["payment_payout_completed", "payment_payin_completed"]


async def test_seeded_servers_sign_byte_identical_webhooks(tmp_path, receiver):
    """Same seed, same pinned clock signing on sandbox time, same requests: byte-identical bodies and signatures."""
    from tests.support import start_sandbox, stop_sandbox

    bodies = []
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        running = await start_sandbox(tmp_path / run, signature_clock="sandbox")
        try:
            receiver.requests.clear()
            payment = await created(running, body(webhookUrl=receiver.url))
            await pay_through(running, payment["id"])
            await running.advance(2)
            [hit] = await receiver.wait_for(1)
            bodies.append((hit["raw"], header(hit["headers"], "X-Rozo-Signature")))
        finally:
            await stop_sandbox(running)
    assert bodies[0] == bodies[1]
