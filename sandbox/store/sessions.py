"""Hosted widget sessions: a bearer token that opens one intent's widget page."""

from __future__ import annotations

from sandbox.store.base import Table, dumps, loads


class Sessions(Table):
    """`sessions`: each belongs to an intent."""

    __slots__ = ()

    def add(self, provider: str, token: str, intent_id: str, session_id: str, data: dict, now_ms: int,
            expires_ms: int) -> None:
        """A new session of an existing intent."""
        self.uow.execute(
            "INSERT INTO sessions (world, token, provider, intent_id, session_id, data, created_ms, expires_ms)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (self.uow.world, token, provider, intent_id, session_id, dumps(data), now_ms, expires_ms))

    def get(self, provider: str, token: str) -> dict | None:
        """The session's document with `_expires_ms`, or None."""
        row = self.uow.one("SELECT * FROM sessions WHERE token = ? AND provider = ? AND world = ?",
                           (token, provider, self.uow.world))
        if row is None:
            return None
        return {**loads(row["data"]), "_expires_ms": row["expires_ms"]}
