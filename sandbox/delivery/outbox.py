"""The transactional outbox: an event and its delivery rows commit with the state change that caused it.

`emit` runs inside the caller's write transaction (a function passed to `Store.write`), so either
the new status, its event and its deliveries all exist or none does: a `kill -9` between the
state change and the webhook cannot lose the webhook. Enqueue-time fault rules are applied here;
the applied actions ride along on the delivery row, where signing-time ones take effect.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from sandbox.delivery.faults import log_fault, take_webhook_rules
from sandbox.store import add_timeline, dumps, queued

#: A `reorder`-held delivery waits for a later event of its intent, but never longer than this
#: (sandbox time): an intent with one event would otherwise hold its only webhook forever.
HOLD_MAX_MS = 3600 * 1000


@dataclass(slots=True)
class Outgoing:
    """A webhook event to emit: its id and body are the provider's; url/secret override the endpoint."""

    provider: str
    event_id: str
    type: str
    body: dict
    intent_id: str | None = None
    external_ref: str | None = None
    url: str | None = None
    secret: str | None = None


def emit(db: sqlite3.Connection, event: Outgoing, now_ms: int) -> list[int]:
    """Store the event and its delivery rows; returns the delivery ids (dropped ones included)."""
    body_text = dumps(event.body)
    db.execute("INSERT INTO events (id, provider, intent_id, type, body, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
               (event.event_id, event.provider, event.intent_id, event.type, body_text, now_ms))
    if event.intent_id:
        add_timeline(db, event.provider, event.intent_id, "event", now_ms,
                     {"event_id": event.event_id, "type": event.type, "body": event.body})
    facts = {"event_type": event.type, "intent_id": event.intent_id, "external_ref": event.external_ref}
    rules = take_webhook_rules(db, event.provider, facts, attempt=None)
    status, next_ms = "pending", now_ms
    # Every applied action rides on the delivery row, so each attempt's log names it; the
    # dispatcher acts on the signing ones.
    applied = list(dict.fromkeys(rule.action for rule in rules))
    copies: list[int] = []
    for rule in rules:
        if rule.action == "drop":
            status, next_ms = "dropped", None
        elif rule.action == "delay" and next_ms is not None:
            next_ms += rule.params.delay_ms or 0
        elif rule.action == "reorder" and status == "pending":
            status = "held"
        elif rule.action == "duplicate":
            spacing = rule.params.spacing_ms or 0
            copies.extend(spacing * (i + 1) for i in range(rule.params.copies or 1))
    base_ms = next_ms
    if status == "held":
        next_ms = (next_ms or now_ms) + HOLD_MAX_MS
    ids = [_insert_delivery(db, event, status, "scheduled", next_ms, applied, now_ms)]
    if status != "dropped":
        for offset in copies:
            copy_status = "pending" if status == "held" else status
            ids.append(_insert_delivery(db, event, copy_status, "duplicate", base_ms + offset, applied, now_ms))
    for rule in rules:
        log_fault(db, rule, event.provider, event.intent_id, "delivery", now_ms,
                  {"event_id": event.event_id, "event_type": event.type, "delivery_id": ids[0]})
    return ids


def insert_copy(db: sqlite3.Connection, delivery_id: int, due_ms: int, now_ms: int) -> int:
    """One more delivery of a delivery's event (an attempt-level `duplicate`), trigger `duplicate`."""
    row = db.execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
    event = Outgoing(row["provider"], row["event_id"], "", {}, row["intent_id"], url=row["url"], secret=row["secret"])
    return _insert_delivery(db, event, "pending", "duplicate", due_ms, json.loads(row["faults"]), now_ms)


def _insert_delivery(db: sqlite3.Connection, event: Outgoing, status: str, trigger: str, next_ms: int | None,
                     faults: list[str], now_ms: int) -> int:
    cursor = db.execute(
        "INSERT INTO deliveries (event_id, provider, intent_id, url, secret, status, trigger, next_ms, faults,"
        " created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (event.event_id, event.provider, event.intent_id, event.url, event.secret, status, trigger, next_ms,
         json.dumps(faults), now_ms, now_ms),
    )
    queued(db).deliveries = True
    return cursor.lastrowid


def resend(db: sqlite3.Connection, event_id: str, now_ms: int) -> int | None:
    """One more delivery of a stored event, trigger `manual`; None if the event is unknown."""
    row = db.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
    if row is None:
        return None
    first = db.execute("SELECT url, secret FROM deliveries WHERE event_id = ? ORDER BY id LIMIT 1", (event_id,)).fetchone()
    event = Outgoing(row["provider"], event_id, row["type"], {}, row["intent_id"],
                     url=first["url"] if first else None, secret=first["secret"] if first else None)
    delivery_id = _insert_delivery(db, event, "pending", "manual", now_ms, [], now_ms)
    if row["intent_id"]:
        add_timeline(db, row["provider"], row["intent_id"], "resend", now_ms,
                     {"event_id": event_id, "delivery_id": delivery_id})
    return delivery_id


def release_held(db: sqlite3.Connection, provider: str, intent_id: str | None, after_event: str, now_ms: int) -> int:
    """Let `reorder`-held deliveries of an intent go once a later event of it was delivered."""
    if not intent_id:
        return 0
    queued(db).deliveries = True
    return db.execute(
        "UPDATE deliveries SET status = 'pending', next_ms = ?, updated_ms = ? WHERE provider = ? AND intent_id = ?"
        " AND status = 'held' AND event_id != ? AND event_id IN (SELECT id FROM events WHERE seq < (SELECT seq FROM events WHERE id = ?))",
        (now_ms, now_ms, provider, intent_id, after_event, after_event),
    ).rowcount


def list_events(db: sqlite3.Connection, provider: str | None, intent_id: str | None, type_: str | None,
                limit: int = 100) -> list[dict]:
    clauses, params = [], []
    for column, value in (("provider", provider), ("intent_id", intent_id), ("type", type_)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = db.execute(f"SELECT * FROM events {where} ORDER BY seq DESC LIMIT ?", (*params, limit)).fetchall()
    return [{"id": r["id"], "provider": r["provider"], "intent_id": r["intent_id"], "type": r["type"],
             "created_ms": r["created_ms"], "body": json.loads(r["body"])} for r in rows]


def list_deliveries(db: sqlite3.Connection, event_id: str | None, provider: str | None, status: str | None,
                    intent_id: str | None = None, limit: int = 100) -> list[dict]:
    """Deliveries, newest first, each with its attempts in order."""
    clauses, params = [], []
    for column, value in (("event_id", event_id), ("provider", provider), ("status", status), ("intent_id", intent_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = db.execute(f"SELECT * FROM deliveries {where} ORDER BY id DESC LIMIT ?", (*params, limit)).fetchall()
    out = []
    for r in rows:
        attempts = db.execute("SELECT * FROM attempts WHERE delivery_id = ? ORDER BY n", (r["id"],)).fetchall()
        out.append({
            "id": r["id"], "event_id": r["event_id"], "provider": r["provider"], "intent_id": r["intent_id"],
            "url": r["url"], "status": r["status"], "trigger": r["trigger"], "attempts": [attempt_dict(a) for a in attempts],
            "next_ms": r["next_ms"], "faults": json.loads(r["faults"]), "last_error": r["last_error"],
            "created_ms": r["created_ms"], "updated_ms": r["updated_ms"],
        })
    return out


def attempt_dict(a: sqlite3.Row) -> dict:
    return {
        "id": a["id"], "delivery_id": a["delivery_id"], "event_id": a["event_id"], "n": a["n"], "trigger": a["trigger"],
        "url": a["url"], "request_headers": json.loads(a["request_headers"]), "request_body": a["request_body"],
        "signature_input": a["signature_input"], "status": a["status"], "response_body": a["response_body"],
        "duration_ms": a["duration_ms"], "error": a["error"], "faults": json.loads(a["faults"]), "at_ms": a["at_ms"],
    }
