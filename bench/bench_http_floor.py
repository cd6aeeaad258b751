"""What aiohttp costs a request, next to a bare protocol over httptools, and that cost as a share of a create.

The create row of SPEC §11 (`bench_create.py`) reads the sandbox's CPU per create against the load
generator's cost per echo request. This benchmark measures how much of a create is aiohttp itself
— its server protocol, its request and response objects, its router — so that what leaving it
would take off a create is a figure, not a guess. Three servers, each a child process on uvloop
(as `sandbox serve` runs), loaded in alternating rounds by the same closed loop with the LIQX
create's request (its body and headers):

- `aiohttp`: an aiohttp application with one route, no middleware and no access log, whose handler
  reads the body and answers 201 with a fixed JSON body the size of a create's answer;
- `bare`: an asyncio protocol over httptools (the parser the sandbox's webhook client uses) that
  answers the same bytes: the floor of a Python server on this loop (the socket calls, the parse);
- `create`: the sandbox's LIQX create, as `bench_create.py` measures it.

Prints each server's CPU per request (medians of the rounds), what aiohttp adds to a request over
the floor, and that difference as a share of a create. Most of it is not in aiohttp's connection
protocol but in what every request through an aiohttp application makes (bench/README.md: a
connection layer of the sandbox's own under the same application took 2–3% off a create; since
`d853548` the sandbox serves its providers' APIs without those objects,
`sandbox/web/fastpath.py`, so the share now says what they would add back). The ratio is bare /
aiohttp by CPU per request. Run: `python bench/bench_http_floor.py [--seconds 4] [--rounds 6]
[--concurrency 32] [--quick]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path

from bench_create import Figures, measure
from common import free_port, liqx_key, load_note, scratch, spawn, stop, wait_up

#: A JSON answer of about the size of a LIQX create's (600 bytes of body).
ANSWER = b'{"intent_id": "lqi_bench", "padding": "' + b"x" * 560 + b'"}'


def serve_aiohttp(port: int) -> None:
    """An aiohttp server with one POST route answering `ANSWER` once the body is read."""
    import uvloop
    from aiohttp import web

    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=201, body=ANSWER, content_type="application/json", charset="utf-8")

    async def health(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/create", answer)
    app.router.add_get("/health", health)
    uvloop.install()
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


class _Bare(asyncio.Protocol):
    """HTTP/1.1 with keep-alive over httptools, answering every request at once; enough for this load."""

    def connection_made(self, transport) -> None:
        import httptools
        self.transport = transport
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_url(self, url: bytes) -> None:
        self.url = url

    def on_message_complete(self) -> None:
        status, body = (b"200 OK", b"ok") if self.url == b"/health" else (b"201 Created", ANSWER)
        self.transport.write(b"HTTP/1.1 %s\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: %d\r\n"
                             b"\r\n%s" % (status, len(body), body))


def serve_bare(port: int) -> None:
    """The bare protocol's server."""
    import uvloop

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(_Bare, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    uvloop.install()
    asyncio.run(main())


async def main(tmp: Path, args: argparse.Namespace) -> None:
    print(f"machine: {load_note()} at start")
    ports = {"aiohttp": free_port(), "bare": free_port(), "create": free_port()}
    script = str(Path(__file__).resolve())
    procs = {"aiohttp": spawn([script, "--serve", "aiohttp", str(ports["aiohttp"])]),
             "bare": spawn([script, "--serve", "bare", str(ports["bare"])]),
             "create": spawn(["-m", "sandbox", "serve", "--port", str(ports["create"]), "--db", str(tmp / "s.db"),
                              "--seed", "1"], log=tmp / "sandbox.log")}
    try:
        await wait_up(f"http://127.0.0.1:{ports['aiohttp']}/health")
        await wait_up(f"http://127.0.0.1:{ports['bare']}/health")
        await wait_up(f"http://127.0.0.1:{ports['create']}/_sandbox/health")
        key = await liqx_key(f"http://127.0.0.1:{ports['create']}")
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        urls = {"aiohttp": f"http://127.0.0.1:{ports['aiohttp']}/create",
                "bare": f"http://127.0.0.1:{ports['bare']}/create",
                "create": f"http://127.0.0.1:{ports['create']}/liqx/v1/payin-intents"}
        rounds: dict[str, list[Figures]] = {side: [] for side in urls}
        for n in range(args.rounds):
            order = list(urls) if n % 2 == 0 else list(reversed(urls))
            for side in order:
                rounds[side].append(await measure(urls[side], headers, args.seconds, args.concurrency,
                                                  unique=side == "create", pid=procs[side].pid, warm=n < 2))
    finally:
        stop(*procs.values())
    cpu = {side: statistics.median(f.cpu_ms for f in figures) for side, figures in rounds.items()}
    rps = {side: statistics.median(f.rps for f in figures) for side, figures in rounds.items()}
    names = {"aiohttp": "aiohttp server, fixed answer", "bare": "bare httptools protocol", "create": "LIQX create-intent"}
    for side in urls:
        print(f"{names[side]:29s}: {rps[side]:8.0f} req/s  server CPU {cpu[side] * 1000:6.1f} us/req"
              f"  (medians of {args.rounds} rounds of {args.seconds:g} s)")
    added = cpu["aiohttp"] - cpu["bare"]
    shares = [(a.cpu_ms - b.cpu_ms) / c.cpu_ms for a, b, c in zip(*rounds.values(), strict=True)]
    print(f"aiohttp over the floor: {added * 1000:6.1f} us/req = {added / cpu['create']:.0%} of a create's CPU "
          f"(rounds: {', '.join(f'{share:.0%}' for share in shares)})")
    print(f"ratio bare / aiohttp by server CPU per request: {cpu['bare'] / cpu['aiohttp']:.2f}")
    print(f"machine: {load_note()} at end")


def cli() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        (serve_aiohttp if sys.argv[2] == "aiohttp" else serve_bare)(int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4, help="seconds of each round (default 4)")
    parser.add_argument("--rounds", type=int, default=6, help="rounds, each measuring the three servers (default 6)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--quick", action="store_true", help="a smoke run: short and small, figures meaningless")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.concurrency = 0.5, 2, 4
    with scratch("bench-http-floor-") as tmp:
        asyncio.run(main(tmp, args))


if __name__ == "__main__":
    cli()
