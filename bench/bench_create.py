"""Create-intent throughput (validated, persisted, outbox-ready) next to a bare aiohttp JSON echo.

SPEC §11 target: the sandbox's LIQX create reaches at least half the echo's throughput.
Run: `python bench/bench_create.py [--seconds 10] [--concurrency 32]`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import tempfile
from pathlib import Path

from common import closed_loop, free_port, percentile, spawn, wait_up

BODY = {"external_ref": "", "external_user_id": "partner-user-001", "depositor_name": "홍길동",
        "amount_krw": "100000", "amount_usdt": "75.50", "user_email": "demo@example.com",
        "return_url": "https://partner.example.com/orders/demo", "widget_type": "PAYIN"}


SEQUENCE = itertools.count()


async def measure(url: str, headers: dict, seconds: float, concurrency: int, unique: bool) -> tuple[float, float]:
    async def one(http, worker, n):
        body = dict(BODY, external_ref=f"bench-{next(SEQUENCE)}") if unique else BODY
        async with http.post(url, data=json.dumps(body), headers=headers) as response:
            await response.read()
            return response.status

    await closed_loop(one, 1.0, concurrency)  # warm up connections and caches
    count, latencies = await closed_loop(one, seconds, concurrency)
    return count / seconds, percentile(latencies, 99) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    echo_port, sandbox_port = free_port(), free_port()
    tmp = Path(tempfile.mkdtemp(prefix="bench-create-"))
    echo = spawn(["bench/echo_server.py", str(echo_port)])
    sandbox = spawn(["-m", "sandbox", "serve", "--port", str(sandbox_port), "--db", str(tmp / "s.db"), "--seed", "1"],
                    log=tmp / "sandbox.log")
    try:
        await wait_up(f"http://127.0.0.1:{echo_port}/health")
        await wait_up(f"http://127.0.0.1:{sandbox_port}/_sandbox/health")
        import aiohttp
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{sandbox_port}/_sandbox/config") as response:
                key = (await response.json())["providers"]["liqx"]["api_key"]
        json_headers = {"Content-Type": "application/json"}
        echo_rps, echo_p99 = await measure(f"http://127.0.0.1:{echo_port}/echo", json_headers, args.seconds,
                                           args.concurrency, unique=False)
        create_rps, create_p99 = await measure(f"http://127.0.0.1:{sandbox_port}/liqx/v1/payin-intents",
                                               {**json_headers, "Authorization": f"Bearer {key}"}, args.seconds,
                                               args.concurrency, unique=True)
    finally:
        for proc in (echo, sandbox):
            proc.terminate()
            proc.wait(10)
    print(f"bare aiohttp JSON echo : {echo_rps:8.0f} req/s  p99 {echo_p99:6.1f} ms")
    print(f"LIQX create-intent     : {create_rps:8.0f} req/s  p99 {create_p99:6.1f} ms")
    print(f"ratio create / echo    : {create_rps / echo_rps:8.2f}   (SPEC §11 target >= 0.50)")


if __name__ == "__main__":
    asyncio.run(main())
