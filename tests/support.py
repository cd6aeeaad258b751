"""Test support: a real sandbox server on a real port, real webhook receivers, and a browser.

Everything here is real: the server is the full aiohttp app bound to a loopback socket, the
receivers are aiohttp servers, and the browser is Debian's Chromium driven by Playwright. Time is
the sandbox's manual clock (scale 0), moved with `advance()`, never slept.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web

from sandbox.app import create_app
from sandbox.clock import Clock
from sandbox.contracts import Contracts
from sandbox.engine import Sandbox
from sandbox.keys import SANDBOX
from sandbox.providers.base import Provider
from sandbox.settings import Settings, load_settings
from sandbox.web.fastpath import ApiSite

START = datetime(2026, 11, 22, 9, 0, 0, tzinfo=UTC)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


#: The contracts every test validates answers against (the same files partners use).
CONTRACTS = Contracts()

#: How each provider's API is authenticated: header name -> credential name (SPEC §2-§4).
_CREDENTIALS = {
    "liqx": {"Authorization": "Bearer {api_key}"},
    "rozo": {"X-API-Key": "{api_key}"},
    "inqud": {"X-Token-API-Id": "{api_id}", "X-Token-API-Secret": "{api_secret}"},
    "mizu": {"Authorization": "Bearer {api_key}"},
}


_FIELDS = re.compile(r"{(\w+)}")


def credentials(running, provider: str) -> dict:
    """The headers that authenticate a call to `provider`'s API (through `running.key`, so a world's view works)."""
    names = {field for template in _CREDENTIALS[provider].values() for field in _FIELDS.findall(template)}
    values = {name: running.key(provider, name) for name in names}
    return {header: template.format(**values) for header, template in _CREDENTIALS[provider].items()}


def contract_issues(provider: str, kind: str, name: str, instance) -> list:
    """Violations of `<provider>/<kind>/<name>` (empty when the instance fits)."""
    return CONTRACTS.errors(provider, kind, name, instance)


def assert_contract(provider: str, kind: str, name: str, instance) -> None:
    """Fail naming every violation of the contract."""
    issues = contract_issues(provider, kind, name, instance)
    assert not issues, (f"{provider}/{kind}/{name}", issues, instance)


#: The PostgreSQL cluster the current test runs on (None: SQLite), set by the `backend` fixture.
_cluster = None
_databases: dict[tuple[str, str], str] = {}


def use_backend(cluster) -> None:
    """Run the following `db_url` calls on `cluster` (a `tests.pg.Cluster`), or on SQLite (None);
    switching drops the databases made for the test that ran before."""
    global _cluster
    if _cluster is not None:
        for url in _databases.values():
            _cluster.drop_database(url)
    _databases.clear()
    _cluster = cluster


def db_url(tmp_path: Path, name: str = "sandbox.db") -> str:
    """Where a test's database `name` lives: a file in `tmp_path`, or (on the PostgreSQL half of the
    suite) a fresh database of the session's cluster — the same one again for the same name, so a
    test that restarts a server finds its rows."""
    if _cluster is None:
        return str(tmp_path / name)
    key = (str(tmp_path), name)
    if key not in _databases:
        _databases[key] = _cluster.create_database()
    return _databases[key]


def query(db: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of one query on a test's database through a connection of its own (another process's
    view): a SQLite file, or a PostgreSQL URL (`?` placeholders either way)."""
    if "://" not in db:
        import sqlite3

        with sqlite3.connect(db) as conn:
            return conn.execute(sql, params).fetchall()
    import psycopg

    with psycopg.connect(db, autocommit=True) as conn:
        cursor = conn.execute(sql.replace("?", "%s"), params or None)
        return cursor.fetchall() if cursor.description else []


def on_postgres() -> bool:
    """True while the current test runs on the PostgreSQL backend."""
    return _cluster is not None


def free_socket(host: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock


@dataclass
class Running:
    """A sandbox server under test."""

    app: web.Application
    runner: web.AppRunner
    base_url: str
    clock: Clock
    http: aiohttp.ClientSession

    @property
    def sb(self) -> Sandbox:
        return self.app[SANDBOX]

    def credentials(self, provider: str) -> dict:
        """The default world's credentials for `provider`."""
        return self.sb.credentials[provider]

    def key(self, provider: str, name: str = "api_key") -> str:
        return self.credentials(provider)[name]

    async def advance(self, seconds: float) -> None:
        """Move sandbox time and wait until every timer and delivery it made due has run."""
        self.clock.advance(seconds)
        await self.sb.settle()

    async def settle(self) -> None:
        await self.sb.settle()

    async def request(self, method: str, path: str, **kwargs) -> tuple[int, dict | str, aiohttp.ClientResponse]:
        async with self.http.request(method, self.base_url + path, **kwargs) as response:
            text = await response.text()
            try:
                import json
                body = json.loads(text)
            except ValueError:
                body = text
            return response.status, body, response

    async def control(self, method: str, path: str, body: dict | None = None) -> dict:
        status, data, _ = await self.request(method, "/_sandbox" + path, json=body)
        assert status < 300, (status, data)
        return data


async def start_sandbox(tmp_path: Path, *, clock: Clock | None = None, settings: Settings | None = None,
                        providers: Sequence[Provider] | None = None, **overrides) -> Running:
    sock = free_socket()
    port = sock.getsockname()[1]
    flags = {"port": port, "db": db_url(tmp_path), "seed": 1234, **overrides}
    settings = settings or load_settings(flags, environ={})
    settings.port = port
    clock = clock or Clock(START, time_scale=0)
    app = create_app(settings, clock, providers=providers)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await ApiSite(runner, sock).start()
    http = aiohttp.ClientSession()
    return Running(app, runner, f"http://127.0.0.1:{port}", clock, http)


async def stop_sandbox(running: Running) -> None:
    # Workers first: an attempt in flight to the sandbox's own receiver would otherwise wait for
    # its timeout once the server has stopped listening.
    await running.sb.services.stop()
    await running.http.close()
    await running.runner.cleanup()


@dataclass
class Receiver:
    """A partner's webhook endpoint: records every request and answers from a script of statuses."""

    url: str = ""
    requests: list[dict] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    runner: web.AppRunner | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.requests.append({"path": request.path, "headers": dict(request.headers), "raw": raw})
        self.arrived.set()
        status = self.script.pop(0) if self.script else 200
        return web.json_response({"ok": 200 <= status < 300}, status=status)

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[dict]:
        """Wait (real time, bounded) until `count` requests have arrived."""
        async def enough():
            while len(self.requests) < count:
                self.arrived.clear()
                await self.arrived.wait()
        await asyncio.wait_for(enough(), timeout)
        return self.requests


async def until(predicate, timeout: float = 10.0) -> bool:
    """Real-time polling for a background task's or thread's effect (no sandbox time is involved)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return predicate()


async def serve_posts(handler, shutdown_timeout: float = 60.0) -> tuple[web.AppRunner, str]:
    """A real HTTP endpoint on a free loopback port answering every POST with `handler`; its runner and `…/hooks` URL."""
    app = web.Application()
    app.router.add_post("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    sock = free_socket()
    await web.SockSite(runner, sock).start()
    return runner, f"http://127.0.0.1:{sock.getsockname()[1]}/hooks"


async def start_receiver() -> Receiver:
    receiver = Receiver()
    receiver.runner, receiver.url = await serve_posts(receiver.handle)
    return receiver


def browser_required() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
