"""Benchmark plumbing: servers in child processes, a closed-loop load generator, percentiles.

Every figure is printed next to a baseline measured in the same run on the same machine, because
absolute numbers mean nothing across machines; ratios do.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import mmap
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A run's own directory for its databases and servers' logs, under the system's temporary one.

    Removed once the run has finished (a run leaves up to half a gigabyte of databases behind); kept,
    its path printed, when the run fails or is interrupted, so the servers' logs can be read.
    """
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    except BaseException as failure:
        if isinstance(failure, SystemExit) and not failure.code:   # `--help`: nothing ran
            shutil.rmtree(path, ignore_errors=True)
        else:
            print(f"the run's databases and logs are kept in {path}", file=sys.stderr)
        raise
    shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def set_aside(path: Path, scratch_dir: Path) -> Iterator[None]:
    """Leave a file that another program writes at a fixed path (not under `TMPDIR`) as it was.

    PyPI's localstripe keeps its state in `/tmp/localstripe.pickle` whatever the environment says:
    a run with it would overwrite a user's file there and leave its own behind. The file is moved
    into the run's `scratch_dir` while the block runs; afterwards what the block wrote there is
    removed and the file put back (a run killed in between leaves it in the kept scratch directory).
    """
    kept = scratch_dir / f"set-aside-{path.name}"
    had = path.exists()
    if had:
        shutil.move(path, kept)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        if had:
            shutil.move(kept, path)


def spawn(args: list[str], env: dict | None = None, log: Path | None = None,
          python: str = sys.executable, cwd: Path = ROOT) -> subprocess.Popen:
    """`python args...` started in `cwd` (a checkout's root: `-m sandbox` then runs that checkout's code)."""
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (closed with the process)
    return subprocess.Popen([python, *args], cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=out, stderr=subprocess.STDOUT)


async def wait_up(url: str, timeout: float = 120) -> None:
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


async def liqx_key(base: str) -> str:
    """The LIQX API key of the default world of the sandbox at `base` (what every create benchmark presents)."""
    async with aiohttp.ClientSession() as http, http.get(f"{base}/_sandbox/config") as response:
        return (await response.json())["providers"]["liqx"]["api_key"]


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


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB (Linux `/proc`), NaN where unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cached_share(path: Path) -> float:
    """The share of a file's pages in the kernel's page cache (Linux `mincore`), NaN where unavailable.

    A database larger than what the host keeps cached answers some reads from the disk: the
    scale benchmark prints this so that the server's growth and the host's cache can be told apart.
    """
    try:
        size = path.stat().st_size
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype, libc.mmap.argtypes = ctypes.c_void_p, (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                                                                   ctypes.c_int, ctypes.c_int, ctypes.c_long)
        libc.mincore.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p)
        libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
        pages = -(-size // mmap.PAGESIZE)
        with path.open("rb") as file:
            address = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, file.fileno(), 0)
        if address in (None, ctypes.c_void_p(-1).value):
            return float("nan")
        try:
            vector = ctypes.create_string_buffer(pages)
            if libc.mincore(address, size, vector) != 0:
                return float("nan")
            return sum(byte & 1 for byte in vector.raw) / pages
        finally:
            libc.munmap(address, size)
    except (OSError, AttributeError, ValueError):
        return float("nan")


def read_through(path: Path) -> None:
    """Read a file once from start to end, so the page cache holds it (as long as the host lets it)."""
    with path.open("rb") as file:
        while file.read(1 << 20):
            pass


def load_note() -> str:
    """The machine's 1-minute load average and core count, printed with every figure."""
    try:
        return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    except OSError:
        return "load unknown"


def stop(*procs: subprocess.Popen) -> None:
    """Terminate child servers and reap them."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process (with its threads) has used so far (Linux `/proc`).

    On a shared, loaded machine throughput swings with the neighbours; CPU time per request does
    not, so the benchmarks print it beside req/s.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def thread_cpu_s(pid: int) -> dict[str, float]:
    """User + system CPU seconds of each thread of `pid` so far, by role: the main thread (the
    event loop) as `loop`, the others as `thread <tid>` (Linux `/proc`; empty where it is absent)."""
    found = {}
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        tid = stat.parent.name
        found["loop" if tid == str(pid) else f"thread {tid}"] = \
            (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def with_children(pid: int) -> list[int]:
    """`pid` and its direct children (Linux `/proc`): a PostgreSQL server's postmaster and its backends."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return [pid, *children]
