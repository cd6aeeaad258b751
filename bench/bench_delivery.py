"""Webhook deliveries per second from a real sandbox process to a local receiver (SPEC §11).

The outbox is pre-filled with N valid LIQX events (as if N intents had just completed), the
sandbox is started on that database, and the clock runs from its first attempt to the receiver's
N-th 200. Run twice: a receiver that answers at once, and one that takes 100 ms per request.
Baseline in the same run: a plain aiohttp client posting the same N bodies straight to the same
receiver with 256 requests in flight (SPEC §11 target: the sandbox reaches 0.8x of it). A second
reference posts them with the sandbox's own webhook client (`sandbox.delivery.sender`), so the
printout also shows how near the sandbox comes to what that client alone gets from the receiver.
Run: `python bench/bench_delivery.py [--events 6000] [--slow-events 6000] [--quick]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import free_port, load_note, scratch, spawn, stop, wait_up  # noqa: E402

from sandbox.clock import iso, to_ms  # noqa: E402
from sandbox.delivery.destinations import DestinationPolicy  # noqa: E402
from sandbox.delivery.outbox import Outgoing, emit  # noqa: E402
from sandbox.delivery.sender import Sender  # noqa: E402
from sandbox.providers.liqx.events import webhook_body  # noqa: E402
from sandbox.store import Store  # noqa: E402


def event(n: int, now: datetime) -> Outgoing:
    """The n-th completed-intent webhook event, as LIQX emits it."""
    intent = {"intent_id": f"lqi_{n:024d}", "external_ref": f"bench-{n}", "external_user_id": "partner-user-001",
              "type": "PAYIN", "status": "COMPLETED", "amount_krw": "1000", "amount_usdt": "1.00",
              "failure_reason": None, "completed_at": iso(now)}
    event_id = f"evt_{n:024d}"
    return Outgoing("liqx", event_id, "transaction.completed", webhook_body(event_id, "transaction.completed", intent, now))


def fill(uow, count: int, url: str) -> None:
    now = datetime.now(UTC)
    uow.meta.set("endpoint:liqx", {"url": url})
    for n in range(count):
        emit(uow, event(n, now), to_ms(now))


def bodies(count: int) -> list[bytes]:
    now = datetime.now(UTC)
    return [json.dumps(event(n, now).body).encode() for n in range(count)]


async def direct(url: str, count: int) -> float:
    """The baseline: the same N bodies posted straight to the receiver, 256 in flight; returns req/s."""
    headers, payloads = {"Content-Type": "application/json"}, bodies(count)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as http:
        async def post(body: bytes) -> None:
            async with http.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"receiver answered {response.status}")
        started = time.perf_counter()
        await asyncio.gather(*(post(body) for body in payloads))
        return count / (time.perf_counter() - started)


async def direct_sender(url: str, count: int) -> float:
    """The reference: the same N bodies through the sandbox's webhook client alone, 256 in flight."""
    sender, slots = Sender(DestinationPolicy.build(True)), asyncio.Semaphore(256)
    headers, payloads = {"Content-Type": "application/json"}, bodies(count)

    async def post(body: bytes) -> None:
        async with slots:
            if (await sender.post(url, body, headers)).status != 200:
                raise RuntimeError("receiver did not answer 200")
    try:
        started = time.perf_counter()
        await asyncio.gather(*(post(body) for body in payloads))
        return count / (time.perf_counter() - started)
    finally:
        await sender.close()


async def run(count: int, delay_s: float, tmp: Path) -> tuple[float, float, float]:
    receiver_port, sandbox_port = free_port(), free_port()
    receiver = spawn(["bench/receiver_server.py", str(receiver_port), str(delay_s)])
    db_path = tmp / f"deliveries-{delay_s}.db"
    try:
        await wait_up(f"http://127.0.0.1:{receiver_port}/count")
        store = await Store.open(str(db_path))
        await store.commit(fill, count, f"http://127.0.0.1:{receiver_port}/hook")
        await store.close()
        started = time.perf_counter()
        sandbox = spawn(["-m", "sandbox", "serve", "--port", str(sandbox_port), "--db", str(db_path)],
                        log=tmp / "sandbox.log")
        try:
            async with aiohttp.ClientSession() as http:
                first_at = None
                while True:
                    async with http.get(f"http://127.0.0.1:{receiver_port}/count") as response:
                        seen = (await response.json())["n"]
                    if seen and first_at is None:
                        first_at = time.perf_counter()
                    if seen >= count:
                        break
                    if time.perf_counter() - started > 300:
                        raise RuntimeError(f"only {seen} of {count} delivered")
                    await asyncio.sleep(0.02)
            elapsed = time.perf_counter() - (first_at or started)
        finally:
            stop(sandbox)
        url = f"http://127.0.0.1:{receiver_port}/hook"
        return count / elapsed, await direct(url, count), await direct_sender(url, count)
    finally:
        stop(receiver)


async def main(tmp: Path) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=6000)
    parser.add_argument("--slow-events", type=int, default=6000)
    parser.add_argument("--quick", action="store_true", help="a smoke run: short and small, figures meaningless")
    args = parser.parse_args()
    if args.quick:
        args.events = args.slow_events = 100
    print(f"machine: {load_note()} at start")
    for label, count, delay_s in (("fast receiver  ", args.events, 0.0), ("100 ms receiver", args.slow_events, 0.1)):
        rate, base, own = await run(count, delay_s, tmp)
        print(f"{label} : {rate:7.0f} deliveries/s  (direct aiohttp client baseline {base:7.0f} req/s, "
              f"ratio {rate / base:.2f}; SPEC §11 target >= 0.80)")
        print(f"{' ' * len(label)}   the sandbox's webhook client alone {own:7.0f} req/s, ratio {rate / own:.2f}")
    print(f"machine: {load_note()} at end")


if __name__ == "__main__":
    with scratch("bench-delivery-") as tmp:
        asyncio.run(main(tmp))
