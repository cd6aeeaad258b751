"""The SQLite backend: one connection in WAL mode, owned by one writer thread.

Every unit of work runs on that thread (`concurrent.futures.ThreadPoolExecutor(max_workers=1)`),
so a transaction costs one thread hop however many statements it runs, and two transactions can
never interleave. `commit(fn, *args)` runs `fn(uow, *args)` inside `BEGIN IMMEDIATE … COMMIT`
(rolled back if it raises) and afterwards wakes the workers for what the transaction queued: the
dispatcher for new deliveries, the timer runner for a new earliest timer. It is the one write path.
`read(fn, *args)` runs `fn(uow, *args)` on the same thread without a transaction. Both take the
world the unit of work is confined to (`world=`, the default world unless named).

The connection enforces foreign keys. A database made by another schema version (version 0.1
had no `user_version`) is refused with a clear error rather than migrated.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from sandbox.store.uow import UnitOfWork
from sandbox.worlds import DEFAULT

T = TypeVar("T")

SCHEMA = (Path(__file__).parent / "schema.sql").read_text(encoding="utf-8")
#: Bumped whenever `schema.sql` changes shape; stored as `PRAGMA user_version`.
SCHEMA_VERSION = 3


class SchemaMismatch(RuntimeError):
    """The database file was made by another version of the sandbox."""


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


class SqliteStore:
    """The one connection every module writes through, and the workers its commits wake."""

    def __init__(self, conn: sqlite3.Connection, executor: ThreadPoolExecutor, path: str) -> None:
        self._conn = conn
        self._executor = executor
        self.path = path
        self._on_deliveries: list[Callable[[str, int | None], None]] = []
        self._on_job: list[Callable[[str, int], None]] = []

    @classmethod
    async def open(cls, path: str) -> SqliteStore:
        """Open the database at `path` (`:memory:` for a throwaway one) on a new writer thread."""
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
        try:
            conn = await asyncio.get_running_loop().run_in_executor(executor, connect, path)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(conn, executor, path)

    async def close(self) -> None:
        """Close the connection (after any unit of work still queued) and stop the thread."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._conn.close)
        self._executor.shutdown(wait=False)

    def watch(self, *, deliveries: Callable[[str, int | None], None] | None = None,
              jobs: Callable[[str, int], None] | None = None) -> None:
        """Call `deliveries(world, earliest due ms or None)` after a commit that queued deliveries, and
        `jobs(world, earliest due ms)` after one that added timers."""
        if deliveries is not None:
            self._on_deliveries.append(deliveries)
        if jobs is not None:
            self._on_job.append(jobs)

    def trace(self, callback: Callable[[str], None] | None) -> None:
        """Call `callback(sql)` with every statement the connection runs, values filled in (None: stop).

        For diagnosis and for the tests that check query plans; it runs on the writer thread.
        """
        self._conn.set_trace_callback(callback)

    async def commit(self, fn: Callable[..., T], *args: Any, world: str = DEFAULT) -> T:
        """Run `fn(uow, *args)` as one transaction in `world`; then wake what it queued. Rolled back if it raises."""
        uow = UnitOfWork(self._conn, world)
        result = await asyncio.get_running_loop().run_in_executor(self._executor, _transaction, uow, fn, args)
        for queued_world, due_ms in uow.queued_deliveries.items():
            for wake in self._on_deliveries:
                wake(queued_world, due_ms)
        for queued_world, due_ms in uow.queued_jobs.items():
            for notice in self._on_job:
                notice(queued_world, due_ms)
        return result

    async def read(self, fn: Callable[..., T], *args: Any, world: str = DEFAULT) -> T:
        """Run `fn(uow, *args)` in `world` on the writer thread without a transaction (for reads)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, _call, UnitOfWork(self._conn, world),
                                                                fn, args)


def _transaction(uow: UnitOfWork, fn: Callable[..., T], args: tuple) -> T:
    uow.execute("BEGIN IMMEDIATE")
    try:
        result = fn(uow, *args)
    except BaseException:
        uow.execute("ROLLBACK")
        raise
    uow.execute("COMMIT")
    return result


def _call(uow: UnitOfWork, fn: Callable[..., T], args: tuple) -> T:
    return fn(uow, *args)
