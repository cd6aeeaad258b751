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


def unindexed_foreign_keys(path: str) -> list[str]:
    """Each foreign key whose child columns lead no index of the child table, as `table(columns)`.

    Deleting a parent row makes the database look its children up by those columns (to cascade);
    without such an index each lookup reads the whole child table, every world's rows included.
    """
    missing = []
    with sqlite3.connect(path) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            keys: dict[int, list[str]] = {}
            for row in conn.execute(f"PRAGMA foreign_key_list({table})"):
                keys.setdefault(row[0], []).append(row[3])
            leads = [[info[2] for info in conn.execute(f"PRAGMA index_info({index[1]})")]
                     for index in conn.execute(f"PRAGMA index_list({table})")]
            for columns in keys.values():
                if not any(sorted(lead[:len(columns)]) == sorted(columns) for lead in leads):
                    missing.append(f"{table}({', '.join(columns)})")
    return missing


@pytest.mark.sqlite_only
async def test_every_foreign_key_is_looked_up_by_an_index(tmp_path):
    """A deleted intent's timeline, events, sessions, jobs and fault log are found by index, not by a scan.

    PostgreSQL gets the same indexes (`pg_schema` translates `schema.sql`), and needs them for the
    same reason: it indexes neither side of a foreign key's child columns by itself.
    """
    store = await Store.open(str(tmp_path / "keys.db"))
    await store.close()
    assert unindexed_foreign_keys(str(tmp_path / "keys.db")) == []


@pytest.mark.sqlite_only
def test_the_check_finds_an_unindexed_foreign_key(tmp_path):
    """The check itself fails on a child table whose key columns only follow another column in its index."""
    path = str(tmp_path / "plain.db")
    with sqlite3.connect(path) as conn:
        conn.executescript("CREATE TABLE p (a TEXT, b TEXT, UNIQUE (a, b));"
                           "CREATE TABLE c (w TEXT, a TEXT, b TEXT, FOREIGN KEY (a, b) REFERENCES p (a, b));"
                           "CREATE INDEX c_by_w ON c (w, a, b);")
    assert unindexed_foreign_keys(path) == ["c(a, b)"]
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE INDEX c_by_key ON c (b, a, w)")
    assert unindexed_foreign_keys(path) == []


async def test_a_database_with_the_earlier_indexes_gets_the_new_ones_on_open(tmp_path):
    """A database made before the intent-keyed indexes led with the intent keeps its rows and gets them on open."""
    url = db_url(tmp_path, "earlier.db")
    store = await Store.open(url)

    def make_earlier(uow):
        uow.intents.insert("liqx", "lqi_1", "ref-1", "CREATED", None, {}, 0)
        uow.timeline.add("liqx", "lqi_1", "note", 0, {})
        for table, columns in EARLIER_INDEXES.items():
            uow.execute(f"DROP INDEX {table}_of_intent")
            uow.execute(f"CREATE INDEX {table}_by_intent ON {table} ({columns})")

    try:
        await store.commit(make_earlier)
    finally:
        await store.close()
    store = await Store.open(url)
    try:
        assert await store.read(lambda uow: len(uow.timeline.read("liqx", "lqi_1"))) == 1
        names = await store.read(index_names)
    finally:
        await store.close()
    assert {f"{table}_of_intent" for table in EARLIER_INDEXES} <= names
    assert {f"{table}_by_intent" for table in EARLIER_INDEXES} & names == set()


def index_names(uow) -> set[str]:
    """The names of the database's indexes, asked the database's own way."""
    sql = ("SELECT name FROM sqlite_master WHERE type = 'index'" if uow.dialect == "sqlite" else
           "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()")
    return {row["name"] for row in uow.all(sql)}


#: The intent-keyed indexes as the schema had them before they led with the intent's key.
EARLIER_INDEXES = {"timeline": "world, provider, intent_id, seq", "events": "world, provider, intent_id, seq",
                   "sessions": "world, provider, intent_id", "jobs": "world, provider, intent_id, done",
                   "fault_log": "world, provider, intent_id"}
