"""Mizu helpers for tests: the published field table, a type check written from it, API shortcuts.

The field table is a verbatim copy of Mizu's webhook page (fixtures/mizu_webhook_fields.json);
`table_mismatches` checks a webhook body against it without using anything from the sandbox, so
the sandbox's own contract cannot hide a drift from what Mizu published.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from tests.support import contract_issues, credentials

FIELDS_FILE = Path(__file__).parent / "fixtures" / "mizu_webhook_fields.json"
PUBLISHED = json.loads(FIELDS_FILE.read_text(encoding="utf-8"))
FIELD_NAMES = [field["name"] for field in PUBLISHED["fields"]]
FIELD_TYPES = {field["name"]: field["type"] for field in PUBLISHED["fields"]}

LINK = {"amount": "25.50", "currency": "USDC", "chain": "polygon", "title": "Mizu 커피 ☕ subscription"}


def _is_iso8601(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _matches(documented: str, value) -> bool:
    """Does a JSON value have the type Mizu's table documents? Booleans are never numbers here."""
    if isinstance(value, bool):
        return False
    if documented == "Number":
        return isinstance(value, int | float)
    if documented == "Integer":
        return isinstance(value, int)
    if documented == "String":
        return isinstance(value, str)
    if documented == "String (ISO 8601)":
        return _is_iso8601(value)
    raise AssertionError(f"the fixture documents an unknown type {documented!r}")


def table_mismatches(body: dict) -> list[str]:
    """Every way a webhook body departs from the published table: missing, extra or mistyped keys."""
    problems = [f"missing {name}" for name in FIELD_NAMES if name not in body]
    problems += [f"extra {name}" for name in body if name not in FIELD_TYPES]
    problems += [f"{name}: {body[name]!r} is not {documented}" for name, documented in FIELD_TYPES.items()
                 if name in body and not _matches(documented, body[name])]
    return problems


async def create_link(running, body: dict | None = None, **headers) -> dict:
    """Create a payment link (201, contract-checked); headers add e.g. X-Sandbox-Scenario."""
    status, link, _ = await running.request("POST", "/mizu/api/v1/payment-links", json=body or LINK,
                                            headers={**credentials(running, "mizu"), **headers})
    assert status == 201, link
    assert contract_issues("mizu", "responses", "payment-link", link) == []
    return link


async def open_payment(running, link_id: int, email: str | None = None, reference: str | None = None) -> dict:
    """What the pay page does on load: open a payment (status 0) with its URL parameters."""
    body = {k: v for k, v in (("email", email), ("clientReferenceId", reference)) if v is not None}
    status, state, _ = await running.request("POST", f"/mizu/pay/{link_id}/payments", json=body)
    assert status == 201, state
    assert contract_issues("mizu", "responses", "pay-state", state) == []
    return state["payment"]


async def press(running, payment: dict, action: str) -> tuple[int, dict]:
    """A pay-page button: "paid" (I have paid) or "timeout" (Let it time out)."""
    status, body, _ = await running.request(
        "POST", f"/mizu/pay/{payment['paymentLinkId']}/payments/{payment['id']}/actions", json={"action": action})
    assert contract_issues("mizu", "responses", "pay-state" if status == 200 else "error", body) == []
    return status, body


async def get_payment(running, payment_id: int) -> dict:
    """Read a payment through the API, contract-checked."""
    status, payment, _ = await running.request("GET", f"/mizu/api/v1/payments/{payment_id}", headers=credentials(running, "mizu"))
    assert status == 200, payment
    assert contract_issues("mizu", "responses", "payment", payment) == []
    return payment


async def point_at(running, receiver) -> None:
    """Send Mizu webhooks to `receiver`."""
    await running.control("PUT", "/endpoints/mizu", {"url": receiver.url})


async def mizu_events(running) -> list[dict]:
    """Mizu's emitted webhook events, from the control API."""
    return (await running.control("GET", "/events?provider=mizu"))["data"]


async def mizu_deliveries(running) -> list[dict]:
    """Mizu's deliveries with their attempts, from the control API."""
    return (await running.control("GET", "/deliveries?provider=mizu"))["data"]
