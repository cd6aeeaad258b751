"""The transactional outbox: an event and its delivery rows commit with the state change that caused it.

`emit` runs inside the caller's write transaction (a function passed to `Store.commit`), so either
the new status, its event and its deliveries all exist or none does: a `kill -9` between the
state change and the webhook cannot lose the webhook. Enqueue-time fault rules are applied here;
the applied actions ride along on the delivery row, where signing-time ones take effect.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.delivery.faults import log_fault, take_webhook_rules
from sandbox.jsontext import loads
from sandbox.store import UnitOfWork, dumps

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


def emit(uow: UnitOfWork, event: Outgoing, now_ms: int) -> list[int]:
    """Store the event and its delivery rows; returns the delivery ids (dropped ones included)."""
    uow.events.insert(event.event_id, event.provider, event.intent_id, event.type, dumps(event.body), now_ms)
    if event.intent_id:
        uow.timeline.add(event.provider, event.intent_id, "event", now_ms,
                         {"event_id": event.event_id, "type": event.type, "body": event.body})
    facts = {"event_type": event.type, "intent_id": event.intent_id, "external_ref": event.external_ref}
    rules = take_webhook_rules(uow, event.provider, facts, attempt=None)
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
    ids = [_insert_delivery(uow, event, status, "scheduled", next_ms, applied, now_ms)]
    if status != "dropped":
        for offset in copies:
            copy_status = "pending" if status == "held" else status
            ids.append(_insert_delivery(uow, event, copy_status, "duplicate", base_ms + offset, applied, now_ms))
    for rule in rules:
        log_fault(uow, rule, event.provider, event.intent_id, "delivery", now_ms,
                  {"event_id": event.event_id, "event_type": event.type, "delivery_id": ids[0]})
    return ids


def insert_copy(uow: UnitOfWork, delivery_id: int, due_ms: int | None, now_ms: int, status: str = "pending") -> int:
    """One more delivery of a delivery's event (an attempt-level `duplicate`), trigger `duplicate`."""
    row = uow.deliveries.get(delivery_id)
    event = Outgoing(row["provider"], row["event_id"], "", {}, row["intent_id"], url=row["url"], secret=row["secret"])
    return _insert_delivery(uow, event, status, "duplicate", due_ms, loads(row["faults"]), now_ms)


def stage(uow: UnitOfWork, event: Outgoing, faults: list[str], now_ms: int) -> int:
    """Store an event and one delivery that its caller attempts itself (status `grading`).

    The grade (SPEC §15) sends its own synthetic events to a partner's endpoint one attempt at a
    time and in its own order, so the dispatcher's loop never claims these rows; fault rules
    posted by a partner are not consulted (the grade's actions are its own, named in `faults`).
    """
    uow.events.insert(event.event_id, event.provider, event.intent_id, event.type, dumps(event.body), now_ms)
    if event.intent_id:
        uow.timeline.add(event.provider, event.intent_id, "event", now_ms,
                         {"event_id": event.event_id, "type": event.type, "body": event.body})
    return _insert_delivery(uow, event, "grading", "scheduled", None, faults, now_ms)


def _insert_delivery(uow: UnitOfWork, event: Outgoing, status: str, trigger: str, next_ms: int | None,
                     faults: list[str], now_ms: int) -> int:
    return uow.deliveries.insert(event.event_id, event.provider, event.intent_id, event.url, event.secret, status,
                                 trigger, next_ms, faults, now_ms)


def resend(uow: UnitOfWork, event_id: str, now_ms: int) -> int | None:
    """One more delivery of a stored event, trigger `manual`; None if the event is unknown."""
    row = uow.events.get(event_id)
    if row is None:
        return None
    first = uow.deliveries.first_of_event(event_id)
    event = Outgoing(row["provider"], event_id, row["type"], {}, row["intent_id"],
                     url=first["url"] if first else None, secret=first["secret"] if first else None)
    delivery_id = _insert_delivery(uow, event, "pending", "manual", now_ms, [], now_ms)
    if row["intent_id"]:
        uow.timeline.add(row["provider"], row["intent_id"], "resend", now_ms,
                         {"event_id": event_id, "delivery_id": delivery_id})
    return delivery_id


def release_held(uow: UnitOfWork, provider: str, intent_id: str | None, after_event: str, now_ms: int) -> int:
    """Let `reorder`-held deliveries of an intent go once a later event of it was delivered."""
    if not intent_id:
        return 0
    return uow.deliveries.release_held(provider, intent_id, after_event, now_ms)
