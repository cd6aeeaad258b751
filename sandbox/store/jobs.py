"""Timers: expiries, settlements and scenario outcomes, as rows fired on the sandbox clock."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sandbox.store.base import Table, dumps


@dataclass(frozen=True, slots=True)
class Job:
    """A due timer as the runner hands it to its provider."""

    id: int
    provider: str
    intent_id: str
    kind: str
    due_ms: int
    payload: dict


class Jobs(Table):
    """`jobs`: each belongs to an intent; `done` once fired or cancelled."""

    __slots__ = ()

    def add(self, provider: str, intent_id: str, kind: str, due_ms: int, payload: dict | None = None) -> None:
        """A timer for an existing intent; the runner is told after the commit."""
        self.uow.execute("INSERT INTO jobs (world, provider, intent_id, kind, due_ms, payload) VALUES (?, ?, ?, ?, ?, ?)",
                         (self.uow.world, provider, intent_id, kind, due_ms, dumps(payload or {})))
        self.uow.queue_job(due_ms)

    def cancel(self, provider: str, intent_id: str, kind: str | None = None) -> None:
        """Cancel an intent's pending timers (of one kind, or all)."""
        if kind is None:
            self.uow.execute("UPDATE jobs SET done = 1 WHERE world = ? AND provider = ? AND intent_id = ? AND done = 0",
                             (self.uow.world, provider, intent_id))
        else:
            self.uow.execute("UPDATE jobs SET done = 1 WHERE world = ? AND provider = ? AND intent_id = ? AND done = 0 AND kind = ?",
                             (self.uow.world, provider, intent_id, kind))

    def due(self, now_ms: int, limit: int = 100) -> list[Job]:
        """Pending timers due by `now_ms`, in due order."""
        rows = self.uow.all("SELECT * FROM jobs WHERE world = ? AND done = 0 AND due_ms <= ? ORDER BY due_ms, id LIMIT ?",
                            (self.uow.world, now_ms, limit))
        return [Job(r["id"], r["provider"], r["intent_id"], r["kind"], r["due_ms"], json.loads(r["payload"]))
                for r in rows]

    def next_due_ms(self) -> int | None:
        """When the next pending timer is due (None: none pending)."""
        return self.uow.one("SELECT MIN(due_ms) AS due FROM jobs WHERE world = ? AND done = 0", (self.uow.world,))["due"]

    def next_due_by_world(self) -> dict[str, int]:
        """Every world's earliest pending timer (at start, to fill the timer schedule)."""
        rows = self.uow.all("SELECT world, MIN(due_ms) AS due FROM jobs WHERE done = 0 GROUP BY world")
        return {row["world"]: row["due"] for row in rows}

    def finish(self, job_id: int) -> None:
        """Mark a fired timer done (nothing happens if a reset deleted it)."""
        self.uow.execute("UPDATE jobs SET done = 1 WHERE id = ?", (job_id,))
