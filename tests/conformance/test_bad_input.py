"""Bad and hostile input, one table for every provider: each row is refused in the provider's own shape.

Every class of SPEC §10 is a row: malformed JSON, a non-object, wrong content types, bodies over
1 MiB, invalid UTF-8, nesting beyond 64 levels, numbers beyond 100 digits, NaN and Infinity, lone
surrogates, over-long strings and values that only match a pattern before a final newline. Each
row asserts the status, the provider's error code and contract, and that the store still answers
a valid create and a read afterwards: nothing a hostile client sends may poison it.
"""

from __future__ import annotations

import io
import json

import pytest

from tests.conformance.checks import assert_error, assert_store_answers
from tests.conformance.words import NAMES, PROVIDERS, Words, valid_headers, with_member


def _valid(words: Words) -> bytes:
    return json.dumps(words.body()).encode()


def _with_raw_member(words: Words, member: str, raw_value: str) -> bytes:
    """A valid body with one more member whose JSON text is written as is (NaN, 1e400, …)."""
    text = json.dumps(words.body())
    return (text[:-1] + f', "{member}": {raw_value}}}').encode()


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


#: (row, body maker, content type, neutral code, status, field maker)
ROWS = [
    ("malformed JSON", lambda w: b'{"a": ', "application/json", "MALFORMED_JSON", 400, None),
    ("not an object", lambda w: b"[1, 2]", "application/json", "VALIDATION_FAILED", 400, lambda w: "/"),
    ("text/plain", _valid, "text/plain", "UNSUPPORTED_MEDIA_TYPE", 415, None),
    ("form encoded", lambda w: b"a=1", "application/x-www-form-urlencoded", "UNSUPPORTED_MEDIA_TYPE", 415, None),
    ("over 1 MiB", lambda w: b'{"x": "' + b"a" * (1024 * 1024 + 10) + b'"}', "application/json",
     "PAYLOAD_TOO_LARGE", 413, None),
    ("invalid UTF-8", lambda w: b'{"x": "\xff\xfe"}', "application/json", "MALFORMED_JSON", 400, None),
    ("nesting 10,000 deep", lambda w: _deep(10_000).encode(), "application/json", "MALFORMED_JSON", 400, None),
    ("a member nested 65 deep", lambda w: _with_raw_member(w, "metadata", _deep(65)), "application/json",
     "MALFORMED_JSON", 400, None),
    ("a 5,000-digit number", lambda w: _with_raw_member(w, "n", "1" * 5000), "application/json",
     "MALFORMED_JSON", 400, None),
    ("a 101-digit number", lambda w: _with_raw_member(w, "n", "1" * 101), "application/json",
     "MALFORMED_JSON", 400, None),
    ("a number beyond float range", lambda w: _with_raw_member(w, "n", "1e400"), "application/json",
     "MALFORMED_JSON", 400, None),
    ("NaN", lambda w: _with_raw_member(w, "metadata", '{"x": NaN}'), "application/json", "MALFORMED_JSON", 400, None),
    ("Infinity", lambda w: _with_raw_member(w, "n", "-Infinity"), "application/json", "MALFORMED_JSON", 400, None),
    ("a lone surrogate", lambda w: _with_raw_member(w, "metadata", '{"x": "\\ud800"}'), "application/json",
     "MALFORMED_JSON", 400, None),
    ("a lone surrogate in a key", lambda w: _with_raw_member(w, "metadata", '{"\\udfff": 1}'), "application/json",
     "MALFORMED_JSON", 400, None),
    ("an over-long name", lambda w: json.dumps({**w.body(), w.long_field: "x" * 100_000}).encode(),
     "application/json", "VALIDATION_FAILED", 400, lambda w: "/" + w.long_field),
    ("a value matching only before a final newline",
     lambda w: json.dumps(with_member(w.body(), w.pattern_field[1:], w.pattern_value + "\n")).encode(),
     "application/json", "VALIDATION_FAILED", 400, lambda w: w.pattern_field[0]),
]


@pytest.mark.parametrize("provider", NAMES)
@pytest.mark.parametrize("row,make,content_type,neutral,status,field", ROWS, ids=[r[0] for r in ROWS])
async def test_hostile_body_is_refused_in_the_provider_shape_and_the_store_still_answers(
        sandbox, provider, row, make, content_type, neutral, status, field):
    """The row's body is refused with its status and the provider's code; then create and read still work."""
    words = PROVIDERS[provider]
    raw = make(words)
    data = io.BytesIO(raw) if len(raw) > 1024 * 1024 else raw
    headers = {**valid_headers(sandbox, words), "Content-Type": content_type}
    got, body, _ = await sandbox.request("POST", words.create_path(sandbox), data=data, headers=headers)
    assert_error(words, got, body, status, neutral, field(words) if field else None)
    await assert_store_answers(sandbox, words)


@pytest.mark.parametrize("provider", NAMES)
async def test_unknown_path_is_404_in_the_provider_shape(sandbox, provider):
    """A path the provider does not have answers 404 in its own envelope."""
    words = PROVIDERS[provider]
    status, body, _ = await sandbox.request("GET", f"/{provider}/no/such/path", headers=valid_headers(sandbox, words))
    assert_error(words, status, body, 404, "NOT_FOUND")


@pytest.mark.parametrize("provider", [name for name in NAMES if PROVIDERS[name].int_query])
@pytest.mark.parametrize("value", ["²", "١", "1e3", " 5", "-1", "0x10", "9" * 30])
async def test_integer_query_takes_ascii_digits_in_range_only(sandbox, provider, value):
    """`limit` of a non-ASCII digit, an exponent, a sign or an out-of-range number is a 400 naming it."""
    words = PROVIDERS[provider]
    status, body, _ = await sandbox.request("GET", words.int_query + value, headers=valid_headers(sandbox, words))
    assert_error(words, status, body, 400, "VALIDATION_FAILED", "limit")
    await assert_store_answers(sandbox, words)
