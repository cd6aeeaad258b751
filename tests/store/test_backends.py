"""Choosing the backend by `--db`: PostgreSQL URLs, refused schemes, the masked password, one schema."""

from __future__ import annotations

import sqlite3

import pytest

from sandbox.cli import main
from sandbox.store import Store, UnsupportedDatabase
from sandbox.store.sqlite import SCHEMA
from tests.support import db_url, query, start_sandbox, stop_sandbox


@pytest.mark.sqlite_only
def test_a_database_url_of_another_scheme_is_refused_at_start(tmp_path, capsys):
    """`--db mysql://…` stops the start with one line naming the setting (exit 2); no file is created."""
    assert main(["serve", "--db", "mysql://user@localhost/sandbox", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "unsupported database URL scheme 'mysql'" in err and "postgresql://" in err
    assert not any(tmp_path.iterdir())


@pytest.mark.sqlite_only
async def test_the_store_never_opens_a_url_as_a_file_path(tmp_path, monkeypatch):
    """`Store.open("sqlite://x")` raises instead of creating a folder named `sqlite:`."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UnsupportedDatabase, match="sqlite"):
        await Store.open("sqlite://x.db")
    assert not any(tmp_path.iterdir())


@pytest.mark.postgres_only
async def test_config_masks_the_database_password(tmp_path):
    """`GET /_sandbox/config` shows the PostgreSQL URL with `***` in place of its password."""
    url = db_url(tmp_path).replace("sandbox@", "sandbox:s3cret-pw@")
    running = await start_sandbox(tmp_path, db=url)
    try:
        config = await running.control("GET", "/config")
    finally:
        await stop_sandbox(running)
    assert "s3cret-pw" not in config["db"] and config["db"].startswith("postgresql://sandbox:***@")


@pytest.mark.postgres_only
async def test_postgres_holds_the_same_tables_and_columns_as_sqlite(tmp_path):
    """The PostgreSQL schema derived from `schema.sql` has every table and column SQLite has, in order."""
    url = db_url(tmp_path)
    store = await Store.open(url)
    await store.close()
    lite = sqlite3.connect(":memory:")
    lite.executescript(SCHEMA)
    expected = {table: [row[1] for row in lite.execute(f"PRAGMA table_info({table})")]
                for (table,) in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                             " AND name NOT LIKE 'sqlite_%'")}
    found: dict[str, list[str]] = {}
    for table, column in query(url, "SELECT table_name, column_name FROM information_schema.columns"
                                    " WHERE table_schema = 'public' AND table_name != 'schema_version'"
                                    " ORDER BY table_name, ordinal_position"):
        found.setdefault(table, []).append(column)
    assert found == expected
