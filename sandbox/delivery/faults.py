"""Fault rules (SPEC §6): one model whether a rule came from a scenario, the control API or the receiver.

Webhook actions apply to deliveries: `drop`, `delay`, `duplicate`, `reorder` when a delivery is
enqueued (or, for a rule limited to the Nth attempt, when that attempt is made), and
`bad_signature`, `stale_timestamp`, `missing_signature` when an attempt is signed; `unknown_fields`
(the body gains members no contract knows, validly signed) and `tampered_body` (signed, then the
amount changed in transit) transform the body around signing. API actions
(`api_error`, `api_timeout`) apply to the next matching API call. A rule's `times` counts the
deliveries or calls it has left; 0 means until deleted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sandbox.jsontext import dumps_bytes, loads
from sandbox.store import UnitOfWork

#: Control-API bounds (SPEC §10): counts up to a million, delays up to a week.
MAX_TIMES = 1_000_000
MAX_DELAY_MS = 7 * 24 * 3600 * 1000
Id = Annotated[str | None, Field(max_length=255)]

WEBHOOK_ACTIONS = ("drop", "delay", "duplicate", "reorder", "bad_signature", "stale_timestamp", "missing_signature",
                   "unknown_fields", "tampered_body")
API_ACTIONS = ("api_error", "api_timeout")
#: The built-in receiver's instructed answer (`PUT /_sandbox/receiver/{provider}`): status and delay.
RECEIVER_ACTIONS = ("receiver_answer",)
Action = Literal["drop", "delay", "duplicate", "reorder", "bad_signature", "stale_timestamp",
                 "missing_signature", "unknown_fields", "tampered_body", "api_error", "api_timeout",
                 "receiver_answer"]
#: The member `unknown_fields` adds (at the top and inside a `data` object): a name no contract has.
UNKNOWN_FIELD = "sandbox_unknown_field"


class FaultMatch(BaseModel):
    """Which deliveries (event type, intent, external ref) or API calls (method, path) a rule hits."""

    model_config = ConfigDict(extra="forbid")
    event_type: Id = None
    intent_id: Id = None
    external_ref: Id = None
    method: str | None = Field(None, max_length=16)
    path: str | None = Field(None, max_length=2048)


class FaultParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    delay_ms: int | None = Field(None, ge=0, le=MAX_DELAY_MS)
    copies: int | None = Field(None, ge=1, le=100)
    spacing_ms: int | None = Field(None, ge=0, le=MAX_DELAY_MS)
    status: int | None = Field(None, ge=100, le=599)


class FaultRule(BaseModel):
    """A rule as posted to `POST /_sandbox/faults`."""

    model_config = ConfigDict(extra="forbid")
    id: Id = None
    provider: str | None = Field(None, max_length=64)
    match: FaultMatch = Field(default_factory=FaultMatch)
    action: Action
    params: FaultParams = Field(default_factory=FaultParams)
    times: int = Field(1, ge=0, le=MAX_TIMES)
    attempt: int | None = Field(None, ge=1, le=MAX_TIMES)

    @model_validator(mode="after")
    def _params_fit_action(self) -> FaultRule:
        if self.action == "delay" and self.params.delay_ms is None:
            raise ValueError("action 'delay' needs params.delay_ms")
        if self.action == "api_timeout" and self.params.delay_ms is None:
            self.params.delay_ms = 30_000
        if self.action == "api_error" and self.params.status is None:
            self.params.status = 500
        if self.action == "duplicate":
            self.params.copies = self.params.copies or 1
            self.params.spacing_ms = self.params.spacing_ms if self.params.spacing_ms is not None else 0
        if self.action in API_ACTIONS and self.attempt is not None:
            raise ValueError("'attempt' applies to webhook deliveries, not API calls")
        if self.action in RECEIVER_ACTIONS and (self.provider is None or self.attempt is not None):
            raise ValueError("'receiver_answer' needs a provider (whose receiver answers) and no 'attempt'")
        if self.action == "reorder" and self.attempt is not None:
            raise ValueError("'reorder' holds a whole delivery; it cannot be limited to one attempt")
        return self

    @property
    def is_api(self) -> bool:
        return self.action in API_ACTIONS


def add_rule(uow: UnitOfWork, rule: FaultRule, source: str, now_ms: int) -> FaultRule:
    """Store a rule (its id must be set)."""
    uow.faults.add(rule.model_dump(), source, now_ms)
    return rule


def log_fault(uow: UnitOfWork, rule: FaultRule, provider: str | None, intent_id: str | None, target: str,
              now_ms: int, detail: dict | None = None) -> None:
    """Record an applied fault; the intent's timeline gets it too, so the inspector shows it in place."""
    data = {"rule_id": rule.id, "action": rule.action, "params": rule.params.model_dump(exclude_none=True),
            "target": target, **(detail or {})}
    uow.faults.log(rule.id, provider, intent_id, target, rule.action, now_ms, data)
    if intent_id and provider:
        uow.timeline.add(provider, intent_id, "fault", now_ms, data)


def read_fault_log(uow: UnitOfWork, limit: int = 100) -> list[dict]:
    """Applied faults, newest first."""
    return uow.faults.read_log(limit)


def list_rules(uow: UnitOfWork) -> list[dict]:
    """Every rule as posted, with its `remaining` uses and `source`."""
    return uow.faults.list()


def delete_rule(uow: UnitOfWork, rule_id: str) -> bool:
    """Delete one rule; False if there was none."""
    return uow.faults.delete(rule_id)


def _model(stored: dict) -> FaultRule:
    return FaultRule.model_validate({k: v for k, v in stored.items() if k not in ("remaining", "source")})


def take_webhook_rules(uow: UnitOfWork, provider: str, event: dict, attempt: int | None) -> list[FaultRule]:
    """The webhook rules that apply to this event now, each spending one use.

    `attempt=None` asks at enqueue time (rules without an `attempt`); a number asks for the rules
    limited to that attempt of a delivery.
    """
    taken = []
    for stored in uow.faults.for_delivery(provider, WEBHOOK_ACTIONS, event, attempt):
        uow.faults.spend(stored)
        taken.append(_model(stored))
    return taken


def take_api_rule(uow: UnitOfWork, provider: str, method: str, path: str) -> FaultRule | None:
    """The first API rule matching this call, spending one use."""
    segments = path.split("/")
    for stored in uow.faults.for_call(provider, API_ACTIONS, method, path):
        intent_id = stored["match"]["intent_id"]
        if intent_id and intent_id not in segments:
            continue  # a scenario's API fault hits calls about its own intent only
        uow.faults.spend(stored)
        return _model(stored)
    return None


def replace_receiver_rule(uow: UnitOfWork, provider: str, rule: FaultRule | None, now_ms: int) -> None:
    """The receiver follows one instruction at a time: a new one replaces the last."""
    uow.faults.delete_source(provider, "receiver_answer", "receiver")
    if rule is not None:
        add_rule(uow, rule, "receiver", now_ms)


def take_receiver_rule(uow: UnitOfWork, provider: str) -> FaultRule | None:
    """The receiver's next instructed answer for this provider, spending one use."""
    stored = uow.faults.first(provider, "receiver_answer")
    if stored is None:
        return None
    uow.faults.spend(stored)
    return _model(stored)


def has_api_rules(uow: UnitOfWork) -> bool:
    """True if any API-call rule exists (the request middleware skips its lookup otherwise)."""
    return uow.faults.any_of(API_ACTIONS)


def worlds_with_api_rules(uow: UnitOfWork) -> set[str]:
    """The worlds that have an API-call rule (the cache of which worlds to look in, filled at start)."""
    return uow.faults.worlds_having(API_ACTIONS)


def with_unknown_fields(body: bytes) -> bytes:
    """The `unknown_fields` body: the same event plus members no contract knows (a provider adding fields).

    Added at the top level and inside a `data` object when there is one, so a receiver that
    validates either level strictly is caught. The result is signed as is: it is a valid event.
    """
    value = loads(body)
    if not isinstance(value, dict):
        return body
    extra = {"note": "a field this receiver has never seen", "added_in": "a later API version"}
    value[UNKNOWN_FIELD] = extra
    if isinstance(value.get("data"), dict):
        value["data"][UNKNOWN_FIELD] = extra
    return dumps_bytes(value)


def tampered(body: bytes, amount_path: tuple[str, ...]) -> bytes:
    """The `tampered_body` body: the amount at `amount_path` multiplied by ten, after signing.

    Decimal strings stay decimal strings with the same places ("10.00" → "100.00"); numbers stay
    numbers. A body without that member gains it, so the bytes always differ from what was signed.
    """
    value = loads(body)
    holder = value
    for key in amount_path[:-1]:
        holder = holder.get(key) if isinstance(holder, dict) else None
    if not isinstance(holder, dict) or not amount_path:
        return body + b" "
    key = amount_path[-1]
    holder[key] = _ten_times(holder.get(key))
    return dumps_bytes(value)


def _ten_times(amount):
    if isinstance(amount, bool) or amount is None:
        return "1000000"
    if isinstance(amount, int | float):
        return amount * 10
    try:
        return f"{Decimal(str(amount)) * 10:f}"
    except ArithmeticError:
        return f"{amount}0"
