"""The built-in receiver's durable receipts (SPEC §8), one per event id with a delivery count."""

from __future__ import annotations

from typing import Any

from sandbox.store.base import Table, dumps, where


class Receipts(Table):
    """`receipts`: independent of the sender's rows (their ids come from whoever sent the webhook)."""

    __slots__ = ()

    def count_again(self, provider: str, event_id: str, valid: bool | None, now_ms: int) -> tuple[int, int] | None:
        """One more delivery of an event already received: `(receipt id, count)`, or None if it is new.

        A correctly signed delivery authenticates the receipt, whatever came before.
        """
        row = self.uow.one("SELECT seq, count FROM receipts WHERE world = ? AND provider = ? AND event_id = ?",
                           (self.uow.world, provider, event_id))
        if row is None:
            return None
        self.uow.execute("UPDATE receipts SET count = count + 1, last_ms = ?,"
                         " signature_valid = CASE WHEN ? = 1 THEN 1 ELSE signature_valid END WHERE seq = ?",
                         (now_ms, int(bool(valid)), row["seq"]))
        return row["seq"], row["count"] + 1

    def insert(self, provider: str, facts: dict, headers: dict, body: str, valid: bool | None, now_ms: int) -> int:
        """A new receipt; returns its id."""
        return self.uow.one(
            "INSERT INTO receipts (world, provider, event_id, intent_id, external_ref, type, headers, body, signature_valid,"
            " received_ms, last_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
            (self.uow.world, provider, facts.get("event_id"), facts.get("intent_id"), facts.get("external_ref"), facts.get("type"),
             dumps(headers), body, None if valid is None else int(valid), now_ms, now_ms),
        )["seq"]

    def list(self, provider: str, intent_id: str | None, external_ref: str | None, type_: str | None,
             since_ms: int | None, limit: int) -> list[Any]:
        """A provider's receipts matching every given filter, newest first, at most `limit` rows."""
        clause, params = where(("world = ?", self.uow.world), ("provider = ?", provider), ("intent_id = ?", intent_id),
                               ("external_ref = ?", external_ref), ("type = ?", type_), ("received_ms >= ?", since_ms))
        return self.uow.all(f"SELECT * FROM receipts {clause} ORDER BY seq DESC LIMIT ?", (*params, limit))
