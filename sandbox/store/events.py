"""Webhook events: the body is serialised once, so every retry and duplicate carries the same bytes."""

from __future__ import annotations

from typing import Any

from sandbox.store.base import Table, loads, where


class Events(Table):
    """`events`: an event belongs to its intent (when it has one); its deliveries belong to it."""

    __slots__ = ()

    def insert(self, event_id: str, provider: str, intent_id: str | None, type_: str, body_text: str,
               now_ms: int) -> None:
        """A new event with its serialised body."""
        self.uow.execute("INSERT INTO events (world, id, provider, intent_id, type, body, created_ms)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)", (self.uow.world, event_id, provider, intent_id, type_, body_text, now_ms))

    def get(self, event_id: str) -> Any:
        """The stored event row, or None."""
        return self.uow.one("SELECT * FROM events WHERE id = ? AND world = ?", (event_id, self.uow.world))

    def list(self, provider: str | None, intent_id: str | None, type_: str | None, limit: int = 100) -> list[dict]:
        """Events newest first, with their bodies parsed."""
        clause, params = where(("world = ?", self.uow.world), ("provider = ?", provider), ("intent_id = ?", intent_id), ("type = ?", type_))
        rows = self.uow.all(f"SELECT * FROM events {clause} ORDER BY seq DESC LIMIT ?", (*params, limit))
        return [{"id": r["id"], "provider": r["provider"], "intent_id": r["intent_id"], "type": r["type"],
                 "created_ms": r["created_ms"], "body": loads(r["body"])} for r in rows]
