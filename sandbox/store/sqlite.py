"""The SQLite backend (the embedded default): one connection in WAL mode, owned by one thread.

Every unit of work runs on the store's thread (`sandbox.store.writer`), in the order it was asked
for, with consecutive commits grouped into one `BEGIN IMMEDIATE` transaction. One process owns
the file, so nothing needs claiming: row locks and `SKIP LOCKED` are empty clauses here.

The connection enforces foreign keys. A database made by another schema version (version 0.1
had no `user_version`) is refused with a clear error rather than migrated.

Checkpoints (copying the WAL back into the database file, and its fsync) run on a thread of their
own, over a second connection, every `CHECKPOINT_EVERY_S`, instead of inside whichever COMMIT
crosses SQLite's automatic threshold (4 MB of WAL): that COMMIT, and every request waiting on its
group, used to pay for it. The fsync is what still costs the others: with a million intents the
pages a checkpoint writes are scattered over a 2.6 GB file, and while they are flushed the
store's own WAL writes wait on the file system's journal. Every 5 s rather than every 0.5 s makes
those pauses ten times rarer (a create's p99 at 1 M stored: 54–62 ms at 0.5 s, 24–42 ms at 5 s,
21–22 ms with no checkpoint at all; bench/README.md), for a WAL of up to about 100 MB under
sustained load. Durability is unchanged: a COMMIT still returns once its WAL frames are written,
which a `kill -9` cannot undo, and the WAL is only reused after a synced checkpoint.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from sandbox.store.backend import SchemaMismatch, Store
from sandbox.store.uow import SQLITE as DIALECT
from sandbox.store.writer import Writer

SCHEMA = (Path(__file__).parent / "schema.sql").read_text(encoding="utf-8")
#: Bumped whenever `schema.sql` changes shape; stored as `PRAGMA user_version` (PostgreSQL: a table).
SCHEMA_VERSION = 4
#: Seconds between background checkpoints (see the module docstring for why not less).
CHECKPOINT_EVERY_S = 5.0


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
        if path != ":memory:":
            conn.execute("PRAGMA wal_autocheckpoint = 0")   # the Checkpointer's job
        conn.executescript(SCHEMA)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.close()
        raise
    return conn


class Checkpointer:
    """A thread that checkpoints the WAL every `CHECKPOINT_EVERY_S` over its own connection (PASSIVE:
    it never waits for, nor blocks, the store's thread)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="store-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            while not self._stop.wait(CHECKPOINT_EVERY_S):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:  # noqa: S112 (busy or interrupted: the next round tries again)
                    continue
        finally:
            conn.close()

    def stop(self) -> None:
        """End the thread (its connection closes; the store's own connection checkpoints on close)."""
        self._stop.set()
        self._thread.join()


class SqliteStore(Store, kind="sqlite"):
    """One SQLite file, one connection, one process."""

    dialect = DIALECT
    _checkpointer: Checkpointer | None = None

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
        store = cls(conn, writer, path)
        if path != ":memory:":
            store._checkpointer = Checkpointer(path)
        return store

    async def close(self) -> None:
        """Stop the checkpoints, then close the connection and the store's thread."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
        await super().close()

    def trace(self, callback) -> None:
        """Call `callback(sql)` with every statement the connection runs, values filled in (None: stop).

        For diagnosis and for the tests that check query plans; it runs on the store's thread.
        """
        self._conn.set_trace_callback(callback)
