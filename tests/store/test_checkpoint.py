"""SQLite checkpoints run on their own thread, not inside a COMMIT, and lose nothing."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading

import pytest

from sandbox.store import Store, sqlite
from tests.support import until


def _add_intents(uow, start: int, count: int) -> None:
    for n in range(start, start + count):
        uow.intents.insert("liqx", f"lqi_{n}", f"ref-{n}", "CREATED", None, {"n": n, "pad": "x" * 500}, 0)


async def test_commits_leave_checkpoints_to_the_background_thread(tmp_path, monkeypatch):
    """The store's connection never checkpoints by itself; the checkpointer copies the WAL into the file."""
    monkeypatch.setattr(sqlite, "CHECKPOINT_EVERY_S", 0.05)
    path = tmp_path / "ckpt.db"
    store = await Store.open(str(path))
    try:
        assert await store.read(lambda uow: uow.one("PRAGMA wal_autocheckpoint")[0]) == 0
        size_before = os.path.getsize(path)
        for start in range(0, 600, 100):
            await store.commit(_add_intents, start, 100)
        # 600 rows of half a kilobyte are several hundred kilobytes: only a checkpoint puts them in the file.
        assert await until(lambda: os.path.getsize(path) > size_before + 200_000)
        # Every committed row is readable through a fresh connection, WAL and file together.
        with sqlite3.connect(path) as other:
            assert other.execute("SELECT COUNT(*) FROM intents").fetchone()[0] == 600
    finally:
        await store.close()
    assert not any(t.name == "store-checkpoint" and t.is_alive() for t in threading.enumerate())


async def test_a_memory_database_has_no_checkpointer():
    """`:memory:` has no WAL file to checkpoint: no thread is started for it."""
    store = await Store.open(":memory:")
    try:
        assert store._checkpointer is None
        await store.commit(_add_intents, 0, 3)
        assert await store.read(lambda uow: uow.one("SELECT COUNT(*) FROM intents")[0]) == 3
    finally:
        await store.close()


@pytest.mark.sqlite_only
async def test_the_wal_starts_over_under_writes_that_never_pause(tmp_path, monkeypatch):
    """Commits always in flight: once past its limit the WAL is made to start over and cut back,
    instead of growing with every commit (without this it reached 48-55 MB here, and 1.4 GB in
    a minute of creates)."""
    limit = 256 * 1024
    monkeypatch.setattr(sqlite, "CHECKPOINT_EVERY_S", 0.05)
    monkeypatch.setattr(sqlite, "WAL_LIMIT_BYTES", limit)
    path = tmp_path / "wal.db"
    store = await Store.open(str(path))
    sizes = []

    async def writer(first: int) -> None:
        for start in range(first, first + 10_000, 100):
            await store.commit(_add_intents, start, 100)
            sizes.append(os.path.getsize(f"{path}-wal"))

    try:
        await asyncio.gather(*(writer(n * 10_000) for n in range(4)))
        count = await store.read(lambda uow: uow.one("SELECT COUNT(*) FROM intents")[0])
    finally:
        await store.close()
    assert count == 40_000   # every commit kept
    # The file only shrinks when the WAL starts over and is cut back: 16-38 times in a run here,
    # and never without the restart (the WAL then grew with every commit).
    cut_backs = sum(1 for before, after in zip(sizes, sizes[1:], strict=False) if after < before)
    assert cut_backs >= 5, sizes
    # Between two cut-backs it grows for as long as a checkpoint takes: 2-5 MB here, 11.8 MB once
    # in a full CI run (two test workers sharing the machine). Never starting over, it held
    # 24-48 MB over the second half.
    bound = 20 * 1024 * 1024
    assert max(sizes[len(sizes) // 2:]) < bound, max(sizes)
    assert sizes[-1] < bound
