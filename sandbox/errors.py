"""Domain errors. Code raises these; only a provider's error renderer turns them into its wire shape.

Each error carries a provider-neutral `code`, an HTTP `status`, a message, optional field
`details` and `extra` members (e.g. the existing `intent_id` on a duplicate). Providers map the
neutral codes to their own words (LIQX `VALIDATION_FAILED`, ROZO `invalidRequest`, …).
"""

from __future__ import annotations


class SandboxError(Exception):
    """A client-visible failure with its status; never a 500 unless it is a real bug."""

    status = 400
    code = "BAD_REQUEST"

    def __init__(self, message: str, *, details: list[dict] | None = None, code: str | None = None,
                 status: int | None = None, **extra) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.extra = extra
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class Unauthorized(SandboxError):
    status, code = 401, "UNAUTHORIZED"


class ValidationFailed(SandboxError):
    status, code = 400, "VALIDATION_FAILED"


class MalformedJson(SandboxError):
    status, code = 400, "MALFORMED_JSON"


class NotFound(SandboxError):
    status, code = 404, "NOT_FOUND"


class MethodNotAllowed(SandboxError):
    status, code = 405, "METHOD_NOT_ALLOWED"


class Conflict(SandboxError):
    status, code = 409, "CONFLICT"


class InvalidState(SandboxError):
    status, code = 409, "INVALID_STATE"


class IdempotencyKeyReused(SandboxError):
    status, code = 409, "IDEMPOTENCY_KEY_REUSED"


class PayloadTooLarge(SandboxError):
    status, code = 413, "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(SandboxError):
    status, code = 415, "UNSUPPORTED_MEDIA_TYPE"

