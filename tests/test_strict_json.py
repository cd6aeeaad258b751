"""Property tests of the one strict JSON reader and the query vocabulary (Hypothesis, fixed seed).

Whatever bytes arrive, the reader either returns a value every later step can hold (finite
numbers, no lone surrogates, at most 64 levels deep, writable again as JSON) or raises
`MalformedJson`; nothing else escapes. Query integers take ASCII digits within range and refuse
everything else with a 400, never an exception of another kind.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict

from hypothesis import given, seed, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from sandbox.bodies import MAX_DEPTH, careful_parse, dumps, parse_json
from sandbox.errors import MalformedJson, ValidationFailed
from sandbox.jsontext import Fragment, loads
from sandbox.validation import ascii_int, parse_query, query_int, query_text

SEED = 20261122
PROPERTY = settings(max_examples=300, deadline=None, database=None)

#: JSON-ish text: brackets, numbers, the constants Python accepts, escapes and raw bytes mixed.
FRAGMENTS = st.sampled_from(['{', '}', '[', ']', ',', ':', '"a"', '"\\ud800"', '"\\udc00\\ud800"', '"\\ud83d\\ude00"',
                             'NaN', 'Infinity', '-Infinity', '1e400', '-0', '1.5', '9' * 120, 'true', 'null',
                             '"x\\n"', ' ', '"\\u0000"'])
TEXTS = st.one_of(st.binary(max_size=200), st.lists(FRAGMENTS, max_size=60).map(lambda parts: "".join(parts).encode()))


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _holdable(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return all(not 0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    if isinstance(value, dict):
        return all(_holdable(k) and _holdable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_holdable(v) for v in value)
    return True


@seed(SEED)
@PROPERTY
@given(raw=TEXTS)
def test_reader_returns_holdable_json_or_raises_malformed_json_only(raw):
    """Any bytes: a finite, surrogate-free, shallow value that writes back as JSON, or MalformedJson."""
    try:
        value = parse_json(raw)
    except MalformedJson:
        return
    assert _holdable(value) and _depth(value) <= MAX_DEPTH
    assert parse_json(dumps(value).encode("utf-8")) == value


@seed(SEED)
@PROPERTY
@given(levels=st.integers(min_value=1, max_value=20_000))
def test_nesting_is_refused_beyond_64_levels_at_any_depth(levels):
    """Arrays nested `levels` deep parse up to 64 levels and are MALFORMED_JSON beyond, never a RecursionError."""
    raw = ("[" * levels + "]" * levels).encode()
    if levels <= MAX_DEPTH:
        assert _depth(parse_json(raw)) == levels
    else:
        try:
            parse_json(raw)
        except MalformedJson:
            return
        raise AssertionError("deep nesting was accepted")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-10**30, max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(st.characters(exclude_categories=("Cs",))),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30)


@seed(SEED)
@PROPERTY
@given(value=JSON_VALUES)
def test_every_holdable_value_round_trips_exactly(value):
    """What the writer emits, the reader takes back unchanged (Unicode kept)."""
    assert parse_json(dumps(value).encode("utf-8")) == value
    assert json.loads(dumps(value)) == value
    assert loads(dumps(value)) == value == loads(dumps(value).encode("utf-8"))


def _outcome(parse, raw):
    try:
        return "value", parse(raw)
    except MalformedJson as exc:
        return "refused", exc.message


@seed(SEED)
@PROPERTY
@given(raw=TEXTS | st.lists(st.sampled_from(['"', '9' * 19, '1' * 25, '[', ']', '{"a":', '}', ',', '0.5', 'NaN', '"\\ud800"',
                                           '[1]', '"홍"', '\\', '1e400', ' ']), max_size=80)
       .map(lambda parts: "".join(parts).encode()))
def test_the_fast_reader_agrees_with_the_careful_one(raw):
    """orjson's path takes exactly what the standard library's careful path takes, and refuses with its words."""
    fast, careful = _outcome(parse_json, raw), _outcome(careful_parse, raw)
    assert fast == careful
    if fast[0] == "value":
        assert type(fast[1]) is type(careful[1])


def test_long_integers_stay_exact_both_ways():
    """Integers up to 100 digits are taken, stored and read back as integers, not floats."""
    for number in (2**63, 2**64 + 1, -(10**40), int("9" * 100)):
        document = {"n": number, "list": [number, None]}
        assert parse_json(dumps(document).encode()) == document
        assert loads(dumps(document)) == document
        assert type(loads(dumps(document))["n"]) is int


class _List(list):
    """A list subclass: the writer's NaN search must look into it too."""


def test_writer_refuses_nan():
    """The writer never emits a NaN (it would not be JSON), also beside a null in the same document."""
    for bad in (float("nan"), float("inf"), {"x": [float("-inf")]}, {"a": None, "b": [1.5, float("nan")]},
                (None, float("inf")), OrderedDict(a=None, b=float("nan")), {"x": _List([None, float("inf")])}):
        try:
            dumps(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was written")


class Listing(BaseModel):
    limit: query_int(1, 100) = 20
    ref: query_text(16) = None


@seed(SEED)
@PROPERTY
@given(text=st.text(max_size=30))
def test_query_integers_take_ascii_digits_in_range_only(text):
    """`ascii_int` agrees with "ASCII digits, then range" and never raises; `parse_query` only raises a 400."""
    expected = int(text) if text.isascii() and text.isdigit() and 1 <= int(text) <= 100 else None
    assert ascii_int(text, 1, 100) == expected
    try:
        assert parse_query(Listing, {"limit": text}).limit == expected
    except ValidationFailed as exc:
        assert expected is None and exc.details[0]["field"] == "limit"


@seed(SEED)
@PROPERTY
@given(query=st.dictionaries(st.text(max_size=10), st.text(max_size=40), max_size=5))
def test_any_query_string_parses_or_is_a_400(query):
    """A query of arbitrary names and values is parsed or refused with a 400; unknown names are ignored."""
    try:
        parsed = parse_query(Listing, query)
    except ValidationFailed as exc:
        assert exc.status == 400 and exc.details
        return
    assert 1 <= parsed.limit <= 100 and (parsed.ref is None or len(parsed.ref) <= 16)


def test_fragments_are_embedded_as_written():
    """Checked JSON text (a request's body, an encoded answer) goes into a document verbatim, also on
    the standard library's path that integers beyond 64 bits take, and NaN beside it is still refused."""
    embedded = Fragment(b'{"a": [1, null], "name": "\xed\x99\x8d"}')
    assert dumps({"request": embedded, "n": 1}) == '{"request":{"a": [1, null], "name": "홍"},"n":1}'
    assert loads(dumps({"request": embedded, "n": 2**70})) == {"request": {"a": [1, None], "name": "홍"}, "n": 2**70}
    for bad in ({"request": embedded, "x": float("nan")}, {"request": embedded, "x": [None, float("inf")], "n": 2**70}):
        try:
            dumps(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was written")
