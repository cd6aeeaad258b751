"""SQLite through aiosqlite: one writer connection in WAL mode, plain SQL in small functions.

A unit of work is a plain synchronous function `fn(db, ...)` over a `sqlite3.Connection`. `write`
runs it on aiosqlite's connection thread inside one `BEGIN IMMEDIATE … COMMIT`, so the state
change, its webhook events and their delivery rows commit together (the transactional outbox) and
the whole transaction costs one thread hop instead of one per statement. Because the connection
thread runs one function at a time, two requests can never interleave inside a transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")

SCHEMA = (Path(__file__).parent / "schema.sql").read_text(encoding="utf-8")


def dumps(value: Any) -> str:
    """Compact JSON that keeps Unicode as is (홍길동 stays 홍길동 in the database and on the wire)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Queued:
    """What transactions queued since the last look: lets a writer skip waking idle workers.

    Waking the dispatcher or the timer runner costs them a query each; most writes (a read-only
    lookup, a create whose only timer is 30 minutes away) give them nothing new to do.
    """

    __slots__ = ("deliveries", "earliest_job_ms")

    def __init__(self) -> None:
        self.deliveries = False
        self.earliest_job_ms: int | None = None

    def take(self) -> tuple[bool, int | None]:
        found = (self.deliveries, self.earliest_job_ms)
        self.deliveries, self.earliest_job_ms = False, None
        return found


_QUEUED: dict[int, Queued] = {}


def queued(db: sqlite3.Connection) -> Queued:
    """The marker of the store that owns `db` (a plain object for a connection no store owns)."""
    return _QUEUED.get(id(db)) or Queued()


class Store:
    """The one connection every module writes through."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self.path = path
        self.queued = Queued()
        _QUEUED[id(conn._conn)] = self.queued

    @classmethod
    async def open(cls, path: str) -> Store:
        """Open (creating if needed) the database and apply the schema."""
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        await conn.executescript(SCHEMA)
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA busy_timeout = 5000")
        return cls(conn, path)

    async def close(self) -> None:
        _QUEUED.pop(id(self._conn._conn), None)
        await self._conn.close()

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(db, *args)` as one transaction on the connection thread; roll back if it raises."""
        # aiosqlite has no public "run this function on your thread"; `_execute` is exactly that.
        return await self._conn._execute(_transaction, self._conn._conn, fn, args)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(db, *args)` on the connection thread without opening a transaction."""
        return await self._conn._execute(fn, self._conn._conn, *args)


def _transaction(db: sqlite3.Connection, fn: Callable[..., T], args: tuple) -> T:
    db.execute("BEGIN IMMEDIATE")
    try:
        result = fn(db, *args)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return result


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

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> IntentRow:
        return cls(row["provider"], row["id"], row["external_ref"], row["status"], row["scenario"],
                   json.loads(row["data"]), row["created_ms"], row["updated_ms"], row["seq"])


# --- meta -----------------------------------------------------------------------------------


def get_meta(db: sqlite3.Connection, key: str, default: Any = None) -> Any:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return json.loads(row["value"]) if row else default


def set_meta(db: sqlite3.Connection, key: str, value: Any) -> None:
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
               (key, dumps(value)))


# --- intents --------------------------------------------------------------------------------


def insert_intent(db: sqlite3.Connection, provider: str, intent_id: str, external_ref: str | None,
                  status: str, scenario: str | None, data: dict, now_ms: int) -> None:
    db.execute(
        "INSERT INTO intents (provider, id, external_ref, status, scenario, data, created_ms, updated_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (provider, intent_id, external_ref, status, scenario, dumps(data), now_ms, now_ms),
    )


def update_intent(db: sqlite3.Connection, provider: str, intent_id: str, status: str, data: dict,
                  now_ms: int) -> None:
    db.execute("UPDATE intents SET status = ?, data = ?, updated_ms = ? WHERE provider = ? AND id = ?",
               (status, dumps(data), now_ms, provider, intent_id))


def get_intent(db: sqlite3.Connection, provider: str, intent_id: str) -> IntentRow | None:
    row = db.execute("SELECT * FROM intents WHERE provider = ? AND id = ?", (provider, intent_id)).fetchone()
    return IntentRow.from_row(row) if row else None


def find_intent_by_ref(db: sqlite3.Connection, provider: str, external_ref: str) -> IntentRow | None:
    row = db.execute("SELECT * FROM intents WHERE provider = ? AND external_ref = ? ORDER BY seq LIMIT 1",
                     (provider, external_ref)).fetchone()
    return IntentRow.from_row(row) if row else None


def list_intents(db: sqlite3.Connection, provider: str | None = None, limit: int = 20,
                 before_seq: int | None = None, status: str | None = None,
                 external_ref: str | None = None) -> list[IntentRow]:
    """Newest first; `before_seq` is the keyset cursor, so pages stay cheap at a million rows."""
    clauses, params = [], []
    for column, value in (("provider", provider), ("status", status), ("external_ref", external_ref)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if before_seq is not None:
        clauses.append("seq < ?")
        params.append(before_seq)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = db.execute(f"SELECT * FROM intents {where} ORDER BY seq DESC LIMIT ?", (*params, limit)).fetchall()
    return [IntentRow.from_row(row) for row in rows]


# --- timeline -------------------------------------------------------------------------------


def add_timeline(db: sqlite3.Connection, provider: str, intent_id: str, kind: str, at_ms: int,
                 data: dict) -> None:
    db.execute("INSERT INTO timeline (provider, intent_id, kind, at_ms, data) VALUES (?, ?, ?, ?, ?)",
               (provider, intent_id, kind, at_ms, dumps(data)))


def read_timeline(db: sqlite3.Connection, provider: str, intent_id: str) -> list[dict]:
    rows = db.execute("SELECT * FROM timeline WHERE provider = ? AND intent_id = ? ORDER BY seq",
                      (provider, intent_id)).fetchall()
    return [{"seq": r["seq"], "kind": r["kind"], "at_ms": r["at_ms"], **json.loads(r["data"])} for r in rows]


# --- idempotency keys -----------------------------------------------------------------------


def get_idempotent(db: sqlite3.Connection, provider: str, key: str) -> sqlite3.Row | None:
    return db.execute("SELECT * FROM idempotency WHERE provider = ? AND key = ?", (provider, key)).fetchone()


def put_idempotent(db: sqlite3.Connection, provider: str, key: str, request_hash: str, status: int,
                   body: bytes, now_ms: int) -> None:
    db.execute("INSERT OR IGNORE INTO idempotency (provider, key, request_hash, status, body, created_ms)"
               " VALUES (?, ?, ?, ?, ?, ?)", (provider, key, request_hash, status, body, now_ms))


# --- jobs (timers) --------------------------------------------------------------------------


def add_job(db: sqlite3.Connection, provider: str, intent_id: str, kind: str, due_ms: int,
            payload: dict | None = None) -> None:
    db.execute("INSERT INTO jobs (provider, intent_id, kind, due_ms, payload) VALUES (?, ?, ?, ?, ?)",
               (provider, intent_id, kind, due_ms, dumps(payload or {})))
    marker = queued(db)
    if marker.earliest_job_ms is None or due_ms < marker.earliest_job_ms:
        marker.earliest_job_ms = due_ms


def cancel_jobs(db: sqlite3.Connection, provider: str, intent_id: str, kind: str | None = None) -> None:
    if kind is None:
        db.execute("UPDATE jobs SET done = 1 WHERE provider = ? AND intent_id = ? AND done = 0",
                   (provider, intent_id))
    else:
        db.execute("UPDATE jobs SET done = 1 WHERE provider = ? AND intent_id = ? AND kind = ? AND done = 0",
                   (provider, intent_id, kind))


# --- widget sessions ------------------------------------------------------------------------


def add_session(db: sqlite3.Connection, provider: str, token: str, intent_id: str, session_id: str, data: dict,
                now_ms: int, expires_ms: int) -> None:
    db.execute("INSERT INTO sessions (token, provider, intent_id, session_id, data, created_ms, expires_ms)"
               " VALUES (?, ?, ?, ?, ?, ?, ?)", (token, provider, intent_id, session_id, dumps(data), now_ms, expires_ms))


def get_session(db: sqlite3.Connection, provider: str, token: str) -> dict | None:
    row = db.execute("SELECT * FROM sessions WHERE provider = ? AND token = ?", (provider, token)).fetchone()
    if row is None:
        return None
    return {**json.loads(row["data"]), "_expires_ms": row["expires_ms"]}


# --- reset ----------------------------------------------------------------------------------

_PROVIDER_TABLES = ("intents", "timeline", "events", "deliveries", "jobs", "idempotency", "receipts", "sessions")


def reset(db: sqlite3.Connection, provider: str | None) -> None:
    """Forget all state, or one provider's; attempts go with their deliveries."""
    if provider is None:
        for table in (*_PROVIDER_TABLES, "attempts", "faults", "fault_log"):
            db.execute(f"DELETE FROM {table}")
        return
    db.execute("DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE provider = ?)",
               (provider,))
    for table in (*_PROVIDER_TABLES, "faults", "fault_log"):
        db.execute(f"DELETE FROM {table} WHERE provider = ?", (provider,))
