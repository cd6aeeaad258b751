"""Credentials and headers, one rule for every provider: refused in the provider's shape, never a 500.

Missing and wrong credentials answer as each provider documents (401, or ROZO's 400
`missing_api_key` / `invalid_api_key`). Header bytes that are not UTF-8 are written on a raw
socket, since no HTTP client sends them: in a credential header they are a wrong credential, in
any other header a 400, and the store answers normally afterwards.
"""

from __future__ import annotations

import json

import pytest

from tests.conformance.checks import assert_error, assert_store_answers
from tests.conformance.words import NAMES, PROVIDERS, header_pairs, raw_request, valid_headers

#: Bytes no UTF-8 decoder accepts, and a Latin-1 word that is not UTF-8 either.
NOT_UTF8 = [b"\xff\xfe\xfd", b"Bearer caf\xe9", b"\xc3\x28"]


@pytest.mark.parametrize("provider", NAMES)
async def test_missing_credentials_are_refused(sandbox, provider):
    """A create without credentials answers the provider's missing-key status and code, and stores nothing."""
    words = PROVIDERS[provider]
    status, body, _ = await sandbox.request("POST", words.create_path(sandbox), json=words.body())
    assert_error(words, status, body, *words.missing_key)
    assert (await sandbox.control("GET", f"/intents?provider={provider}"))["data"] == []


@pytest.mark.parametrize("provider", NAMES)
async def test_wrong_credentials_are_refused(sandbox, provider):
    """A create with a wrong credential answers the provider's wrong-key status and code, and stores nothing."""
    words = PROVIDERS[provider]
    headers = {**valid_headers(sandbox, words), words.credential_header: "Bearer wrong-credential"}
    status, body, _ = await sandbox.request("POST", words.create_path(sandbox), json=words.body(), headers=headers)
    assert_error(words, status, body, *words.wrong_key)
    assert (await sandbox.control("GET", f"/intents?provider={provider}"))["data"] == []


@pytest.mark.parametrize("provider", NAMES)
@pytest.mark.parametrize("value", NOT_UTF8, ids=["ff-fe-fd", "latin-1", "bad-continuation"])
async def test_credential_header_that_is_not_utf8_is_a_wrong_credential(sandbox, provider, value):
    """Non-UTF-8 bytes in the credential header answer like a wrong credential, and the store still answers."""
    words = PROVIDERS[provider]
    pairs = [p for p in header_pairs(valid_headers(sandbox, words)) if p[0].decode() != words.credential_header]
    pairs.append((words.credential_header.encode(), value))
    status, raw = await raw_request(sandbox.base_url, "POST", words.create_path(sandbox), pairs,
                                    json.dumps(words.body()).encode())
    assert_error(words, status, json.loads(raw), *words.wrong_key)
    await assert_store_answers(sandbox, words)


@pytest.mark.parametrize("provider", NAMES)
@pytest.mark.parametrize("header", ["Idempotency-Key", "X-Sandbox-Scenario", "User-Agent"])
async def test_other_header_that_is_not_utf8_is_a_400(sandbox, provider, header):
    """Non-UTF-8 bytes in any other header are a 400 naming the header, never a 500."""
    words = PROVIDERS[provider]
    pairs = header_pairs(valid_headers(sandbox, words)) + [(header.encode(), b"key-\xff")]
    status, raw = await raw_request(sandbox.base_url, "POST", words.create_path(sandbox), pairs,
                                    json.dumps(words.body()).encode())
    assert_error(words, status, json.loads(raw), 400, "VALIDATION_FAILED", header)
    await assert_store_answers(sandbox, words)


async def test_admin_token_that_is_not_utf8_is_401(tmp_path):
    """Bound beyond loopback, a control call whose bearer token is not UTF-8 is refused with 401."""
    from tests.support import start_sandbox, stop_sandbox

    running = await start_sandbox(tmp_path, host="0.0.0.0", admin_token="admin-secret")
    try:
        status, raw = await raw_request(running.base_url, "GET", "/_sandbox/intents",
                                        [(b"Authorization", b"Bearer admin-secr\xe9t")])
        assert status == 401 and json.loads(raw)["error"]["code"] == "UNAUTHORIZED"
        status, _ = await raw_request(running.base_url, "GET", "/_sandbox/intents",
                                      [(b"Authorization", b"Bearer admin-secret")])
        assert status == 200
    finally:
        await stop_sandbox(running)
