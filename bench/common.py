"""Benchmark plumbing: servers in child processes, a closed-loop load generator, percentiles.

Every figure is printed next to a baseline measured in the same run on the same machine, because
absolute numbers mean nothing across machines; ratios do.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spawn(args: list[str], env: dict | None = None, log: Path | None = None) -> subprocess.Popen:
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (closed with the process)
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=out, stderr=subprocess.STDOUT)


async def wait_up(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(url) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


async def closed_loop(make_request, seconds: float, concurrency: int) -> tuple[int, list[float]]:
    """`concurrency` workers each sending one request after another for `seconds`; returns count and latencies."""
    latencies: list[float] = []
    stop_at = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        async def worker(index: int) -> None:
            n = 0
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                status = await make_request(http, index, n)
                latencies.append(time.perf_counter() - started)
                if status >= 300:
                    raise RuntimeError(f"unexpected status {status}")
                n += 1
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return len(latencies), latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]
