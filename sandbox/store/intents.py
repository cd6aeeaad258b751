"""Intents (the providers' objects) and their lookup keys.

An intent row keeps the provider's own object as JSON in `data`, with what requests filter on in
columns beside it: `status`, `external_ref`, `account` (the owning app or project inside the
provider, '' where there is one) and `kind`. Reads are scoped to one account ('' unless told otherwise, None for every account), so the
indexes that lead with `(provider, account)` serve them. Lookups a provider needs by other values (a tx hash,
a deposit address and memo, the link a payment belongs to) go through `intent_keys`, an indexed
`(provider, kind, value) → intent` table, so no request reads every row of a provider.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.store.base import Table, dumps, loads, where


@dataclass(slots=True)
class IntentRow:
    """An intent as stored: the provider's own object in `data`, indexed columns beside it."""

    provider: str
    id: str
    external_ref: str | None
    status: str
    scenario: str | None
    data: dict
    created_ms: int
    updated_ms: int
    seq: int
    account: str = ""
    kind: str = ""

    @classmethod
    def from_row(cls, row: Any) -> IntentRow:
        """The row as read from `intents`."""
        return cls(row["provider"], row["id"], row["external_ref"], row["status"], row["scenario"],
                   loads(row["data"]), row["created_ms"], row["updated_ms"], row["seq"], row["account"],
                   row["kind"])


class Intents(Table):
    """`intents` and `intent_keys`."""

    __slots__ = ()

    def insert(self, provider: str, intent_id: str, external_ref: str | None, status: str, scenario: str | None,
               data: dict, now_ms: int, *, account: str = "", kind: str = "",
               keys: Mapping[str, str | None] | None = None) -> None:
        """A new intent, with its lookup keys (`{key kind: value}`; None values are skipped)."""
        self.uow.execute(
            "INSERT INTO intents (world, provider, id, account, kind, external_ref, status, scenario, data, created_ms,"
            " updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self.uow.world, provider, intent_id, account, kind, external_ref, status, scenario, dumps(data), now_ms, now_ms),
        )
        if keys:
            self.add_keys(provider, intent_id, keys)

    def update(self, provider: str, intent_id: str, status: str, data: dict, now_ms: int) -> None:
        """The intent's new status and object."""
        self.uow.execute("UPDATE intents SET status = ?, data = ?, updated_ms = ? WHERE world = ? AND provider = ? AND id = ?",
                         (status, dumps(data), now_ms, self.uow.world, provider, intent_id))

    def add_keys(self, provider: str, intent_id: str, keys: Mapping[str, str | None]) -> None:
        """Lookup keys of an intent (`{key kind: value}`); None values and known keys are skipped."""
        rows = [(self.uow.world, provider, kind, value, intent_id) for kind, value in keys.items() if value is not None]
        if rows:
            self.uow.many("INSERT INTO intent_keys (world, provider, kind, value, intent_id) VALUES (?, ?, ?, ?, ?)"
                          " ON CONFLICT DO NOTHING",
                          rows)

    def get(self, provider: str, intent_id: str) -> IntentRow | None:
        """The intent, or None."""
        row = self.uow.one(f"SELECT * FROM intents WHERE world = ? AND provider = ? AND id = ?{self.uow.for_update}",
                           (self.uow.world, provider, intent_id))
        return IntentRow.from_row(row) if row else None

    def first_of(self, provider: str, intent_ids: Iterable[str]) -> str | None:
        """The id of the first of `intent_ids` that names an intent of `provider` (None if none does)."""
        ids = tuple(intent_ids)
        if not ids:
            return None
        row = self.uow.one(f"SELECT id FROM intents WHERE world = ? AND provider = ? AND id IN ({', '.join('?' * len(ids))})",
                           (self.uow.world, provider, *ids))
        return row["id"] if row else None

    def owner_world(self, provider: str, object_ids: Iterable[str]) -> str | None:
        """The world of the first of `object_ids` that names an intent (or widget session) of
        `provider`, in any world: how a page URL finds its world."""
        ids = tuple(object_ids)
        if not ids:
            return None
        marks = ", ".join("?" * len(ids))
        row = self.uow.one(f"SELECT world FROM intents WHERE provider = ? AND id IN ({marks})"
                           f" UNION ALL SELECT world FROM sessions WHERE token IN ({marks}) AND provider = ? LIMIT 1",
                           (provider, *ids, *ids, provider))
        return row["world"] if row else None

    def external_ref(self, provider: str, intent_id: str) -> str | None:
        """Only the intent's external reference (None also when the intent is gone)."""
        row = self.uow.one("SELECT external_ref FROM intents WHERE world = ? AND provider = ? AND id = ?",
                           (self.uow.world, provider, intent_id))
        return row["external_ref"] if row else None

    def find_by_ref(self, provider: str, external_ref: str, account: str = "") -> IntentRow | None:
        """The first intent of an account created with this external reference."""
        # A statement of its own rather than `list`'s built one: every create asks it.
        row = self.uow.one("SELECT * FROM intents WHERE world = ? AND provider = ? AND account = ? AND external_ref = ?"
                           " ORDER BY seq LIMIT 1", (self.uow.world, provider, account, external_ref))
        return IntentRow.from_row(row) if row else None

    def list(self, provider: str | None = None, *, account: str | None = "", kind: str | None = None,
             status: str | None = None, external_ref: str | None = None, key: tuple[str, str] | None = None,
             created_from_ms: int | None = None, created_to_ms: int | None = None, before_seq: int | None = None,
             limit: int = 20, offset: int = 0) -> list[IntentRow]:
        """Newest first. `before_seq` is the keyset cursor (pages stay cheap at a million rows);
        `key` keeps the intents holding that lookup key (`(kind, value)`, `provider` required);
        `account=None` reads every account."""
        source, clause, params = self._filter(self.uow.world, provider, account, kind, status, external_ref, key,
                                              created_from_ms, created_to_ms, before_seq)
        rows = self.uow.all(f"SELECT i.* FROM {source} {clause} ORDER BY i.seq DESC LIMIT ? OFFSET ?",
                            (*params, limit, offset))
        return [IntentRow.from_row(row) for row in rows]

    def count(self, provider: str | None = None, *, account: str | None = "", kind: str | None = None,
              status: str | None = None, external_ref: str | None = None, key: tuple[str, str] | None = None,
              created_from_ms: int | None = None, created_to_ms: int | None = None) -> int:
        """How many intents `list` would page through with the same filters."""
        source, clause, params = self._filter(self.uow.world, provider, account, kind, status, external_ref, key,
                                              created_from_ms, created_to_ms, None)
        return self.uow.one(f"SELECT COUNT(*) AS n FROM {source} {clause}", params)["n"]

    def find_by_key(self, provider: str, kinds: tuple[str, ...], value: str, *, account: str | None = None,
                    created_from_ms: int | None = None, other_than: str | None = None) -> IntentRow | None:
        """The newest intent holding `value` under any of the key `kinds`."""
        clause, params = where(
            ("k.world = ?", self.uow.world), ("k.provider = ?", provider),
            (f"k.kind IN ({', '.join('?' * len(kinds))})", kinds), ("k.value = ?", value),
            ("i.world = k.world AND i.provider = k.provider AND i.id = k.intent_id", ()), ("i.account = ?", account),
            ("i.created_ms >= ?", created_from_ms), ("i.id != ?", other_than))
        row = self.uow.one(f"SELECT i.* FROM {_BY_KEY} {clause} ORDER BY i.seq DESC LIMIT 1", params)
        return IntentRow.from_row(row) if row else None

    @staticmethod
    def _filter(world, provider, account, kind, status, external_ref, key, created_from_ms, created_to_ms,
                before_seq) -> tuple[str, str, list]:
        by_key = ()
        if key is not None:
            by_key = (("k.world = ? AND k.provider = ? AND k.kind = ? AND k.value = ?", (world, provider, *key)),
                      ("i.world = k.world AND i.provider = k.provider AND i.id = k.intent_id", ()))
        clause, params = where(
            *by_key, ("i.world = ?", world), ("i.provider = ?", provider), ("i.account = ?", account), ("i.kind = ?", kind),
            ("i.status = ?", status), ("i.external_ref = ?", external_ref), ("i.created_ms >= ?", created_from_ms),
            ("i.created_ms <= ?", created_to_ms), ("i.seq < ?", before_seq))
        return (_BY_KEY if key is not None else "intents i"), clause, params


#: Intents found through a lookup key. `CROSS JOIN` makes SQLite start from the key's index
#: (without statistics it may otherwise walk every intent of the provider and probe each one's keys);
#: other databases read it as a plain join and plan it themselves.
_BY_KEY = "intent_keys k CROSS JOIN intents i"
