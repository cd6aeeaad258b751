"""The §11 create and delivery benchmarks on PostgreSQL with 1, 2 and 3 replicas, beside SQLite (SPEC §11, §14).

Baseline in the same run: SQLite, one `sandbox serve` process. Then, for each replica count, a
fresh database on a throwaway PostgreSQL cluster this script starts (Debian's `postgresql`
package, started as `tests/pg.py` starts the tests' cluster) and that many `sandbox serve`
processes on it:

- **Create** (as `bench_create.py`): LIQX create-intent in a closed loop, `--concurrency` clients
  in all, worker i sending to replica i mod n (round robin); req/s, p99, and CPU per request of
  the sandbox processes plus, on PostgreSQL, the database server's processes (on SQLite the
  database work is inside the sandbox process).
- **Deliveries** (as `bench_delivery.py`, fast receiver): with the replicas up, `--events` valid
  LIQX events are committed into the outbox in one transaction (its NOTIFY wakes every replica);
  deliveries/s from the receiver's first arrival to its last, counted from all replicas. The
  receiver notes each event id, so every row also says how many events were lost (never
  delivered) and how many were sent twice.
- **On paper** (`docs/scaling.md`): connections per replica (`pg_stat_activity`), and database
  size per million intents, extrapolated from `--size-intents` intents filled through
  `bench_scale.py`'s documented bulk path (the create handler's rows) plus the growth per
  delivered webhook measured by the delivery run.

The cluster runs with `fsync` and `full_page_writes` on and `synchronous_commit` off by default:
the durability class of the sandbox's SQLite (WAL, `synchronous = NORMAL`: a commit is
acknowledged before it reaches the disk; a crash may lose the last moment's commits, never
consistency). `--synchronous-commit on` measures PostgreSQL's own default instead.
Without PostgreSQL (or psycopg) the PostgreSQL rows are skipped with a note, except under
`CI=true`, where that is an error.
Run: `python bench/bench_postgres.py [--seconds 10] [--concurrency 32] [--events 6000] [--replicas 1,2,3]
[--size-intents 50000] [--synchronous-commit off] [--quick]` (`--quick`: 2 replicas only, tiny counts).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_create import Figures, measure  # noqa: E402
from bench_delivery import fill  # noqa: E402
from bench_scale import grow  # noqa: E402
from common import free_port, liqx_key, load_note, scratch, spawn, stop, wait_up, with_children  # noqa: E402

from sandbox.store import Store  # noqa: E402
from tests import pg  # noqa: E402


def query(url: str, sql: str) -> list[tuple]:
    """The rows of one query on the benchmark's database."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql).fetchall()


def size_bytes(db: str) -> int:
    """The database's size on disk: PostgreSQL's `pg_database_size`, or the SQLite file with its WAL."""
    if db.startswith(("postgresql://", "postgres://")):
        return query(db, "SELECT pg_database_size(current_database())")[0][0]
    return sum(Path(db + suffix).stat().st_size for suffix in ("", "-wal") if Path(db + suffix).exists())


async def schema_only(db: str) -> int:
    """Create the schema in an empty database; returns its size then."""
    store = await Store.open(db)
    await store.close()
    return size_bytes(db)


class Setup:
    """One backend under test: `replicas` sandbox processes on `db`, and the receiver its webhooks go to."""

    def __init__(self, db: str, replicas: int, tmp: Path, tag: str, db_pid: int | None = None) -> None:
        self.db, self.count, self.tmp, self.tag, self.db_pid = db, replicas, tmp, tag, db_pid
        self.receiver_port = free_port()
        self.receiver = spawn(["bench/receiver_server.py", str(self.receiver_port), "0", "record"])
        self.hook = f"http://127.0.0.1:{self.receiver_port}/hook"
        self.ports: list[int] = []
        self.procs: list = []

    async def start(self) -> None:
        """Start the sandbox processes together and wait until every one answers."""
        self.ports = [free_port() for _ in range(self.count)]
        self.procs = [spawn(["-m", "sandbox", "serve", "--port", str(port), "--db", self.db, "--seed", "1"],
                            env={"SANDBOX_LIQX_WEBHOOK_URL": self.hook, "SANDBOX_QUIET": "1"},
                            log=self.tmp / f"{self.tag}-{n}.log") for n, port in enumerate(self.ports)]
        await wait_up(f"http://127.0.0.1:{self.receiver_port}/count")
        await asyncio.gather(*(wait_up(f"http://127.0.0.1:{port}/_sandbox/health") for port in self.ports))

    async def create(self, seconds: float, concurrency: int) -> Figures:
        """The create benchmark spread round robin over the processes (req/s, p99, CPU per request)."""
        key = await liqx_key(f"http://127.0.0.1:{self.ports[0]}")
        urls = [f"http://127.0.0.1:{port}/liqx/v1/payin-intents" for port in self.ports]
        return await measure(urls, {"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
                             seconds, concurrency, unique=True, pid=[proc.pid for proc in self.procs],
                             db_pids=with_children(self.db_pid) if self.db_pid else ())

    async def delivered(self, count: int, timeout: float = 300) -> tuple[float, int, int]:
        """Wait until the receiver saw `count` distinct events: deliveries/s, lost and sent twice."""
        base = f"http://127.0.0.1:{self.receiver_port}"
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            async def get(path: str) -> dict:
                async with http.get(base + path) as response:
                    return await response.json()
            while True:
                seen = (await get("/count"))["n"]
                timed_out = time.monotonic() > deadline
                if seen >= count or timed_out:
                    arrivals = await get("/arrivals")
                    if len(arrivals) >= count or timed_out:
                        break
                await asyncio.sleep(0.05)
        window = max(arrivals.values()) - min(arrivals.values()) if len(arrivals) > 1 else float("nan")
        return len(arrivals) / window, count - len(arrivals), seen - len(arrivals)

    def stop(self) -> None:
        stop(*self.procs, self.receiver)


async def commit_events(db: str, count: int, hook: str) -> None:
    """Commit `count` due LIQX events into the outbox in one transaction (as `bench_delivery.py` does)."""
    store = await Store.open(db)
    try:
        await store.commit(fill, count, hook)
    finally:
        await store.close()


async def sqlite_row(args, tmp: Path) -> dict:
    """The baseline: one process on SQLite. Its outbox is filled while it is stopped (SQLite has no NOTIFY)."""
    db = str(tmp / "sqlite.db")
    setup = Setup(db, 1, tmp, "sqlite")
    try:
        await setup.start()
        created = await setup.create(args.seconds, args.concurrency)
        stop(*setup.procs)
        before = size_bytes(db)
        await commit_events(db, args.events, setup.hook)
        await setup.start()
        rate, lost, twice = await setup.delivered(args.events)
        stop(*setup.procs)
        return dict(created=created, rate=rate, lost=lost, twice=twice,
                    webhook_bytes=(size_bytes(db) - before) / args.events)
    finally:
        setup.stop()


async def postgres_row(args, cluster: pg.Cluster, replicas: int, tmp: Path) -> dict:
    """`replicas` processes on a fresh database: create, connections, then deliveries from all of them."""
    db = cluster.create_database()
    setup = Setup(db, replicas, tmp, f"pg{replicas}", db_pid=cluster.pid)
    try:
        await schema_only(db)
        await setup.start()
        created = await setup.create(args.seconds, args.concurrency)
        connections = query(db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                "AND pid <> pg_backend_pid()")[0][0]
        before = size_bytes(db)
        await commit_events(db, args.events, setup.hook)
        rate, lost, twice = await setup.delivered(args.events)
        stop(*setup.procs)
        by_replica = [n for _, n in query(db, "SELECT replica, count(*) FROM attempts GROUP BY replica ORDER BY 1")]
        return dict(created=created, rate=rate, lost=lost, twice=twice, replicas=replicas,
                    connections=connections, by_replica=by_replica,
                    webhook_bytes=(size_bytes(db) - before) / args.events)
    finally:
        setup.stop()
        cluster.drop_database(db)


async def size_per_intent(db: str, count: int) -> tuple[float, float]:
    """Bytes per intent filled through `bench_scale.py`'s bulk path, and the seconds the fill took."""
    before = await schema_only(db)
    seconds = await grow(db, 0, count, [])
    return (size_bytes(db) - before) / count, seconds


def cluster_settings(synchronous_commit: str) -> dict[str, str]:
    """The benchmark cluster's settings: durable (fsync, full pages), commits acknowledged as `synchronous_commit` says."""
    return {"fsync": "on", "full_page_writes": "on", "synchronous_commit": synchronous_commit,
            "max_connections": "100", "shared_buffers": "128MB"}


def report(name: str, row: dict, base: dict) -> None:
    created, base_cpu = row["created"], base["created"].cpu_ms + base["created"].db_cpu_ms
    cpu = created.cpu_ms + created.db_cpu_ms
    print(f"{name:<24}: create {created.rps:6.0f} req/s  p99 {created.p99_ms:6.1f} ms  CPU {cpu:5.2f} ms/req "
          f"(sandbox {created.cpu_ms:4.2f} + database {created.db_cpu_ms:4.2f})  ratio "
          f"{created.rps / base['created'].rps:4.2f}  (by CPU per request {base_cpu / cpu:4.2f})")
    spread = f"  attempts by replica {' / '.join(map(str, row['by_replica']))}" if "by_replica" in row else ""
    print(f"{'':<24}  deliveries {row['rate']:6.0f}/s  ratio {row['rate'] / base['rate']:4.2f}  lost {row['lost']}  "
          f"sent twice {row['twice']}{spread}")
    if "connections" in row:
        print(f"{'':<24}  connections {row['connections']} ({row['connections'] / row['replicas']:.1f} "
              f"per replica)  database growth per delivered webhook {row['webhook_bytes']:,.0f} bytes")
    else:
        print(f"{'':<24}  database growth per delivered webhook {row['webhook_bytes']:,.0f} bytes")


async def main(tmp: Path) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--events", type=int, default=6000)
    parser.add_argument("--replicas", default="1,2,3", help="replica counts to measure, comma-separated")
    parser.add_argument("--size-intents", type=int, default=50_000)
    parser.add_argument("--synchronous-commit", choices=("on", "off"), default="off")
    parser.add_argument("--quick", action="store_true", help="a smoke run: short and small, figures meaningless")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.concurrency, args.events, args.size_intents, args.replicas = 0.5, 4, 100, 200, "2"
    print(f"machine: {load_note()} at start")
    missing = pg.available()
    if missing and os.environ.get("CI") == "true":
        raise SystemExit(f"PostgreSQL is required under CI=true: {missing}")
    base = await sqlite_row(args, tmp)
    report("SQLite, 1 process", base, base)
    if missing:
        print(f"PostgreSQL rows skipped: {missing}")
    else:
        cluster = pg.Cluster(pg.pg_bin(), cluster_settings(args.synchronous_commit))
        cluster.start()
        try:
            print(f"PostgreSQL {cluster.bin.parent.name}, synchronous_commit={args.synchronous_commit}, fsync on")
            for replicas in (int(n) for n in args.replicas.split(",")):
                row = await postgres_row(args, cluster, replicas, tmp)
                report(f"PostgreSQL, {replicas} replica{'s' if replicas > 1 else ''}", row, base)
            pg_db = cluster.create_database()
            pg_intent, pg_fill_s = await size_per_intent(pg_db, args.size_intents)
            cluster.drop_database(pg_db)
        finally:
            cluster.stop()
    sqlite_intent, sqlite_fill_s = await size_per_intent(str(tmp / "size.db"), args.size_intents)
    print(f"size per intent ({args.size_intents:,} filled by the bulk path): SQLite {sqlite_intent:,.0f} bytes "
          f"(fill {sqlite_fill_s:.0f} s)" + ("" if missing else
          f", PostgreSQL {pg_intent:,.0f} bytes (fill {pg_fill_s:.0f} s)"))
    print(f"machine: {load_note()} at end")


if __name__ == "__main__":
    with scratch("bench-postgres-") as tmp:
        asyncio.run(main(tmp))
