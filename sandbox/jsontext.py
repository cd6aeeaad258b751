"""The one JSON codec: every stored document, answer and webhook body is written and read here.

orjson does the work (the create path spent about an eighth of its CPU in the standard library's
encoder), with the standard library's semantics kept (the text differs only in how some floats
are spelled, `1e16` for `1e+16`; both read back to the same value):

- **Writing**: compact separators, Unicode kept as is (홍길동 stays 홍길동). NaN and Infinity are
  refused with `ValueError` like `json.dumps(allow_nan=False)`: orjson would write them as `null`,
  so a document whose output holds a `null` is searched for a non-finite float before it is
  returned. Whatever orjson cannot take (integers beyond 64 bits, which the strict reader allows
  up to 100 digits) goes through the standard library, which gives the same text. A `Fragment`
  (JSON text already checked: a request's body, an encoded answer) is embedded as it is.
- **Reading**: orjson turns integers beyond 64 bits into floats (of 2**63 or more in size), so a
  text with a run of 19 or more digits whose value holds such a float is read again by the
  standard library, which keeps the integer exact. Ids full of digits (`"evt_0000…"`) cost only the
  look for a float; a regex telling numbers from strings cost 14–20 µs per webhook body.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS
# Every digit mapped to "0", then 19 zeros looked for: C all the way, under 2 µs for a webhook body.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_RUN_OF_19 = b"0" * 19
_TWO_TO_63 = float(2**63)
_MAY_HOLD_FLOATS = (float, dict, list)
#: What `_refuse_non_finite` walks into. A tuple of types, not `dict | list | tuple`: that union is
#: built anew each time the expression runs.
_CONTAINERS = (dict, list, tuple)


class Fragment:
    """JSON text already checked (a body the strict reader took, an answer encoded here), embedded
    in a document verbatim: neither encoded nor searched for NaN a second time."""

    __slots__ = ("text",)

    def __init__(self, text: bytes) -> None:
        self.text = text


def _embedded(value: Any) -> Any:
    """orjson's hook for what it cannot write itself: a `Fragment` goes in as it is."""
    if isinstance(value, Fragment):
        return orjson.Fragment(value.text)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def _refuse_non_finite(value: Any) -> None:
    """`ValueError` if a float in `value` is NaN or infinite (containers are walked, leaves only looked at)."""
    stack = [value]
    while stack:
        node = stack.pop()
        for item in node.values() if isinstance(node, dict) else node:
            if type(item) is str or item is None:   # most leaves: the cheapest test first
                continue
            if isinstance(item, _CONTAINERS):
                stack.append(item)
            elif isinstance(item, float) and not math.isfinite(item):
                raise ValueError("Out of range float values are not JSON compliant")


def dumps_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON bytes, Unicode kept as is; NaN and Infinity raise `ValueError`."""
    try:
        encoded = orjson.dumps(value, default=_embedded, option=_OPTIONS)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                          default=_fragment_value).encode("utf-8")
    if b"null" in encoded:
        _refuse_non_finite(value if isinstance(value, _CONTAINERS) else [value])
    return encoded


def _fragment_value(value: Any) -> Any:
    """The standard library's writer takes a `Fragment` as the value its text holds."""
    if isinstance(value, Fragment):
        return loads(value.text)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    """`dumps_bytes` as text (for TEXT columns)."""
    return dumps_bytes(value).decode("utf-8")


def loads(text: str | bytes | bytearray | memoryview) -> Any:
    """A JSON document this process or its database wrote (trusted: the strict reader is `bodies.parse_json`)."""
    value = orjson.loads(text)
    if type(value) in _MAY_HOLD_FLOATS and has_run_of_19_digits(text) and _float_beyond_64_bits(value):
        return json.loads(text if isinstance(text, str | bytes | bytearray) else bytes(text))
    return value


def has_run_of_19_digits(text: str | bytes | bytearray | memoryview) -> bool:
    """Whether `text` has 19 ASCII digits in a row (where an integer beyond 64 bits could be)."""
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text) if isinstance(text, memoryview) else text
    return _RUN_OF_19 in data.translate(_DIGITS_AS_ZERO)


def _float_beyond_64_bits(value: Any) -> bool:
    """Whether `value` holds a float orjson may have made of an integer (one of 2**63 or more in size)."""
    if type(value) is float:
        return abs(value) >= _TWO_TO_63
    stack = [value]
    while stack:
        node = stack.pop()
        for item in node.values() if type(node) is dict else node:
            kind = type(item)
            if kind is float:
                if abs(item) >= _TWO_TO_63:
                    return True
            elif kind is dict or kind is list:
                stack.append(item)
    return False
