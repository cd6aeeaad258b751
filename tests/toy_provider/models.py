"""Toy gadgets: `open → done` (webhook) or `open → expired` (timer), each step one transaction."""

from __future__ import annotations

from sandbox.delivery.outbox import Outgoing, emit
from sandbox.errors import InvalidState, NotFound, ValidationFailed
from sandbox.providers.base import Ctx, public
from sandbox.scenarios import Scenario
from sandbox.store import UnitOfWork

NAME = "toy"
STATUSES = ("open", "done", "expired")
GRAPH = {"open": {"done", "expired"}}
TTL_MS = 3600 * 1000


def create(db: UnitOfWork, ctx: Ctx, body: dict, scenario: Scenario | None, attach) -> tuple[int, dict]:
    """A new open gadget and its expiry timer, with the chosen scenario's fault rules."""
    gadget = {"id": ctx.ids.prefixed("gdg_"), "status": "open", "label": body["label"], "created_at": ctx.stamp}
    db.intents.insert(NAME, gadget["id"], None, "open", None, gadget, ctx.now_ms)
    db.timeline.add(NAME, gadget["id"], "transition", ctx.now_ms, {"from": None, "to": "open", "by": "api"})
    attach(db, NAME, gadget["id"], scenario, ctx.now_ms)
    db.jobs.add(NAME, gadget["id"], "expire", ctx.now_ms + TTL_MS)
    return 201, public(gadget)


def force(db: UnitOfWork, ctx: Ctx, gadget_id: str, to: str) -> dict:
    """Move a gadget along the graph; `done` sends the webhook."""
    row = db.intents.get(NAME, gadget_id)
    if row is None:
        raise NotFound(f"gadget {gadget_id!r} not found")
    if to not in STATUSES:
        raise ValidationFailed(f"{to!r} is not a toy status", details=[{"field": "/to", "issue": "unknown status"}])
    if to not in GRAPH.get(row.status, set()):
        raise InvalidState(f"gadget is {row.status}; it cannot become {to}")
    gadget = dict(row.data, status=to)
    db.intents.update(NAME, gadget_id, to, gadget, ctx.now_ms)
    db.timeline.add(NAME, gadget_id, "transition", ctx.now_ms, {"from": row.status, "to": to, "by": "control"})
    if to == "done":
        event_id = ctx.ids.prefixed("tev_")
        emit(db, Outgoing(NAME, event_id, "gadget.done", {"event": event_id, "gadget": public(gadget)}, gadget_id),
             ctx.now_ms)
    return public(gadget)


def run_job(db: UnitOfWork, ctx: Ctx, gadget_id: str, kind: str, payload: dict) -> None:
    """The expiry timer: an open gadget expires, anything else stays."""
    row = db.intents.get(NAME, gadget_id)
    if row is not None and row.status == "open" and kind == "expire":
        db.intents.update(NAME, gadget_id, "expired", dict(row.data, status="expired"), ctx.now_ms)
