"""ROZO payments: storage, lookups and the state machine with its webhooks and timers.

Everything here is a synchronous function over a unit of work, run by `Store.commit` as
one transaction: a status change, its timeline entry, its webhook event and delivery rows and its
timers commit together.

The path, as ROZO documents it: `payment_unpaid → payment_started` (a payin tx is registered) `→
payment_payin_completed` (confirmed on the source chain; webhook) `→ payment_payout_completed`
(after the settlement delay; webhook) `→ payment_completed`. Off the path: `payment_bounced` with
an `errorCode` (no webhook), `payment_expired` at `expiresAt` while unpaid (no webhook), and
`payment_refunded` after a bounce (control API only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sandbox.clock import iso, to_ms
from sandbox.delivery.outbox import Outgoing, emit
from sandbox.errors import Conflict, InvalidState, NotFound, ValidationFailed
from sandbox.providers import base
from sandbox.providers.base import public
from sandbox.providers.rozo import chains, payments
from sandbox.providers.rozo.events import webhook_body
from sandbox.scenarios import Scenario
from sandbox.store import IntentRow, UnitOfWork

NAME = "rozo"
STATUSES = ("payment_unpaid", "payment_started", "payment_payin_completed", "payment_payout_completed",
            "payment_completed", "payment_bounced", "payment_expired", "payment_refunded")
HAPPY_PATH = STATUSES[:5]
ERROR_CODES = ("amountTooHigh", "amountTooLow", "chainUnavailable", "insufficientLiquidity", "invalidRecipient",
               "missingTrustline", "networkError", "providerError", "serviceMaintenance")
ERROR_MESSAGES = {
    "amountTooHigh": "Amount exceeds the maximum for this route",
    "amountTooLow": "Amount is below the minimum for this route",
    "chainUnavailable": "The destination chain is unavailable",
    "insufficientLiquidity": "Insufficient liquidity to complete the payout",
    "invalidRecipient": "The recipient address cannot receive this token",
    "missingTrustline": "The Stellar recipient has no trustline for this asset",
    "networkError": "Network error while processing the payment",
    "providerError": "The routing provider failed to process the payment",
    "serviceMaintenance": "The service is under maintenance",
}
GRAPH = {
    "payment_unpaid": {"payment_started", "payment_bounced", "payment_expired"},
    "payment_started": {"payment_payin_completed", "payment_bounced"},
    "payment_payin_completed": {"payment_payout_completed", "payment_bounced"},
    "payment_payout_completed": {"payment_completed"},
    "payment_bounced": {"payment_refunded"},
}
EVENT_FOR_STATUS = {"payment_payin_completed": "payment_payin_completed",
                    "payment_payout_completed": "payment_payout_completed"}
#: Sandbox seconds from a registered payin to its confirmation, and from payout to completion.
PAYIN_CONFIRM_S = 2.0
COMPLETE_AFTER_S = 1.0
TOP_ORDER = ("id", "appId", "orderId", "status", "errorCode", "errorMessage", "type", "createdAt", "updatedAt",
             "expiresAt", "display", "source", "destination", "webhookUrl", "webhookSecret", "paymentLink", "metadata")
SOURCE_ORDER = ("chainId", "tokenSymbol", "tokenAddress", "amount", "receiverAddress", "receiverMemo", "fee",
                "senderAddress", "txHash", "amountReceived", "confirmedAt")
DESTINATION_ORDER = ("chainId", "receiverAddress", "receiverMemo", "tokenSymbol", "tokenAddress", "amount", "txHash",
                     "confirmedAt")


@dataclass(slots=True)
class Ctx(base.Ctx):
    """A ROZO transaction also needs the pooled deposit addresses of memo chains."""

    pools: dict[str, str] = field(default_factory=dict)


def _ordered(payment: dict) -> dict:
    """Members in ROZO's documented order, whatever order the updates added them in."""
    def order(obj: dict, keys: tuple[str, ...]) -> dict:
        return {**{k: obj[k] for k in keys if k in obj}, **{k: v for k, v in obj.items() if k not in keys}}
    out = order(payment, TOP_ORDER)
    out["source"] = order(out["source"], SOURCE_ORDER)
    out["destination"] = order(out["destination"], DESTINATION_ORDER)
    return out


# --- creation and lookups -------------------------------------------------------------------


def find_by_order(db: UnitOfWork, app_id: str, order_id: str) -> IntentRow | None:
    """The payment an app created with `orderId` (unique per app), or None."""
    return db.intents.find_by_ref(NAME, order_id, account=app_id)


def lookup_keys(payment: dict) -> dict[str, str | None]:
    """What `GET /payments/check` and the payin finds a payment by: tx hashes, deposit address + memo."""
    source, destination = payment["source"], payment["destination"]
    deposit = None
    if source.get("receiverAddress") and source.get("receiverMemo"):
        deposit = f"{source['receiverAddress']} {source['receiverMemo']}"
    return {"source_tx": source.get("txHash"), "destination_tx": destination.get("txHash"), "deposit": deposit}


def create_payment(db: UnitOfWork, ctx: Ctx, body: dict, app_id: str, scenario: Scenario | None,
                   attach) -> dict:
    """Store a new `payment_unpaid` payment and its expiry timer; 409 on a duplicate orderId."""
    order_id = body.get("orderId")
    if order_id is not None:
        existing = find_by_order(db, app_id, order_id)
        if existing is not None:
            raise Conflict(f"orderId {order_id!r} already exists for appId {app_id!r}", code="duplicateOrderId",
                           appId=app_id, orderId=order_id, paymentId=existing.id)
    ttl = scenario.expire_after_s if scenario and scenario.expire_after_s else payments.TTL_S
    payment = payments.new_payment(ctx.ids, ctx.now, body, app_id, ctx.base_url, ctx.pools, ttl)
    if scenario and scenario.outcome:
        payment["_outcome"] = {**scenario.outcome.model_dump(), "error_code": scenario.params.get("error_code")}
    db.intents.insert(NAME, payment["id"], order_id, payment["status"], scenario.name if scenario else None,
                      _ordered(payment), ctx.now_ms, account=app_id, keys=lookup_keys(payment))
    db.timeline.add(NAME, payment["id"], "transition", ctx.now_ms, {"from": None, "to": "payment_unpaid", "by": "api"})
    attach(db, NAME, payment["id"], scenario, ctx.now_ms)
    db.jobs.add(NAME, payment["id"], "expire", ctx.now_ms + int(ttl * 1000))
    outcome = payment.get("_outcome")
    if outcome and outcome["trigger"] == "created":
        _arm_outcome(db, ctx, payment["id"], outcome)
    return public(_ordered(payment))


def load(db: UnitOfWork, payment_id: str, app_id: str | None = None) -> IntentRow:
    """The payment, or 404 — also when a key scopes the lookup to another app (cross-tenant defense)."""
    row = db.intents.get(NAME, payment_id)
    if row is None or (app_id is not None and row.data["appId"] != app_id):
        raise NotFound(f"payment {payment_id!r} not found", code="paymentNotFound")
    return row


def list_payments(db: UnitOfWork, app_id: str, status: str | None, from_ms: int | None, to_ms_: int | None,
                  limit: int, offset: int) -> tuple[list[dict], int]:
    """One page, newest first, and the total number of matches."""
    scope = {"account": app_id, "status": status, "created_from_ms": from_ms, "created_to_ms": to_ms_}
    rows = db.intents.list(NAME, **scope, limit=limit, offset=min(offset, 2**62))
    return [public(row.data) for row in rows], db.intents.count(NAME, **scope)


#: `GET /payments/check` parameters: the lookup keys each matches and its search window in days.
CHECKS = {"sourceTxHash": (("source_tx",), 90), "destinationTxHash": (("destination_tx",), 90),
          "txHash": (("source_tx", "destination_tx"), 3)}
ADDRESS_WINDOW_DAYS = 7


def check(db: UnitOfWork, now_ms: int, query: dict[str, str], app_id: str | None) -> dict:
    """The most recent payment matching a tx hash, or a deposit address and memo, within its window."""
    hashes = [name for name in CHECKS if query.get(name)]
    address, memo = query.get("receiverAddress"), query.get("receiverMemo")
    if len(hashes) > 1:
        raise ValidationFailed("send only one of txHash, sourceTxHash and destinationTxHash",
                               details=[{"field": name, "issue": "only one hash parameter"} for name in hashes],
                               code="invalidRequest")
    if hashes:
        kinds, days = CHECKS[hashes[0]]
        value = query[hashes[0]]
    elif address and memo:
        kinds, days, value = ("deposit",), ADDRESS_WINDOW_DAYS, f"{address} {memo}"
    else:
        missing = ["receiverMemo"] if address else ["receiverAddress"] if memo else ["txHash"]
        raise ValidationFailed("need txHash (or sourceTxHash / destinationTxHash), or both receiverAddress and "
                               "receiverMemo", details=[{"field": m, "issue": "is required"} for m in missing],
                               code="invalidRequest")
    row = db.intents.find_by_key(NAME, kinds, value, account=app_id, created_from_ms=now_ms - days * 86_400_000)
    if row is None:
        raise NotFound(f"No payment found in the last {days} days", code="paymentNotFound")
    return public(row.data)


# --- the state machine ----------------------------------------------------------------------


def transition(db: UnitOfWork, ctx: Ctx, row: IntentRow, to: str, *, by: str, **changes) -> dict:
    """Move a payment to `to` if the graph allows it, with its side effects, webhook and timers."""
    if to not in GRAPH.get(row.status, set()):
        raise InvalidState(f"payment is {row.status}; it cannot become {to}", code="invalidRequest", status=400,
                           paymentId=row.id, paymentStatus=row.status)
    payment = dict(row.data, source=dict(row.data["source"]), destination=dict(row.data["destination"]))
    payment["status"], payment["updatedAt"] = to, iso(ctx.now)
    source, destination = chains.resolve_chain(payment["source"]["chainId"]), chains.resolve_chain(
        payment["destination"]["chainId"])
    if to == "payment_started":
        payment["source"]["txHash"] = changes["tx_hash"]
        if changes.get("sender"):
            payment["source"]["senderAddress"] = changes["sender"]
        db.jobs.add(NAME, row.id, "confirm_payin", ctx.now_ms + int(PAYIN_CONFIRM_S * 1000))
    elif to == "payment_payin_completed":
        payment["source"].setdefault("senderAddress", chains.account(ctx.ids, source))
        payment["source"]["amountReceived"] = payment["source"]["amount"]
        payment["source"]["confirmedAt"] = iso(ctx.now)
        db.jobs.add(NAME, row.id, "payout", ctx.now_ms + int(ctx.settlement_delay_s * 1000))
    elif to == "payment_payout_completed":
        payment["destination"]["txHash"] = chains.tx_hash(ctx.ids, destination)
        payment["destination"]["confirmedAt"] = iso(ctx.now)
        db.jobs.add(NAME, row.id, "complete", ctx.now_ms + int(COMPLETE_AFTER_S * 1000))
    elif to == "payment_bounced":
        payment["errorCode"] = changes["error_code"]
        payment["errorMessage"] = ERROR_MESSAGES[changes["error_code"]]
    if to in ("payment_bounced", "payment_expired", "payment_completed", "payment_refunded"):
        db.jobs.cancel(NAME, row.id)
    payment = _ordered(payment)
    db.intents.update(NAME, row.id, to, payment, ctx.now_ms)
    if to in ("payment_started", "payment_payout_completed"):
        db.intents.add_keys(NAME, row.id, lookup_keys(payment))
    db.timeline.add(NAME, row.id, "transition", ctx.now_ms,
                    {"from": row.status, "to": to, "by": by, **({"errorCode": payment["errorCode"]}
                                                             if to == "payment_bounced" else {})})
    event_type = EVENT_FOR_STATUS.get(to)
    if event_type:
        event_id = ctx.ids.uuid()
        emit(db, Outgoing(NAME, event_id, event_type, webhook_body(event_id, event_type, payment, ctx.now), row.id,
                          payment.get("orderId"), url=payment.get("webhookUrl"), secret=payment.get("webhookSecret")),
             ctx.now_ms)
    row.status, row.data = to, payment
    return public(payment)


def register_payin(db: UnitOfWork, ctx: Ctx, payment_id: str, app_id: str | None, tx_hash: str,
                   sender: str | None, by: str = "api") -> dict:
    """`POST /payments/{id}/payin`: store the buyer's tx and start verification (→ payment_started)."""
    row = load(db, payment_id, app_id)
    chain = chains.resolve_chain(row.data["source"]["chainId"])
    issues = []
    if not chains.is_tx_hash(chain, tx_hash):
        issues.append({"field": "/txHash", "issue": f"must be {chains.tx_hash_shape(chain)} on {chain.name}"})
    if sender is not None and not chains.is_address(chain, sender):
        issues.append({"field": "/fromAddress", "issue": f"must be {chains.address_shape(chain)} on {chain.name}"})
    if issues:
        raise ValidationFailed("the payin does not look like a " + chain.name + " transaction", details=issues,
                               code="invalidRequest")
    if row.data["source"].get("txHash") == tx_hash:
        return public(row.data)  # the same registration again: nothing new to verify
    used = db.intents.find_by_key(NAME, ("source_tx",), tx_hash, other_than=payment_id)
    if used is not None:
        raise ValidationFailed("txHash is already registered for another payment", code="invalidRequest",
                               details=[{"field": "/txHash", "issue": "already registered"}])
    if row.status != "payment_unpaid":
        raise InvalidState(f"payment is {row.status}; a payin can only be registered while payment_unpaid",
                           code="invalidRequest", status=400, paymentId=payment_id, paymentStatus=row.status)
    return transition(db, ctx, row, "payment_started", by=by, tx_hash=tx_hash, sender=sender)


def send_payin(db: UnitOfWork, ctx: Ctx, payment_id: str, by: str) -> dict:
    """The pay page's "Send payin": a buyer's wallet sends a tx shaped for the source chain."""
    row = load(db, payment_id)
    chain = chains.resolve_chain(row.data["source"]["chainId"])
    return register_payin(db, ctx, payment_id, None, chains.tx_hash(ctx.ids, chain), chains.account(ctx.ids, chain), by)


def bounce(db: UnitOfWork, ctx: Ctx, payment_id: str, error_code: str, by: str) -> dict:
    """`payment_bounced` with one of ROZO's PaymentErrorCode values; no webhook, as documented."""
    if error_code not in ERROR_CODES:
        raise ValidationFailed(f"errorCode must be one of {', '.join(ERROR_CODES)}", code="invalidRequest",
                               details=[{"field": "/errorCode", "issue": "unknown PaymentErrorCode"}])
    return transition(db, ctx, load(db, payment_id), "payment_bounced", by=by, error_code=error_code)


def open_page(db: UnitOfWork, ctx: Ctx, payment_id: str) -> dict:
    """The hosted pay page was opened: arms a `session_opened` scenario outcome once."""
    row = load(db, payment_id)
    outcome = row.data.get("_outcome")
    if outcome and outcome["trigger"] == "session_opened" and not row.data.get("_outcome_armed"):
        _arm_outcome(db, ctx, payment_id, outcome)
        db.intents.update(NAME, payment_id, row.status, dict(row.data, _outcome_armed=True), ctx.now_ms)
    db.timeline.add(NAME, payment_id, "page_opened", ctx.now_ms, {"status": row.status})
    return public(row.data)


def _arm_outcome(db: UnitOfWork, ctx: Ctx, payment_id: str, outcome: dict) -> None:
    due = ctx.now + timedelta(seconds=outcome["after_s"])
    db.jobs.add(NAME, payment_id, "outcome", to_ms(due), {"to": outcome["to"], "error_code": outcome.get("error_code")})


def run_job(db: UnitOfWork, ctx: Ctx, payment_id: str, kind: str, payload: dict) -> None:
    """A timer fired: expiry, payin confirmation, payout, completion or a scenario outcome. Stale ones do nothing."""
    row = db.intents.get(NAME, payment_id)
    if row is None:
        return
    step = {("expire", "payment_unpaid"): "payment_expired",
            ("confirm_payin", "payment_started"): "payment_payin_completed",
            ("payout", "payment_payin_completed"): "payment_payout_completed",
            ("complete", "payment_payout_completed"): "payment_completed"}.get((kind, row.status))
    if step is not None:
        transition(db, ctx, row, step, by="timer")
    elif kind == "outcome" and row.status == "payment_unpaid":  # unless the pay page acted first
        if payload["to"] == "fail":
            transition(db, ctx, row, "payment_bounced", by="scenario", error_code=payload.get("error_code") or "providerError")
        elif payload["to"] == "expire":
            transition(db, ctx, row, "payment_expired", by="scenario")
        elif payload["to"] == "succeed":
            send_payin(db, ctx, payment_id, by="scenario")


def force(db: UnitOfWork, ctx: Ctx, payment_id: str, to: str) -> dict:
    """The control API's transition: walk the happy path up to `to`, or bounce (`payment_bounced[:code]`)."""
    target, _, code = to.partition(":")
    if target not in STATUSES:
        raise ValidationFailed(f"{to!r} is not a ROZO status; use one of {', '.join(STATUSES)} "
                               "(payment_bounced:<errorCode> picks the error code)",
                               details=[{"field": "/to", "issue": "unknown status"}])
    row = load(db, payment_id)
    if target == "payment_bounced":
        return bounce(db, ctx, payment_id, code or "providerError", by="control")
    if target in HAPPY_PATH and row.status in HAPPY_PATH and HAPPY_PATH.index(target) > HAPPY_PATH.index(row.status):
        result = public(row.data)
        for step in HAPPY_PATH[HAPPY_PATH.index(row.status) + 1: HAPPY_PATH.index(target) + 1]:
            if step == "payment_started":
                result = send_payin(db, ctx, payment_id, by="control")
            else:
                result = transition(db, ctx, load(db, payment_id), step, by="control")
        return result
    return transition(db, ctx, row, target, by="control")

