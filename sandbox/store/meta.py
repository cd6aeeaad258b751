"""Small named JSON documents: boot counter, credentials, endpoint overrides, provider settings.

A key belongs to the unit of work's world (a provider's settings, its seeded users): another
world's keys are prefixed `world:<id>:`, the default world's are stored as they are. Keys shared
by the whole server (the boot counter, a provider's server-wide id sequence, which keeps ids
unique across worlds) say so with `shared=True`.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.store.base import Table, dumps, loads

DEFAULT_WORLD = "default"


class Meta(Table):
    """`meta`: one JSON value per key."""

    __slots__ = ()

    def _key(self, key: str, shared: bool) -> str:
        world = self.uow.world
        return key if shared or world == DEFAULT_WORLD else f"world:{world}:{key}"

    def get(self, key: str, default: Any = None, *, shared: bool = False) -> Any:
        """The value stored under `key`, or `default`."""
        row = self.uow.one(f"SELECT value FROM meta WHERE key = ?{self.uow.for_update}", (self._key(key, shared),))
        return loads(row["value"]) if row else default

    def set(self, key: str, value: Any, *, shared: bool = False) -> None:
        """Store `value` under `key`, replacing what was there."""
        self.uow.execute("INSERT INTO meta (key, value) VALUES (?, ?)"
                         " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (self._key(key, shared), dumps(value)))

    def increment(self, key: str, start: int, *, shared: bool = False) -> int:
        """Add one to the integer under `key` (`start` if there is none) and return it, atomically:
        two processes sharing the database never get the same value."""
        row = self.uow.one("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE"
                           " SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT) RETURNING value",
                           (self._key(key, shared), dumps(start)))
        return loads(row["value"])

    def delete(self, key: str, *, shared: bool = False) -> None:
        """Forget `key` (nothing happens if it is not there)."""
        self.uow.execute("DELETE FROM meta WHERE key = ?", (self._key(key, shared),))

    def delete_world(self) -> None:
        """Forget every key of this world (never the default world's or shared ones).

        On SQLite a GLOB on the prefix is a range of the key's index, so a world's delete does not
        read every other world's keys; PostgreSQL compares text by its locale, where a prefix is no
        range, and reads the (small) table.
        """
        if self.uow.world == DEFAULT_WORLD:
            return
        prefix = f"world:{self.uow.world}:"
        if self.uow.dialect == "sqlite":
            self.uow.execute("DELETE FROM meta WHERE key GLOB ?", (re.sub(r"([*?\[])", r"[\1]", prefix) + "*",))
        else:
            self.uow.execute("DELETE FROM meta WHERE substr(key, 1, ?) = ?", (len(prefix), prefix))
