"""An intent's timeline: every API call, transition, browser event, webhook event, attempt and fault."""

from __future__ import annotations

from sandbox.store.base import Table, dumps, loads


class Timeline(Table):
    """`timeline`: entries belong to an intent (deleting the intent deletes them)."""

    __slots__ = ()

    def add(self, provider: str, intent_id: str, kind: str, at_ms: int, data: dict) -> None:
        """Append an entry to an existing intent's timeline."""
        self.uow.execute("INSERT INTO timeline (world, provider, intent_id, kind, at_ms, data) VALUES (?, ?, ?, ?, ?, ?)",
                         (self.uow.world, provider, intent_id, kind, at_ms, dumps(data)))

    def read(self, provider: str, intent_id: str) -> list[dict]:
        """The intent's entries in order, each `{"seq", "kind", "at_ms", **data}`."""
        rows = self.uow.all("SELECT * FROM timeline WHERE world = ? AND provider = ? AND intent_id = ? ORDER BY seq",
                            (self.uow.world, provider, intent_id))
        return [{"seq": r["seq"], "kind": r["kind"], "at_ms": r["at_ms"], **loads(r["data"])} for r in rows]
