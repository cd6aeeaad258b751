"""Shared webhook rules over every provider: signed as documented, matching the contract, retried as published.

Each rule is stated once; `webhooks.py` says how each provider emits and what its documentation
promises. Signatures are checked by the independent verifier of `tests/grading/receivers.py`
(written from the providers' documentation, not from the sandbox's signing code).
"""

from __future__ import annotations

import json

import pytest

from tests.conformance.webhooks import WEBHOOKS
from tests.grading.receivers import verify
from tests.support import contract_issues

SECRET = "whsec-conformance-0123456789"


async def _point(running, receiver, provider: str) -> None:
    await running.control("PUT", f"/endpoints/{provider}", {"url": receiver.url, "secret": SECRET})


async def _failed_delivery(running, provider: str) -> dict:
    """The provider's one delivery whose first attempt met the receiver's 500."""
    listed = (await running.control("GET", f"/deliveries?provider={provider}"))["data"]
    failed = [d for d in listed if d["attempts"] and d["attempts"][0]["status"] == 500]
    assert len(failed) == 1, listed
    return failed[0]


@pytest.mark.parametrize("provider", list(WEBHOOKS))
async def test_every_webhook_is_signed_as_documented_and_matches_its_contract(sandbox, receiver, provider):
    """Each emitted webhook carries the documented signature headers, verifies independently and fits its contract."""
    words = WEBHOOKS[provider]
    await _point(sandbox, receiver, provider)
    await words.emit(sandbox)
    await sandbox.settle()
    hits = await receiver.wait_for(1)
    for hit in hits:
        body = json.loads(hit["raw"])
        assert contract_issues(provider, "webhooks", words.contract(body), body) == []
        for header in words.signature_headers:
            assert hit["headers"].get(header), f"{provider} webhook lacks {header}"
        if words.signature_headers:
            assert verify(provider, SECRET, hit["headers"], hit["raw"], check_time=True)
            assert not verify(provider, SECRET + "x", hit["headers"], hit["raw"], check_time=True)
            assert not verify(provider, SECRET, hit["headers"], hit["raw"] + b" ", check_time=True)


@pytest.mark.parametrize("provider", list(WEBHOOKS))
async def test_a_failed_delivery_is_retried_exactly_as_the_provider_publishes(sandbox, receiver, provider):
    """A 500 is retried at the first published delay and not a second earlier; an at-most-once provider never retries."""
    words = WEBHOOKS[provider]
    await _point(sandbox, receiver, provider)
    receiver.script = [500]
    await words.emit(sandbox)
    await sandbox.settle()
    first = (await receiver.wait_for(1))[0]
    sent = len(receiver.requests)
    if words.first_retry_s is None:
        await sandbox.advance(24 * 3600)
        await sandbox.settle()
        assert len(receiver.requests) == sent, f"{provider} delivers at most once"
        delivery = await _failed_delivery(sandbox, provider)
        assert delivery["status"] != "delivered" and len(delivery["attempts"]) == 1
        return
    await sandbox.advance(words.first_retry_s - 0.5)
    await sandbox.settle()
    assert len(receiver.requests) == sent, f"{provider} retried before its published delay"
    await sandbox.advance(0.5)
    await sandbox.settle()
    hits = await receiver.wait_for(sent + 1)
    assert len(hits) == sent + 1 and hits[-1]["raw"] == first["raw"], "a retry sends the same body"
    delivery = await _failed_delivery(sandbox, provider)
    assert delivery["status"] == "delivered" and [a["status"] for a in delivery["attempts"]] == [500, 200]
