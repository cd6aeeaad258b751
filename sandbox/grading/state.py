"""The partner's own view of an intent, read through `--state-url` (SPEC §15), and how views compare.

The template names the intent with `{external_ref}`, `{intent_id}` and `{provider}` (values are
URL-encoded), e.g. `http://localhost:3000/orders/{external_ref}`. One read is a GET with a 10 s
limit; what is compared is exactly the answer's HTTP status and its body — parsed as JSON when it
is JSON (so key order and whitespace do not matter), else the text. A view that includes times of
receipt or delivery counters therefore changes on every webhook; expose business state (status,
amount credited, balance) there.
"""

from __future__ import annotations

import json
import string
from urllib.parse import quote

import aiohttp

PLACEHOLDERS = ("external_ref", "intent_id", "provider")
READ_TIMEOUT_S = 10.0
KEEP = 8 * 1024


class BadTemplate(ValueError):
    """The state URL template is not an http(s) URL or names an unknown placeholder."""


def check_template(template: str) -> None:
    """Raise BadTemplate unless `template` is an http(s) URL using only the known placeholders."""
    if not template.startswith(("http://", "https://")):
        raise BadTemplate("must be an http:// or https:// URL")
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise BadTemplate(f"is not a valid template: {exc}") from exc
    unknown = [name for name in names if name not in PLACEHOLDERS]
    if unknown:
        raise BadTemplate(f"unknown placeholder {{{unknown[0]}}}; use " + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))


def expand(template: str, provider: str, intent_id: str, external_ref: str | None) -> str:
    """The URL for one intent."""
    values = {"provider": provider, "intent_id": intent_id, "external_ref": external_ref or ""}
    return template.format_map({k: quote(str(v), safe="") for k, v in values.items()})


async def read(session: aiohttp.ClientSession, url: str) -> dict:
    """`{url, status, body}` (JSON parsed when possible) or `{url, error}` when the view could not be read."""
    try:
        async with session.get(url, allow_redirects=False,
                               timeout=aiohttp.ClientTimeout(total=READ_TIMEOUT_S)) as response:
            raw = await response.content.read(KEEP)
            text = raw.decode("utf-8", errors="replace")
            try:
                body = json.loads(text)
            except ValueError:
                body = text
            return {"url": url, "status": response.status, "body": body}
    except TimeoutError:
        return {"url": url, "error": f"no answer within {READ_TIMEOUT_S:g} s"}
    except aiohttp.ClientError as exc:
        return {"url": url, "error": f"{type(exc).__name__}: {exc}"}


def same(a: dict, b: dict) -> bool:
    """Two reads show the same view: both answered, with equal status and equal body."""
    return "error" not in a and "error" not in b and a["status"] == b["status"] and a["body"] == b["body"]


def describe(read_: dict) -> str:
    """One read in words, for the report's `observed`."""
    if "error" in read_:
        return f"unreadable ({read_['error']})"
    body = read_["body"] if isinstance(read_["body"], str) else json.dumps(read_["body"], ensure_ascii=False)
    return f"HTTP {read_['status']} {body[:120]}"
