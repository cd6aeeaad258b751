"""Inqud's error answer. Inqud publishes no error shape, so the sandbox chose a flat camelCase one.

`{"status": 400, "code": "VALIDATION_FAILED", "message": "…", "details": [{"field", "issue"}],
"requestId": "req_…"}` — top-level `message` and `code` because that is what Inqud clients in the
wild read (`parsed.message || parsed.code`). The contract is `contracts/inqud/responses/error`.
"""

from __future__ import annotations

from sandbox.errors import SandboxError

CODES = (
    "UNAUTHORIZED", "VALIDATION_FAILED", "MALFORMED_JSON", "NOT_FOUND", "INVALID_STATE", "PAYLOAD_TOO_LARGE",
    "UNSUPPORTED_MEDIA_TYPE", "METHOD_NOT_ALLOWED", "SERVICE_UNAVAILABLE", "INTERNAL",
)


def error_body(error: SandboxError, request_id: str) -> dict:
    """The error as Inqud-shaped JSON; unknown neutral codes fold into 400/500 ones."""
    code = error.code if error.code in CODES else ("INTERNAL" if error.status >= 500 else "VALIDATION_FAILED")
    extra = {k: v for k, v in error.extra.items() if k in ("id", "currentStatus", "faultRule")}
    if "fault_rule" in error.extra:
        extra["faultRule"] = error.extra["fault_rule"]
    return {"status": error.status, "code": code, "message": error.message, "details": error.details,
            "requestId": request_id, **extra}

