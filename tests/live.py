"""A real `sandbox serve` process for tests that need the command line itself: its banner, its
stderr log lines, its exit codes, an installed wheel's console script.

stdout and stderr go to files, so nothing blocks on a full pipe and a test can read either at any
time. The environment is stripped of `SANDBOX_*` so a developer's shell never changes a result.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SANDBOX = [sys.executable, "-m", "sandbox"]


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without any `SANDBOX_*` variable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    env.update(extra)
    return env


@dataclass
class LiveServer:
    """One running `sandbox serve`: its base URL, banner and log files."""

    proc: subprocess.Popen
    url: str
    out: Path
    err: Path

    @property
    def banner(self) -> str:
        return self.out.read_text(encoding="utf-8")

    @property
    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8")

    def wait_for_stderr(self, needle: str, timeout: float = 10.0) -> str:
        """Poll the stderr file (real time, bounded) until it contains `needle`; return it all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.stderr
            if needle in text:
                return text
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} never appeared on stderr:\n{self.stderr}")

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        """One HTTP request to the server; returns (status, decoded JSON or text)."""
        return http(method, self.url + path, body, headers)

    def stop(self) -> int:
        """SIGTERM, then the exit code (killed after 15 s)."""
        return terminate(self.proc)


def http(method: str, url: str, body: dict | None = None, headers: dict | None = None):
    """A plain urllib request; returns (status, JSON body or text)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def start_server(workdir: Path, *args: str, command: list[str] | None = None, env: dict | None = None,
                 timeout: float = 30.0) -> LiveServer:
    """Start `sandbox serve --port 0 ARGS` in `workdir` and wait for its banner."""
    workdir.mkdir(parents=True, exist_ok=True)
    stamp = time.monotonic_ns()
    out, err = workdir / f"serve-{stamp}.out", workdir / f"serve-{stamp}.err"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        proc = subprocess.Popen([*(command or SANDBOX), "serve", "--port", "0", *args], cwd=workdir,
                                stdout=stdout, stderr=stderr, env=env or clean_env())
    server = LiveServer(proc, "", out, err)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        banner = server.banner
        if "Inspector:" in banner:
            server.url = banner.split("listening on ", 1)[1].split()[0]
            return server
        if proc.poll() is not None:
            raise AssertionError(f"serve exited {proc.returncode}:\n{banner}\n{server.stderr}")
        time.sleep(0.05)
    server.stop()
    raise AssertionError(f"no banner within {timeout} s:\n{server.banner}\n{server.stderr}")


def terminate(proc: subprocess.Popen) -> int:
    """Stop a server process as an operator would (SIGTERM), killing it after 15 s; its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode
