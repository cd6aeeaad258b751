"""Small named JSON documents: boot counter, credentials, endpoint overrides, provider settings."""

from __future__ import annotations

import json
from typing import Any

from sandbox.store.base import Table, dumps


class Meta(Table):
    """`meta`: one JSON value per key."""

    __slots__ = ()

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under `key`, or `default`."""
        row = self.uow.one("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(row["value"]) if row else default

    def set(self, key: str, value: Any) -> None:
        """Store `value` under `key`, replacing what was there."""
        self.uow.execute("INSERT INTO meta (key, value) VALUES (?, ?)"
                         " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, dumps(value)))

    def delete(self, key: str) -> None:
        """Forget `key` (nothing happens if it is not there)."""
        self.uow.execute("DELETE FROM meta WHERE key = ?", (key,))
