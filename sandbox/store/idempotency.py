"""Stored answers to create calls, by `Idempotency-Key`."""

from __future__ import annotations

from typing import Any

from sandbox.store.base import Table


class Idempotency(Table):
    """`idempotency`: one answer per world, provider and key."""

    __slots__ = ()

    def get(self, provider: str, key: str) -> Any:
        """The stored row (`request_hash`, `status`, `body`), or None."""
        return self.uow.one("SELECT * FROM idempotency WHERE world = ? AND provider = ? AND key = ?",
                           (self.uow.world, provider, key))

    def put(self, provider: str, key: str, request_hash: str, status: int, body: bytes, now_ms: int) -> None:
        """Keep an answer; the first one stored for a key stays."""
        self.uow.execute("INSERT INTO idempotency (world, provider, key, request_hash, status, body, created_ms)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", (self.uow.world, provider, key, request_hash, status, body, now_ms))
