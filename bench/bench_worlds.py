"""Worlds: creation latency, and LIQX create-intent with 1,000 worlds present versus one.

SPEC §11 targets: creating a world takes < 10 ms (p50/p99 over 1,000 sequential creations, each a
`POST /_sandbox/worlds` answered 201 once persisted), and 1,000 idle worlds cost nothing: the
create-intent throughput in a world with 999 others present stays within 5% of the same server
with only the default world (the baseline, measured in the same run).
Two servers run side by side (one with only the default world, one with `--worlds` worlds) and
are measured in alternating rounds, so a change in the machine's load during the run hits both;
the order within a round alternates too (A B, B A, …), so neither server always follows the
other's background work (its WAL checkpoint, say). Each server's slowest and fastest round are
printed beside the medians: on a shared 2-core machine they are often further apart than 5%.
Twelve rounds of 4 s each by default: one round of either server moves by up to ±12% on this
machine, so fewer rounds cannot judge 5%.
Run: `python bench/bench_worlds.py [--seconds 4] [--rounds 12] [--concurrency 32] [--worlds 1000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
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


def _server(port: int, tmp: Path, name: str):
    return spawn(["-m", "sandbox", "serve", "--port", str(port), "--db", str(tmp / f"{name}.db"), "--seed", "1"],
                 log=tmp / f"{name}.log")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4, help="length of one measuring round")
    parser.add_argument("--rounds", type=int, default=12, help="alternating rounds per server")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--worlds", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="a short run (1 round of 1 s, 50 worlds) that only proves the bench works")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.worlds = 1, 1, 50
    tmp = Path(tempfile.mkdtemp(prefix="bench-worlds-"))
    one_port, many_port = free_port(), free_port()
    one, many = _server(one_port, tmp, "one"), _server(many_port, tmp, "many")
    one_base, many_base = f"http://127.0.0.1:{one_port}", f"http://127.0.0.1:{many_port}"
    headers = {"Content-Type": "application/json"}
    try:
        await wait_up(f"{one_base}/_sandbox/health")
        await wait_up(f"{many_base}/_sandbox/health")
        latencies, key = await create_worlds(many_base, args.worlds)
        one_headers = {**headers, "Authorization": f"Bearer {await default_key(one_base)}"}
        many_headers = {**headers, "Authorization": f"Bearer {key}"}
        one_rps, many_rps = [], []
        # Rounds alternate between the two servers so a drift in the machine's load hits both alike.
        sides = [(one_rps, one_base, one_headers, one.pid), (many_rps, many_base, many_headers, many.pid)]
        for n in range(args.rounds):
            for rps, base, side_headers, pid in sides if n % 2 == 0 else reversed(sides):
                rps.append((await measure(f"{base}/liqx/v1/payin-intents", side_headers, args.seconds,
                                          args.concurrency, True, pid))[0])
    finally:
        for proc in (one, many):
            proc.terminate()
            proc.wait(10)
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    one_mid, many_mid = statistics.median(one_rps), statistics.median(many_rps)
    print(f"world creation ({len(latencies)} sequential)   : p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  (SPEC §11 < 10 ms)")
    print(f"LIQX create, server with the default world only : {one_mid:8.0f} req/s (median of {args.rounds} rounds;"
          f" {min(one_rps):.0f}–{max(one_rps):.0f})")
    print(f"LIQX create, server with {args.worlds} worlds, in the last : {many_mid:8.0f} req/s (median of {args.rounds} rounds;"
          f" {min(many_rps):.0f}–{max(many_rps):.0f})")
    print(f"ratio many / one                                : {many_mid / one_mid:8.2f}   (SPEC §11 target within 5%)")


if __name__ == "__main__":
    asyncio.run(main())
