"""LIQX's error envelope (SPEC §2): `{"error": {code, message, details, …}, "request_id": "req_…"}`.

The core's error codes were named after LIQX's, so this maps them one to one; members such as the
existing `intent_id` of a duplicate or the preflight `reason` ride inside `error`.
"""

from __future__ import annotations

from sandbox.errors import SandboxError

LIQX_CODES = {
    "UNAUTHORIZED", "VALIDATION_FAILED", "MALFORMED_JSON", "NOT_FOUND", "DUPLICATE_EXTERNAL_REF", "INVALID_STATE",
    "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "RESERVATION_PREFLIGHT_FAILED", "IDEMPOTENCY_KEY_REUSED",
    "INTERNAL", "SERVICE_UNAVAILABLE", "METHOD_NOT_ALLOWED",
}


def error_body(error: SandboxError, request_id: str) -> dict:
    """The envelope for a domain error; unknown neutral codes fold into 400/500 ones."""
    code = error.code if error.code in LIQX_CODES else ("INTERNAL" if error.status >= 500 else "VALIDATION_FAILED")
    inner = {"code": code, "message": error.message, "details": error.details, **error.extra}
    return {"error": inner, "request_id": request_id}
