"""The outbox: one row per delivery of an event to a URL, and its status as the dispatcher works it.

Statuses: pending | in_flight | delivered | failed | dropped | held | unknown | contract_violation.
A row that becomes due marks the unit of work, so the store wakes the dispatcher after the commit.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sandbox.store.base import Table, dumps, loads, where
from sandbox.store.replicas import not_claimed_by


class Deliveries(Table):
    """`deliveries`: each belongs to an event; its attempts belong to it."""

    __slots__ = ()

    def insert(self, event_id: str, provider: str, intent_id: str | None, url: str | None, secret: str | None,
               status: str, trigger: str, next_ms: int | None, faults: list[str], now_ms: int) -> int:
        """A new delivery of an existing event; returns its id."""
        row = self.uow.one(
            "INSERT INTO deliveries (world, event_id, provider, intent_id, url, secret, status, trigger, next_ms, faults,"
            " created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (self.uow.world, event_id, provider, intent_id, url, secret, status, trigger, next_ms, dumps(faults), now_ms, now_ms),
        )
        self.uow.queue_delivery(next_ms if status == "pending" else None)
        return row["id"]

    def get(self, delivery_id: int) -> Any:
        """The delivery row, or None."""
        return self.uow.one("SELECT * FROM deliveries WHERE id = ? AND world = ?", (delivery_id, self.uow.world))

    def first_of_event(self, event_id: str) -> Any:
        """The event's first delivery (its URL and secret are the event's), or None."""
        return self.uow.one("SELECT * FROM deliveries WHERE event_id = ? AND world = ? ORDER BY id LIMIT 1",
                            (event_id, self.uow.world))

    def claim_due(self, now_ms: int, limit: int) -> list:
        """Due deliveries (with their event's type and body), marked in flight by this replica, earliest
        first. Rows another replica is claiming at the same moment are skipped, never sent twice."""
        rows = self.uow.all(
            "SELECT d.*, e.type AS event_type, e.body AS body FROM deliveries d JOIN events e ON e.id = d.event_id"
            " WHERE d.world = ? AND d.status IN ('pending', 'held') AND d.next_ms <= ? ORDER BY d.next_ms, d.id"
            f" LIMIT ?{self.uow.skip_locked('d')}", (self.uow.world, now_ms, limit))
        if rows:
            self.uow.many("UPDATE deliveries SET status = 'in_flight', claimed_by = ? WHERE id = ?",
                          [(self.uow.replica, r["id"]) for r in rows])
        return rows

    def next_due_ms(self) -> int | None:
        """When the next pending or held delivery is due (None: none)."""
        return self.uow.one("SELECT MIN(next_ms) AS due FROM deliveries WHERE world = ? AND status IN ('pending', 'held')",
                            (self.uow.world,))["due"]

    def next_due_by_world(self) -> dict[str, int]:
        """Every world's earliest pending or held delivery (at start, to fill the dispatcher's schedule)."""
        rows = self.uow.all("SELECT world, MIN(next_ms) AS due FROM deliveries WHERE status IN ('pending', 'held')"
                            " GROUP BY world")
        return {row["world"]: row["due"] for row in rows if row["due"] is not None}

    def recover(self, at_most_once: Collection[str], now_ms: int, alive: tuple[str, ...]) -> int:
        """After a crash: what a replica no longer `alive` left in flight in this world is retried at
        `now_ms` (its clock), except for at-most-once providers (`unknown`). Returns how many rows."""
        abandoned, params = not_claimed_by(alive)
        found = 0
        if at_most_once:
            found += self.uow.execute(
                "UPDATE deliveries SET status = 'unknown', next_ms = NULL, updated_ms = ?,"
                f" last_error = 'in flight when the server stopped' WHERE world = ? AND status = 'in_flight' AND ({abandoned})"
                f" AND provider IN ({', '.join('?' * len(at_most_once))})",
                (now_ms, self.uow.world, *params, *at_most_once)).rowcount
        retried = self.uow.execute("UPDATE deliveries SET status = 'pending', next_ms = ?, updated_ms = ?, claimed_by = NULL"
                                   f" WHERE world = ? AND status = 'in_flight' AND ({abandoned})",
                                   (now_ms, now_ms, self.uow.world, *params)).rowcount
        if retried:
            self.uow.queue_delivery(now_ms)
        return found + retried

    def worlds_in_flight(self, alive: tuple[str, ...]) -> list[str]:
        """The worlds with a delivery left in flight by a replica no longer `alive`, for `recover`."""
        abandoned, params = not_claimed_by(alive)
        return [row["world"] for row in self.uow.all(
            f"SELECT DISTINCT world FROM deliveries WHERE status = 'in_flight' AND ({abandoned})", params)]

    def finish_attempt(self, delivery_id: int, status: str, attempts: int, next_ms: int | None,
                       last_error: str | None, now_ms: int) -> bool:
        """An attempt's outcome on its delivery; False when the delivery is gone (a reset deleted it)."""
        found = self.uow.execute(
            "UPDATE deliveries SET status = ?, attempts = ?, next_ms = ?, last_error = ?, updated_ms = ? WHERE id = ?",
            (status, attempts, next_ms, last_error, now_ms, delivery_id)).rowcount > 0
        if found and status == "pending":
            self.uow.queue_delivery(next_ms)
        return found

    def mark_violation(self, delivery_id: int, error: str, now_ms: int) -> bool:
        """The event broke its contract and is never sent; False when the delivery is gone."""
        return self.uow.execute(
            "UPDATE deliveries SET status = 'contract_violation', next_ms = NULL, last_error = ?, updated_ms = ?"
            " WHERE id = ?", (error, now_ms, delivery_id)).rowcount > 0

    def release_after_crash(self, delivery_id: int, error: str, retry_ms: int, now_ms: int) -> None:
        """An attempt failed inside the sandbox: keep its delivery retryable at `retry_ms`."""
        if self.uow.execute("UPDATE deliveries SET status = 'pending', next_ms = ?, last_error = ?, updated_ms = ?"
                            " WHERE id = ? AND status = 'in_flight'", (retry_ms, error, now_ms, delivery_id)).rowcount:
            self.uow.queue_delivery(retry_ms)

    def hand_back(self, delivery_id: int, status: str, due_ms: int) -> None:
        """A delivery claimed ahead of its time that will not be sent soon: back to `status`, unclaimed."""
        if self.uow.execute("UPDATE deliveries SET status = ?, claimed_by = NULL WHERE id = ? AND status = 'in_flight'",
                            (status, delivery_id)).rowcount:
            self.uow.queue_delivery(due_ms)

    def release_held(self, provider: str, intent_id: str, after_event: str, now_ms: int) -> int:
        """Held deliveries of an intent's events older than `after_event` become due now."""
        released = self.uow.execute(
            "UPDATE deliveries SET status = 'pending', next_ms = ?, updated_ms = ? WHERE provider = ? AND intent_id = ?"
            " AND status = 'held' AND event_id != ? AND world = ?"
            " AND event_id IN (SELECT id FROM events WHERE seq < (SELECT seq FROM events WHERE id = ?))",
            (now_ms, now_ms, provider, intent_id, after_event, self.uow.world, after_event)).rowcount
        if released:
            self.uow.queue_delivery(now_ms)
        return released

    def list(self, event_id: str | None, provider: str | None, status: str | None, intent_id: str | None = None,
             limit: int = 100) -> list[dict]:
        """Deliveries, newest first, each with its attempts in order."""
        clause, params = where(("world = ?", self.uow.world), ("event_id = ?", event_id), ("provider = ?", provider), ("intent_id = ?", intent_id),
                               ("status = ?", status))
        rows = self.uow.all(f"SELECT * FROM deliveries {clause} ORDER BY id DESC LIMIT ?", (*params, limit))
        return [{
            "id": r["id"], "event_id": r["event_id"], "provider": r["provider"], "intent_id": r["intent_id"],
            "url": r["url"], "status": r["status"], "trigger": r["trigger"],
            "attempts": self.uow.attempts.of_delivery(r["id"]),
            "next_ms": r["next_ms"], "faults": loads(r["faults"]), "last_error": r["last_error"],
            "created_ms": r["created_ms"], "updated_ms": r["updated_ms"],
        } for r in rows]
