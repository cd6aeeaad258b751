"""Reading request bodies the same careful way for every provider.

Order matters and is the same everywhere: size first (413 without buffering a huge body), then
content type (415), then JSON syntax (400 malformed), then the object check. The raw bytes are
returned too, because idempotency and signature checks need the exact bytes sent.
"""

from __future__ import annotations

import json

from aiohttp import web

from sandbox.errors import MalformedJson, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

MAX_BODY = 1024 * 1024


async def read_raw(request: web.Request, limit: int = MAX_BODY) -> bytes:
    """The body's bytes, refusing anything over `limit` before it is all read."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"request body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def decode_json(raw: bytes, content_type: str, *, allow_empty: bool = False) -> tuple[dict | None, bytes]:
    """Check the content type and parse a JSON object body."""
    if not raw and allow_empty:
        return None, raw
    if content_type not in ("application/json", "") and not content_type.endswith("+json"):
        raise UnsupportedMediaType(f"content type {content_type!r} is not supported; send application/json")
    if not content_type and raw:
        raise UnsupportedMediaType("missing content type; send application/json")
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedJson(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ValidationFailed("request body must be a JSON object", details=[{"field": "/", "issue": "must be an object"}])
    return value, raw


async def read_json(request: web.Request, *, allow_empty: bool = False) -> tuple[dict | None, bytes]:
    """Size-check, type-check and parse the request's JSON object body."""
    raw = await read_raw(request)
    return decode_json(raw, request.content_type if request.headers.get("Content-Type") else "",
                       allow_empty=allow_empty)


def query_limit(query, issues: list[dict], default: int = 20, most: int = 100) -> int:
    """The `limit` query parameter of a bounded read; a bad one adds an issue (the caller answers 400)."""
    text = query.get("limit", str(default))
    limit = int(text) if text.isdigit() else 0
    if not 1 <= limit <= most:
        issues.append({"field": "limit", "issue": f"must be an integer from 1 to {most}"})
    return limit
