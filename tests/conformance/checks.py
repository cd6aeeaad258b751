"""Shared checks of the conformance suite: an error in the provider's shape, and a store that still works."""

from __future__ import annotations

import json

from tests.conformance.words import Words, valid_headers
from tests.support import assert_contract


def assert_error(words: Words, status: int, body, expected_status: int, neutral: str, field: str | None = None) -> None:
    """The answer has the expected status, the provider's code for `neutral`, its error contract and the field."""
    assert status == expected_status, (words.name, status, body)
    assert isinstance(body, dict), body
    assert words.code(body) == words.codes.get(neutral, neutral), (words.name, body)
    assert_contract(words.name, "responses", "error", body)
    if field is not None:
        assert field in words.fields(body), (words.name, body)


async def assert_store_answers(running, words: Words) -> None:
    """A valid create answers its status and contract, and the provider's read answers 200 within its contract."""
    status, created, _ = await running.request("POST", words.create_path(running), data=json.dumps(words.body()),
                                               headers=valid_headers(running, words))
    assert status == words.create_status, (words.name, status, created)
    assert_contract(words.name, "responses", words.created, created)
    status, read, _ = await running.request("GET", words.read_path(running), headers=valid_headers(running, words))
    assert status == 200, (words.name, status, read)
    assert_contract(words.name, "responses", words.read_contract, read)
