"""Timers: expiries, settlements and scenario outcomes, as rows fired on the sandbox clock."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.store.base import Table, dumps, loads
from sandbox.store.replicas import not_claimed_by


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

    def claim_due(self, now_ms: int, limit: int = 100) -> list[Job]:
        """Pending timers due by `now_ms` that nobody holds, in due order, claimed by this replica
        (another replica claiming at the same moment skips them)."""
        rows = self.uow.all("SELECT * FROM jobs WHERE world = ? AND done = 0 AND due_ms <= ? AND claimed_by IS NULL"
                            f" ORDER BY due_ms, id LIMIT ?{self.uow.skip_locked()}", (self.uow.world, now_ms, limit))
        if rows:
            self.uow.many("UPDATE jobs SET claimed_by = ? WHERE id = ?", [(self.uow.replica, r["id"]) for r in rows])
        return [Job(r["id"], r["provider"], r["intent_id"], r["kind"], r["due_ms"], loads(r["payload"]))
                for r in rows]

    def release(self, alive: tuple[str, ...]) -> dict[str, int]:
        """Timers claimed by replicas no longer `alive` are free again; returns each world's earliest."""
        abandoned, params = not_claimed_by(alive)
        rows = self.uow.all(f"UPDATE jobs SET claimed_by = NULL WHERE done = 0 AND claimed_by IS NOT NULL AND ({abandoned})"
                            " RETURNING world, due_ms", params)
        found: dict[str, int] = {}
        for row in rows:
            found[row["world"]] = min(found.get(row["world"], row["due_ms"]), row["due_ms"])
        for world, due_ms in found.items():
            self.uow.in_world(world).queue_job(due_ms)
        return found

    def next_due_ms(self) -> int | None:
        """When the next pending timer nobody holds is due (None: none)."""
        return self.uow.one("SELECT MIN(due_ms) AS due FROM jobs WHERE world = ? AND done = 0 AND claimed_by IS NULL",
                            (self.uow.world,))["due"]

    def next_due_by_world(self) -> dict[str, int]:
        """Every world's earliest pending timer nobody holds (at start, to fill the timer schedule)."""
        rows = self.uow.all("SELECT world, MIN(due_ms) AS due FROM jobs WHERE done = 0 AND claimed_by IS NULL"
                            " GROUP BY world")
        return {row["world"]: row["due"] for row in rows}

    def finish(self, job_id: int) -> None:
        """Mark a fired timer done (nothing happens if a reset deleted it)."""
        self.uow.execute("UPDATE jobs SET done = 1 WHERE id = ?", (job_id,))
