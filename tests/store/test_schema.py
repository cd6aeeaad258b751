"""The schema on both backends: a fresh database starts, foreign keys are enforced, an older one is refused."""

from __future__ import annotations

import sqlite3

import pytest

from sandbox.cli import main
from sandbox.store import SchemaMismatch, Store
from tests.support import db_url, query


def integrity_errors() -> tuple[type[Exception], ...]:
    """What each driver raises for a violated constraint."""
    import psycopg

    return sqlite3.IntegrityError, psycopg.IntegrityError


async def test_fresh_database_starts_with_foreign_keys_enforced(tmp_path):
    """A new file gets the schema; a timeline row for an intent that does not exist is refused."""
    store = await Store.open(db_url(tmp_path, "fresh.db"))
    try:
        with pytest.raises(integrity_errors(), match="(?i)FOREIGN KEY"):
            await store.commit(lambda uow: uow.timeline.add("liqx", "lqi_missing", "note", 0, {}))
        assert await store.read(lambda uow: uow.timeline.read("liqx", "lqi_missing")) == []
    finally:
        await store.close()


async def test_deleting_an_intent_takes_its_rows_along(tmp_path):
    """Timeline, keys, jobs, events, deliveries and attempts of a deleted intent go with it."""
    store = await Store.open(db_url(tmp_path, "cascade.db"))

    def make(uow):
        uow.intents.insert("rozo", "p1", "o1", "payment_unpaid", None, {}, 0, account="app", keys={"deposit": "a m"})
        uow.timeline.add("rozo", "p1", "transition", 0, {})
        uow.jobs.add("rozo", "p1", "expire", 10)
        uow.events.insert("e1", "rozo", "p1", "payment_payin_completed", "{}", 0)
        delivery = uow.deliveries.insert("e1", "rozo", "p1", None, None, "pending", "scheduled", 0, [], 0)
        uow.attempts.insert(delivery, "e1", 1, {"trigger": "scheduled", "url": None, "headers": {},
                                                "signature_input": None, "status": 500, "response": None,
                                                "duration_ms": 1.0, "error": None, "faults": []}, "{}", 0)

    try:
        await store.commit(make)
        await store.commit(lambda uow: uow.reset("rozo"))
        counts = await store.read(lambda uow: {t: uow.one(f"SELECT COUNT(*) AS n FROM {t}")["n"] for t in
                                               ("intent_keys", "timeline", "jobs", "events", "deliveries", "attempts")})
        assert counts == dict.fromkeys(counts, 0)
    finally:
        await store.close()


@pytest.mark.sqlite_only
async def test_database_of_another_version_is_refused(tmp_path):
    """A file with tables but another schema version is not touched, and the error says what to do."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE intents (seq INTEGER PRIMARY KEY, provider TEXT)")
    with pytest.raises(SchemaMismatch, match="delete the file"):
        await Store.open(str(path))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 0


@pytest.mark.sqlite_only
def test_serve_on_an_old_database_exits_with_its_message(tmp_path, capsys):
    """`sandbox serve --db <0.1 file>` prints why it stops and exits 1, without a traceback."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    assert main(["serve", "--db", str(path), "--port", "0"]) == 1
    assert "not migrated" in capsys.readouterr().err


@pytest.mark.postgres_only
def test_postgres_database_holding_other_tables_is_refused_untouched(tmp_path, capsys):
    """A PostgreSQL database with tables but no matching schema version is refused, by the API and by `serve`."""
    import asyncio

    url = db_url(tmp_path)
    query(url, "CREATE TABLE intents (seq INTEGER PRIMARY KEY, provider TEXT)")
    with pytest.raises(SchemaMismatch, match="not migrated"):
        asyncio.run(Store.open(url))
    assert main(["serve", "--db", url, "--port", "0"]) == 1
    assert "not migrated" in capsys.readouterr().err
    assert query(url, "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'") == [(1,)]


@pytest.mark.postgres_only
async def test_replicas_opening_a_fresh_database_together_set_the_schema_up_once(tmp_path):
    """Eight stores opening one empty PostgreSQL database at once all start; the schema exists once, at its version."""
    import asyncio

    url = db_url(tmp_path)
    stores = await asyncio.gather(*(Store.open(url) for _ in range(8)))
    try:
        boots = [await store.commit(lambda uow: uow.meta.increment("boot", 0, shared=True)) for store in stores]
    finally:
        for store in stores:
            await store.close()
    assert sorted(boots) == list(range(8)), "every replica gets a boot of its own"
    assert query(url, "SELECT version FROM schema_version") == [(4,)]
