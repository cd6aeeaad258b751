"""Create-intent throughput (validated, persisted, outbox-ready) next to a bare aiohttp JSON echo.

SPEC §11 targets: the sandbox's LIQX create reaches at least half the echo's throughput, and at
least 30x localstripe's `POST /v1/payment_intents` once localstripe holds 10 k objects. localstripe
is an optional peer, not a dependency: when it is not importable its row is skipped with a note.
`--localstripe-python` names an interpreter that has it (a venv of its own keeps its dependencies
apart from the sandbox's), else this interpreter is tried.
The echo and the create are measured in `--rounds` alternating rounds of `--seconds` each (the
order flips every round), and the ratio is the median of each round's create / echo: this
machine's speed drifts by more than a tenth within a minute, and a round of each, side by side,
sees the same drift. Run: `python bench/bench_create.py [--seconds 4] [--rounds 6]
[--concurrency 32] [--localstripe-prefill 10000] [--localstripe-python PATH] [--quick]`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import itertools
import json
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from common import (
    closed_loop,
    cpu_s,
    free_port,
    liqx_key,
    load_note,
    percentile,
    scratch,
    set_aside,
    spawn,
    stop,
    thread_cpu_s,
    wait_up,
)

BODY = {"external_ref": "", "external_user_id": "partner-user-001", "depositor_name": "홍길동",
        "amount_krw": "100000", "amount_usdt": "75.50", "user_email": "demo@example.com",
        "return_url": "https://partner.example.com/orders/demo", "widget_type": "PAYIN"}


SEQUENCE = itertools.count()


class Figures(NamedTuple):
    """One closed-loop measurement: req/s, p99, and CPU per request of the servers and of their database."""

    rps: float
    p99_ms: float
    cpu_ms: float
    db_cpu_ms: float
    #: CPU ms per request of each thread of the first server (`loop`, then the store's and others').
    threads_ms: dict = {}


async def measure(url: str | Sequence[str], headers: dict, seconds: float, concurrency: int, unique: bool,
                  pid: int | Sequence[int], db_pids: Sequence[int] = (), warm: bool = True) -> Figures:
    """req/s, p99 ms and the servers' CPU ms per request over a closed loop of `seconds`.

    Given several URLs (replicas), worker i sends to URL i mod n: the creates are spread round
    robin; the CPU is summed over every pid given. `db_pids` (a database server's processes) are
    counted apart, as `db_cpu_ms` (0 without them: SQLite works inside the server's process).
    """
    urls = [url] if isinstance(url, str) else list(url)
    pids = [pid] if isinstance(pid, int) else list(pid)

    async def one(http, worker, n):
        body = dict(BODY, external_ref=f"bench-{next(SEQUENCE)}") if unique else BODY
        async with http.post(urls[worker % len(urls)], data=json.dumps(body), headers=headers) as response:
            await response.read()
            return response.status

    if warm:
        await closed_loop(one, min(1.0, seconds), concurrency)  # warm up connections and caches
    before = [cpu_s(p) for p in pids], [cpu_s(p) for p in db_pids]
    threads_before = thread_cpu_s(pids[0])
    count, latencies = await closed_loop(one, seconds, concurrency)
    servers, database = ((sum(cpu_s(p) for p in group) - sum(start)) * 1000 / max(count, 1)
                         for group, start in zip((pids, db_pids), before, strict=True))
    threads = {name: (used - threads_before.get(name, 0.0)) * 1000 / max(count, 1)
               for name, used in thread_cpu_s(pids[0]).items()}
    return Figures(count / seconds, percentile(latencies, 99) * 1000, servers, database, threads)


LOCALSTRIPE_FORM = {"amount": "7550", "currency": "usd", "payment_method_types[]": "card"}


def _has_localstripe(python: str) -> bool:
    if python == sys.executable:
        return importlib.util.find_spec("localstripe") is not None
    return subprocess.run([python, "-c", "import localstripe"], capture_output=True).returncode == 0


#: Where PyPI's localstripe writes its state on every change (versions that read
#: `LOCALSTRIPE_DISK_PATH` are pointed into the run's own directory instead).
LOCALSTRIPE_STATE = Path("/tmp/localstripe.pickle")  # noqa: S108 (localstripe's own fixed path)


async def localstripe(tmp: Path, seconds: float, concurrency: int, prefill: int,
                      python: str = sys.executable) -> tuple[float, float] | None:
    """localstripe's create-payment-intent rate after `prefill` stored intents; None when not installed.

    A file localstripe keeps at its fixed path is left as it was (`set_aside`).
    """
    if not _has_localstripe(python):
        return None
    with set_aside(LOCALSTRIPE_STATE, tmp):
        return await _localstripe(tmp, seconds, concurrency, prefill, python)


async def _localstripe(tmp: Path, seconds: float, concurrency: int, prefill: int,
                       python: str) -> tuple[float, float]:
    import aiohttp
    port = free_port()
    proc = spawn(["-c", "import sys; from localstripe.server import start; "
                  f"sys.argv = ['localstripe', '--port', '{port}', '--from-scratch']; start()"],
                 env={"LOCALSTRIPE_DISK_PATH": str(tmp / "localstripe.pickle")}, python=python)
    url = f"http://127.0.0.1:{port}/v1/payment_intents"
    headers = {"Authorization": "Bearer sk_test_bench"}
    try:
        await wait_up(f"http://127.0.0.1:{port}/js.stripe.com/v3/")
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
            async def post(_):
                async with http.post(url, data=LOCALSTRIPE_FORM, headers=headers) as response:
                    await response.read()
            for start in range(0, prefill, 500):
                await asyncio.gather(*(post(i) for i in range(start, min(prefill, start + 500))))

        async def one(http, worker, n):
            async with http.post(url, data=LOCALSTRIPE_FORM, headers=headers) as response:
                await response.read()
                return response.status

        count, latencies = await closed_loop(one, seconds, concurrency)
        return count / seconds, percentile(latencies, 99) * 1000
    finally:
        stop(proc)


async def main(tmp: Path) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4, help="seconds of each round (default 4)")
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds of echo and create (default 6)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--localstripe-prefill", type=int, default=10_000)
    parser.add_argument("--localstripe-python", default=sys.executable,
                        help="an interpreter with localstripe installed (default: this one)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: short and small, figures meaningless")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.concurrency, args.localstripe_prefill = 0.5, 2, 4, 0
    print(f"machine: {load_note()} at start")
    echo_port, sandbox_port = free_port(), free_port()
    echo = spawn(["bench/echo_server.py", str(echo_port)])
    sandbox = spawn(["-m", "sandbox", "serve", "--port", str(sandbox_port), "--db", str(tmp / "s.db"), "--seed", "1"],
                    log=tmp / "sandbox.log")
    try:
        await wait_up(f"http://127.0.0.1:{echo_port}/health")
        await wait_up(f"http://127.0.0.1:{sandbox_port}/_sandbox/health")
        key = await liqx_key(f"http://127.0.0.1:{sandbox_port}")
        json_headers = {"Content-Type": "application/json"}
        sides = {"echo": (f"http://127.0.0.1:{echo_port}/echo", json_headers, False, echo.pid),
                 "create": (f"http://127.0.0.1:{sandbox_port}/liqx/v1/payin-intents",
                            {**json_headers, "Authorization": f"Bearer {key}"}, True, sandbox.pid)}
        rounds: dict[str, list[Figures]] = {"echo": [], "create": []}
        for n in range(args.rounds):
            for side in ("echo", "create") if n % 2 == 0 else ("create", "echo"):
                url, headers, unique, pid = sides[side]
                rounds[side].append(await measure(url, headers, args.seconds, args.concurrency, unique=unique,
                                                  pid=pid, warm=n < 2))
    finally:
        stop(echo, sandbox)
    peer = await localstripe(tmp, args.seconds, args.concurrency, args.localstripe_prefill, args.localstripe_python)
    echo_rps, create_rps = (statistics.median(f.rps for f in rounds[side]) for side in ("echo", "create"))
    echo_p99, create_p99 = (statistics.median(f.p99_ms for f in rounds[side]) for side in ("echo", "create"))
    echo_cpu, create_cpu = (statistics.median(f.cpu_ms for f in rounds[side]) for side in ("echo", "create"))
    ratios = [c.rps / e.rps for e, c in zip(rounds["echo"], rounds["create"], strict=True)]
    print(f"bare aiohttp JSON echo : {echo_rps:8.0f} req/s  p99 {echo_p99:6.1f} ms  server CPU {echo_cpu:5.3f} ms/req"
          f"  (medians of {args.rounds} rounds of {args.seconds:g} s)")
    print(f"LIQX create-intent     : {create_rps:8.0f} req/s  p99 {create_p99:6.1f} ms  server CPU {create_cpu:5.3f} ms/req")
    threads: dict[str, list[float]] = {}
    for figures in rounds["create"]:
        for name, ms in figures.threads_ms.items():
            threads.setdefault(name, []).append(ms)
    split = ", ".join(f"{name} {ms:.3f}" for name, ms in sorted(((k, statistics.median(v)) for k, v in threads.items()),
                                                                key=lambda kv: -kv[1]) if ms >= 0.005)
    print(f"  create CPU by thread ms/req: {split}")
    print(f"ratio create / echo    : {statistics.median(ratios):8.2f}   (SPEC §11 target >= 0.50; the median of the "
          f"rounds' {', '.join(f'{r:.2f}' for r in ratios)}; by server CPU per request {echo_cpu / create_cpu:.2f})")
    if peer is None:
        print("localstripe            : skipped (not installed; `pip install localstripe`, or name an interpreter "
              "that has it with --localstripe-python, to compare)")
    else:
        print(f"localstripe create     : {peer[0]:8.0f} req/s  p99 {peer[1]:6.1f} ms  "
              f"(after {args.localstripe_prefill} stored)")
        print(f"ratio create / localstripe: {create_rps / peer[0]:5.1f}x   (SPEC §11 target >= 30x)")
    print(f"machine: {load_note()} at end")


if __name__ == "__main__":
    with scratch("bench-create-") as tmp:
        asyncio.run(main(tmp))
