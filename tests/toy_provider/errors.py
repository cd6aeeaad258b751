"""The toy's error envelope, unlike any real provider's: `{"problem": {"kind", "detail", "fields"}, "trace"}`."""

from __future__ import annotations

from sandbox.errors import SandboxError


def error_body(error: SandboxError, request_id: str) -> dict:
    """A domain error in the toy's words."""
    return {"problem": {"kind": error.code.lower(), "detail": error.message,
                        "fields": [d.get("field") for d in error.details]}, "trace": request_id}
