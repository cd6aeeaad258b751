"""Each provider's own words for the shared conformance suite: paths, a valid body, credentials, error shape.

The suite states a rule once ("malformed JSON is a 400 MALFORMED_JSON in the provider's shape")
and this table says how each provider spells it: which path creates, what a valid body is, how
its credentials and error envelope look, and which member is a name or a pattern-checked value.
Adding a provider means adding one entry here.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tests.providers.inqud_support import FIXED, base
from tests.providers.liqx_support import PAYIN
from tests.providers.mizu_support import LINK
from tests.providers.rozo_support import API, MERCHANT
from tests.support import credentials

_serial = itertools.count(1)


@dataclass(frozen=True)
class Words:
    """How one provider says the shared things."""

    name: str
    create_path: Callable  # running -> path of the create call
    body: Callable[[], dict]  # a fresh valid create body (unique refs)
    created: str  # response contract of a successful create
    read_path: Callable  # running -> a read that must answer 200 while the store is healthy
    read_contract: str
    #: The code each neutral error has in the provider's words.
    codes: dict[str, str]
    #: (status, code) a wrong credential answers with, and the header that carries the credential.
    wrong_key: tuple[int, str]
    missing_key: tuple[int, str]
    credential_header: str
    long_field: str  # a name-like member: 100,000 characters must be refused
    pattern_field: tuple[str, ...]  # (pointer, *path) of a pattern-checked member
    pattern_value: str  # its valid value (a trailing newline is added by the test)
    int_query: str | None = None  # a read with an integer query parameter (`limit`), if it has one
    create_status: int = 201
    extra: dict = field(default_factory=dict)

    def code(self, body: dict) -> str:
        """The error code in the provider's envelope."""
        return body["code"] if self.name == "inqud" else body["error"]["code"]

    def fields(self, body: dict) -> set[str]:
        """The fields named by an error's details."""
        if self.name == "inqud":
            details = body["details"]
        elif self.name == "rozo":
            details = body["error"].get("details", {}).get("fields", [])
        else:
            details = body["error"]["details"]
        return {d["field"] for d in details}


def _liqx_body() -> dict:
    return {**PAYIN, "external_ref": f"conf-{next(_serial)}"}


def _rozo_body() -> dict:
    return {**MERCHANT, "orderId": f"CONF-{next(_serial)}"}


NEUTRAL = ("MALFORMED_JSON", "VALIDATION_FAILED", "UNSUPPORTED_MEDIA_TYPE", "PAYLOAD_TOO_LARGE", "NOT_FOUND",
           "UNAUTHORIZED")

PROVIDERS = {
    "liqx": Words(
        name="liqx", create_path=lambda r: "/liqx/v1/payin-intents", body=_liqx_body, created="intent",
        read_path=lambda r: "/liqx/v1/intents?limit=5", read_contract="intent-list",
        codes={c: c for c in NEUTRAL}, wrong_key=(401, "UNAUTHORIZED"), missing_key=(401, "UNAUTHORIZED"),
        credential_header="Authorization",
        long_field="depositor_name", pattern_field=("/amount_krw", "amount_krw"), pattern_value="100000",
        int_query="/liqx/v1/intents?limit="),
    "rozo": Words(
        name="rozo", create_path=lambda r: API + "/payments", body=_rozo_body, created="payment",
        read_path=lambda r: API + "/payments?limit=5", read_contract="payment-list",
        codes={"MALFORMED_JSON": "invalidRequest", "VALIDATION_FAILED": "invalidRequest",
               "UNSUPPORTED_MEDIA_TYPE": "unsupportedMediaType", "PAYLOAD_TOO_LARGE": "payloadTooLarge",
               "NOT_FOUND": "notFound", "UNAUTHORIZED": "invalid_api_key"},
        wrong_key=(400, "invalid_api_key"), missing_key=(400, "missing_api_key"), credential_header="X-API-Key",
        long_field="orderId", pattern_field=("/source/amount", "source", "amount"), pattern_value="10.00",
        int_query=API + "/payments?limit="),
    "inqud": Words(
        name="inqud", create_path=lambda r: base(r) + "/checkouts", body=lambda: dict(FIXED), created="checkout",
        read_path=lambda r: f"/inqud/sandbox/projects/{r.sb.credentials['inqud']['project_id']}",
        read_contract="project",
        codes={c: c for c in NEUTRAL}, wrong_key=(401, "UNAUTHORIZED"), missing_key=(401, "UNAUTHORIZED"),
        credential_header="X-Token-API-Secret",
        long_field="name", pattern_field=("/expiresAt", "expiresAt"), pattern_value="2026-12-01T12:00:00Z",
        create_status=200),
    "mizu": Words(
        name="mizu", create_path=lambda r: "/mizu/api/v1/payment-links", body=lambda: dict(LINK),
        created="payment-link", read_path=lambda r: "/mizu/api/v1/payments?limit=5", read_contract="payment-list",
        codes={c: c.lower() for c in NEUTRAL}, wrong_key=(401, "unauthorized"), missing_key=(401, "unauthorized"),
        credential_header="Authorization",
        long_field="title", pattern_field=("/amount", "amount"), pattern_value="25.50",
        int_query="/mizu/api/v1/payments?limit="),
}
NAMES = list(PROVIDERS)


def with_member(body: dict, path: tuple[str, ...], value) -> dict:
    """A copy of `body` with the member at `path` (nested keys) set to `value`."""
    out = dict(body)
    if len(path) == 1:
        out[path[0]] = value
    else:
        out[path[0]] = with_member(dict(body.get(path[0]) or {}), path[1:], value)
    return out


async def raw_request(base_url: str, method: str, path: str, headers: list[tuple[bytes, bytes]],
                      body: bytes = b"") -> tuple[int, bytes]:
    """One HTTP/1.1 request written byte for byte, so a header can carry bytes no client would send."""
    parts = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        lines = [f"{method} {path} HTTP/1.1".encode(), f"Host: {parts.netloc}".encode(), b"Connection: close",
                 f"Content-Length: {len(body)}".encode()]
        lines += [name + b": " + value for name, value in headers]
        writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, payload = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, payload


def header_pairs(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    """A client's headers as raw pairs."""
    return [(k.encode(), v.encode()) for k, v in headers.items()]


def valid_headers(running, words: Words) -> dict:
    """The provider's valid credentials plus a JSON content type."""
    return {**credentials(running, words.name), "Content-Type": "application/json"}
