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
        self.uow.execute("INSERT INTO jobs (provider, intent_id, kind, due_ms, payload) VALUES (?, ?, ?, ?, ?)",
                         (provider, intent_id, kind, due_ms, dumps(payload or {})))
        self.uow.queue_job(due_ms)

    def cancel(self, provider: str, intent_id: str, kind: str | None = None) -> None:
        """Cancel an intent's pending timers (of one kind, or all)."""
        if kind is None:
            self.uow.execute("UPDATE jobs SET done = 1 WHERE provider = ? AND intent_id = ? AND done = 0",
                             (provider, intent_id))
        else:
            self.uow.execute("UPDATE jobs SET done = 1 WHERE provider = ? AND intent_id = ? AND done = 0 AND kind = ?",
                             (provider, intent_id, kind))

    def due(self, now_ms: int, limit: int = 100) -> list[Job]:
        """Pending timers due by `now_ms`, in due order."""
        rows = self.uow.all("SELECT * FROM jobs WHERE done = 0 AND due_ms <= ? ORDER BY due_ms, id LIMIT ?",
                            (now_ms, limit))
        return [Job(r["id"], r["provider"], r["intent_id"], r["kind"], r["due_ms"], json.loads(r["payload"]))
                for r in rows]

    def next_due_ms(self) -> int | None:
        """When the next pending timer is due (None: none pending)."""
        return self.uow.one("SELECT MIN(due_ms) AS due FROM jobs WHERE done = 0")["due"]

    def finish(self, job_id: int) -> None:
        """Mark a fired timer done (nothing happens if a reset deleted it)."""
        self.uow.execute("UPDATE jobs SET done = 1 WHERE id = ?", (job_id,))
