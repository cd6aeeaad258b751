"""The SQLite backend (the embedded default): one connection in WAL mode, owned by one thread.

Every unit of work runs on the store's thread (`sandbox.store.writer`), in the order it was asked
for, with consecutive commits grouped into one `BEGIN IMMEDIATE` transaction. One process owns
the file, so nothing needs claiming: row locks and `SKIP LOCKED` are empty clauses here.

The connection enforces foreign keys. A database made by another schema version (version 0.1
had no `user_version`) is refused with a clear error rather than migrated.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sandbox.store.backend import SchemaMismatch, Store
from sandbox.store.uow import SQLITE as DIALECT
from sandbox.store.writer import Writer

SCHEMA = (Path(__file__).parent / "schema.sql").read_text(encoding="utf-8")
#: Bumped whenever `schema.sql` changes shape; stored as `PRAGMA user_version` (PostgreSQL: a table).
SCHEMA_VERSION = 4


def connect(path: str) -> sqlite3.Connection:
    """Open (creating if needed) the database, check its schema version and apply the schema."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if tables and version != SCHEMA_VERSION:
            raise SchemaMismatch(
                f"{path} holds a sandbox database of schema version {version}, this version needs "
                f"{SCHEMA_VERSION}; it is not migrated: delete the file or start with another --db")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.executescript(SCHEMA)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.close()
        raise
    return conn


class SqliteStore(Store, kind="sqlite"):
    """One SQLite file, one connection, one process."""

    dialect = DIALECT

    @classmethod
    async def open(cls, path: str) -> SqliteStore:
        """Open the database at `path` (`:memory:` for a throwaway one) on a new store thread."""
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        writer = Writer(DIALECT)
        try:
            conn = await writer.call(connect, path)
        except BaseException:
            writer.stop()
            raise
        return cls(conn, writer, path)

    def trace(self, callback) -> None:
        """Call `callback(sql)` with every statement the connection runs, values filled in (None: stop).

        For diagnosis and for the tests that check query plans; it runs on the store's thread.
        """
        self._conn.set_trace_callback(callback)
