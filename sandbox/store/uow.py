"""The unit of work: one transaction's statements, its table families, and what it queued.

A unit of work is handed to a plain synchronous function `fn(uow, ...)` that the store runs as one
transaction (`Store.commit`) or as a read (`Store.read`). The function reaches the tables through
typed attributes (`uow.intents.get(...)`, `uow.jobs.add(...)`), never through a bare connection.
While it runs, the tables note what the transaction gave the background workers to do — new
deliveries, the earliest new timer — and after the commit the store wakes exactly those.

A unit of work belongs to one world (SPEC §12): every statement of the table modules reads and
writes only that world's rows (`uow.world`), so isolation is a property of the store, not of
each caller's care.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sandbox.store.attempts import Attempts
from sandbox.store.base import dumps, loads
from sandbox.store.deliveries import Deliveries
from sandbox.store.events import Events
from sandbox.store.faults import Faults
from sandbox.store.grades import Grades
from sandbox.store.idempotency import Idempotency
from sandbox.store.intents import Intents
from sandbox.store.jobs import Jobs
from sandbox.store.meta import Meta
from sandbox.store.receipts import Receipts
from sandbox.store.replicas import Replicas
from sandbox.store.sessions import Sessions
from sandbox.store.timeline import Timeline
from sandbox.store.writer import Dialect

SQLITE = Dialect("sqlite", begin="BEGIN IMMEDIATE", counts_changes=True)

#: What a reset deletes, children before parents (the foreign keys would cascade anyway; deleting
#: children first keeps each cascade empty). Tables with a provider column are reset per provider.
#: The timeline and sessions have no index by world (theirs lead with the intent's key, see
#: `schema.sql`): they go with their intents, each intent's rows found by that index.
_RESET_ORDER = ("attempts", "deliveries", "events", "jobs", "intent_keys", "fault_log",
                "intents", "faults", "idempotency", "receipts", "grades")


class UnitOfWork:
    """One transaction (or read) over the store's connection, with the table families as attributes."""

    def __init__(self, conn: Any, world: str, dialect: Dialect = SQLITE, *, writing: bool = False,
                 replica: str = "") -> None:
        self._conn = conn
        #: The process running this unit of work (claims and attempts carry it).
        self.replica = replica
        self._dialect = dialect
        self._writing = writing
        self._first_world = world
        #: The world every statement of this unit of work is confined to. A worker recording the
        #: outcomes of several worlds in one transaction sets it before each (`in_world`).
        self.world = world
        #: Worlds that got deliveries which may be due, with the earliest due time where known
        #: (None: unknown): the dispatcher is told after the commit.
        self.queued_deliveries: dict[str, int | None] = {}
        #: Worlds that got timers, with the earliest due time: the timer runner is told after the commit.
        self.queued_jobs: dict[str, int] = {}
        #: Worlds whose record, clock, endpoints or fault rules this transaction changed: other
        #: processes sharing the database are told after the commit.
        self.changed_worlds: set[str] = set()

    def restart(self) -> None:
        """Forget what a transaction the database threw away had queued, before it runs again."""
        self.world = self._first_world
        self.queued_deliveries.clear()
        self.queued_jobs.clear()
        self.changed_worlds.clear()

    # --- what differs between databases -----------------------------------------------------------

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgres`."""
        return self._dialect.name

    @property
    def for_update(self) -> str:
        """Appended to a SELECT of rows this transaction will change: a row lock where other processes
        share the database ("" in a read, and on SQLite, whose one writer needs none)."""
        return self._dialect.for_update if self._writing else ""

    def skip_locked(self, of: str | None = None) -> str:
        """Appended to a SELECT that claims work (rows of table alias `of`): rows another process is
        claiming are skipped, not waited for."""
        if not (self._writing and self._dialect.skip_locked):
            return ""
        return f" FOR UPDATE OF {of} SKIP LOCKED" if of else self._dialect.skip_locked

    def serialize(self, name: str) -> None:
        """Hold a lock named `name` until this transaction ends, so processes sharing the database run
        this critical section one at a time (SQLite's one writer already does)."""
        if self._writing and self._dialect.shared:
            self.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (name,))

    # --- statements (for the table modules) -----------------------------------------------------

    def execute(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """Run one statement; returns the backend's cursor (`rowcount`, `lastrowid`)."""
        return self._conn.execute(sql, tuple(params))

    def many(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        """Run one statement for each parameter row."""
        self._conn.executemany(sql, rows)

    def changes(self) -> int:
        """Rows inserted, updated or deleted over the connection so far (SQLite's `total_changes`)."""
        return self._conn.total_changes

    def one(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """The first row of a query, or None."""
        return self._conn.execute(sql, tuple(params)).fetchone()

    def all(self, sql: str, params: Iterable[Any] = ()) -> list:
        """Every row of a query."""
        return self._conn.execute(sql, tuple(params)).fetchall()

    # --- what the transaction queued --------------------------------------------------------------

    def in_world(self, world: str) -> UnitOfWork:
        """Confine the following statements to `world` (returns self, for chaining)."""
        self.world = world
        return self

    def queue_delivery(self, due_ms: int | None = None) -> None:
        """A delivery row of this world is due at `due_ms` (None: unknown): tell the dispatcher after the commit."""
        known = self.queued_deliveries.get(self.world, due_ms)
        self.queued_deliveries[self.world] = None if known is None or due_ms is None else min(known, due_ms)

    def world_changed(self) -> None:
        """This world's record, clock, endpoints or fault rules changed: tell other processes after the commit."""
        self.changed_worlds.add(self.world)

    def queue_job(self, due_ms: int) -> None:
        """A timer of this world was added: tell the timer runner after the commit."""
        self.queued_jobs[self.world] = min(self.queued_jobs.get(self.world, due_ms), due_ms)

    # --- the table families ----------------------------------------------------------------------
    # Each use makes a fresh one (`uow.intents` is `Intents(uow)`). Families hold no state, and
    # keeping one in the unit of work would make a cycle (unit of work → family → unit of work)
    # that only the cyclic garbage collector could free: its collections were 5% of the create
    # path's time and its slowest pauses.

    meta = property(Meta)
    intents = property(Intents)
    timeline = property(Timeline)
    events = property(Events)
    deliveries = property(Deliveries)
    attempts = property(Attempts)
    jobs = property(Jobs)
    faults = property(Faults)
    grades = property(Grades)
    receipts = property(Receipts)
    idempotency = property(Idempotency)
    sessions = property(Sessions)
    replicas = property(Replicas)

    # --- the whole state --------------------------------------------------------------------------

    def reset(self, provider: str | None) -> None:
        """Forget all of this world's state, or one provider's; what hangs off a deleted row goes with it.

        Deleting a world is the same with no provider (then its `worlds` row goes too).
        """
        for table in _RESET_ORDER:
            if provider is None:
                self.execute(f"DELETE FROM {table} WHERE world = ?", (self.world,))
            elif table == "attempts":
                self.execute("DELETE FROM attempts WHERE world = ? AND delivery_id IN"
                             " (SELECT id FROM deliveries WHERE world = ? AND provider = ?)",
                             (self.world, self.world, provider))
            else:
                self.execute(f"DELETE FROM {table} WHERE world = ? AND provider = ?", (self.world, provider))

    # --- worlds (the default world is configured, not stored) -----------------------------------

    def save_world(self, record: dict, created_ms: int, expires_ms: int | None) -> None:
        """Keep (or replace) this unit of work's world record."""
        self.execute("INSERT INTO worlds (id, record, created_ms, expires_ms) VALUES (?, ?, ?, ?)"
                     " ON CONFLICT(id) DO UPDATE SET record = excluded.record", (self.world, dumps(record), created_ms,
                                                                              expires_ms))
        self.world_changed()

    def delete_world(self) -> None:
        """Delete this world: every row it owns in every table, then its record."""
        self.reset(None)
        self.meta.delete_world()
        self.execute("DELETE FROM worlds WHERE id = ?", (self.world,))
        self.world_changed()
    def world_record(self) -> dict | None:
        """This world's stored record, or None (never created, or deleted)."""
        row = self.one("SELECT record FROM worlds WHERE id = ?", (self.world,))
        return loads(row["record"]) if row else None

    def world_ids(self) -> list[str]:
        """The ids of every stored world."""
        return [row["id"] for row in self.all("SELECT id FROM worlds")]

    def world_records(self) -> list[dict]:
        """Every stored world record, oldest first."""
        return [loads(row["record"]) for row in self.all("SELECT record FROM worlds ORDER BY created_ms, id")]
