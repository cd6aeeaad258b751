"""The SQLite backend: one connection in WAL mode, owned by one writer thread.

Every unit of work runs on that thread, in the order it was asked for, so two units of work can
never interleave. `commit(fn, *args)` runs `fn(uow, *args)` as one unit of work and afterwards
wakes the workers for what it queued: the dispatcher for new deliveries, the timer runner for a new
earliest timer. It is the one write path. `read(fn, *args)` runs `fn(uow, *args)` on the same
thread outside any transaction. Both take the world the unit of work is confined to (`world=`,
the default world unless named).

Group commit: the writer takes every commit waiting in its queue (up to `GROUP_MAX`) into one
SQLite transaction, each unit of work inside its own SAVEPOINT. A unit of work that raises is
rolled back to its savepoint alone and its caller gets the exception; the others go on. Every
caller is answered only after the shared COMMIT returned, so a caller that got its result (an API
that answered 201) knows its rows are committed; if the COMMIT itself fails, every unit of work in
the group gets that error. Under load this turns N commits and N thread hops into one of each;
alone, a commit is a group of one. Reads never join a group: they run between transactions, so
they never see rows that are not committed yet.

The connection enforces foreign keys. A database made by another schema version (version 0.1
had no `user_version`) is refused with a clear error rather than migrated.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sandbox.store.uow import UnitOfWork
from sandbox.worlds import DEFAULT

T = TypeVar("T")

SCHEMA = (Path(__file__).parent / "schema.sql").read_text(encoding="utf-8")
#: Bumped whenever `schema.sql` changes shape; stored as `PRAGMA user_version`.
SCHEMA_VERSION = 3
#: The most units of work one group commit takes (bounds the latency a big burst adds to each).
GROUP_MAX = 256


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

    def __init__(self, conn: sqlite3.Connection, writer: _Writer, path: str) -> None:
        self._conn = conn
        self._writer = writer
        self.path = path
        self._on_deliveries: list[Callable[[str, int | None], None]] = []
        self._on_job: list[Callable[[str, int], None]] = []

    @classmethod
    async def open(cls, path: str) -> SqliteStore:
        """Open the database at `path` (`:memory:` for a throwaway one) on a new writer thread."""
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        writer = _Writer()
        try:
            conn = await writer.call(connect, path)
        except BaseException:
            writer.stop()
            raise
        return cls(conn, writer, path)

    async def close(self) -> None:
        """Close the connection (after any unit of work still queued) and stop the thread."""
        await self._writer.call(self._conn.close)
        self._writer.stop()

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
        """Run `fn(uow, *args)` as one transaction in `world`; then wake what it queued. Rolled back if it raises.

        It may share its COMMIT with other units of work (group commit); it returns only after that
        COMMIT did.
        """
        uow = UnitOfWork(self._conn, world)
        result = await self._writer.submit(_COMMIT, fn, uow, args)
        for queued_world, due_ms in uow.queued_deliveries.items():
            for wake in self._on_deliveries:
                wake(queued_world, due_ms)
        for queued_world, due_ms in uow.queued_jobs.items():
            for notice in self._on_job:
                notice(queued_world, due_ms)
        return result

    async def read(self, fn: Callable[..., T], *args: Any, world: str = DEFAULT) -> T:
        """Run `fn(uow, *args)` in `world` on the writer thread without a transaction (for reads)."""
        return await self._writer.submit(_READ, fn, UnitOfWork(self._conn, world), args)


_COMMIT, _READ, _CALL, _STOP = "commit", "read", "call", "stop"


class _Writer:
    """The writer thread: runs queued work in order, grouping consecutive commits into one transaction."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="store", daemon=True)
        self._thread.start()

    def submit(self, kind: str, fn: Callable, uow: UnitOfWork | None, args: tuple) -> asyncio.Future:
        """Queue work for the thread; the future is settled on the caller's loop."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put((kind, fn, uow, args, loop, future))
        return future

    def call(self, fn: Callable, *args: Any) -> asyncio.Future:
        """Run a plain `fn(*args)` on the thread (connect, close)."""
        return self.submit(_CALL, fn, None, args)

    def stop(self) -> None:
        """End the thread once the work queued before this call has run."""
        self._queue.put((_STOP, None, None, (), None, None))

    def _run(self) -> None:
        pending = None
        while True:
            item = pending or self._queue.get()
            pending = None
            kind = item[0]
            if kind == _STOP:
                return
            if kind != _COMMIT:
                _settle([(item, *_outcome(item))])
                continue
            group = [item]
            while len(group) < GROUP_MAX:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt[0] != _COMMIT:
                    pending = nxt   # a read or a stop waits for this group's COMMIT
                    break
                group.append(nxt)
            _settle(_group_commit(group))


def _outcome(item: tuple) -> tuple[bool, Any]:
    kind, fn, uow, args = item[:4]
    try:
        return True, (fn(*args) if kind == _CALL else fn(uow, *args))
    except BaseException as exc:  # handed to the caller, never lost in the thread
        return False, exc


def _group_commit(group: list[tuple]) -> list[tuple]:
    """Run each unit of work in its own savepoint inside one transaction; results after the COMMIT."""
    results = []
    first = group[0][2]   # every unit of work of a group runs over the one connection
    try:
        first.execute("BEGIN IMMEDIATE")
        for item in group:
            uow = item[2]
            uow.execute("SAVEPOINT uow")
            ok, value = _outcome(item)
            uow.execute("RELEASE uow" if ok else "ROLLBACK TO uow")
            if not ok:
                uow.execute("RELEASE uow")
            results.append((item, ok, value))
        first.execute("COMMIT")
    except BaseException as exc:  # the transaction itself failed: no unit of work in it committed
        try:
            first.execute("ROLLBACK")
        except Exception:  # noqa: S110 (no transaction left to roll back)
            pass
        return [(item, False, exc) for item in group]
    return results


def _settle(results: list[tuple]) -> None:
    by_loop: dict[Any, list] = {}
    for item, ok, value in results:
        by_loop.setdefault(item[4], []).append((item[5], ok, value))
    for loop, settled in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, settled)
        except RuntimeError:  # the caller's loop is closed: nobody is waiting any more
            pass


def _resolve(settled: list[tuple]) -> None:
    for future, ok, value in settled:
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
