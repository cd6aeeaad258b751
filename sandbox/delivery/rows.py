"""The dispatcher's units of work: claiming due deliveries, writing attempts' outcomes, handing back.

Each runs inside one transaction of the store (`Store.commit`), on whichever side holds the
database: the server's, also for the delivery process's dispatcher (`sandbox.delivery.process`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sandbox.delivery.faults import log_fault, take_webhook_rules
from sandbox.delivery.outbox import insert_copy, release_held
from sandbox.jsontext import loads
from sandbox.store import UnitOfWork
from sandbox.worlds import DEFAULT

log = logging.getLogger("sandbox.dispatcher")


@dataclass(slots=True)
class Claimed:
    delivery_id: int
    event_id: str
    provider: str
    intent_id: str | None
    external_ref: str | None
    event_type: str
    body: str
    url: str | None
    secret: str | None
    trigger: str
    attempt: int
    faults: list[str]
    rules: list = field(default_factory=list)   # fault rules limited to this attempt, taken at claim
    world: str = DEFAULT
    due_ms: int = 0            # its world's time it is due at (it may be claimed a little before)
    was: str = "pending"       # its status before the claim, restored if the claim is handed back


def next_due_by_world(uow: UnitOfWork) -> dict[str, int]:
    """Every world's earliest pending or held delivery (the dispatcher's schedule at start)."""
    return uow.deliveries.next_due_by_world()


def claim_due(uow: UnitOfWork, world: str, now_ms: int, limit: int,
               upto_ms: int) -> tuple[list[Claimed], int | None]:
    """Deliveries of one world due by `upto_ms`, marked in flight, and the world's next due time after them."""
    rows = uow.deliveries.claim_due(upto_ms, limit)
    if not rows:
        return [], uow.deliveries.next_due_ms()
    claimed = [Claimed(r["id"], r["event_id"], r["provider"], r["intent_id"], None, r["event_type"],
                       r["body"], r["url"], r["secret"], r["trigger"], r["attempts"] + 1, loads(r["faults"]),
                       world=world, due_ms=r["next_ms"], was=r["status"]) for r in rows]
    # Rules limited to an attempt number are taken here, in the claim's transaction, so an attempt
    # costs no extra round trip to the store when (as usually) there are none; the intents'
    # external refs, which only rules match on, are looked up only then.
    if uow.faults.any():
        refs: dict[str, str | None] = {}
        for item in claimed:
            if item.intent_id and item.intent_id not in refs:
                refs[item.intent_id] = uow.intents.external_ref(item.provider, item.intent_id)
            item.external_ref = refs.get(item.intent_id)
            item.rules = _take_attempt_rules(uow, item, now_ms)
    return claimed, uow.deliveries.next_due_ms()


def _take_attempt_rules(uow: UnitOfWork, item: Claimed, now_ms: int) -> list:
    """Rules limited to this attempt number; an attempt-level `duplicate` queues its copies here."""
    facts = {"event_type": item.event_type, "intent_id": item.intent_id, "external_ref": item.external_ref}
    rules = take_webhook_rules(uow, item.provider, facts, item.attempt)
    sent_ms = max(now_ms, item.due_ms)   # claimed ahead: the copies follow the attempt, not the claim
    for rule in rules:
        if rule.action == "duplicate":
            for n in range(rule.params.copies or 1):
                insert_copy(uow, item.delivery_id, sent_ms + (rule.params.spacing_ms or 0) * (n + 1), now_ms)
        log_fault(uow, rule, item.provider, item.intent_id, "attempt", now_ms,
                  {"event_id": item.event_id, "delivery_id": item.delivery_id, "attempt": item.attempt})
    return rules


def record_many(uow: UnitOfWork, batch: list[tuple]) -> None:
    """The outcomes of attempts that finished together, each in its own world."""
    for item, *rest in batch:
        _record_attempt(uow.in_world(item.world), item, *rest)


def _record_attempt(uow: UnitOfWork, item: Claimed, record: dict, ok: bool, delay_s: float | None,
                    now_ms: int) -> None:
    """An attempt's outcome: its delivery's new status, the attempt row, the timeline entry.

    Written only while the delivery exists: a reset that deleted it during the attempt leaves
    nothing to attach the attempt to (its id is never reused, so nothing else is hit either).
    """
    if ok:
        status, next_ms = "delivered", None
    elif delay_s is None:
        status, next_ms = "failed", None
    else:
        status, next_ms = "pending", now_ms + int(delay_s * 1000)
    error = record["error"] or (None if ok else f"HTTP {record['status']}")
    if not uow.deliveries.finish_attempt(item.delivery_id, status, item.attempt, next_ms, error, now_ms):
        return
    uow.attempts.insert(item.delivery_id, item.event_id, item.attempt, record, record.get("body") or item.body, now_ms)
    if ok:
        release_held(uow, item.provider, item.intent_id, item.event_id, now_ms)
    if item.intent_id:
        uow.timeline.add(item.provider, item.intent_id, "attempt", now_ms, {
            "event_id": item.event_id, "delivery_id": item.delivery_id, "n": item.attempt, "trigger": record["trigger"],
            "status": record["status"], "error": record["error"], "outcome": status, "faults": record["faults"],
            "duration_ms": record["duration_ms"],
        })


def mark_violation(uow: UnitOfWork, item: Claimed, issues: list[dict], now_ms: int) -> None:
    error = "contract_violation: " + "; ".join(f"{i['field']} {i['issue']}" for i in issues[:10])
    if not uow.deliveries.mark_violation(item.delivery_id, error, now_ms):
        return
    if item.intent_id:
        uow.timeline.add(item.provider, item.intent_id, "contract_violation", now_ms,
                         {"event_id": item.event_id, "delivery_id": item.delivery_id, "issues": issues})
    log.error("webhook %s violates its contract: %s", item.event_id, error)


def hand_back(uow: UnitOfWork, delivery_id: int, status: str, due_ms: int) -> None:
    """A delivery claimed ahead whose time is no longer near: `status` (pending or held) again."""
    uow.deliveries.hand_back(delivery_id, status, due_ms)


def release_after_crash(uow: UnitOfWork, delivery_id: int, error: str, now_ms: int) -> None:
    """An attempt that failed inside the sandbox: retried a second later, with the error noted."""
    uow.deliveries.release_after_crash(delivery_id, error, now_ms + 1000, now_ms)
