"""Reading request bodies the same careful way for every provider: the one strict JSON reader (SPEC §10).

Order matters and is the same everywhere: size first (413 without buffering a huge body), then
content type (415), then JSON syntax (400 malformed), then the object check. The raw bytes are
returned too, because idempotency and signature checks need the exact bytes sent.

"Strict" means JSON that every later step can hold: Python's decoder also takes `NaN` and
`Infinity` (SQLite's JSON functions then fail on the stored row, and the echo is not JSON), lone
surrogates (the UTF-8 encoder fails when the value is stored or sent), nesting the decoder can
only refuse with a `RecursionError`, and numbers `int()` cannot convert. Each of those is
`MALFORMED_JSON` here, so nothing past this module ever sees them. `dumps` is the matching
writer: it refuses to emit anything that is not JSON.

The common body is parsed by orjson (`sandbox.jsontext`), which refuses NaN, Infinity, numbers
beyond a double and lone surrogates by itself; what it cannot judge the way the rules above do
(a run of 19 or more digits, which it would turn into a float; more brackets than `MAX_DEPTH`) and
everything it refuses goes through the standard library's decoder with the hooks below, so a
refusal always carries the same message.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson
from aiohttp import web

from sandbox import jsontext
from sandbox.errors import MalformedJson, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

MAX_BODY = 1024 * 1024
MAX_DEPTH = 64
MAX_DIGITS = 100
_SURROGATE = re.compile("[\ud800-\udfff]")


async def read_raw(request: web.Request, limit: int = MAX_BODY) -> bytes:
    """The body's bytes, refusing anything over `limit` before it is all read."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"request body is larger than {limit} bytes")
    if request.content.is_eof():   # the whole body has arrived (the common, small case): no awaits
        data = request.content.read_nowait()
        if len(data) > limit:
            raise PayloadTooLarge(f"request body is larger than {limit} bytes")
        return data
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class _Refused(ValueError):
    """Raised from inside the decoder's hooks; turned into MALFORMED_JSON by `parse_json`."""


def _constant(name: str):
    raise _Refused(f"{name} is not JSON")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _Refused(f"a number has more than {MAX_DIGITS} digits")
    return int(text)


def _float(text: str) -> float:
    if sum(ch.isdigit() for ch in text) > MAX_DIGITS:
        raise _Refused(f"a number has more than {MAX_DIGITS} digits")
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"number {text[:40]} is out of range")
    return value


def _check_tree(value: Any) -> None:
    """Depth and lone surrogates, checked iteratively (the tree may be as deep as the decoder allowed)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth > MAX_DEPTH:
                raise _Refused(f"nesting is deeper than {MAX_DEPTH} levels")
            for key, item in node.items():
                if _SURROGATE.search(key):
                    raise _Refused("a key holds a lone UTF-16 surrogate")
                stack.append((item, depth + 1))
        elif isinstance(node, list):
            if depth > MAX_DEPTH:
                raise _Refused(f"nesting is deeper than {MAX_DEPTH} levels")
            stack.extend((item, depth + 1) for item in node)
        elif isinstance(node, str) and _SURROGATE.search(node):
            raise _Refused("a string holds a lone UTF-16 surrogate")


def _fast(raw: bytes | str) -> Any:
    """orjson's parse when it is sure to agree with the rules; `_Refused` sends the body to the careful path."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    if jsontext.has_run_of_19_digits(data) or data.count(b"[") + data.count(b"{") > MAX_DEPTH:
        raise _Refused("careful path")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise _Refused("careful path") from exc


def parse_json(raw: bytes | str) -> Any:
    """Parse JSON strictly, or raise `MalformedJson` saying what is wrong; nothing else escapes."""
    try:
        return _fast(raw)
    except _Refused:
        return careful_parse(raw)


def careful_parse(raw: bytes | str) -> Any:
    """`parse_json` by the standard library's decoder alone, every rule checked by a hook (the reference)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        value = json.loads(text, parse_constant=_constant, parse_int=_integer, parse_float=_float)
        _check_tree(value)
    except UnicodeDecodeError as exc:
        raise MalformedJson(f"request body is not valid UTF-8: {exc.reason} at byte {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise MalformedJson(f"request body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise MalformedJson(f"request body is not valid JSON: nesting is deeper than {MAX_DEPTH} levels") from exc
    except (_Refused, ValueError) as exc:
        raise MalformedJson(f"request body is not valid JSON: {exc}") from exc
    return value


def dumps(value: Any, *, compact: bool = True) -> str:
    """JSON text with Unicode kept as is; refuses NaN and Infinity, so output is always JSON."""
    if compact:
        return jsontext.dumps(value)
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def json_response(value: Any, status: int = 200, *, headers: dict | None = None) -> web.Response:
    """A JSON answer written by `dumps` (UTF-8, Unicode kept, never NaN)."""
    return web.Response(status=status, body=dumps(value, compact=False).encode("utf-8"),
                        content_type="application/json", charset="utf-8", headers=headers)


def check_content_type(content_type: str, has_body: bool) -> None:
    """Only JSON is taken: `application/json` or a `+json` type; a body without a type is refused too."""
    if content_type not in ("application/json", "") and not content_type.endswith("+json"):
        raise UnsupportedMediaType(f"content type {content_type!r} is not supported; send application/json")
    if not content_type and has_body:
        raise UnsupportedMediaType("missing content type; send application/json")


def decode_json(raw: bytes, content_type: str, *, allow_empty: bool = False) -> tuple[dict | None, bytes]:
    """Check the content type and parse a JSON object body."""
    if not raw and allow_empty:
        return None, raw
    check_content_type(content_type, bool(raw))
    value = parse_json(raw)
    if not isinstance(value, dict):
        raise ValidationFailed("request body must be a JSON object", details=[{"field": "/", "issue": "must be an object"}])
    return value, raw


def content_type_of(request: web.Request) -> str:
    """The request's media type, "" when it sent no Content-Type at all."""
    return request.content_type if request.headers.get("Content-Type") else ""


async def read_json(request: web.Request, *, allow_empty: bool = False) -> tuple[dict | None, bytes]:
    """Size-check, type-check and parse the request's JSON object body."""
    raw = await read_raw(request)
    return decode_json(raw, content_type_of(request), allow_empty=allow_empty)
