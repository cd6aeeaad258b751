"""Group commit: units of work queued together share one COMMIT but keep their own rollback.

The store's thread takes every commit waiting in its queue into one transaction, each unit of
work in its own savepoint. These tests queue many at once on a real database and check what a
second connection (another process's view) sees afterwards.
"""

from __future__ import annotations

import asyncio

import pytest

from sandbox.store import Store
from sandbox.store.writer import GATHER_PASSES, LOOP_GROUP_MAX
from tests.support import db_url, query


def _put(uow, key: str, fail: bool = False) -> str:
    uow.meta.set(key, {"k": key})
    if fail:
        raise ValueError(f"{key} refused")
    return key


async def test_a_failing_unit_of_work_in_a_group_rolls_back_alone(tmp_path):
    """Fifty commits queued together: the one that raises leaves no row, the 49 others are committed."""
    db = db_url(tmp_path, "g.db")
    store = await Store.open(db)
    try:
        outcomes = await asyncio.gather(*(store.commit(_put, f"k{n}", n == 17) for n in range(50)),
                                        return_exceptions=True)
    finally:
        await store.close()
    assert isinstance(outcomes[17], ValueError)
    assert [o for n, o in enumerate(outcomes) if n != 17] == [f"k{n}" for n in range(50) if n != 17]
    keys = {row[0] for row in query(db, "SELECT key FROM meta WHERE key LIKE 'k%'")}
    assert keys == {f"k{n}" for n in range(50) if n != 17}


async def test_a_unit_of_work_refused_before_writing_costs_the_others_nothing(tmp_path):
    """Thirty commits queued together, one refused after only reading (a duplicate, say): the 29
    others are committed, and every unit of work ran exactly once (nothing was run again)."""
    db = db_url(tmp_path, "g.db")
    store = await Store.open(db)
    runs: dict[str, int] = {}

    def put_or_refuse(uow, key: str) -> str:
        runs[key] = runs.get(key, 0) + 1
        if uow.meta.get("taken") is None and key == "k11":
            raise ValueError("k11 refused")
        return _put(uow, key)

    try:
        outcomes = await asyncio.gather(*(store.commit(put_or_refuse, f"k{n}") for n in range(30)),
                                        return_exceptions=True)
    finally:
        await store.close()
    assert isinstance(outcomes[11], ValueError)
    assert [o for n, o in enumerate(outcomes) if n != 11] == [f"k{n}" for n in range(30) if n != 11]
    assert runs == {f"k{n}": 1 for n in range(30)}
    keys = {row[0] for row in query(db, "SELECT key FROM meta WHERE key LIKE 'k%'")}
    assert keys == {f"k{n}" for n in range(30) if n != 11}


async def test_a_failing_unit_of_work_alone_leaves_nothing_and_the_next_commits(tmp_path):
    """A commit that writes and then raises, with nothing else queued (no savepoint): its caller gets
    the error, none of its rows stay, and the next commit on the same store lands."""
    db = db_url(tmp_path, "g.db")
    store = await Store.open(db)
    try:
        with pytest.raises(ValueError, match="alone refused"):
            await store.commit(_put, "alone", True)
        assert await store.commit(_put, "after") == "after"
    finally:
        await store.close()
    keys = {row[0] for row in query(db, "SELECT key FROM meta WHERE key IN ('alone', 'after')")}
    assert keys == {"after"}


async def test_every_commit_is_answered_only_once_another_connection_sees_it(tmp_path):
    """As soon as a commit returns, a separate connection to the file reads its row (it is committed)."""
    db = db_url(tmp_path, "g.db")
    store = await Store.open(db)
    seen = []

    async def commit_then_look(n: int) -> None:
        await store.commit(_put, f"c{n}")
        seen.append(query(db, "SELECT COUNT(*) FROM meta WHERE key = ?", (f"c{n}",))[0][0])

    try:
        await asyncio.gather(*(commit_then_look(n) for n in range(40)))
    finally:
        await store.close()
    assert seen == [1] * 40


async def test_a_read_queued_behind_a_group_sees_its_commits(tmp_path):
    """A read asked for after commits runs after their COMMIT and sees their rows."""
    db = db_url(tmp_path, "g.db")
    store = await Store.open(db)
    try:
        writes = [store.commit(_put, f"r{n}") for n in range(20)]
        count = store.read(lambda uow: uow.one("SELECT COUNT(*) AS n FROM meta WHERE key LIKE 'r%'")["n"])
        *_, counted = await asyncio.gather(*writes, count)
    finally:
        await store.close()
    assert counted == 20


@pytest.mark.sqlite_only
async def test_a_second_running_loop_is_refused_not_raced(tmp_path):
    """The SQLite store runs its work on the loop it is used on: another loop, running in another
    thread at the same time, gets a clear error instead of sharing the connection unguarded."""
    import threading

    db = db_url(tmp_path, "g.db")
    store = await Store.open(db)
    errors: list[BaseException] = []

    def elsewhere() -> None:
        try:
            asyncio.run(store.commit(_put, "other"))
        except RuntimeError as exc:
            errors.append(exc)

    try:
        worker = threading.Thread(target=elsewhere)
        worker.start()
        worker.join()
        assert await store.commit(_put, "here") == "here"
    finally:
        await store.close()
    assert len(errors) == 1 and "serves the event loop" in str(errors[0])
    assert {row[0] for row in query(db, "SELECT key FROM meta WHERE key IN ('other', 'here')")} == {"here"}


async def test_work_queued_from_another_thread_runs_in_order_and_its_failure_is_dropped(tmp_path):
    """`Writer.run_soon` (the checkpointer's catch-up) runs on the store's thread, in the order it
    was queued; one that raises is dropped and the thread goes on serving commits."""
    import threading

    store = await Store.open(db_url(tmp_path, "g.db"))
    ran = []

    def note(tag: str) -> None:
        ran.append((tag, threading.current_thread().name))
        if tag == "boom":
            raise RuntimeError("dropped")

    try:
        first = store.commit(_put, "before")
        worker = threading.Thread(target=lambda: (store._writer.run_soon(note, "boom"),
                                                  store._writer.run_soon(note, "ok")))
        worker.start()
        worker.join()
        assert await first == "before"
        assert await store.commit(_put, "after") == "after"
    finally:
        await store.close()
    assert ran == [("boom", "store"), ("ok", "store")]


@pytest.mark.sqlite_only
async def test_a_backlog_on_the_loop_is_committed_a_bounded_group_at_a_time_with_the_loop_running_between(tmp_path):
    """A hundred commits queued at once (the backlog a checkpoint leaves) run on the event loop's
    thread in groups of at most `LOOP_GROUP_MAX`, each its own COMMIT, and the loop's other
    callbacks (a webhook's timer, say) run between two groups rather than after all of them."""
    store = await Store.open(str(tmp_path / "g.db"))
    loop, events = asyncio.get_running_loop(), []

    def tick() -> None:
        events.append("tick")
        if ticking:
            loop.call_soon(tick)

    try:
        store.trace(lambda sql: events.append("COMMIT") if sql == "COMMIT" else None)
        ticking = True
        writes = [store.commit(_put, f"b{n}") for n in range(100)]
        loop.call_soon(tick)
        assert await asyncio.gather(*writes) == [f"b{n}" for n in range(100)]
        ticking = False
        store.trace(None)
    finally:
        await store.close()
    commits = [n for n, event in enumerate(events) if event == "COMMIT"]
    assert len(commits) == -(-100 // LOOP_GROUP_MAX)
    assert all("tick" in events[a:b] for a, b in zip(commits, commits[1:], strict=False))


@pytest.mark.sqlite_only
async def test_commits_asked_for_a_pass_of_the_loop_apart_share_one_group(tmp_path):
    """Handlers of requests read together reach their commit a pass or two apart: commits asked for
    in consecutive passes of the loop, up to `GATHER_PASSES` of them, are one transaction (one
    COMMIT), and each is still answered with its own result."""
    store = await Store.open(str(tmp_path / "g.db"))
    commits: list[str] = []

    async def later(passes: int) -> str:
        for _ in range(passes):
            await asyncio.sleep(0)   # one pass of the loop
        return await store.commit(_put, f"p{passes}")

    try:
        store.trace(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
        assert await asyncio.gather(*(later(n) for n in range(GATHER_PASSES))) == \
            [f"p{n}" for n in range(GATHER_PASSES)]
        store.trace(None)
    finally:
        await store.close()
    assert GATHER_PASSES >= 2
    assert commits == ["COMMIT"]
