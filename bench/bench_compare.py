"""Two versions of the sandbox side by side: LIQX create-intent of a change against its base, at the same moments.

Why a benchmark of its own: a product change worth a few percent cannot be seen in
`bench_create.py`'s alternating rounds on a small VM, whose speed moves by a fifth from one
round to the next (bench/README.md). Here both versions serve at once, each from its own checkout
with its own database, each loaded by its own closed loop of `--concurrency` clients from this
process, so every round sees the same machine for both; the ratio is change / base in each round,
and the figure their geometric mean with the spread of the rounds.

Read the CPU per create first. Two servers and the load generator share the machine, so neither
server is saturated: its creates/s here follow its latency (a closed loop), while `bench_create.py`'s
lone server is saturated and its creates/s follow its CPU per create. A change that trades latency
for CPU (a longer wait to gather a group commit) shows fewer creates/s here and more there.

Both versions run with this interpreter (the checkout's own `sandbox` package first on the path,
as `python -m` puts its working directory first).

The baseline is BASE, measured in the same rounds. Run the same revision on both sides to see the
harness's own spread (the figures are then 1.00 within it). A checkout of a revision is made with
`git worktree add --detach` in the run's directory and removed afterwards; `.` names the working
tree as it is, uncommitted changes included.

Run: `python bench/bench_compare.py BASE [CHANGE] [--rounds 10] [--seconds 4] [--concurrency 32] [--quick]`
(CHANGE defaults to the working tree), e.g. `python bench/bench_compare.py HEAD` for what the
uncommitted change buys.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import statistics
import subprocess
from collections.abc import Iterator
from pathlib import Path

from bench_create import Figures, measure
from common import ROOT, free_port, liqx_key, load_note, scratch, spawn, stop, wait_up


@contextlib.contextmanager
def checkout(revision: str, where: Path) -> Iterator[Path]:
    """A directory holding `revision`'s code: the working tree itself for `.`, else a detached worktree."""
    if revision == ".":
        yield ROOT
        return
    subprocess.run(["git", "worktree", "add", "--quiet", "--detach", str(where), revision], cwd=ROOT, check=True)
    try:
        yield where
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=ROOT, check=False)


async def start(code: Path, tmp: Path, name: str) -> tuple[subprocess.Popen, str, dict]:
    """A server of the code in `code` on a fresh database; its process, create URL and headers."""
    port = free_port()
    proc = spawn(["-m", "sandbox", "serve", "--port", str(port), "--db", str(tmp / f"{name}.db"), "--seed", "1"],
                 log=tmp / f"{name}.log", cwd=code)
    try:
        await wait_up(f"http://127.0.0.1:{port}/_sandbox/health")
        key = await liqx_key(f"http://127.0.0.1:{port}")
    except BaseException:
        stop(proc)
        raise
    return proc, f"http://127.0.0.1:{port}/liqx/v1/payin-intents", {"Content-Type": "application/json",
                                                                     "Authorization": f"Bearer {key}"}


def geometric_mean(values: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values))


async def main(tmp: Path) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base", help="the git revision measured against (e.g. HEAD, main, a commit)")
    parser.add_argument("change", nargs="?", default=".", help="the revision measured (default `.`: the working tree)")
    parser.add_argument("--seconds", type=float, default=4, help="seconds of each round (default 4)")
    parser.add_argument("--rounds", type=int, default=10, help="rounds, both versions at once in each (default 10)")
    parser.add_argument("--concurrency", type=int, default=32, help="clients of each version (default 32)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: short and small, figures meaningless")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.concurrency = 0.5, 2, 4
    print(f"machine: {load_note()} at start")
    with checkout(args.base, tmp / "base-code") as base_code, checkout(args.change, tmp / "change-code") as change_code:
        servers = []
        try:
            for name, code in (("base", base_code), ("change", change_code)):
                servers.append(await start(code, tmp, name))
            rounds: list[tuple[Figures, Figures]] = []
            for n in range(args.rounds):
                base, change = await asyncio.gather(*(
                    measure(url, headers, args.seconds, args.concurrency, unique=True, pid=proc.pid, warm=n == 0)
                    for proc, url, headers in servers))
                rounds.append((base, change))
                print(f"round {n + 1:2d}: base {base.rps:7.0f} req/s {base.cpu_ms:6.3f} ms CPU/create   "
                      f"change {change.rps:7.0f} req/s {change.cpu_ms:6.3f} ms   "
                      f"change/base {change.rps / base.rps:5.3f} req/s, {change.cpu_ms / base.cpu_ms:5.3f} CPU")
        finally:
            stop(*(proc for proc, _, _ in servers))
    rps = [change.rps / base.rps for base, change in rounds]
    cpu = [change.cpu_ms / base.cpu_ms for base, change in rounds]
    print(f"versions: base {args.base}, change {args.change} ({args.rounds} rounds of {args.seconds:g} s, "
          f"{args.concurrency} clients each)")
    print(f"ratio change / base, CPU per create: {geometric_mean(cpu):5.3f}   (rounds {min(cpu):.3f}-{max(cpu):.3f}; "
          "what a saturated server's creates/s follow)")
    print(f"ratio change / base, creates/s     : {geometric_mean(rps):5.3f}   (rounds {min(rps):.3f}-{max(rps):.3f}; "
          "at this load, neither server saturated: latency shows too)")
    print(f"machine: {load_note()} at end")


if __name__ == "__main__":
    with scratch("bench-compare-") as tmp:
        asyncio.run(main(tmp))
