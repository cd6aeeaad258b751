"""The processes serving one database, each with a lease it keeps renewing (SPEC §14).

A replica refreshes its row every few real seconds. Deliveries and timers it claimed carry its id
(`claimed_by`); once its row is older than the lease, the other replicas treat those claims as
abandoned and take them over. With SQLite only the server's process uses the file (a delivery
process works through it, claiming under its own id), so at start every claim of an earlier one
is abandoned.
"""

from __future__ import annotations

from sandbox.store.base import Table


class Replicas(Table):
    """`replicas`: id, start and last-seen times (real epoch ms)."""

    __slots__ = ()

    def beat(self, replica: str, now_ms: int) -> None:
        """This replica is alive at `now_ms`."""
        self.uow.execute("INSERT INTO replicas (id, started_ms, seen_ms) VALUES (?, ?, ?)"
                         " ON CONFLICT(id) DO UPDATE SET seen_ms = excluded.seen_ms", (replica, now_ms, now_ms))

    def alive(self, since_ms: int) -> tuple[str, ...]:
        """Replicas seen at or after `since_ms`."""
        return tuple(row["id"] for row in self.uow.all("SELECT id FROM replicas WHERE seen_ms >= ?", (since_ms,)))

    def leave(self, replica: str) -> None:
        """A replica that stops cleanly says so: nothing of it is left to wait a lease for."""
        self.uow.execute("DELETE FROM replicas WHERE id = ?", (replica,))

    def forget_before(self, since_ms: int) -> None:
        """Drop the rows of replicas gone for long (their claims are judged by absence alike)."""
        self.uow.execute("DELETE FROM replicas WHERE seen_ms < ?", (since_ms,))


def not_claimed_by(alive: tuple[str, ...]) -> tuple[str, tuple]:
    """A condition on `claimed_by` true for claims no live replica holds (None claimer included)."""
    if not alive:
        return "1 = 1", ()
    return f"claimed_by IS NULL OR claimed_by NOT IN ({', '.join('?' * len(alive))})", alive
