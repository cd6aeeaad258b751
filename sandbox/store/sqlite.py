"""The SQLite backend (the embedded default): one connection in WAL mode, used by one thing at a time.

Every unit of work runs in the order it was asked for, with consecutive commits grouped into one
`BEGIN IMMEDIATE` transaction, on the event loop's own thread (`LoopWriter` in
`sandbox.store.writer`): SQLite works inside this process, so a thread hop per group and two
threads contending for the GIL cost more than the statements (creates/s +18%, bench/README.md).
While a checkpoint runs, and for what may block on the disk (opening, closing, the checkpointer's
last copy below), the work goes to the store's thread instead, so the loop never waits on an
fsync. One process owns the file, so nothing needs claiming: row locks and `SKIP LOCKED` are
empty clauses here.

The connection enforces foreign keys. A database made by another schema version (version 0.1
had no `user_version`) is refused with a clear error rather than migrated.

Checkpoints (copying the WAL back into the database file, and its fsync) run on a thread of their
own, over a second connection, every `CHECKPOINT_EVERY_S`, instead of inside whichever COMMIT
crosses SQLite's automatic threshold (4 MB of WAL): that COMMIT, and every request waiting on its
group, used to pay for it. The fsync is what still costs the others: with a million intents the
pages a checkpoint writes are scattered over a 2.6 GB file, and while they are flushed the
store's own WAL writes wait on the file system's journal. Every 5 s rather than every 0.5 s makes
those pauses ten times rarer (a create's p99 at 1 M stored: 54–62 ms at 0.5 s, 24–42 ms at 5 s,
21–22 ms with no checkpoint at all; bench/README.md). Durability is unchanged: a COMMIT still
returns once its WAL frames are written, which a `kill -9` cannot undo, and the WAL is only reused
after a synced checkpoint.

The WAL starts over from its beginning only when a write transaction begins with every frame
copied back. Under sustained load that never happens by itself (a commit always lands while the
checkpoint runs), and the WAL grew by about 23 MB a second of creates, 1.4 GB in a minute, with
every page lookup searching its whole index. So once it is past `WAL_LIMIT_BYTES` the
checkpointer copies what was written during its pass too, then has the store's own thread copy
the last few frames between two groups, when nothing else can write: the next transaction starts
the WAL over, and SQLite cuts the file back to the limit (`journal_size_limit`). That last copy
holds the store's thread for its syncs (120–180 ms on the development machine); at 256 MB it comes
about every 11 s of sustained creates, and never in a run shorter than that (at 64 MB it came
every 3 s, and a 400 creates/s lateness run hit it each time).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from sandbox.store.backend import SchemaMismatch, Store
from sandbox.store.uow import SQLITE as DIALECT
from sandbox.store.writer import LoopWriter

SCHEMA = (Path(__file__).parent / "schema.sql").read_text(encoding="utf-8")
#: Bumped whenever `schema.sql` changes shape; stored as `PRAGMA user_version` (PostgreSQL: a table).
SCHEMA_VERSION = 4
#: Seconds between background checkpoints (see the module docstring for why not less).
CHECKPOINT_EVERY_S = 5.0
#: The WAL size past which it is made to start over, and the size SQLite cuts it back to then.
WAL_LIMIT_BYTES = 256 * 1024 * 1024


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
        # A savepoint (a group run again after a unit of work failed having written, `writer`) and
        # a statement SQLite may have to undo alone first copy every page they change into a
        # statement journal; kept in memory rather than in a temporary file, SQLite's share of a
        # create was about a quarter smaller (bench/README.md). The journal only serves a rollback
        # inside the open transaction, so durability does not depend on it.
        conn.execute("PRAGMA temp_store = MEMORY")
        if path != ":memory:":
            conn.execute("PRAGMA wal_autocheckpoint = 0")   # the Checkpointer's job
            conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}")
        conn.executescript(SCHEMA)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.close()
        raise
    return conn


class Checkpointer:
    """A thread that checkpoints the WAL every `CHECKPOINT_EVERY_S` over its own connection (PASSIVE:
    it never waits for, nor blocks, the store's writes).

    `catch_up` queues the last copy of a WAL past `WAL_LIMIT_BYTES` on the store's thread.
    """

    def __init__(self, path: str, catch_up: Callable[[], None]) -> None:
        self._path = path
        self._catch_up = catch_up
        self._stop = threading.Event()
        #: True while a checkpoint runs (the store's groups go to its thread meanwhile: `LoopWriter`).
        self.running = False
        self._thread = threading.Thread(target=self._run, name="store-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            while not self._stop.wait(CHECKPOINT_EVERY_S):
                self.running = True
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    if _size(self._path + "-wal") > WAL_LIMIT_BYTES:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")   # what was written during the first
                        self._catch_up()
                except sqlite3.Error:  # noqa: S112 (busy or interrupted: the next round tries again)
                    continue
                finally:
                    self.running = False
        finally:
            conn.close()

    def stop(self) -> None:
        """End the thread (its connection closes; the store's own connection checkpoints on close)."""
        self._stop.set()
        self._thread.join()


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:   # no WAL file (yet)
        return 0


def _checkpoint(conn: sqlite3.Connection) -> None:
    """A PASSIVE checkpoint over the store's own connection, on the store's thread, between two groups."""
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")


class SqliteStore(Store, kind="sqlite"):
    """One SQLite file, one connection, one process."""

    dialect = DIALECT
    _checkpointer: Checkpointer | None = None

    @classmethod
    async def open(cls, path: str) -> SqliteStore:
        """Open the database at `path` (`:memory:` for a throwaway one), with its writer and checkpointer."""
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        writer = LoopWriter(DIALECT)
        try:
            conn = await writer.call(connect, path)
        except BaseException:
            writer.stop()
            raise
        store = cls(conn, writer, path)
        if path != ":memory:":
            checkpointer = store._checkpointer = Checkpointer(path, lambda: writer.run_soon(_checkpoint, conn))
            writer.offload = lambda: checkpointer.running
        return store

    async def close(self) -> None:
        """Stop the checkpoints, then close the connection and the store's thread."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
        await super().close()

    def trace(self, callback) -> None:
        """Call `callback(sql)` with every statement the connection runs, values filled in (None: stop).

        For diagnosis and for the tests that check query plans; it runs wherever the statement does.
        """
        self._conn.set_trace_callback(callback)
