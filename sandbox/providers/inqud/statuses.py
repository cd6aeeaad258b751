"""Inqud's status words, read from `contracts/inqud/enums.json` (the one place they are kept).

Inqud publishes `NEW` for checkouts and only part of the request list, so the words are data:
the code speaks in roles (`CHECKOUT.success`) and the wire words come from the contract file.
Correcting a word there corrects the API, the webhooks, the hosted page and the schemas.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

from sandbox import DATA_DIR

ENUMS_PATH = DATA_DIR / "contracts" / "inqud" / "enums.json"
ENUMS: dict = json.loads(ENUMS_PATH.read_text(encoding="utf-8"))

#: Role -> wire word, e.g. `CHECKOUT.waitingPayment == "WAITING_PAYMENT"`.
CHECKOUT = SimpleNamespace(**ENUMS["checkoutStatus"])
REQUEST = SimpleNamespace(**ENUMS["requestStatus"])
PAYMENT = SimpleNamespace(**ENUMS["paymentStatus"])
CHECKOUT_TYPES: tuple[str, ...] = tuple(ENUMS["checkoutType"])

CHECKOUT_STATUSES: tuple[str, ...] = tuple(ENUMS["checkoutStatus"].values())
REQUEST_STATUSES: tuple[str, ...] = tuple(ENUMS["requestStatus"].values())
PAYMENT_STATUSES: tuple[str, ...] = tuple(ENUMS["paymentStatus"].values())
ALL_STATUSES: tuple[str, ...] = tuple(dict.fromkeys((*CHECKOUT_STATUSES, *REQUEST_STATUSES)))

TERMINAL_ROLES = ("success", "conflict", "expired", "cancelled")
CHECKOUT_TERMINAL = frozenset(ENUMS["checkoutStatus"][r] for r in TERMINAL_ROLES)
REQUEST_TERMINAL = frozenset(ENUMS["requestStatus"][r] for r in TERMINAL_ROLES)

# Which step each status allows next (checkout: NEW → WAITING_PAYMENT → PENDING_PAYMENT → outcome).
CHECKOUT_GRAPH = {
    CHECKOUT.new: {CHECKOUT.waitingPayment, CHECKOUT.expired, CHECKOUT.cancelled},
    CHECKOUT.waitingPayment: {CHECKOUT.pendingPayment, CHECKOUT.expired, CHECKOUT.cancelled},
    CHECKOUT.pendingPayment: {CHECKOUT.success, CHECKOUT.conflict},
}
REQUEST_GRAPH = {
    REQUEST.waitingPayment: {REQUEST.pendingPayment, REQUEST.expired, REQUEST.cancelled},
    REQUEST.pendingPayment: {REQUEST.success, REQUEST.conflict},
}


def checkout_role(status: str) -> str:
    """The role of a checkout status word (`"SUCCESS"` → `"success"`)."""
    return next(role for role, word in ENUMS["checkoutStatus"].items() if word == status)


def request_role(status: str) -> str:
    """The role of a request status word."""
    return next(role for role, word in ENUMS["requestStatus"].items() if word == status)
