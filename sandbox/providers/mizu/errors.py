"""Mizu's error envelope. PROVISIONAL: Mizu publishes no API, so no error shape is known.

Chosen shape (documented in docs/mizu.md and `contracts/mizu/responses/error.schema.json`):
`{"error": {"status": 400, "code": "validation_failed", "message": "...", "details": [{"field", "issue"}]},
"requestId": "req_…"}` — camelCase at the top level like Mizu's webhook fields, the HTTP status
repeated inside so a logged body is self-explanatory, and lower-case codes.
"""

from __future__ import annotations

from sandbox.errors import SandboxError

#: The core's neutral codes in Mizu's (provisional) words.
CODES = {
    "UNAUTHORIZED": "unauthorized",
    "VALIDATION_FAILED": "validation_failed",
    "MALFORMED_JSON": "malformed_json",
    "NOT_FOUND": "not_found",
    "METHOD_NOT_ALLOWED": "method_not_allowed",
    "INVALID_STATE": "invalid_state",
    "CONFLICT": "conflict",
    "IDEMPOTENCY_KEY_REUSED": "idempotency_key_reused",
    "PAYLOAD_TOO_LARGE": "payload_too_large",
    "UNSUPPORTED_MEDIA_TYPE": "unsupported_media_type",
    "SERVICE_UNAVAILABLE": "service_unavailable",
    "INTERNAL": "internal_error",
}
_BY_STATUS = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 409: "conflict",
              413: "payload_too_large", 415: "unsupported_media_type", 503: "service_unavailable"}


def code_for(error: SandboxError) -> str:
    """Mizu's code for an error; unknown neutral codes fall back on the HTTP status."""
    if error.code in CODES:
        return CODES[error.code]
    if error.status >= 500:
        return _BY_STATUS.get(error.status, "internal_error")
    return _BY_STATUS.get(error.status, "invalid_request")


def error_body(error: SandboxError, request_id: str) -> dict:
    """The envelope for an error; its `extra` members ride inside `error`."""
    inner = {"status": error.status, "code": code_for(error), "message": error.message, "details": error.details,
             **error.extra}
    return {"error": inner, "requestId": request_id}

