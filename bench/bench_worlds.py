"""Worlds: creation latency, and LIQX create-intent with 1,000 worlds present versus one.

SPEC §11 targets: creating a world takes < 10 ms (p50/p99 over 1,000 sequential creations, each a
`POST /_sandbox/worlds` answered 201 once persisted), and 1,000 idle worlds cost nothing: the
create-intent throughput in a world with 999 others present stays within 5% of the same server
with only the default world (the baseline, measured first in the same run).
Run: `python bench/bench_worlds.py [--seconds 10] [--concurrency 32] [--worlds 1000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import aiohttp
from bench_create import measure
from common import free_port, percentile, spawn, wait_up


async def create_worlds(base: str, count: int) -> tuple[list[float], str]:
    """Create `count` worlds one after another; returns each creation's latency and the last LIQX key."""
    latencies, key = [], ""
    async with aiohttp.ClientSession() as http:
        for n in range(count):
            started = time.perf_counter()
            async with http.post(f"{base}/_sandbox/worlds", json={"name": f"bench-{n}"}) as response:
                world = await response.json()
                assert response.status == 201, world
            latencies.append(time.perf_counter() - started)
            key = world["credentials"]["liqx"]["api_key"]
    return latencies, key


async def default_key(base: str) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/_sandbox/config") as response:
        return (await response.json())["providers"]["liqx"]["api_key"]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--worlds", type=int, default=1000)
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-worlds-"))
    sandbox = spawn(["-m", "sandbox", "serve", "--port", str(port), "--db", str(tmp / "s.db"), "--seed", "1"],
                    log=tmp / "sandbox.log")
    url = f"{base}/liqx/v1/payin-intents"
    headers = {"Content-Type": "application/json"}
    try:
        await wait_up(f"{base}/_sandbox/health")
        one_rps, one_p99 = await measure(url, {**headers, "Authorization": f"Bearer {await default_key(base)}"},
                                         args.seconds, args.concurrency, unique=True)
        latencies, key = await create_worlds(base, args.worlds)
        many_rps, many_p99 = await measure(url, {**headers, "Authorization": f"Bearer {key}"}, args.seconds,
                                           args.concurrency, unique=True)
    finally:
        sandbox.terminate()
        sandbox.wait(10)
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    print(f"world creation ({len(latencies)} sequential) : p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  (SPEC §11 < 10 ms)")
    print(f"LIQX create, default world only        : {one_rps:8.0f} req/s  p99 {one_p99:6.1f} ms")
    print(f"LIQX create, {args.worlds} worlds present      : {many_rps:8.0f} req/s  p99 {many_p99:6.1f} ms")
    print(f"ratio many / one                       : {many_rps / one_rps:8.2f}   (SPEC §11 target within 5%)")


if __name__ == "__main__":
    asyncio.run(main())
