"""`InProcessServer`: the whole sandbox on a free loopback port, in a background thread.

The pytest plugin starts one per test session (one per xdist worker) when no `--sandbox-url`
is given. The server gets its own thread and event loop, so a test — synchronous, or async in
its own loop — talks to it over real HTTP exactly as it would to `sandbox serve`, and a blocking
client never stalls it. `stop()` shuts the app down the way `serve` does on SIGTERM (in-flight
webhook attempts finish, the database closes) and joins the thread, re-raising anything that
went wrong inside it, so nothing leaks past the session: no thread, no open socket, no warning.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import threading
from pathlib import Path
from typing import Any

__all__ = ["InProcessServer"]


class InProcessServer:
    """A sandbox server in a daemon thread; use as a context manager or `start()`/`stop()`.

    `settings` are `sandbox serve`'s settings as keywords (`seed=42`, `time_scale=0`, …); the
    environment's `SANDBOX_*` variables are ignored, so the server is the same on every machine.
    """

    def __init__(self, db: str | Path, *, host: str = "127.0.0.1", **settings: Any) -> None:
        self.db = str(db)
        self.host = host
        self.settings = settings
        self.url: str | None = None
        self.admin_token: str | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def __enter__(self) -> InProcessServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self, timeout: float = 30.0) -> InProcessServer:
        """Start the server and wait until it listens; raises what prevented it from starting."""
        if self._thread is not None:
            raise RuntimeError("this server was already started")
        self._thread = threading.Thread(target=self._run, name="liqx-sandbox", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise TimeoutError(f"the in-process sandbox did not start within {timeout:g} s")
        if self._error is not None:
            self._thread.join()
            error, self._error = self._error, None
            raise RuntimeError(f"the in-process sandbox failed to start: {error}") from error
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop serving, let in-flight webhook attempts finish, close the database, join the thread."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            self._raise_error()
            return
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None:
            try:
                loop.call_soon_threadsafe(stopping.set)
            except RuntimeError:  # the loop has already closed: the thread is finishing by itself
                pass
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(f"the in-process sandbox did not stop within {timeout:g} s")
        self._raise_error()

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise RuntimeError(f"the in-process sandbox failed: {error}") from error

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that calls stop()
            self._error = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        from aiohttp import web

        from sandbox.app import create_app
        from sandbox.settings import load_settings
        from sandbox.web.fastpath import ApiSite

        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        settings = load_settings({**self.settings, "host": self.host, "port": 0, "db": self.db}, environ={})
        if not settings.loopback_only and not settings.admin_token:
            settings.admin_token = secrets.token_urlsafe(24)
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((self.host, 0))
            settings.port = sock.getsockname()[1]
            runner = web.AppRunner(create_app(settings), handle_signals=False, access_log=None)
            await runner.setup()
            try:
                await ApiSite(runner, sock).start()
                host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # a wildcard bind
                host = f"[{host}]" if ":" in host else host
                self.url = f"http://{host}:{settings.port}"
                self.admin_token = settings.admin_token
                self._ready.set()
                await self._stopping.wait()
            finally:
                await runner.cleanup()
        finally:
            sock.close()
