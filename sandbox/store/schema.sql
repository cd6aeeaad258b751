-- The sandbox's durable state, written in SQLite's dialect; `sandbox.store.postgres` derives the
-- PostgreSQL schema from this file (BIGINT for INTEGER, identities for AUTOINCREMENT, BYTEA for BLOB),
-- so both databases always hold the same tables. Times ending in _ms are sandbox-clock epoch milliseconds
-- (of the row's world's clock). Every row belongs to one world (SPEC §12): every index a request or
-- worker uses holds `world` ahead of anything but an intent's own key, so one world's rows never
-- cost another a scan. Ids stay unique across the whole server.
-- Rows that belong to other rows say so with a foreign key (the connection runs with
-- `PRAGMA foreign_keys = ON`): deleting an intent, event or delivery takes what hangs off it along.
-- Each foreign key's columns lead an index of the child table (`<table>_of_intent` for the rows of an
-- intent), because that is how the database finds the children of a deleted row: without one it
-- reads the whole child table, every world's rows, for each row deleted. Deleting a world is one
-- indexed DELETE per table, and the timeline and sessions go with their intents that way.
-- An index whose columns change gets a new name, and the old one is dropped here: a database file
-- of an earlier version gets the new index the first time it is opened.
-- Ids are AUTOINCREMENT, so a deleted delivery's id is never handed to a new one (an attempt still in
-- flight when a reset deleted its delivery can tell, and writes nothing).
-- `PRAGMA user_version` is the schema version (PostgreSQL: the `schema_version` table); a database of
-- another version is refused.

-- Worlds other than the default one (the default is configured by flags and environment): the
-- record holds credentials, endpoints, clock state and settings; `expires_ms` is real time (TTL).
CREATE TABLE IF NOT EXISTS worlds (
    id         TEXT PRIMARY KEY,
    record     TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER
);

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per intent / payment / checkout / payment link; `data` is the provider's own object.
-- `account` is the owning scope inside the provider (ROZO's appId; '' where a provider has one),
-- `kind` the object kind where a provider stores several ('' otherwise).
CREATE TABLE IF NOT EXISTS intents (
    world        TEXT NOT NULL,
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    provider     TEXT NOT NULL,
    id           TEXT NOT NULL,
    account      TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL DEFAULT '',
    external_ref TEXT,
    status       TEXT NOT NULL,
    scenario     TEXT,
    data         TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    updated_ms   INTEGER NOT NULL,
    UNIQUE (provider, id)
);
CREATE INDEX IF NOT EXISTS intents_by_ref ON intents (world, provider, account, external_ref);
CREATE INDEX IF NOT EXISTS intents_by_provider ON intents (world, provider, seq);
CREATE INDEX IF NOT EXISTS intents_by_world ON intents (world, seq);
CREATE INDEX IF NOT EXISTS intents_by_account ON intents (world, provider, account, seq);

-- Provider-specific lookup keys of an intent (ROZO tx hashes and deposit address + memo, the Mizu
-- payment link a payment belongs to, ...): what a request looks an intent up by, indexed.
CREATE TABLE IF NOT EXISTS intent_keys (
    world     TEXT NOT NULL,
    provider  TEXT NOT NULL,
    kind      TEXT NOT NULL,
    value     TEXT NOT NULL,
    intent_id TEXT NOT NULL,
    PRIMARY KEY (world, provider, kind, value, intent_id),
    FOREIGN KEY (provider, intent_id) REFERENCES intents (provider, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS intent_keys_by_intent ON intent_keys (provider, intent_id);

-- Everything that happened to an intent, in order: API calls, transitions, browser events,
-- webhook events, attempts and faults. The inspector reads it back as one timeline.
CREATE TABLE IF NOT EXISTS timeline (
    world        TEXT NOT NULL,
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    provider  TEXT NOT NULL,
    intent_id TEXT NOT NULL,
    kind      TEXT NOT NULL,
    at_ms     INTEGER NOT NULL,
    data      TEXT NOT NULL,
    FOREIGN KEY (provider, intent_id) REFERENCES intents (provider, id) ON DELETE CASCADE
);
DROP INDEX IF EXISTS timeline_by_intent;
CREATE INDEX IF NOT EXISTS timeline_of_intent ON timeline (provider, intent_id, world, seq);

-- Webhook events: the body is serialised once, so every retry and duplicate carries the same bytes.
CREATE TABLE IF NOT EXISTS events (
    world        TEXT NOT NULL,
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    provider   TEXT NOT NULL,
    intent_id  TEXT,
    type       TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    FOREIGN KEY (provider, intent_id) REFERENCES intents (provider, id) ON DELETE CASCADE
);
DROP INDEX IF EXISTS events_by_intent;
CREATE INDEX IF NOT EXISTS events_of_intent ON events (provider, intent_id, world, seq);
CREATE INDEX IF NOT EXISTS events_by_provider ON events (world, provider, seq);
CREATE INDEX IF NOT EXISTS events_by_world ON events (world, seq);

-- The outbox: one row per delivery of an event to a URL (duplicates and manual resends are rows too).
CREATE TABLE IF NOT EXISTS deliveries (
    world        TEXT NOT NULL,
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    provider    TEXT NOT NULL,
    intent_id   TEXT,
    url         TEXT,
    secret      TEXT,
    status      TEXT NOT NULL,      -- pending | in_flight | delivered | failed | dropped | held | unknown | contract_violation
    trigger     TEXT NOT NULL,      -- scheduled | duplicate | manual
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_ms     INTEGER,
    faults      TEXT NOT NULL DEFAULT '[]',
    last_error  TEXT,
    claimed_by  TEXT,               -- the replica sending it while in_flight (see `replicas`)
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (world, status, next_ms);
CREATE INDEX IF NOT EXISTS deliveries_by_event ON deliveries (event_id);
CREATE INDEX IF NOT EXISTS deliveries_by_intent ON deliveries (world, provider, intent_id, status);
CREATE INDEX IF NOT EXISTS deliveries_by_world ON deliveries (world, id);

CREATE TABLE IF NOT EXISTS attempts (
    world        TEXT NOT NULL,
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id      INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    event_id         TEXT NOT NULL,
    n                INTEGER NOT NULL,
    trigger          TEXT NOT NULL,  -- scheduled | retry | duplicate | manual
    url              TEXT,
    request_headers  TEXT NOT NULL,
    request_body     TEXT NOT NULL,
    signature_input  TEXT,
    status           INTEGER,
    response_body    TEXT,
    duration_ms      REAL,
    error            TEXT,
    faults           TEXT NOT NULL DEFAULT '[]',
    replica          TEXT,           -- the replica that made the attempt (SPEC §14)
    at_ms            INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_by_delivery ON attempts (delivery_id, n);
CREATE INDEX IF NOT EXISTS attempts_by_event ON attempts (event_id);
CREATE INDEX IF NOT EXISTS attempts_by_world ON attempts (world);

-- Hosted widget sessions: a bearer token that opens one intent's widget page.
CREATE TABLE IF NOT EXISTS sessions (
    world        TEXT NOT NULL,
    token      TEXT PRIMARY KEY,
    provider   TEXT NOT NULL,
    intent_id  TEXT NOT NULL,
    session_id TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    FOREIGN KEY (provider, intent_id) REFERENCES intents (provider, id) ON DELETE CASCADE
);
DROP INDEX IF EXISTS sessions_by_intent;
CREATE INDEX IF NOT EXISTS sessions_of_intent ON sessions (provider, intent_id, world);

-- Timers: expiries, settlements and scenario outcomes, fired by the job runner on the sandbox clock.
CREATE TABLE IF NOT EXISTS jobs (
    world        TEXT NOT NULL,
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    provider  TEXT NOT NULL,
    intent_id TEXT NOT NULL,
    kind      TEXT NOT NULL,
    due_ms    INTEGER NOT NULL,
    payload   TEXT NOT NULL DEFAULT '{}',
    done      INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT,                -- the replica firing it (see `replicas`)
    FOREIGN KEY (provider, intent_id) REFERENCES intents (provider, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (world, done, due_ms);
DROP INDEX IF EXISTS jobs_by_intent;
CREATE INDEX IF NOT EXISTS jobs_of_intent ON jobs (provider, intent_id, world, done);

-- Fault rules (SPEC §6): posted ones, those a scenario attaches to an intent and the receiver's
-- instructed answers. What a rule matches on is a column; `params` is the action's parameters.
CREATE TABLE IF NOT EXISTS faults (
    world        TEXT NOT NULL,
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    provider     TEXT,                 -- NULL: every provider
    action       TEXT NOT NULL,
    event_type   TEXT,
    intent_id    TEXT,
    external_ref TEXT,
    method       TEXT,
    path         TEXT,
    attempt      INTEGER,              -- NULL: at enqueue time; N: the Nth attempt of a delivery
    params       TEXT NOT NULL,
    times        INTEGER NOT NULL,
    remaining    INTEGER,              -- NULL: until deleted
    source       TEXT NOT NULL,        -- api | scenario | receiver
    created_ms   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS faults_by_action ON faults (world, action, provider);

-- Every fault that was applied, wherever it came from: the rehearsal's evidence.
CREATE TABLE IF NOT EXISTS fault_log (
    world        TEXT NOT NULL,
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id   TEXT,
    provider  TEXT,
    intent_id TEXT,
    target    TEXT NOT NULL,        -- delivery | attempt | api | receiver
    action    TEXT NOT NULL,
    at_ms     INTEGER NOT NULL,
    data      TEXT NOT NULL,
    FOREIGN KEY (provider, intent_id) REFERENCES intents (provider, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS fault_log_by_provider ON fault_log (world, provider);
CREATE INDEX IF NOT EXISTS fault_log_by_world ON fault_log (world, seq);
DROP INDEX IF EXISTS fault_log_by_intent;
CREATE INDEX IF NOT EXISTS fault_log_of_intent ON fault_log (provider, intent_id, world);

CREATE TABLE IF NOT EXISTS idempotency (
    world        TEXT NOT NULL,
    provider     TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         BLOB NOT NULL,
    created_ms   INTEGER NOT NULL,
    PRIMARY KEY (world, provider, key)
);

-- The built-in receiver's durable receipts (SPEC §8). Its ids come from whoever sent the webhook,
-- so they reference nothing here.
CREATE TABLE IF NOT EXISTS receipts (
    world        TEXT NOT NULL,
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    provider        TEXT NOT NULL,
    event_id        TEXT,
    intent_id       TEXT,
    external_ref    TEXT,
    type            TEXT,
    headers         TEXT NOT NULL,
    body            TEXT NOT NULL,
    signature_valid INTEGER,
    count           INTEGER NOT NULL DEFAULT 1,   -- deliveries of this event id received (duplicates counted)
    received_ms     INTEGER NOT NULL,
    last_ms         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS receipts_by_provider ON receipts (world, provider, seq);
CREATE INDEX IF NOT EXISTS receipts_by_intent ON receipts (world, provider, intent_id, seq);
CREATE INDEX IF NOT EXISTS receipts_by_ref ON receipts (world, provider, external_ref, seq);
CREATE INDEX IF NOT EXISTS receipts_by_event ON receipts (world, provider, event_id);
CREATE INDEX IF NOT EXISTS receipts_by_type ON receipts (world, provider, type, seq);

-- Grades of a partner's webhook receiver (SPEC §15): the whole report, kept for the inspector.
CREATE TABLE IF NOT EXISTS grades (
    world       TEXT NOT NULL,
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    provider    TEXT NOT NULL,
    target      TEXT NOT NULL,
    passed      INTEGER NOT NULL,
    report      TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    finished_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS grades_by_world ON grades (world, provider, seq);

-- The processes serving this database (one with SQLite, any number of PostgreSQL replicas). Each
-- refreshes `seen_ms` (real time) while it lives; deliveries and timers claimed by a replica that
-- stopped refreshing are taken over by the others when its lease lapses.
CREATE TABLE IF NOT EXISTS replicas (
    id         TEXT PRIMARY KEY,
    started_ms INTEGER NOT NULL,
    seen_ms    INTEGER NOT NULL
);
