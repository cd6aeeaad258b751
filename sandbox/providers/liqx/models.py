"""LIQX intents: creation, widget sessions, the PAYIN/PAYOUT state machines and their webhooks.

Everything here is a synchronous function over a unit of work, run by `Store.commit` as one
transaction: the status change, its timeline entry, its webhook event and delivery rows
and any timers commit together.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sandbox.clock import iso, parse_iso, to_ms
from sandbox.delivery.outbox import Outgoing, emit
from sandbox.errors import Conflict, InvalidState, NotFound, SandboxError, ValidationFailed
from sandbox.ids import Ids
from sandbox.providers.base import Ctx, public
from sandbox.providers.liqx.errors import error_body
from sandbox.providers.liqx.events import EVENT_FOR_STATUS, webhook_body
from sandbox.scenarios import Scenario
from sandbox.store import IntentRow, UnitOfWork

NAME = "liqx"
PAYIN_STATUSES = ("CREATED", "PENDING", "COMPLETED", "REJECTED", "EXPIRED")
PAYOUT_STATUSES = ("RESERVED", "PROCESSING", "COMPLETED", "FAILED", "EXPIRED")
TERMINAL = {"COMPLETED", "REJECTED", "FAILED", "EXPIRED"}
PAYIN_TTL_S = 30 * 60
PAYOUT_TTL_S = 15 * 60
SESSION_TTL_S = 30 * 60
PREFLIGHT_FAILURES = ("KYC_REQUIRED", "BANK_ACCOUNT_MISSING", "BROKER_POLICY_BLOCKED", "MERCHANT_CAPACITY_EXCEEDED")
PAYOUT_SCENARIOS = ("VERIFIED", *PREFLIGHT_FAILURES, "EXPIRES", "CLAIM_REJECTED")
MAPPED_USERS = tuple(f"partner-user-{n:03d}" for n in range(1, 6))
BANKS = ("KB국민은행", "신한은행", "우리은행", "하나은행", "NH농협은행")

# Which transitions each type allows: status -> {allowed next statuses}.
PAYIN_GRAPH = {"CREATED": {"PENDING", "COMPLETED", "REJECTED", "EXPIRED"},
               "PENDING": {"COMPLETED", "REJECTED", "EXPIRED"}}
PAYOUT_GRAPH = {"RESERVED": {"PROCESSING", "FAILED", "EXPIRED"}, "PROCESSING": {"COMPLETED", "FAILED"}}


def seed_users(db: UnitOfWork, ids: Ids) -> list[dict]:
    """The five mapped users, made once per database (deterministic from the seed)."""
    users = db.meta.get("liqx:users")
    if users:
        return users
    users = []
    for index, user_id in enumerate(MAPPED_USERS):
        name = ids.faker.name()
        users.append({
            "external_user_id": user_id, "legal_name": name, "email": f"user{index + 1:03d}@partner.example.com",
            "kyc": "VERIFIED", "broker_policy": "ALLOWED", "merchant_capacity_krw": "50000000",
            "bank_account": {"bank_name": BANKS[index % len(BANKS)], "account_number": ids.digits(12),
                             "account_holder": name},
        })
    db.meta.set("liqx:users", users)
    return users


def _check_amounts(body: dict) -> None:
    issues = []
    if "amount_krw" in body and int(body["amount_krw"]) <= 0:
        issues.append({"field": "/amount_krw", "issue": "must be greater than 0"})
    if "amount_usdt" in body and Decimal(body["amount_usdt"]) <= 0:
        issues.append({"field": "/amount_usdt", "issue": "must be greater than 0"})
    if issues:
        raise ValidationFailed("request has invalid amounts", details=issues)


def _new_intent(ctx: Ctx, kind: str, body: dict, status: str, ttl_s: float) -> dict:
    now = iso(ctx.now)
    intent = {
        "intent_id": ctx.ids.prefixed("lqi_"), "type": kind, "status": status,
        "external_ref": body["external_ref"], "external_user_id": body["external_user_id"],
        "amount_krw": body.get("amount_krw"), "amount_usdt": body.get("amount_usdt"),
        "user_email": body.get("user_email"), "return_url": body.get("return_url"),
        "failure_reason": None, "metadata": body.get("metadata") or {},
        "created_at": now, "updated_at": now, "expires_at": iso(ctx.now + timedelta(seconds=ttl_s)),
        "completed_at": None,
    }
    return intent


def _ensure_unique_ref(db: UnitOfWork, external_ref: str) -> None:
    existing = db.intents.find_by_ref(NAME, external_ref)
    if existing is not None:
        raise Conflict(f"external_ref {external_ref!r} was already used", code="DUPLICATE_EXTERNAL_REF",
                       intent_id=existing.id)


def create_payin(db: UnitOfWork, ctx: Ctx, body: dict, scenario: Scenario | None,
                 attach) -> tuple[int, dict]:
    """A new PAYIN intent in CREATED with a virtual KRW account to deposit into."""
    _check_amounts(body)
    _ensure_unique_ref(db, body["external_ref"])
    ttl = scenario.expire_after_s if scenario and scenario.expire_after_s else PAYIN_TTL_S
    intent = _new_intent(ctx, "PAYIN", body, "CREATED", ttl)
    intent["depositor_name"] = body["depositor_name"]
    intent["deposit_account"] = {"bank_name": "LIQX 가상계좌 (신한은행)", "account_number": "562-" + ctx.ids.digits(9),
                                 "account_holder": "LIQX " + body["depositor_name"]}
    _remember_outcome(intent, scenario)
    _store_new(db, ctx, intent, scenario, attach)
    db.jobs.add(NAME, intent["intent_id"], "expire", to_ms(ctx.now + timedelta(seconds=ttl)))
    return 201, public(intent)


def create_payout(db: UnitOfWork, ctx: Ctx, body: dict, scenario: Scenario | None, attach) -> tuple[int, dict]:
    """A PAYOUT reservation: RESERVED, or FAILED at creation when preflight fails (422 + webhook)."""
    _check_amounts(body)
    users = {u["external_user_id"]: u for u in seed_users(db, ctx.ids)}
    body = dict(body)
    body["external_ref"] = (body.get("external_ref") or "").strip() or f"payout-{ctx.ids.alnum(16)}"
    body["external_user_id"] = (body.get("external_user_id") or "").strip() or MAPPED_USERS[0]
    _ensure_unique_ref(db, body["external_ref"])
    ttl = scenario.expire_after_s if scenario and scenario.expire_after_s else PAYOUT_TTL_S
    intent = _new_intent(ctx, "PAYOUT", body, "RESERVED", ttl)
    intent["legal_name"] = body["legal_name"]
    intent["_claim"] = scenario.params.get("claim") if scenario else None
    _remember_outcome(intent, scenario)
    user = users.get(body["external_user_id"])
    failure = scenario.params.get("preflight_failure") if scenario else None
    if user is None:
        failure = "USER_NOT_MAPPED"
    if user is not None:
        account = user["bank_account"]
        intent["payout_account"] = {"bank_name": account["bank_name"],
                                    "account_number": "*" * 8 + account["account_number"][-4:],
                                    "account_holder": account["account_holder"]}
    else:
        intent["payout_account"] = None
    if failure:
        intent["status"], intent["failure_reason"] = "FAILED", failure
        _store_new(db, ctx, intent, scenario, attach)
        _emit_for(db, ctx, intent)
        error = SandboxError(f"reservation preflight failed: {failure}", code="RESERVATION_PREFLIGHT_FAILED",
                             status=422, reason=failure, intent_id=intent["intent_id"])
        return 422, error_body(error, f"req_{ctx.ids.alnum(20)}")
    _store_new(db, ctx, intent, scenario, attach)
    db.jobs.add(NAME, intent["intent_id"], "expire", to_ms(ctx.now + timedelta(seconds=ttl)))
    return 201, public(intent)


def _remember_outcome(intent: dict, scenario: Scenario | None) -> None:
    """Keep the scenario's self-driven outcome on the intent, for when its widget session opens."""
    if scenario and scenario.outcome:
        intent["_outcome"] = scenario.outcome.model_dump()


def _store_new(db: UnitOfWork, ctx: Ctx, intent: dict, scenario: Scenario | None, attach) -> None:
    db.intents.insert(NAME, intent["intent_id"], intent["external_ref"], intent["status"],
                      scenario.name if scenario else None, intent, ctx.now_ms)
    db.timeline.add(NAME, intent["intent_id"], "transition", ctx.now_ms,
                    {"from": None, "to": intent["status"], "by": "api"})
    attach(db, NAME, intent["intent_id"], scenario, ctx.now_ms)


def load(db: UnitOfWork, intent_id: str) -> IntentRow:
    row = db.intents.get(NAME, intent_id)
    if row is None:
        raise NotFound(f"intent {intent_id!r} not found")
    return row


def open_session(db: UnitOfWork, ctx: Ctx, intent_id: str) -> tuple[int, dict]:
    """A widget session for a live intent; opening one moves a PAYIN from CREATED to PENDING."""
    row = load(db, intent_id)
    if row.status in TERMINAL:
        raise InvalidState(f"intent is {row.status}; no widget session can be opened", intent_id=intent_id,
                           status=409)
    intent = row.data
    token = "lqst_" + ctx.ids.alnum(40)
    expires = min(ctx.now + timedelta(seconds=SESSION_TTL_S), parse_iso(intent["expires_at"]))
    session = {
        "session_id": ctx.ids.prefixed("lqs_"), "session_token": token, "intent_id": intent_id,
        "widget_type": intent["type"], "widget_url": f"{ctx.base_url}/liqx/widget/{token}",
        "sdk_url": f"{ctx.base_url}/liqx/sdk/v1/liqx-widget.js", "expires_at": iso(expires),
    }
    db.sessions.add(NAME, token, intent_id, session["session_id"], session, ctx.now_ms, to_ms(expires))
    db.timeline.add(NAME, intent_id, "session", ctx.now_ms, {"session_id": session["session_id"]})
    if intent["type"] == "PAYIN" and row.status == "CREATED":
        transition(db, ctx, row, "PENDING", by="widget_session")
    outcome = intent.get("_outcome")
    if outcome and outcome["trigger"] == "session_opened" and not intent.get("_outcome_armed"):
        db.jobs.add(NAME, intent_id, "outcome", to_ms(ctx.now + timedelta(seconds=outcome["after_s"])),
                    {"to": outcome["to"]})
        intent = dict(row.data, _outcome_armed=True)
        db.intents.update(NAME, intent_id, row.status, intent, ctx.now_ms)
    return 201, session


def transition(db: UnitOfWork, ctx: Ctx, row: IntentRow, to: str, *, by: str,
               failure_reason: str | None = None) -> dict:
    """Move an intent to `to` if its graph allows it; terminal statuses emit their webhook."""
    graph = PAYIN_GRAPH if row.data["type"] == "PAYIN" else PAYOUT_GRAPH
    if to not in graph.get(row.status, set()):
        raise InvalidState(f"intent is {row.status}; cannot move to {to}", intent_id=row.id,
                           intent=public(row.data))
    intent = dict(row.data)
    intent["status"], intent["updated_at"] = to, iso(ctx.now)
    if to in ("REJECTED", "FAILED"):
        intent["failure_reason"] = failure_reason or ("DEPOSIT_REJECTED" if intent["type"] == "PAYIN" else "PAYOUT_REJECTED")
    if to in TERMINAL:
        intent["completed_at"] = iso(ctx.now)
        db.jobs.cancel(NAME, row.id)
    db.intents.update(NAME, row.id, to, intent, ctx.now_ms)
    db.timeline.add(NAME, row.id, "transition", ctx.now_ms,
                    {"from": row.status, "to": to, "by": by, "failure_reason": intent["failure_reason"]})
    if to == "PROCESSING":
        db.jobs.add(NAME, row.id, "settle", to_ms(ctx.now + timedelta(seconds=ctx.settlement_delay_s)))
    _emit_for(db, ctx, intent)
    row.status, row.data = to, intent
    return public(intent)


def _emit_for(db: UnitOfWork, ctx: Ctx, intent: dict) -> None:
    event_type = EVENT_FOR_STATUS.get(intent["status"])
    if event_type is None:
        return
    event_id = ctx.ids.prefixed("evt_")
    emit(db, Outgoing(NAME, event_id, event_type, webhook_body(event_id, event_type, intent, ctx.now),
                      intent["intent_id"], intent["external_ref"]), ctx.now_ms)


def widget_action(db: UnitOfWork, ctx: Ctx, session: dict, action: str) -> dict:
    """A button on the hosted widget: deposit / reject (PAYIN), claim / reject (PAYOUT)."""
    if ctx.now_ms >= session["_expires_ms"]:
        row = load(db, session["intent_id"])
        raise InvalidState("this widget session has expired", intent_id=row.id, intent=public(row.data))
    row = load(db, session["intent_id"])
    kind = row.data["type"]
    if kind == "PAYIN" and action == "deposit":
        return transition(db, ctx, row, "COMPLETED", by="widget")
    if action == "reject":
        return transition(db, ctx, row, "REJECTED" if kind == "PAYIN" else "FAILED", by="widget",
                          failure_reason="DEPOSIT_REJECTED" if kind == "PAYIN" else "PAYOUT_REJECTED")
    if kind == "PAYOUT" and action == "claim":
        if row.data.get("_claim") == "reject":
            return transition(db, ctx, row, "FAILED", by="widget", failure_reason="CLAIM_REJECTED")
        return transition(db, ctx, row, "PROCESSING", by="widget")
    raise ValidationFailed(f"action {action!r} does not apply to a {kind} widget",
                           details=[{"field": "/action", "issue": "unsupported for this widget"}])


def run_job(db: UnitOfWork, ctx: Ctx, intent_id: str, kind: str, payload: dict) -> None:
    """A timer fired: expiry, payout settlement or a scenario outcome. Stale timers do nothing."""
    row = db.intents.get(NAME, intent_id)
    if row is None or row.status in TERMINAL:
        return
    if kind == "expire" and row.status in ("CREATED", "PENDING", "RESERVED"):
        transition(db, ctx, row, "EXPIRED", by="timer")
    elif kind == "settle" and row.status == "PROCESSING":
        transition(db, ctx, row, "COMPLETED", by="settlement")
    elif kind == "outcome":
        target = {"fail": "REJECTED" if row.data["type"] == "PAYIN" else "FAILED", "succeed": "COMPLETED",
                  "expire": "EXPIRED"}[payload["to"]]
        if target in (PAYIN_GRAPH if row.data["type"] == "PAYIN" else PAYOUT_GRAPH).get(row.status, set()):
            transition(db, ctx, row, target, by="scenario")


def force(db: UnitOfWork, ctx: Ctx, intent_id: str, to: str) -> dict:
    """The control API's transition: any step the graph allows, as the widget or a timer would."""
    row = load(db, intent_id)
    allowed = PAYIN_STATUSES if row.data["type"] == "PAYIN" else PAYOUT_STATUSES
    if to not in allowed:
        raise ValidationFailed(f"{to!r} is not a {row.data['type']} status; use one of {', '.join(allowed)}",
                               details=[{"field": "/to", "issue": "unknown status"}])
    return transition(db, ctx, row, to, by="control")

