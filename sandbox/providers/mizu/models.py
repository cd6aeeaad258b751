"""Mizu payment links and payments: creation, the 0 → 1 → 4 / 0 → 2 state machine and its webhook.

Only Mizu's webhook is public (SPEC §4). The payment-link API here is provisional: a link is made
by the partner (`POST /mizu/api/v1/payment-links`) and is reusable; each visit of its pay page
opens a payment record with status 0 (Pending) and a pay window. "I have paid" moves it to 1
(User Marked as Paid, unverified); the on-chain confirmation follows on the sandbox clock (4,
Confirmed) and only that emits `payment_intent.successed`. A payment left unpaid past its window
becomes 2 (Timeout) and sends nothing, as documented.

Links and payments are both rows of `intents` (their `kind` column, and `_kind`, tell them apart;
a payment carries its link as a `link` lookup key). Their numeric ids come
from one sequence, so each number names exactly one row and the control API takes the same
numbers a partner sees. Every function is synchronous over one unit of work and runs as one
transaction (`Provider.commit`).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sandbox.clock import iso, to_ms
from sandbox.delivery.outbox import Outgoing, emit
from sandbox.errors import InvalidState, NotFound, ValidationFailed
from sandbox.ids import Ids
from sandbox.providers.base import Ctx, public
from sandbox.providers.mizu.events import EVENT_TYPE, event_id_for, webhook_body
from sandbox.scenarios import Scenario
from sandbox.store import IntentRow, UnitOfWork
from sandbox.validation import ascii_int

NAME = "mizu"
PENDING, MARKED_PAID, TIMEOUT, CONFIRMED = 0, 1, 2, 4
STATUS_NAMES = {PENDING: "Pending", MARKED_PAID: "User Marked as Paid", TIMEOUT: "Timeout", CONFIRMED: "Confirmed"}
#: Which moves the payment engine makes: status -> allowed next statuses.
GRAPH = {PENDING: {MARKED_PAID, TIMEOUT, CONFIRMED}, MARKED_PAID: {TIMEOUT, CONFIRMED}}
TERMINAL = {TIMEOUT, CONFIRMED}
#: Control-API words for a status, besides the bare numbers.
STATUS_WORDS = {"PENDING": PENDING, "PAID": MARKED_PAID, "MARKED_PAID": MARKED_PAID, "TIMEOUT": TIMEOUT,
                "CONFIRMED": CONFIRMED}
PAY_WINDOW_S = 30 * 60
SETTLEMENT_DELAY_S = 10.0
LINK_STATUS = "active"

#: Supported chains and their address / transaction-hash family. All EVM for now, so the published
#: "0x + 64 hex" hash holds; a non-EVM chain would add a family here and a branch in the contracts.
CHAINS = {"ethereum": "evm", "polygon": "evm", "arbitrum": "evm", "base": "evm", "optimism": "evm", "bsc": "evm"}
CURRENCIES = ("USDC", "USDT")


def wallet_address(ids: Ids, chain: str) -> str:
    """A receiving address shaped like the chain's (EVM: 0x + 40 hex)."""
    return ids.evm_address()


def transaction_hash(ids: Ids, chain: str) -> str:
    """A transaction hash shaped like the chain's (EVM: 0x + 64 hex)."""
    return ids.evm_tx_hash()


def _next_id(db: UnitOfWork, ids: Ids) -> int:
    """The next number of the one link-and-payment sequence; it starts at a seeded 8-digit base."""
    # One sequence for the server (every replica too): ids never collide. The seeded base is drawn
    # only for the first id, as it always was, so a seed replays the same numbers.
    first = db.meta.get("mizu:last_id", shared=True) is None
    return db.meta.increment("mizu:last_id", ids.number(10_000_000, 49_999_999) + 1 if first else 0, shared=True)


def link_public(data: dict, base_url: str) -> dict:
    """A payment link as the API answers it; the pay-page URL follows the server's current address."""
    return {**public(data), "url": f"{base_url}/mizu/pay/{data['id']}"}


# --- payment links --------------------------------------------------------------------------


def scenario_part(scenario: Scenario | None, *, api: bool) -> Scenario | None:
    """The scenario with only its API-call faults (for the link) or only its webhook faults (for a payment).

    A partner's API calls name the link it created, and webhooks belong to payments; API faults
    scoped to a payment would be spent by the pay page's own polling, never seen by the partner.
    """
    if scenario is None:
        return None
    return scenario.model_copy(update={"faults": [rule for rule in scenario.faults if rule.is_api == api]})


def create_link(db: UnitOfWork, ctx: Ctx, body: dict, scenario: Scenario | None,
                attach) -> tuple[int, dict]:
    """A new reusable payment link with its receiving wallet on the chosen chain."""
    if Decimal(body["amount"]) <= 0:
        raise ValidationFailed("amount must be greater than 0",
                               details=[{"field": "/amount", "issue": "must be greater than 0"}])
    link_id = _next_id(db, ctx.ids)
    link = {
        "id": link_id, "title": body["title"], "description": body.get("description"),
        "amount": body["amount"], "currency": body["currency"], "chain": body["chain"],
        "receiveWalletAddress": wallet_address(ctx.ids, body["chain"]), "status": LINK_STATUS,
        "createTime": iso(ctx.now), "_kind": "link", "_scenario": scenario.name if scenario else None,
    }
    db.intents.insert(NAME, str(link_id), None, LINK_STATUS, link["_scenario"], link, ctx.now_ms, kind="link")
    attach(db, NAME, str(link_id), scenario_part(scenario, api=True), ctx.now_ms)
    return 201, link_public(link, ctx.base_url)


def load(db: UnitOfWork, number: str, kind: str) -> IntentRow:
    """A link or payment by its number; anything else (or the other kind) is not found."""
    row = db.intents.get(NAME, number) if number.isdigit() else None
    if row is None or row.data.get("_kind") != kind:
        noun = "payment link" if kind == "link" else "payment"
        raise NotFound(f"{noun} {number!r} not found")
    return row


def list_payments(db: UnitOfWork, reference: str | None, link_id: int | None, status: int | None,
                  limit: int) -> list[dict]:
    """Payments newest first, by client reference (indexed), link and status."""
    rows = db.intents.list(NAME, kind="payment", external_ref=reference,
                           status=None if status is None else str(status),
                           key=None if link_id is None else ("link", str(link_id)), limit=limit)
    return [public(row.data) for row in rows]


# --- payments -------------------------------------------------------------------------------


def start_payment(db: UnitOfWork, ctx: Ctx, link_id: str, body: dict, scenario: Scenario | None,
                  attach) -> dict:
    """The pay page opened: a payment record in status 0 with its pay window (and scenario) running."""
    link = load(db, link_id, "link").data
    payment_id = _next_id(db, ctx.ids)
    window_s = scenario.expire_after_s if scenario and scenario.expire_after_s else PAY_WINDOW_S
    reference = body.get("clientReferenceId") or ""
    payment = {
        "id": payment_id, "paymentLinkId": link["id"], "receiveWalletAddress": link["receiveWalletAddress"],
        "createTime": iso(ctx.now), "paidTime": None, "status": PENDING, "transactionHash": None,
        "logIndex": None, "chain": link["chain"], "currency": link["currency"], "payAmount": link["amount"],
        "emailParam": body.get("email") or "", "clientReferenceIdParam": reference,
        "expireTime": iso(ctx.now + timedelta(seconds=window_s)), "_kind": "payment",
    }
    key = str(payment_id)
    db.intents.insert(NAME, key, reference or None, str(PENDING), scenario.name if scenario else None, payment,
                      ctx.now_ms, kind="payment", keys={"link": str(link["id"])})
    # Statuses go into the timeline as the status words of `Provider.statuses` ("0", "1", …), like LIQX's.
    db.timeline.add(NAME, key, "transition", ctx.now_ms, {"from": None, "to": str(PENDING), "by": "pay_page"})
    db.timeline.add(NAME, link_id, "payment", ctx.now_ms, {"payment_id": payment_id, "by": "pay_page"})
    attach(db, NAME, key, scenario_part(scenario, api=False), ctx.now_ms)
    db.jobs.add(NAME, key, "expire", to_ms(ctx.now + timedelta(seconds=window_s)))
    if scenario and scenario.outcome:
        db.jobs.add(NAME, key, "outcome", to_ms(ctx.now + timedelta(seconds=scenario.outcome.after_s)),
                    {"to": scenario.outcome.to})
    return public(payment)


def transition(db: UnitOfWork, ctx: Ctx, row: IntentRow, to: int, *, by: str) -> dict:
    """Move a payment to `to` if the engine allows it; 4 fills in the chain facts and emits the webhook."""
    current = row.data["status"]
    if to not in GRAPH.get(current, set()):
        raise InvalidState(f"payment is {current} ({STATUS_NAMES[current]}); cannot move to {to}",
                           payment=public(row.data))
    payment = dict(row.data, status=to)
    if to == MARKED_PAID:
        # The payer's word starts on-chain verification; the pay window no longer applies.
        db.jobs.cancel(NAME, row.id, "expire")
        db.jobs.add(NAME, row.id, "confirm", to_ms(ctx.now + timedelta(seconds=ctx.settlement_delay_s)))
    if to in TERMINAL:
        db.jobs.cancel(NAME, row.id)
    if to == CONFIRMED:
        payment["paidTime"] = iso(ctx.now)
        payment["transactionHash"] = transaction_hash(ctx.ids, payment["chain"])
        payment["logIndex"] = ctx.ids.number(0, 255)
    db.intents.update(NAME, row.id, str(to), payment, ctx.now_ms)
    db.timeline.add(NAME, row.id, "transition", ctx.now_ms, {"from": str(current), "to": str(to), "by": by})
    if to == CONFIRMED:
        emit(db, Outgoing(NAME, event_id_for(payment["id"]), EVENT_TYPE, webhook_body(payment), row.id,
                          payment["clientReferenceIdParam"] or None), ctx.now_ms)
    row.status, row.data = str(to), payment
    return public(payment)


def pay_action(db: UnitOfWork, ctx: Ctx, link_id: str, payment_id: str, action: str) -> dict:
    """A pay-page button: "I have paid" (→ 1) or "Let it time out" (→ 2)."""
    row = load(db, payment_id, "payment")
    if str(row.data["paymentLinkId"]) != link_id:
        raise NotFound(f"payment {payment_id!r} not found on payment link {link_id!r}")
    if action == "paid":
        return transition(db, ctx, row, MARKED_PAID, by="pay_page")
    return transition(db, ctx, row, TIMEOUT, by="pay_page")


def run_job(db: UnitOfWork, ctx: Ctx, payment_id: str, kind: str, payload: dict) -> None:
    """A timer fired: pay window over, on-chain confirmation, or a scenario outcome. Stale ones do nothing."""
    row = db.intents.get(NAME, payment_id)
    if row is None or row.data.get("_kind") != "payment" or row.data["status"] in TERMINAL:
        return
    status = row.data["status"]
    if kind == "expire" and status == PENDING:
        transition(db, ctx, row, TIMEOUT, by="timer")
    elif kind == "confirm" and status == MARKED_PAID:
        transition(db, ctx, row, CONFIRMED, by="chain_confirmation")
    elif kind == "outcome" and status == PENDING:
        # A scenario acts only if the payer has not: after "I have paid" the chain decides.
        transition(db, ctx, row, MARKED_PAID if payload.get("to") == "succeed" else TIMEOUT, by="scenario")


def parse_status(text: str) -> int:
    """A control-API status: a number Mizu publishes (0, 1, 2, 4) or its word; the graph decides if it is allowed."""
    word = text.strip().upper()
    if ascii_int(word) in STATUS_NAMES:
        return ascii_int(word)
    if word in STATUS_WORDS:
        return STATUS_WORDS[word]
    raise ValidationFailed(f"{text!r} is not a Mizu payment status; use 1 (PAID), 2 (TIMEOUT) or 4 (CONFIRMED)",
                           details=[{"field": "/to", "issue": "unknown status"}])


def force(db: UnitOfWork, ctx: Ctx, payment_id: str, to: str) -> dict:
    """The control API's transition: any step the payment engine allows, as the page or a timer would."""
    target = parse_status(to)
    row = db.intents.get(NAME, payment_id)
    if row is not None and row.data.get("_kind") == "link":
        raise InvalidState(f"{payment_id} is a payment link; drive one of its payments instead")
    return transition(db, ctx, load(db, payment_id, "payment"), target, by="control")

