"""`Store`: the one write path and the one read path, whatever database is underneath.

`Store.open(db)` picks the backend from `db`: a `postgresql://` (or `postgres://`) URL opens
PostgreSQL (`sandbox.store.postgres`), any other `scheme://` is refused, and everything else is a
SQLite file path (`sandbox.store.sqlite`). Both hand the same `UnitOfWork` to the same table
modules, through the same group commit (`sandbox.store.writer`: on the store's thread for
PostgreSQL, on the event loop's for SQLite).

`commit(fn, *args, world=...)` runs `fn(uow, *args)` as one transaction and then wakes the
workers for what it queued: the dispatcher for new deliveries, the timer runner for a new
earliest timer. `read(fn, *args, world=...)` runs `fn(uow, *args)` outside any transaction.
Watchers registered with `watch` are called for this process's commits and, on a database shared
by several processes (PostgreSQL replicas), for the other processes' commits too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from sandbox.store.uow import UnitOfWork
from sandbox.store.writer import COMMIT, READ, Dialect, Writer
from sandbox.worlds import DEFAULT

T = TypeVar("T")

POSTGRES_SCHEMES = ("postgresql", "postgres")


def new_replica_id() -> str:
    """An id for a process serving the database (its claims and attempts carry it)."""
    return "rep_" + uuid.uuid4().hex[:12]


class SchemaMismatch(RuntimeError):
    """The database was made by another version of the sandbox."""


class UnsupportedDatabase(ValueError):
    """`--db` names a URL scheme the sandbox cannot open."""


def is_postgres(db: str) -> bool:
    """True for a `postgresql://` or `postgres://` URL."""
    return urlsplit(db).scheme in POSTGRES_SCHEMES and "://" in db


def check_db(db: str) -> None:
    """Refuse a URL of another scheme (`mysql://…`): a URL is never opened as a file path."""
    scheme = urlsplit(db).scheme
    if "://" in db and scheme not in POSTGRES_SCHEMES:
        raise UnsupportedDatabase(f"unsupported database URL scheme {scheme!r}: give a SQLite file path or a "
                                  "postgresql://user:password@host:port/dbname URL")


def masked(url: str) -> str:
    """The URL with its password replaced by `***` (for the banner and `/_sandbox/config`)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


class Store:
    """The connection every module writes through, and the workers its commits wake."""

    dialect: Dialect
    #: The backends by kind (`sqlite`, `postgres`); each registers itself by subclassing with `kind=`.
    _kinds: dict[str, type[Store]] = {}

    def __init_subclass__(cls, *, kind: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if kind is not None:
            Store._kinds[kind] = cls

    def __init__(self, conn: Any, writer: Writer, path: str) -> None:
        self._conn = conn
        self._writer = writer
        #: This process's id among the processes serving the database (claims and attempts carry it).
        self.replica = new_replica_id()
        #: What `--db` said (a SQLite path, or a PostgreSQL URL).
        self.path = path
        self._on_deliveries: list[Callable[[str, int | None], None]] = []
        self._on_job: list[Callable[[str, int], None]] = []
        self._on_world: list[Callable[[str], None]] = []
        self._on_committed_world: list[Callable[[str], None]] = []

    @classmethod
    async def open(cls, db: str) -> Store:
        """Open `db`: a PostgreSQL URL, else a SQLite file (`:memory:` for a throwaway one)."""
        check_db(db)
        return await Store._kinds["postgres" if is_postgres(db) else "sqlite"].open(db)

    @property
    def shared(self) -> bool:
        """True when other processes may use the same database (replicas)."""
        return self.dialect.shared

    async def close(self) -> None:
        """Close the connection (after any unit of work still queued) and stop the thread."""
        await self._writer.call(self._conn.close)
        self._writer.stop()

    def watch(self, *, deliveries: Callable[[str, int | None], None] | None = None,
              jobs: Callable[[str, int], None] | None = None, worlds: Callable[[str], None] | None = None,
              committed_worlds: Callable[[str], None] | None = None) -> None:
        """Call `deliveries(world, earliest due ms or None)` after a commit that queued deliveries,
        `jobs(world, earliest due ms)` after one that added timers, `worlds(world)` when another
        process changed a world's record, clock, endpoints or fault rules, and `committed_worlds(world)`
        when a commit of this process did (the delivery process is told so)."""
        if deliveries is not None:
            self._on_deliveries.append(deliveries)
        if jobs is not None:
            self._on_job.append(jobs)
        if worlds is not None:
            self._on_world.append(worlds)
        if committed_worlds is not None:
            self._on_committed_world.append(committed_worlds)

    async def commit(self, fn: Callable[..., T], *args: Any, world: str = DEFAULT, replica: str | None = None) -> T:
        """Run `fn(uow, *args)` as one transaction in `world`; then wake what it queued. Rolled back if it raises.

        It may share its COMMIT with other units of work (group commit); it returns only after that
        COMMIT did. `replica` names the process the work is done for when it is not this one (the
        delivery process's claims and attempts carry its own id).
        """
        uow = UnitOfWork(self._conn, world, self.dialect, writing=True, replica=replica or self.replica)
        result = await self._writer.submit(COMMIT, fn, uow, args)
        for queued_world, due_ms in uow.queued_deliveries.items():
            self.deliveries_queued(queued_world, due_ms)
        for queued_world, due_ms in uow.queued_jobs.items():
            self.job_queued(queued_world, due_ms)
        if self._on_committed_world:
            for changed in uow.changed_worlds:
                for notice in self._on_committed_world:
                    notice(changed)
        return result

    async def read(self, fn: Callable[..., T], *args: Any, world: str = DEFAULT, replica: str | None = None) -> T:
        """Run `fn(uow, *args)` in `world` without a transaction (for reads), in turn with the writes."""
        uow = UnitOfWork(self._conn, world, self.dialect, replica=replica or self.replica)
        return await self._writer.submit(READ, fn, uow, args)

    # --- waking the watchers (this process's commits, and other processes' notifications) -------

    def deliveries_queued(self, world: str, due_ms: int | None) -> None:
        for wake in self._on_deliveries:
            wake(world, due_ms)

    def job_queued(self, world: str, due_ms: int) -> None:
        for notice in self._on_job:
            notice(world, due_ms)

    def world_changed(self, world: str) -> None:
        for changed in self._on_world:
            changed(world)
