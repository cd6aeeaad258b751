"""The one JSON codec: every stored document, answer and webhook body is written and read here.

orjson does the work (the create path spent about an eighth of its CPU in the standard library's
encoder), with the standard library's semantics kept (the text differs only in how some floats
are spelled, `1e16` for `1e+16`; both read back to the same value):

- **Writing**: compact separators, Unicode kept as is (홍길동 stays 홍길동). NaN and Infinity are
  refused with `ValueError` like `json.dumps(allow_nan=False)`: orjson would write them as `null`,
  so a document whose output holds a `null` is searched for a non-finite float before it is
  returned. Whatever orjson cannot take (integers beyond 64 bits, which the strict reader allows
  up to 100 digits) goes through the standard library, which gives the same text.
- **Reading**: orjson turns integers beyond 64 bits into floats, so any text where a run of 19 or
  more digits could be a number (it follows `:`, `,`, `[`, `-`, white space or nothing) is read by
  the standard library instead, which keeps it exact. Digits inside a string (`"evt_0000…"`)
  follow a letter or a quote, and orjson reads strings exactly.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS
_LONG_DIGITS = re.compile(rb"(?:^|(?<=[:,\[\s-]))\d{19}")
# The regex costs 20 µs on a 600-byte webhook body; mapping every digit to "0" and looking for 19
# zeros in a row is C all the way (under 2 µs), so the regex runs only where a long run exists.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_RUN_OF_19 = b"0" * 19


def _refuse_non_finite(value: Any) -> None:
    """`ValueError` if a float in `value` is NaN or infinite (containers are walked, leaves only looked at)."""
    stack = [value]
    while stack:
        node = stack.pop()
        for item in node.values() if isinstance(node, dict) else node:
            if type(item) is str or item is None:   # most leaves: the cheapest test first
                continue
            if isinstance(item, dict | list | tuple):
                stack.append(item)
            elif isinstance(item, float) and not math.isfinite(item):
                raise ValueError("Out of range float values are not JSON compliant")


def dumps_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON bytes, Unicode kept as is; NaN and Infinity raise `ValueError`."""
    try:
        encoded = orjson.dumps(value, option=_OPTIONS)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    if b"null" in encoded:
        _refuse_non_finite(value if isinstance(value, dict | list | tuple) else [value])
    return encoded


def dumps(value: Any) -> str:
    """`dumps_bytes` as text (for TEXT columns)."""
    return dumps_bytes(value).decode("utf-8")


def loads(text: str | bytes | bytearray | memoryview) -> Any:
    """A JSON document this process or its database wrote (trusted: the strict reader is `bodies.parse_json`)."""
    if isinstance(text, str):
        data = text.encode("utf-8")
    else:
        data = text = text if isinstance(text, bytes | bytearray) else bytes(text)
    if _RUN_OF_19 in data.translate(_DIGITS_AS_ZERO) and _LONG_DIGITS.search(data):
        return json.loads(text)
    return orjson.loads(text)
