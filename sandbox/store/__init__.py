"""The storage layer: every SQL statement of the sandbox lives in this package.

- `sqlite.py`: the SQLite backend — connection, writer thread, schema bootstrap, and the one write
  path `Store.commit(fn, *args)` that runs `fn(uow, ...)` as a transaction and then wakes the
  workers for what it queued.
- `uow.py`: the unit of work handed to `fn`, with one attribute per table family.
- one module per table family: `meta`, `intents` (with lookup keys), `timeline`, `events`,
  `deliveries`, `attempts`, `jobs`, `faults`, `receipts`, `idempotency`, `sessions`, `grades`.

The table modules speak plain SQL through the unit of work, so a PostgreSQL backend is one more
module beside `sqlite.py` that opens its connection and hands out the same unit of work.
"""

from sandbox.store.base import dumps
from sandbox.store.intents import IntentRow
from sandbox.store.jobs import Job
from sandbox.store.sqlite import SchemaMismatch
from sandbox.store.sqlite import SqliteStore as Store
from sandbox.store.uow import UnitOfWork

__all__ = ["IntentRow", "Job", "SchemaMismatch", "Store", "UnitOfWork", "dumps"]
