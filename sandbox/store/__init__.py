"""The storage layer: every SQL statement of the sandbox lives in this package.

- `backend.py`: `Store`, the one write path `Store.commit(fn, *args)` that runs `fn(uow, ...)` as a
  transaction and then wakes the workers for what it queued; `Store.open(db)` picks the backend.
- `writer.py`: the group commit, run on the store's thread (PostgreSQL) or on the event loop's
  own (SQLite), shared by both backends.
- `sqlite.py`: the embedded default, one file, one process.
- `postgres.py`: PostgreSQL (psycopg 3) for replicas sharing one database: claims with
  `FOR UPDATE SKIP LOCKED`, wake-ups with `LISTEN/NOTIFY`.
- `uow.py`: the unit of work handed to `fn`, with one attribute per table family.
- one module per table family: `meta`, `intents` (with lookup keys), `timeline`, `events`,
  `deliveries`, `attempts`, `jobs`, `faults`, `receipts`, `idempotency`, `sessions`, `grades`,
  `replicas`.

The table modules speak one SQL that both databases run (`?` placeholders, `ON CONFLICT`,
`RETURNING`); the PostgreSQL connection translates placeholders once per statement, and the few
clauses only PostgreSQL needs (row locks, `SKIP LOCKED`) come from the unit of work's dialect.
"""

from sandbox.store.backend import SchemaMismatch, Store, UnsupportedDatabase, is_postgres, masked
from sandbox.store.base import dumps
from sandbox.store.intents import IntentRow
from sandbox.store.jobs import Job
from sandbox.store.postgres import PostgresStore
from sandbox.store.sqlite import SqliteStore
from sandbox.store.uow import UnitOfWork

__all__ = ["IntentRow", "Job", "PostgresStore", "SchemaMismatch", "SqliteStore", "Store", "UnitOfWork", "UnsupportedDatabase", "dumps",
           "is_postgres", "masked"]
