"""The unit of work: one transaction's statements, its table families, and what it queued.

A unit of work is handed to a plain synchronous function `fn(uow, ...)` that the store runs as one
transaction (`Store.commit`) or as a read (`Store.read`). The function reaches the tables through
typed attributes (`uow.intents.get(...)`, `uow.jobs.add(...)`), never through a bare connection.
While it runs, the tables note what the transaction gave the background workers to do — new
deliveries, the earliest new timer — and after the commit the store wakes exactly those.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import Any

from sandbox.store.attempts import Attempts
from sandbox.store.deliveries import Deliveries
from sandbox.store.events import Events
from sandbox.store.faults import Faults
from sandbox.store.grades import Grades
from sandbox.store.idempotency import Idempotency
from sandbox.store.intents import Intents
from sandbox.store.jobs import Jobs
from sandbox.store.meta import Meta
from sandbox.store.receipts import Receipts
from sandbox.store.sessions import Sessions
from sandbox.store.timeline import Timeline

#: What a reset deletes, children before parents (the foreign keys would cascade anyway; deleting
#: children first keeps each cascade empty). Tables with a provider column are reset per provider.
_RESET_ORDER = ("attempts", "deliveries", "events", "timeline", "jobs", "sessions", "intent_keys", "fault_log",
                "intents", "faults", "idempotency", "receipts", "grades")


class UnitOfWork:
    """One transaction (or read) over the store's connection, with the table families as attributes."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        #: Set when the transaction queued a delivery that may be due: the dispatcher gets woken.
        self.queued_deliveries = False
        #: The earliest due time of a timer the transaction added: the timer runner gets told.
        self.earliest_job_ms: int | None = None

    # --- statements (for the table modules) -----------------------------------------------------

    def execute(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """Run one statement; returns the backend's cursor (`rowcount`, `lastrowid`)."""
        return self._conn.execute(sql, tuple(params))

    def many(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        """Run one statement for each parameter row."""
        self._conn.executemany(sql, rows)

    def one(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """The first row of a query, or None."""
        return self._conn.execute(sql, tuple(params)).fetchone()

    def all(self, sql: str, params: Iterable[Any] = ()) -> list:
        """Every row of a query."""
        return self._conn.execute(sql, tuple(params)).fetchall()

    # --- what the transaction queued --------------------------------------------------------------

    def queue_delivery(self) -> None:
        """A delivery row became due (or may soon): wake the dispatcher after the commit."""
        self.queued_deliveries = True

    def queue_job(self, due_ms: int) -> None:
        """A timer was added: tell the timer runner after the commit if it is the earliest."""
        if self.earliest_job_ms is None or due_ms < self.earliest_job_ms:
            self.earliest_job_ms = due_ms

    # --- the table families ----------------------------------------------------------------------

    @cached_property
    def meta(self) -> Meta:
        return Meta(self)

    @cached_property
    def intents(self) -> Intents:
        return Intents(self)

    @cached_property
    def timeline(self) -> Timeline:
        return Timeline(self)

    @cached_property
    def events(self) -> Events:
        return Events(self)

    @cached_property
    def deliveries(self) -> Deliveries:
        return Deliveries(self)

    @cached_property
    def attempts(self) -> Attempts:
        return Attempts(self)

    @cached_property
    def jobs(self) -> Jobs:
        return Jobs(self)

    @cached_property
    def faults(self) -> Faults:
        return Faults(self)

    @cached_property
    def grades(self) -> Grades:
        return Grades(self)

    @cached_property
    def receipts(self) -> Receipts:
        return Receipts(self)

    @cached_property
    def idempotency(self) -> Idempotency:
        return Idempotency(self)

    @cached_property
    def sessions(self) -> Sessions:
        return Sessions(self)

    # --- the whole state --------------------------------------------------------------------------

    def reset(self, provider: str | None) -> None:
        """Forget all state, or one provider's; what hangs off a deleted row goes with it."""
        for table in _RESET_ORDER:
            if provider is None:
                self.execute(f"DELETE FROM {table}")
            elif table == "attempts":
                self.execute("DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE provider = ?)",
                             (provider,))
            else:
                self.execute(f"DELETE FROM {table} WHERE provider = ?", (provider,))
