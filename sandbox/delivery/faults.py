"""Fault rules (SPEC §6): one model whether a rule came from a scenario, the control API or the receiver.

Webhook actions apply to deliveries: `drop`, `delay`, `duplicate`, `reorder` when a delivery is
enqueued (or, for a rule limited to the Nth attempt, when that attempt is made), and
`bad_signature`, `stale_timestamp`, `missing_signature` when an attempt is signed. API actions
(`api_error`, `api_timeout`) apply to the next matching API call. A rule's `times` counts the
deliveries or calls it has left; 0 means until deleted.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sandbox.store import dumps

WEBHOOK_ACTIONS = ("drop", "delay", "duplicate", "reorder", "bad_signature", "stale_timestamp", "missing_signature")
SIGNING_ACTIONS = ("bad_signature", "stale_timestamp", "missing_signature")
API_ACTIONS = ("api_error", "api_timeout")
#: The built-in receiver's instructed answer (`PUT /_sandbox/receiver/{provider}`): status and delay.
RECEIVER_ACTIONS = ("receiver_answer",)
Action = Literal["drop", "delay", "duplicate", "reorder", "bad_signature", "stale_timestamp",
                 "missing_signature", "api_error", "api_timeout", "receiver_answer"]


class FaultMatch(BaseModel):
    """Which deliveries (event type, intent, external ref) or API calls (method, path) a rule hits."""

    model_config = ConfigDict(extra="forbid")
    event_type: str | None = None
    intent_id: str | None = None
    external_ref: str | None = None
    method: str | None = None
    path: str | None = None


class FaultParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    delay_ms: int | None = Field(None, ge=0)
    copies: int | None = Field(None, ge=1, le=100)
    spacing_ms: int | None = Field(None, ge=0)
    status: int | None = Field(None, ge=100, le=599)


class FaultRule(BaseModel):
    """A rule as posted to `POST /_sandbox/faults`."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    provider: str | None = None
    match: FaultMatch = Field(default_factory=FaultMatch)
    action: Action
    params: FaultParams = Field(default_factory=FaultParams)
    times: int = Field(1, ge=0)
    attempt: int | None = Field(None, ge=1)

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

    @property
    def is_webhook(self) -> bool:
        return self.action in WEBHOOK_ACTIONS


def add_rule(db: sqlite3.Connection, rule: FaultRule, source: str, now_ms: int) -> FaultRule:
    """Store a rule (its id must be set)."""
    db.execute("INSERT INTO faults (id, provider, rule, remaining, source, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
               (rule.id, rule.provider, dumps(rule.model_dump()), rule.times or None, source, now_ms))
    return rule


def log_fault(db: sqlite3.Connection, rule: FaultRule, provider: str | None, intent_id: str | None, target: str,
              now_ms: int, detail: dict | None = None) -> None:
    """Record an applied fault; the intent's timeline gets it too, so the inspector shows it in place."""
    data = {"rule_id": rule.id, "action": rule.action, "params": rule.params.model_dump(exclude_none=True),
            "target": target, **(detail or {})}
    db.execute("INSERT INTO fault_log (rule_id, provider, intent_id, target, action, at_ms, data)"
               " VALUES (?, ?, ?, ?, ?, ?, ?)", (rule.id, provider, intent_id, target, rule.action, now_ms, dumps(data)))
    if intent_id and provider:
        db.execute("INSERT INTO timeline (provider, intent_id, kind, at_ms, data) VALUES (?, ?, 'fault', ?, ?)",
                   (provider, intent_id, now_ms, dumps(data)))


def read_fault_log(db: sqlite3.Connection, limit: int = 100) -> list[dict]:
    rows = db.execute("SELECT * FROM fault_log ORDER BY seq DESC LIMIT ?", (limit,)).fetchall()
    return [{"seq": r["seq"], "provider": r["provider"], "intent_id": r["intent_id"], "at_ms": r["at_ms"],
             **json.loads(r["data"])} for r in rows]


def list_rules(db: sqlite3.Connection) -> list[dict]:
    rows = db.execute("SELECT * FROM faults ORDER BY seq").fetchall()
    return [{**json.loads(r["rule"]), "remaining": r["remaining"], "source": r["source"]} for r in rows]


def delete_rule(db: sqlite3.Connection, rule_id: str) -> bool:
    return db.execute("DELETE FROM faults WHERE id = ?", (rule_id,)).rowcount > 0


def _use(db: sqlite3.Connection, rule_id: str, remaining: int | None) -> None:
    """Spend one use of a rule; a rule with no uses left is gone."""
    if remaining is None:
        return
    if remaining <= 1:
        db.execute("DELETE FROM faults WHERE id = ?", (rule_id,))
    else:
        db.execute("UPDATE faults SET remaining = remaining - 1 WHERE id = ?", (rule_id,))


def _matches(match: dict, provider: str, event: dict) -> bool:
    for key in ("event_type", "intent_id", "external_ref"):
        wanted = match.get(key)
        if wanted is not None and wanted != event.get(key):
            return False
    return True


def take_webhook_rules(db: sqlite3.Connection, provider: str, event: dict, attempt: int | None) -> list[FaultRule]:
    """The webhook rules that apply to this event now, each spending one use.

    `attempt=None` asks at enqueue time (rules without an `attempt`); a number asks for the rules
    limited to that attempt of a delivery.
    """
    rows = db.execute("SELECT * FROM faults WHERE provider IS NULL OR provider = ? ORDER BY seq", (provider,)).fetchall()
    taken = []
    for row in rows:
        rule = FaultRule.model_validate(json.loads(row["rule"]))
        if not rule.is_webhook or rule.attempt != attempt:
            continue
        if _matches(rule.match.model_dump(), provider, event):
            taken.append(rule)
            _use(db, row["id"], row["remaining"])
    return taken


def take_api_rule(db: sqlite3.Connection, provider: str, method: str, path: str) -> FaultRule | None:
    """The first API rule matching this call, spending one use."""
    rows = db.execute("SELECT * FROM faults WHERE provider IS NULL OR provider = ? ORDER BY seq", (provider,)).fetchall()
    for row in rows:
        rule = FaultRule.model_validate(json.loads(row["rule"]))
        if not rule.is_api:
            continue
        if rule.match.method and rule.match.method.upper() != method.upper():
            continue
        if rule.match.path and rule.match.path.rstrip("/") != path.rstrip("/"):
            continue
        if rule.match.intent_id and rule.match.intent_id not in path.split("/"):
            continue  # a scenario's API fault hits calls about its own intent only
        _use(db, row["id"], row["remaining"])
        return rule
    return None


def replace_receiver_rule(db: sqlite3.Connection, provider: str, rule: FaultRule | None, now_ms: int) -> None:
    """The receiver follows one instruction at a time: a new one replaces the last."""
    db.execute("DELETE FROM faults WHERE source = 'receiver' AND provider = ?", (provider,))
    if rule is not None:
        add_rule(db, rule, "receiver", now_ms)


def take_receiver_rule(db: sqlite3.Connection, provider: str) -> FaultRule | None:
    """The receiver's next instructed answer for this provider, spending one use."""
    row = db.execute("SELECT * FROM faults WHERE provider = ? AND rule LIKE '%\"action\":\"receiver_answer\"%'"
                     " ORDER BY seq LIMIT 1", (provider,)).fetchone()
    if row is None:
        return None
    _use(db, row["id"], row["remaining"])
    return FaultRule.model_validate(json.loads(row["rule"]))


def has_api_rules(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM faults WHERE rule LIKE '%\"action\":\"api_%' LIMIT 1").fetchone() is not None
