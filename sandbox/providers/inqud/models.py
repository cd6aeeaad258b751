"""Inqud checkouts and requests: creation, the payer's steps, the status path and its webhooks.

Every function here is synchronous over one unit of work and runs as one transaction
(`Provider.commit`), so a status change, its timeline entry, its webhook and its timers commit
together. A checkout and the request the payer makes for it move as a pair: the request row is
written first, then the checkout embeds it and emits (only checkouts, and requests made through
the API without a checkout, have webhooks of their own).

Status path (SPEC §4): checkout `NEW → WAITING_PAYMENT` (a currency was chosen, the request
exists) `→ PENDING_PAYMENT` (a payment was seen) `→ SUCCESS | CONFLICT` (confirmed: the right
amount, or an under- or over-payment); `NEW`/`WAITING_PAYMENT → EXPIRED | CANCELLED`.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sandbox.clock import iso, parse_iso, to_ms
from sandbox.errors import InvalidState, NotFound, ValidationFailed
from sandbox.providers.base import public
from sandbox.providers.inqud import catalog
from sandbox.providers.inqud import project as projects
from sandbox.providers.inqud.catalog import number
from sandbox.providers.inqud.events import emit_status
from sandbox.providers.inqud.objects import (
    CHECKOUT_TTL_S,
    PAYMENT_WINDOW_S,
    Ctx,
    new_checkout,
    new_request,
    settle_amounts,
)
from sandbox.providers.inqud.statuses import (
    CHECKOUT,
    CHECKOUT_GRAPH,
    CHECKOUT_STATUSES,
    CHECKOUT_TERMINAL,
    PAYMENT,
    REQUEST,
    REQUEST_GRAPH,
    REQUEST_STATUSES,
    REQUEST_TERMINAL,
    checkout_role,
    request_role,
)
from sandbox.scenarios import Scenario
from sandbox.store import UnitOfWork

NAME = "inqud"


def _issue(field: str, issue: str) -> dict:
    return {"field": field, "issue": issue}


def load(db: UnitOfWork, object_id: str) -> dict:
    """The stored object (private members included), or 404."""
    row = db.intents.get(NAME, object_id)
    if row is None:
        what = "checkout" if object_id.startswith("CCO-") else "request"
        raise NotFound(f"{what} {object_id!r} not found", id=object_id)
    return row.data


def _pair(db: UnitOfWork, object_id: str) -> tuple[dict | None, dict | None]:
    """A checkout and its request, from the id of either."""
    obj = load(db, object_id)
    if obj["id"].startswith("CCO-"):
        linked = obj.get("request")
        return obj, (load(db, linked["id"]) if linked else None)
    return (load(db, obj["checkoutId"]) if obj.get("checkoutId") else None), obj


# --- creation ---------------------------------------------------------------------------------


def _limit_issue(code: str, amount: Decimal, amount_in: str, field: str) -> dict | None:
    pay = catalog.converted(code, amount, amount_in)
    low, high = catalog.limits(code)
    symbol = catalog.CRYPTO[code]["currency"]
    if pay < low:
        return _issue(field, f"{amount} {amount_in} is {pay} {symbol}, below the minimum {low} {symbol}")
    if pay > high:
        return _issue(field, f"{amount} {amount_in} is {pay} {symbol}, above the maximum {high} {symbol}")
    return None


def _expiry(ctx: Ctx, body: dict, scenario: Scenario | None, issues: list[dict]):
    if scenario and scenario.expire_after_s:
        return ctx.now + timedelta(seconds=scenario.expire_after_s)
    text = body.get("expiresAt")
    if text is None:
        return ctx.now + timedelta(seconds=CHECKOUT_TTL_S)
    try:
        moment = parse_iso(text)
    except ValueError:
        issues.append(_issue("/expiresAt", "must be an ISO 8601 date-time"))
        return None
    if moment <= ctx.now:
        issues.append(_issue("/expiresAt", f"must be in the future (now is {iso(ctx.now)})"))
    return moment


def _insert(db: UnitOfWork, ctx: Ctx, obj: dict, scenario: Scenario | None, attach) -> None:
    db.intents.insert(NAME, obj["id"], obj.get("clientOrderId"), obj["status"], scenario.name if scenario else None,
                      obj, ctx.now_ms)
    db.timeline.add(NAME, obj["id"], "transition", ctx.now_ms, {"from": None, "to": obj["status"], "by": "api"})
    if attach is not None:
        attach(db, NAME, obj["id"], scenario, ctx.now_ms)


def _arm_outcome(db: UnitOfWork, ctx: Ctx, obj: dict, trigger: str) -> None:
    """Start a scenario's self-driven outcome once its trigger happened (state saved by the caller)."""
    outcome = obj.get("_outcome")
    if outcome and not obj.get("_outcome_armed") and outcome["trigger"] in trigger:
        db.jobs.add(NAME, obj["id"], "outcome", to_ms(ctx.now + timedelta(seconds=outcome["after_s"])),
                    {"to": outcome["to"]})
        obj["_outcome_armed"] = True


def create_checkout(db: UnitOfWork, ctx: Ctx, body: dict, scenario: Scenario | None,
                    attach) -> tuple[int, dict]:
    """A checkout in NEW: FIXED_PRICE needs `fixedAmount`, SUGGESTED_FIXED_PRICE takes the project's amounts."""
    project = projects.load(db)
    issues: list[dict] = []
    kind, fixed = body["type"], body.get("fixedAmount")
    if kind == "FIXED_PRICE" and fixed is None:
        issues.append(_issue("/fixedAmount", "is required for a FIXED_PRICE checkout"))
    elif kind == "FIXED_PRICE":
        amount = Decimal(str(fixed["amount"]))
        usd = amount * catalog.USD_PRICE[fixed["currency"]]
        if not catalog.MIN_USD <= usd <= catalog.MAX_USD:
            issues.append(_issue("/fixedAmount/amount",
                                 f"must be worth {catalog.MIN_USD} to {catalog.MAX_USD} USD (is {usd:.2f} USD)"))
    elif fixed is not None:
        issues.append(_issue("/fixedAmount", f"only FIXED_PRICE checkouts take a fixedAmount, not {kind}"))
    if kind == "SUGGESTED_FIXED_PRICE" and not project["suggestedAmounts"].get("amounts"):
        issues.append(_issue("/type", "the project has no suggested amounts configured"))
    expires_at = _expiry(ctx, body, scenario, issues)
    if issues:
        raise ValidationFailed("checkout request is invalid: " + ", ".join(i["field"] for i in issues), details=issues)
    checkout = new_checkout(ctx, body, project, expires_at)
    if scenario and scenario.outcome:
        checkout["_outcome"] = scenario.outcome.model_dump()
    _arm_outcome(db, ctx, checkout, "created")
    _insert(db, ctx, checkout, scenario, attach)
    db.jobs.add(NAME, checkout["id"], "expire", to_ms(expires_at))
    return 200, public(checkout)


def create_request(db: UnitOfWork, ctx: Ctx, body: dict, scenario: Scenario | None,
                   attach) -> tuple[int, dict]:
    """An API-only request in WAITING_PAYMENT; without `amount` it is a no-price request."""
    project = projects.load(db)
    issues: list[dict] = []
    code, amount, amount_in = body["cryptoCurrency"], body.get("amount"), body.get("amountIn")
    if code not in project["cryptoCurrencies"]:
        issues.append(_issue("/cryptoCurrency", f"is not accepted by this project; accepted: "
                                                f"{', '.join(project['cryptoCurrencies'])}"))
    if amount is not None and amount_in is None:
        issues.append(_issue("/amountIn", "is required with amount"))
    if amount is None and amount_in is not None:
        issues.append(_issue("/amount", "is required with amountIn"))
    if not issues and amount is not None:
        found = _limit_issue(code, Decimal(str(amount)), amount_in, "/amount")
        issues.extend([found] if found else [])
    if issues:
        raise ValidationFailed("request is invalid: " + ", ".join(i["field"] for i in issues), details=issues)
    ttl = scenario.expire_after_s if scenario and scenario.expire_after_s else PAYMENT_WINDOW_S
    expires_at = ctx.now + timedelta(seconds=ttl)
    request = new_request(ctx, project, code, None if amount is None else Decimal(str(amount)), amount_in,
                          body.get("clientOrderId"), None, expires_at)
    if scenario and scenario.outcome:
        request["_outcome"] = scenario.outcome.model_dump()
    _arm_outcome(db, ctx, request, "created session_opened")
    _insert(db, ctx, request, scenario, attach)
    db.jobs.add(NAME, request["id"], "expire", to_ms(expires_at))
    return 200, public(request)


# --- moving -----------------------------------------------------------------------------------


def _transition(db: UnitOfWork, ctx: Ctx, obj: dict, to: str, by: str) -> None:
    """One status step of one object: stored, logged, and (where it has webhooks) emitted."""
    is_checkout = obj["id"].startswith("CCO-")
    graph = CHECKOUT_GRAPH if is_checkout else REQUEST_GRAPH
    previous = obj["status"]
    if to not in graph.get(previous, set()):
        raise InvalidState(f"{'checkout' if is_checkout else 'request'} is {previous}; cannot move to {to}",
                           id=obj["id"], currentStatus=previous)
    obj["status"], obj["lastUpdatedAt"] = to, ctx.stamp
    obj["_history"].append({"status": to, "at": ctx.stamp})
    if to in (CHECKOUT_TERMINAL if is_checkout else REQUEST_TERMINAL):
        db.jobs.cancel(NAME, obj["id"])
    db.intents.update(NAME, obj["id"], to, obj, ctx.now_ms)
    db.timeline.add(NAME, obj["id"], "transition", ctx.now_ms,
                    {"from": previous, "to": to, "by": by, "reason": obj.get("reason")})
    if is_checkout or obj.get("checkoutId") is None:
        emit_status(db, obj, ctx.now_ms)


def _advance(db: UnitOfWork, ctx: Ctx, checkout: dict | None, request: dict | None, role: str,
             by: str) -> None:
    """Move the pair to the status of `role`: the request first, then the checkout that embeds it."""
    if checkout is not None and getattr(CHECKOUT, role) not in CHECKOUT_GRAPH.get(checkout["status"], set()):
        raise InvalidState(f"checkout is {checkout['status']}; cannot move to {getattr(CHECKOUT, role)}",
                           id=checkout["id"], currentStatus=checkout["status"])
    if request is not None:
        _transition(db, ctx, request, getattr(REQUEST, role), by)
    if checkout is not None:
        if request is not None:
            checkout["request"] = public(request)
            checkout["reason"] = request["reason"]
        _transition(db, ctx, checkout, getattr(CHECKOUT, role), by)


def select(db: UnitOfWork, ctx: Ctx, checkout_id: str, code: str, amount: Decimal | None,
           by: str = "hosted_page") -> dict:
    """The payer chose a currency (and, for suggested amounts, an amount): the request is made."""
    checkout = load(db, checkout_id)
    if checkout["status"] != CHECKOUT.new:
        raise InvalidState(f"checkout is {checkout['status']}; a currency can be chosen only while it is "
                           f"{CHECKOUT.new}", id=checkout_id, currentStatus=checkout["status"])
    if code not in checkout["cryptoCurrencies"]:
        raise ValidationFailed("currency not offered by this checkout", details=[
            _issue("/cryptoCurrency", f"must be one of {', '.join(checkout['cryptoCurrencies'])}")])
    amount_in = None
    if checkout["type"] == "FIXED_PRICE":
        amount, amount_in = Decimal(str(checkout["fixedAmount"]["amount"])), checkout["fixedAmount"]["currency"]
    elif checkout["type"] == "SUGGESTED_FIXED_PRICE":
        amount_in = checkout["suggestedAmounts"]["currency"]
        if amount is None:
            raise ValidationFailed("choose an amount", details=[_issue("/amount", "is required for suggested amounts")])
        found = _limit_issue(code, amount, amount_in, "/amount")
        if found:
            raise ValidationFailed("amount is outside the limits", details=[found])
    else:
        amount = None
    expires_at = min(ctx.now + timedelta(seconds=PAYMENT_WINDOW_S), parse_iso(checkout["expiresAt"]))
    request = new_request(ctx, {"name": checkout["projectName"]}, code, amount, amount_in,
                          checkout["clientOrderId"], checkout_id, expires_at)
    _insert(db, ctx, request, None, None)
    db.jobs.add(NAME, request["id"], "expire", to_ms(expires_at))
    checkout["request"] = public(request)
    _arm_outcome(db, ctx, checkout, "session_opened")
    _transition(db, ctx, checkout, CHECKOUT.waitingPayment, by)
    return public(checkout)


def _paid_amount(request: dict, how: str, amount: Decimal | None) -> Decimal:
    if amount is not None:
        return amount
    places = catalog.CRYPTO[request["_code"]]["decimals"]
    if request["payAmount"] is not None:
        expected = Decimal(str(request["payAmount"]))
        factor = {"exact": Decimal(1), "under": Decimal("0.5"), "over": Decimal("1.5")}[how]
        return catalog.quantize_up(expected * factor, places)
    low, high = (Decimal(str(request["minLimit"])), Decimal(str(request["maxLimit"])))
    return catalog.quantize_up({"exact": low * 2, "under": low / 2, "over": high * Decimal("1.1")}[how], places)


def _verdict(request: dict, paid: Decimal) -> str | None:
    """None when the payment matches; `UNDERPAID` / `OVERPAID` when it does not (→ CONFLICT)."""
    if request["payAmount"] is not None:
        expected = Decimal(str(request["payAmount"]))
        return None if paid == expected else ("UNDERPAID" if paid < expected else "OVERPAID")
    if paid < Decimal(str(request["minLimit"])):
        return "UNDERPAID"
    return "OVERPAID" if paid > Decimal(str(request["maxLimit"])) else None


def pay(db: UnitOfWork, ctx: Ctx, object_id: str, how: str = "exact", amount: Decimal | None = None,
        by: str = "hosted_page") -> dict:
    """A payment to the request's address was seen: PENDING_PAYMENT, confirmed after a delay."""
    checkout, request = _pair(db, object_id)
    if request is None:
        raise InvalidState("choose a currency first: the checkout has no request yet", id=object_id,
                           currentStatus=checkout["status"])
    if request["status"] != REQUEST.waitingPayment:
        raise InvalidState(f"request is {request['status']}; payments are seen only while it is "
                           f"{REQUEST.waitingPayment}", id=object_id, currentStatus=request["status"])
    paid = _paid_amount(request, how, amount)
    code = request["_code"]
    payment = {"id": "CAPP-" + ctx.ids.uuid(), "status": PAYMENT.pending, "amount": number(paid),
               "currency": request["currency"], "blockchain": request["blockchain"],
               "txHash": catalog.tx_hash(ctx.ids, code), "createdAt": ctx.stamp, "lastUpdatedAt": None}
    request.update({"paymentStatus": PAYMENT.pending, "paymentId": payment["id"], "payment": payment,
                    "txHash": payment["txHash"], "paidAmount": number(paid),
                    "overpaid": _verdict(request, paid) == "OVERPAID", "_paid": str(paid)})
    _advance(db, ctx, checkout, request, "pendingPayment", by)
    db.jobs.add(NAME, request["id"], "confirm", to_ms(ctx.now + timedelta(seconds=ctx.settlement_delay_s)))
    return public(checkout or request)


def confirm(db: UnitOfWork, ctx: Ctx, request_id: str, force: str | None = None, by: str = "confirmation") -> None:
    """The payment is confirmed: SUCCESS when it matched, CONFLICT (with a reason) when it did not."""
    checkout, request = _pair(db, request_id)
    if request is None or request["status"] != REQUEST.pendingPayment:
        return
    paid = Decimal(request["_paid"])
    verdict = _verdict(request, paid)
    if force == "success":
        verdict = None
    elif force == "conflict" and verdict is None:
        verdict = "UNDERPAID"
    request["payment"].update(status=PAYMENT.success, lastUpdatedAt=ctx.stamp)
    request["paymentStatus"] = PAYMENT.success
    if request["payAmount"] is None:
        settle_amounts(request, paid)
    request["reason"] = verdict
    _advance(db, ctx, checkout, request, "conflict" if verdict else "success", by)


def end(db: UnitOfWork, ctx: Ctx, object_id: str, role: str, by: str) -> dict:
    """Expire or cancel a checkout (and its request), or an API-only request."""
    checkout, request = _pair(db, object_id)
    _advance(db, ctx, checkout, request, role, by)
    return public(checkout or request)


# --- timers, the control API and the hosted page -----------------------------------------------


def _status_role(obj: dict) -> str:
    return checkout_role(obj["status"]) if obj["id"].startswith("CCO-") else request_role(obj["status"])


def run_job(db: UnitOfWork, ctx: Ctx, object_id: str, kind: str, payload: dict) -> None:
    """A timer fired: expiry, payment confirmation or a scenario outcome. Stale timers do nothing."""
    row = db.intents.get(NAME, object_id)
    if row is None:
        return
    role = _status_role(row.data)
    if kind == "expire" and role in ("new", "waitingPayment"):
        end(db, ctx, object_id, "expired", "timer")
    elif kind == "confirm" and role == "pendingPayment":
        confirm(db, ctx, object_id)
    elif kind == "outcome":
        to = payload.get("to")
        if to == "expire" and role in ("new", "waitingPayment"):
            end(db, ctx, object_id, "expired", "scenario")
        elif to == "fail" and role == "new":
            end(db, ctx, object_id, "cancelled", "scenario")
        elif to in ("fail", "succeed") and role == "waitingPayment":
            pay(db, ctx, object_id, "under" if to == "fail" else "exact", by="scenario")


def _default_selection(checkout: dict) -> tuple[str, Decimal | None]:
    code = checkout["cryptoCurrencies"][0]
    if checkout["type"] == "SUGGESTED_FIXED_PRICE":
        return code, Decimal(str(checkout["suggestedAmounts"]["amounts"][0]))
    return code, None


def force(db: UnitOfWork, ctx: Ctx, object_id: str, to: str) -> dict:
    """The control API's transition: walk the status path to `to`, as the payer and Inqud would."""
    obj = load(db, object_id)
    is_checkout = obj["id"].startswith("CCO-")
    allowed = CHECKOUT_STATUSES if is_checkout else REQUEST_STATUSES
    if to not in allowed:
        raise ValidationFailed(f"{to!r} is not a {'checkout' if is_checkout else 'request'} status; use one of "
                               f"{', '.join(allowed)}", details=[_issue("/to", "unknown status")])
    target = checkout_role(to) if is_checkout else request_role(to)
    role = _status_role(obj)
    if role == target:
        raise InvalidState(f"already {to}", id=object_id, currentStatus=obj["status"])
    if target in ("expired", "cancelled"):
        return end(db, ctx, object_id, target, "control")
    if role == "new" and target != "new":
        select(db, ctx, object_id, *_default_selection(obj), by="control")
        role = "waitingPayment"
    if role == "waitingPayment" and target in ("pendingPayment", "success", "conflict"):
        pay(db, ctx, object_id, "under" if target == "conflict" else "exact", by="control")
        role = "pendingPayment"
    if role == "pendingPayment" and target in ("success", "conflict"):
        _, request = _pair(db, object_id)
        confirm(db, ctx, request["id"], force=target, by="control")
        role = target
    if role != target:
        raise InvalidState(f"cannot move from {obj['status']} to {to}", id=object_id, currentStatus=obj["status"])
    return public(load(db, object_id))


def page_state(db: UnitOfWork, checkout_id: str) -> dict:
    """What the hosted page and `<app-widget>` read: the checkout and every status it has had."""
    checkout = load(db, checkout_id)
    return {"id": checkout["id"], "status": checkout["status"], "terminal": checkout["status"] in CHECKOUT_TERMINAL,
            "history": checkout["_history"], "checkout": public(checkout)}

