"""The body actions as fault rules, for every provider: `unknown_fields` and `tampered_body`."""

from __future__ import annotations

import json

import pytest

from sandbox.delivery.faults import UNKNOWN_FIELD
from tests.faults.drivers import DRIVERS, now_of

PROVIDERS = sorted(DRIVERS)


async def produce_with(sandbox, receiver, provider: str, action: str) -> str | None:
    """Point the provider at the receiver, arm `action` for every delivery, emit; the signing secret."""
    secret = await DRIVERS[provider].point(sandbox, receiver)
    await sandbox.control("POST", "/faults", {"provider": provider, "action": action, "times": 0})
    _, count = await DRIVERS[provider].produce(sandbox)
    await sandbox.settle()
    assert len(receiver.requests) == count
    return secret


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_unknown_fields_adds_members_and_signs_the_body_as_sent(sandbox, receiver, provider):
    """unknown_fields: every webhook carries an extra member, and its signature verifies over the sent bytes."""
    driver = DRIVERS[provider]
    secret = await produce_with(sandbox, receiver, provider, "unknown_fields")
    for hit in receiver.requests:
        body = json.loads(hit["raw"])
        assert UNKNOWN_FIELD in body
        if isinstance(body.get("data"), dict):
            assert UNKNOWN_FIELD in body["data"]
        assert driver.verify(secret, hit, now_of(sandbox)) in (True, None)
    attempts = (await sandbox.control("GET", f"/deliveries?provider={provider}"))["data"][0]["attempts"]
    assert UNKNOWN_FIELD in attempts[0]["request_body"], "the attempt log keeps the bytes actually sent"


@pytest.mark.parametrize("provider", [p for p in PROVIDERS if DRIVERS[p].signature_header])
async def test_tampered_body_changes_the_amount_after_signing(sandbox, receiver, provider):
    """tampered_body: the amount differs from the signed one, so the provider's documented check fails."""
    driver = DRIVERS[provider]
    secret = await produce_with(sandbox, receiver, provider, "tampered_body")
    emitted = [e["body"] for e in (await sandbox.control("GET", f"/events?provider={provider}"))["data"]]
    for hit in receiver.requests:
        assert driver.verify(secret, hit, now_of(sandbox)) is False
        assert json.loads(hit["raw"]) not in emitted, "the sent body is not the body that was signed"
