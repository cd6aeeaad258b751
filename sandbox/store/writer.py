"""The store's group commit, the same for every backend, run on the store's worker thread
(`Writer`, PostgreSQL) or on the event loop's own thread (`LoopWriter`, SQLite).

Every unit of work runs on one thread at a time over the connection, in the order it was asked
for, so two units of work of one process can never interleave. Every commit waiting (up to
`GROUP_MAX`) is taken into one transaction, each unit of work inside its own SAVEPOINT (a group
of one needs none: its transaction is its rollback). A unit of work that raises is rolled back
to its savepoint alone and its caller gets the exception; the others go on. Where the
connection counts the rows it changed (SQLite), a group runs without savepoints at first,
because keeping one per unit of work made SQLite copy every page each one changed: a unit of
work that fails having changed no row (a create refused as a duplicate, say) leaves nothing to
undo, and the rare one that fails after writing has the whole group rolled back and run again
with a savepoint each (as a database's victim is, below). Every caller is answered only after
the shared COMMIT returned, so a caller that got its result (an API that answered 201) knows its
rows are committed; if the COMMIT itself fails, every unit of work in the group gets that error.
Under load this turns N commits (and, on the thread, N thread hops) into one of each; alone, a
commit is a group of one. Reads never join a group: they run between transactions, so they
never see rows that are not committed yet.

What differs between backends is passed in as a `Dialect`: the statement that opens a write
transaction, what runs just before COMMIT (PostgreSQL queues its notifications there, so they go
out exactly when the rows become visible), and which errors mean "the database chose this
transaction as a victim, run it again" (PostgreSQL's deadlock and serialization failures: the
group is re-run from scratch with fresh units of work, nothing of the failed try is kept).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: The most units of work one group commit takes (bounds the latency a big burst adds to each).
GROUP_MAX = 256
#: The same on the event loop's thread, where a group is a stretch the loop does nothing else: the
#: backlog a checkpoint leaves (a quarter second of creates) taken 256 at a time held the loop for
#: 30–50 ms, and webhooks due meanwhile went out that late. 32 is more than a closed loop of 32
#: clients ever queues at once.
LOOP_GROUP_MAX = 32
#: How many more passes of the loop a commit held there waits before its group runs. The requests
#: read in one pass reach their commit a pass or two later (each handler is a task of its own, and
#: some await before they commit): waiting two passes takes them into one group, 15 creates under
#: `bench_create`'s load instead of 8, so half as many COMMITs, each writing pages the group shares
#: (2–5% more creates/s, 5–6% less CPU per create, side by side: bench/README.md). A pass of a
#: loop with nothing else to do takes microseconds, so a lone request hardly waits.
GATHER_PASSES = 2
#: How often a group the database aborted as a deadlock or serialization victim is tried again.
RETRIES = 5

COMMIT, READ, CALL, STOP = "commit", "read", "call", "stop"


@dataclass(frozen=True)
class Dialect:
    """What a backend's SQL and transactions differ in; the table modules read the lock clauses."""

    name: str
    #: Opens a write transaction (SQLite takes the write lock up front, so no upgrade can fail later).
    begin: str = "BEGIN"
    #: Appended to a SELECT of rows a write transaction is about to change (row locks), or "".
    for_update: str = ""
    #: Appended to a SELECT that claims work several processes may race for, or "".
    skip_locked: str = ""
    #: True when several processes share the database (work is claimed, not simply taken).
    shared: bool = False
    #: Errors after which a whole group is run again (deadlock / serialization victims).
    retry_on: tuple[type[BaseException], ...] = ()
    #: Called with the group's units of work just before COMMIT (PostgreSQL: NOTIFY).
    before_commit: Callable[[list], None] | None = None
    #: True when `UnitOfWork.changes()` counts the rows the connection changed (SQLite): a group
    #: then runs without savepoints until a unit of work fails after changing some.
    counts_changes: bool = False


class Writer:
    """The worker thread: runs queued work in order, grouping consecutive commits into one transaction."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="store", daemon=True)
        self._thread.start()

    def submit(self, kind: str, fn: Callable, uow: Any, args: tuple) -> asyncio.Future:
        """Queue work for the thread; the future is settled on the caller's loop."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put([kind, fn, uow, args, loop, future])
        return future

    def call(self, fn: Callable, *args: Any) -> asyncio.Future:
        """Run a plain `fn(*args)` on the thread (connect, close)."""
        return self.submit(CALL, fn, None, args)

    def run_soon(self, fn: Callable, *args: Any) -> None:
        """Queue a plain `fn(*args)` from any thread, nobody waiting for it (its outcome is dropped)."""
        self._queue.put([CALL, fn, None, args, None, None])

    def stop(self) -> None:
        """End the thread once the work queued before this call has run."""
        self._queue.put([STOP, None, None, (), None, None])

    def _run(self) -> None:
        pending = None
        while True:
            item = pending or self._queue.get()
            pending = None
            kind = item[0]
            if kind == STOP:
                return
            if kind != COMMIT:
                _settle([(item, *_outcome(item))])
                continue
            group = [item]
            while len(group) < GROUP_MAX:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt[0] != COMMIT:
                    pending = nxt   # a read or a stop waits for this group's COMMIT
                    break
                group.append(nxt)
            _settle(self._commit_group(group))

    def _commit_group(self, group: list[list]) -> list[tuple]:
        savepoints = False
        for attempt in range(RETRIES + 1):
            results = _group_commit(group, self._dialect, savepoints)
            failed = results[0][2] if results and not results[0][1] else None
            whole = failed is not None and all(not ok and value is failed for _, ok, value in results)
            undo = whole and isinstance(failed, _Undo)
            if not (undo or whole and isinstance(failed, self._dialect.retry_on)) or attempt == RETRIES:
                return results
            # Nothing of the try was kept: run every unit of work again, each in a savepoint when one
            # of them has to be undone alone, as it is when the database chose the group as a victim.
            savepoints = savepoints or undo
            for item in group:
                item[2].restart()
        return results  # pragma: no cover (the loop always returns)


class LoopWriter(Writer):
    """Runs the work on the event loop's own thread; only what may block goes to the store's thread.

    For SQLite, where a statement is CPU work in this process (no network between it and the
    data), handing each unit of work to a thread and its answer back cost more than the work: two
    thread hops per group, and the loop and the thread contending for one GIL on every statement.
    Here a unit of work queued by `submit` runs on the loop itself, grouped as on the thread
    (consecutive commits in one transaction, answered after the COMMIT), one group of at most
    `LOOP_GROUP_MAX` per pass so requests keep being read, and timers keep firing, between groups.
    A read runs at the loop's next pass; a commit `GATHER_PASSES` passes after that, so that the
    commits of the requests read together join its group.

    What may block for long runs on the store's thread instead, in the same order: plain calls
    (opening and closing the connection, and `run_soon`'s work, the checkpointer's last copy with
    its syncs), and every group while `offload()` is true (SQLite: while a checkpoint runs, when a
    COMMIT's WAL write can wait on the file system behind the checkpoint's fsync). Meanwhile new
    work waits here, and runs on the loop again once the thread has finished what it was given,
    so two units of work still never interleave and each runs in the order it was asked for.
    """

    def __init__(self, dialect: Dialect, offload: Callable[[], bool] = lambda: False) -> None:
        super().__init__(dialect)
        #: True while groups should run on the store's thread rather than on the loop.
        self.offload = offload
        self._held: deque[list] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduled = False   # a pass of `_flush` is due on the loop
        self._away = False        # the store's thread holds work given to it: nothing runs here meanwhile

    def submit(self, kind: str, fn: Callable, uow: Any, args: tuple) -> asyncio.Future:
        """Queue work for the loop's next pass (or the store's thread); the future is settled on this loop.

        The store serves one running loop: work from a second one, while the first still runs,
        is refused (run on the first's thread, it would race it for the connection).
        """
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            if self._loop is not None and self._loop.is_running():
                raise RuntimeError("this SQLite store serves the event loop it is used on; open another for this one")
            self._loop = loop
        future = loop.create_future()
        self._hold([kind, fn, uow, args, loop, future])
        return future

    def run_soon(self, fn: Callable, *args: Any) -> None:
        """Queue a plain `fn(*args)` from any thread, nobody waiting for it: it runs on the store's
        thread, after the work queued before it."""
        item = [CALL, fn, None, args, None, None]
        if self._loop is None:
            super().run_soon(fn, *args)   # nothing was ever queued here: nothing to keep the order with
            return
        try:
            self._loop.call_soon_threadsafe(self._hold, item)
        except RuntimeError:   # the loop is closed: the store is gone with it
            pass

    def _hold(self, item: list) -> None:
        self._held.append(item)
        if not (self._scheduled or self._away):
            self._scheduled = True
            self._loop.call_soon(self._gather, GATHER_PASSES if item[0] == COMMIT else 0)

    def _gather(self, passes: int) -> None:
        """Let the loop run `passes` more passes, then `_flush`."""
        if passes:
            self._loop.call_soon(self._gather, passes - 1)
        else:
            self._flush()

    def _flush(self) -> None:
        """One pass: run the first group (or read) held here, or send everything held to the thread."""
        self._scheduled = False
        held = self._held
        if not held or self._away:
            return
        if held[0][0] not in (COMMIT, READ) or self.offload():
            self._send_away()
            return
        item = held.popleft()
        if item[0] == READ:
            _resolve_here([(item, *_outcome(item))])
        else:
            group = [item]
            while held and held[0][0] == COMMIT and len(group) < LOOP_GROUP_MAX:
                group.append(held.popleft())
            _resolve_here(self._commit_group(group))
        if held and not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._flush)

    def _send_away(self) -> None:
        """Give the store's thread everything held, then a note that brings the work back here."""
        self._away = True
        loop = self._loop
        while self._held:
            self._queue.put(self._held.popleft())
        self._queue.put([CALL, loop.call_soon_threadsafe, None, (self._back,), None, None])

    def _back(self) -> None:
        self._away = False
        if self._held and not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._flush)


def _outcome(item: list) -> tuple[bool, Any]:
    kind, fn, uow, args = item[:4]
    try:
        return True, (fn(*args) if kind == CALL else fn(uow, *args))
    except BaseException as exc:  # handed to the caller, never lost in the thread
        return False, exc


class _Undo(Exception):
    """A unit of work of a group without savepoints failed after changing rows (`_commit_group`
    runs the group again, each unit of work in a savepoint)."""


def _group_commit(group: list[list], dialect: Dialect, savepoints: bool = False) -> list[tuple]:
    """Run the units of work inside one transaction, each in its own savepoint unless the changed
    rows are counted (and never when alone); results after the COMMIT."""
    results = []
    first = group[0][2]   # every unit of work of a group runs over the one connection
    # A unit of work alone needs no savepoint: its rollback is the transaction's. That is two
    # statements fewer for every commit of a quiet server (on PostgreSQL, two round trips).
    alone = len(group) == 1
    counted = not alone and not savepoints and dialect.counts_changes
    marked = not alone and not counted
    try:
        first.execute(dialect.begin)
        for item in group:
            uow = item[2]
            if marked:
                uow.execute("SAVEPOINT uow")
            changed = uow.changes() if counted else 0
            ok, value = _outcome(item)
            if isinstance(value, dialect.retry_on) or (alone and not ok):
                raise value   # the whole transaction is lost (or is this one's alone), not only a savepoint
            if marked:
                uow.execute("RELEASE uow" if ok else "ROLLBACK TO uow")
                if not ok:
                    uow.execute("RELEASE uow")
            elif counted and not ok and uow.changes() != changed:
                raise _Undo()   # its rows go only with the others': the group runs again, with savepoints
            results.append((item, ok, value))
        if dialect.before_commit is not None:
            dialect.before_commit([item[2] for item, ok, _ in results if ok])
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
        if item[4] is not None:   # None: queued by `run_soon`, nobody waits
            by_loop.setdefault(item[4], []).append((item[5], ok, value))
    for loop, settled in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, settled)
        except RuntimeError:  # the caller's loop is closed: nobody is waiting any more
            pass


def _resolve_here(results: list[tuple]) -> None:
    """Settle the futures of work run on their own loop's thread."""
    _resolve([(item[5], ok, value) for item, ok, value in results])


def _resolve(settled: list[tuple]) -> None:
    for future, ok, value in settled:
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
