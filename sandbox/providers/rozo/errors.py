"""ROZO's error envelope (`components.schemas.ErrorResponse`): `{"error": {code, message, details}, "requestId"}`.

Codes ROZO publishes pass through as they are (`invalidRequest`, `missing_api_key`,
`invalid_api_key`, `paymentNotFound`, `invalidChainId`, `amountTooLow`, …). The core's neutral
codes become camelCase words in ROZO's style. `details` is an object in the published schema, so
field issues ride in `details.fields` and extra members (the existing `paymentId` of a duplicate
`orderId`) beside them; an error without any detail omits the member.
"""

from __future__ import annotations

from sandbox.errors import SandboxError

#: The core's neutral codes in ROZO's words.
NEUTRAL = {
    "VALIDATION_FAILED": "invalidRequest",
    "MALFORMED_JSON": "invalidRequest",
    "BAD_REQUEST": "invalidRequest",
    "UNAUTHORIZED": "invalid_api_key",
    "NOT_FOUND": "notFound",
    "METHOD_NOT_ALLOWED": "methodNotAllowed",
    "CONFLICT": "conflict",
    "INVALID_STATE": "invalidRequest",
    "PAYLOAD_TOO_LARGE": "payloadTooLarge",
    "UNSUPPORTED_MEDIA_TYPE": "unsupportedMediaType",
    "UNPROCESSABLE": "invalidRequest",
    "INTERNAL": "internalError",
    "SERVICE_UNAVAILABLE": "serviceUnavailable",
}


def error_body(error: SandboxError, request_id: str) -> dict:
    """The ErrorResponse object for a domain error."""
    code = NEUTRAL.get(error.code, error.code)
    if error.code.isupper() and code == error.code:  # a neutral code nobody mapped yet
        code = "internalError" if error.status >= 500 else "invalidRequest"
    inner: dict = {"code": code, "message": error.message}
    details = dict(error.extra)
    if error.details:
        details["fields"] = error.details
    if details:
        inner["details"] = details
    return {"error": inner, "requestId": request_id}
