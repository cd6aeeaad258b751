"""The HMAC core every provider's webhook signature is built on, and constant-time comparison.

Provider header dialects (LIQX `v1=`, ROZO `sha256=`, Inqud's digest) are thin adapters in each
provider's `events.py`; they all come down to these two functions, as in standard-webhooks.
"""

from __future__ import annotations

import hashlib
import hmac

_ALGORITHMS = ("sha256", "sha1")


def hmac_hex(secret: str | bytes, message: bytes, algorithm: str = "sha256") -> str:
    """Lowercase hex HMAC of `message` under `secret` (`hmac.digest`: OpenSSL's one-shot HMAC, no Python object)."""
    if algorithm not in _ALGORITHMS:
        raise KeyError(algorithm)
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.digest(key, message, algorithm).hex()


def equal(a: str | bytes, b: str | bytes) -> bool:
    """Constant-time equality, so a verifier leaks nothing about how much of a signature matched."""
    a_bytes = a.encode("utf-8") if isinstance(a, str) else a
    b_bytes = b.encode("utf-8") if isinstance(b, str) else b
    return hmac.compare_digest(a_bytes, b_bytes)


def wrong_secret(secret: str | None) -> str:
    """A different secret for the `bad_signature` fault: derived, so traces stay deterministic."""
    return "wrong-" + hashlib.sha256((secret or "").encode("utf-8")).hexdigest()[:32]
