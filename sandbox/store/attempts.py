"""Delivery attempts: what was sent, how it was signed, what came back (svix's attempt log)."""

from __future__ import annotations

from typing import Any

from sandbox.store.base import Table, dumps, loads


def attempt_dict(a: Any) -> dict:
    """An attempt row as the control API shows it."""
    return {
        "id": a["id"], "delivery_id": a["delivery_id"], "event_id": a["event_id"], "n": a["n"], "trigger": a["trigger"],
        "url": a["url"], "request_headers": loads(a["request_headers"]), "request_body": a["request_body"],
        "signature_input": a["signature_input"], "status": a["status"], "response_body": a["response_body"],
        "duration_ms": a["duration_ms"], "error": a["error"], "faults": loads(a["faults"]), "at_ms": a["at_ms"],
        "replica": a["replica"],
    }


class Attempts(Table):
    """`attempts`: each belongs to a delivery (deleting the delivery deletes them)."""

    __slots__ = ()

    def insert(self, delivery_id: int, event_id: str, n: int, record: dict, body: str, now_ms: int) -> None:
        """An attempt of an existing delivery; `record` holds the request and its outcome."""
        self.uow.execute(
            "INSERT INTO attempts (world, delivery_id, event_id, n, trigger, url, request_headers, request_body,"
            " signature_input, status, response_body, duration_ms, error, faults, replica, at_ms)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self.uow.world, delivery_id, event_id, n, record["trigger"], record["url"], dumps(record["headers"]), body,
             record["signature_input"], record["status"], record["response"], record["duration_ms"], record["error"],
             dumps(record["faults"]), self.uow.replica or None, now_ms),
        )

    def of_delivery(self, delivery_id: int) -> list[dict]:
        """A delivery's attempts in order."""
        rows = self.uow.all("SELECT * FROM attempts WHERE delivery_id = ? ORDER BY n", (delivery_id,))
        return [attempt_dict(row) for row in rows]

    def of_intent(self, provider: str, intent_id: str) -> list[dict]:
        """Every attempt of every delivery of an intent's events."""
        rows = self.uow.all("SELECT a.* FROM attempts a JOIN events e ON e.id = a.event_id"
                            " WHERE e.world = ? AND e.provider = ? AND e.intent_id = ?", (self.uow.world, provider, intent_id))
        return [attempt_dict(row) for row in rows]
