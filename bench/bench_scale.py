"""Scale: p99 of create, get-by-id and a bounded list at 1 k, 100 k and (with `--million`) 1 M stored intents.

SPEC §11 Scale: each p99 stays within 1.5x of its 1 k figure up to 1 M, and the server's RSS stays
≤ 200 MB with 1 M stored. The baseline is the p99 at 1 k stored, measured in the same rounds as
the larger sizes; the ratios are the growth.

Bulk path (documented, so the fill takes minutes, not hours): with the server stopped, this script
opens the database through the sandbox's own `Store` and runs, per intent, exactly what the LIQX
create handler runs in its transaction without an Idempotency-Key — `models.create_payin` (intent,
lookup keys, `transition` timeline entry, expiry timer) plus the `api_call` timeline entry —
5,000 intents per transaction. Only HTTP, authentication and schema validation are skipped; the
rows are the API's rows. Then the sandbox is started on that database and measured over HTTP.

The sizes are filled first (the smaller ones kept as copies), then measured in `--rounds`
rounds that alternate over them, each size on its own database; each figure is the median of its
rounds. A 1 M fill takes minutes and this machine's speed drifts by a tenth within one, so a
1 k figure taken before the fill and a 1 M figure after it compared two machines (within one
hour, the 1 k get's p99 was 3.7 ms in one run and 6.8 ms in another).

Each size prints the least of its database file the kernel's page cache held when a round
started. A get reads one intent picked at random among all stored, so from a file the host has
partly let go (a 1 M database is 2.6 GB, and some hosts reclaim file pages unused for minutes)
some gets wait on the disk, every request behind them on the store's one thread with them. When
the largest file was not all cached, its get is measured once more after reading the file
through, so the server's own growth and the host's cache can be told apart.
Run: `python bench/bench_scale.py [--seconds 5] [--rounds 5] [--million] [--quick]`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_create import BODY  # noqa: E402
from common import (
    cached_share,
    closed_loop,
    free_port,
    liqx_key,  # noqa: E402
    load_note,
    percentile,
    read_through,
    rss_mb,
    spawn,
    stop,
    wait_up,
)

from sandbox.ids import Ids  # noqa: E402
from sandbox.providers.liqx import models  # noqa: E402
from sandbox.store import Store  # noqa: E402

BATCH = 5000


def _no_scenario(*_args) -> None:
    """The create handler's scenario hook with no scenario chosen: it writes nothing."""


def fill(uow, ids: Ids, start: int, count: int, base_url: str, sample: list[str]) -> None:
    """`count` LIQX PAYIN creates as the API's transaction writes them (see the module docstring)."""
    call = {"method": "POST", "path": "/liqx/v1/payin-intents"}
    for n in range(start, start + count):
        ctx = models.Ctx(ids, datetime.now(UTC), base_url)
        body = dict(BODY, external_ref=f"fill-{n}")
        status, answer = models.create_payin(uow, ctx, body, None, _no_scenario)
        uow.timeline.add(models.NAME, answer["intent_id"], "api_call", ctx.now_ms,
                         {**call, "status": status, "request": body, "response": answer})
        if n % 97 == 0:
            sample.append(answer["intent_id"])


async def grow(db_path: Path, have: int, want: int, sample: list[str]) -> float:
    """Bring the database from `have` to `want` stored intents; returns the seconds it took."""
    started = time.perf_counter()
    store = await Store.open(str(db_path))
    ids = Ids(None)
    try:
        for start in range(have, want, BATCH):
            await store.commit(fill, ids, start, min(BATCH, want - start), "http://127.0.0.1", sample)
    finally:
        await store.close()
    return time.perf_counter() - started


async def measure(db_path: Path, sample: list[str], seconds: float, concurrency: int, tag: str,
                  only: tuple[str, ...] = ("create", "get", "list")) -> dict:
    port = free_port()
    proc = spawn(["-m", "sandbox", "serve", "--port", str(port), "--db", str(db_path)], log=db_path.with_suffix(".log"))
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_up(f"{base}/_sandbox/health")
        key = await liqx_key(base)
        auth = {"Authorization": f"Bearer {key}"}
        post_headers = {**auth, "Content-Type": "application/json"}
        rng = random.Random(1)
        refs = itertools.count()

        async def create(http, worker, n):
            body = json.dumps(dict(BODY, external_ref=f"scale-{tag}-{next(refs)}"))
            async with http.post(f"{base}/liqx/v1/payin-intents", data=body, headers=post_headers) as response:
                await response.read()
                return response.status

        async def get(http, worker, n):
            async with http.get(f"{base}/liqx/v1/intents/{rng.choice(sample)}", headers=auth) as response:
                await response.read()
                return response.status

        async def page(http, worker, n):
            async with http.get(f"{base}/liqx/v1/intents?limit=20&status=CREATED", headers=auth) as response:
                await response.read()
                return response.status

        figures = {}
        for name, fn in (("create", create), ("get", get), ("list", page)):
            if name not in only:
                continue
            await closed_loop(fn, min(1.0, seconds), concurrency)  # warm up
            count, latencies = await closed_loop(fn, seconds, concurrency)
            figures[name] = percentile(latencies, 99) * 1000
            figures[name + "_rps"] = count / seconds
        figures["rss_mb"] = rss_mb(proc.pid)
        return figures
    finally:
        stop(proc)


def copy_db(source: Path, target: Path) -> None:
    """`target` made a copy of the closed database `source` (SQLite's backup: the WAL's pages included)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds over the sizes (default 5)")
    parser.add_argument("--million", action="store_true", help="also fill to 1,000,000 (about 10 minutes and 2.6 GB here)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: short and small, figures meaningless")
    args = parser.parse_args()
    sizes = [1_000, 100_000] + ([1_000_000] if args.million else [])
    if args.quick:
        args.seconds, args.concurrency, args.rounds, sizes = 0.5, 4, 2, [200, 2_000]
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    db_path = work / "scale.db"
    sample: list[str] = []
    have = 0
    fills: dict[int, float] = {}
    known: dict[int, int] = {}    # size -> how many of `sample`'s ids its database holds
    try:
        print(f"machine: {load_note()} at start")
        for size in sizes:
            fills[size] = await grow(db_path, have, size, sample)
            have, known[size] = size, len(sample)
            if size != sizes[-1]:   # kept as it is now, measured from a fresh copy in every round
                copy_db(db_path, work / f"kept-{size}.db")
        # Rounds alternate over the sizes, each on its own database, so that every size is measured
        # in each stretch of the machine's drift (a 1 M fill takes minutes; this VM's speed moves by a
        # tenth within one). The smaller sizes start each round from their kept copy; the largest
        # takes the creates of every round (some 7,500 each, under 4% of a million over five rounds).
        def path_of(size: int) -> Path:   # the database a size is measured on
            return db_path if size == sizes[-1] else work / f"scale-{size}.db"

        rounds: dict[int, list[dict]] = {size: [] for size in sizes}
        for n in range(args.rounds):
            for size in sizes if n % 2 == 0 else sizes[::-1]:
                path = path_of(size)
                if path != db_path:
                    copy_db(work / f"kept-{size}.db", path)
                cached = cached_share(path)
                figures = await measure(path, sample[:known[size]], args.seconds, args.concurrency, f"{size}-{n}")
                rounds[size].append({**figures, "cached": cached})
        first, least_cached = None, {}
        for size in sizes:
            figures = {key: statistics.median(r[key] for r in rounds[size]) for key in ("create", "get", "list")}
            rss, cached = max(r["rss_mb"] for r in rounds[size]), min(r["cached"] for r in rounds[size])
            least_cached[size] = cached
            first = first or figures
            each = "; ".join(f"{key} " + ", ".join(f"{r[key]:.1f}" for r in rounds[size]) for key in ("create", "get", "list"))
            print(f"{size:>9,} stored (filled in {fills[size]:5.1f} s; at least {cached:.0%} of the "
                  f"{path_of(size).stat().st_size / 2**20:,.0f} MB file "
                  f"in the page cache): p99 create {figures['create']:6.1f} ms, get {figures['get']:6.1f} ms, "
                  f"list {figures['list']:6.1f} ms (medians of {args.rounds} rounds: {each}); RSS at most {rss:5.0f} MB")
            print(f"{'':>9}  ratio to the first size: create {figures['create'] / first['create']:.2f}x, "
                  f"get {figures['get'] / first['get']:.2f}x, list {figures['list'] / first['list']:.2f}x "
                  f"(SPEC §11 target <= 1.5x; RSS <= 200 MB at 1 M)")
        largest = sizes[-1]
        if not least_cached[largest] >= 0.99:   # NaN too: the host may have let part of it go
            read_through(db_path)
            warm = await measure(db_path, sample, args.seconds, args.concurrency, f"{largest}-cached", only=("get",))
            print(f"{'':>9}  get at {largest:,} once the file was read through ({cached_share(db_path):.0%} cached): "
                  f"p99 {warm['get']:6.1f} ms, {warm['get'] / first['get']:.2f}x the first size")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"machine: {load_note()} at end")


if __name__ == "__main__":
    asyncio.run(main())
