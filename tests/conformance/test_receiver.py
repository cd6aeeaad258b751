"""The built-in receiver reads through the same strict reader for every provider: hostile bodies are 400, never 500."""

from __future__ import annotations

import pytest

from tests.conformance.words import NAMES

BODIES = [b"[]", b"null", b"42", b'"text"', b'{"x": NaN}', b'{"x": "\\ud800"}', b"[" * 5000 + b"]" * 5000,
          b'{"n": ' + b"9" * 500 + b"}", b"\xff\xfe", b"{"]


@pytest.mark.parametrize("provider", NAMES)
@pytest.mark.parametrize("raw", BODIES, ids=["array", "null", "number", "string", "nan", "surrogate", "deep",
                                            "huge-number", "not-utf8", "truncated"])
async def test_receiver_refuses_non_object_and_hostile_bodies_and_keeps_working(sandbox, provider, raw):
    """Each body is a 400 that stores no receipt; a well-formed object afterwards is still received."""
    status, answer, _ = await sandbox.request("POST", f"/api/webhooks/{provider}", data=raw,
                                              headers={"Content-Type": "application/json"})
    assert status == 400 and answer["received"] is False, answer
    status, listed, _ = await sandbox.request("GET", f"/api/webhooks/{provider}/events")
    assert status == 200 and listed["data"] == []
    status, answer, _ = await sandbox.request("POST", f"/api/webhooks/{provider}", json={"event_id": "evt_x"})
    assert status == 200 and answer["received"] is True
    status, listed, _ = await sandbox.request("GET", f"/api/webhooks/{provider}/events?limit=%C2%B2")
    assert status == 400 and listed["error"]["details"][0]["field"] == "limit"
