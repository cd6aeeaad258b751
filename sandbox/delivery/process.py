"""Webhook attempts in a process of their own (`sandbox serve --delivery-process`, SQLite only).

Why: one SQLite process does all of a create's and all of an attempt's work on one event loop, so
under 1,000 creates/s and 1,000 deliveries/s that loop is busy all the time and deliveries fall
behind (bench/README.md). Two processes writing one SQLite file do worse: each write transaction
locks the whole file, and each process's page cache is dropped whenever the other one writes. So
the store stays in the server's process, and the delivery process runs the dispatcher over a
`RemoteStore`: each unit of work it would commit or read (a module-level function and its
arguments, pickled; both processes run the same installed code) goes over a private socket pair
to the server, which runs it in its own store and sends the result back. Claims and attempt rows
carry the delivery process's own replica id, so what it held is recognisable after it is gone.

The server's side is `DeliveryProcess`, the dispatcher the server holds in this mode. It starts
the process and answers its units of work; it forwards what the dispatcher would have been told:
deliveries queued by a commit, a world's clock moved (its state), a world's record, endpoints,
credentials or fault rules changed or the world deleted (the delivery process reads them again, as
a PostgreSQL replica does after a notification, and stops the attempts of a world it finds gone). Grades still send from the server's process.

Lifetimes: the server is up only once the delivery process has loaded the worlds and started
claiming. A clean stop lets it finish its attempts in flight (5 s) before the store closes. If the
server is killed, the delivery process dies with it (Linux: `PR_SET_PDEATHSIG`; elsewhere when the
socket closes), and the server's start recovers what was in flight, as after any crash. If the
delivery process dies alone, the server recovers its claims at once and starts another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import socket
import struct
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from sandbox import logs
from sandbox.delivery.dispatcher import Dispatcher
from sandbox.delivery.rows import next_due_by_world
from sandbox.store import UnitOfWork
from sandbox.store.backend import new_replica_id
from sandbox.worlds import DEFAULT

log = logging.getLogger("sandbox.dispatcher")

_LENGTH = struct.Struct("!I")
#: Real seconds the delivery process has to load the worlds and start claiming.
READY_S = 60.0
#: Real seconds between a dead delivery process and its successor.
RESTART_S = 1.0


class Link:
    """Framed pickled messages over one end of a socket pair; `on_message(None)` once it closes."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 on_message: Callable[[Any], None]) -> None:
        self._reader, self._writer, self._on_message = reader, writer, on_message
        self._task = asyncio.create_task(self._read(), name="delivery-link")

    def send(self, message: Any) -> None:
        if self._writer.is_closing():
            return
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self._writer.write(_LENGTH.pack(len(data)) + data)

    async def close(self) -> None:
        self._task.cancel()
        self._writer.close()
        with contextlib.suppress(Exception):
            await self._writer.wait_closed()

    async def _read(self) -> None:
        try:
            while True:
                (size,) = _LENGTH.unpack(await self._reader.readexactly(_LENGTH.size))
                self._on_message(pickle.loads(await self._reader.readexactly(size)))  # noqa: S301 (the other end is our own pair)
        except (asyncio.IncompleteReadError, ConnectionError):
            self._on_message(None)


class DeliveryProcess(Dispatcher):
    """The server's dispatcher when attempts are made in a second process (see the module docstring)."""

    def __init__(self, *args: Any, settings: Any, boot: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._settings, self._boot = settings, boot
        #: Recovers the claims of a delivery process that died (the leases' sweep; set by `Services`).
        self.recover: Callable[[], Awaitable[Any]] | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._link: Link | None = None
        self._ready: asyncio.Future | None = None
        self._watcher: asyncio.Task | None = None
        self._calls: set[asyncio.Task] = set()
        self.store.watch(committed_worlds=lambda world: self._send(("changed", world)))

    # --- what the dispatcher is told, passed on ----------------------------------------------

    def queued(self, world: str, due_ms: int | None) -> None:
        self._send(("queued", world, due_ms))

    def wake(self) -> None:
        self._send(("wake",))

    def rekey(self, world: str) -> None:
        found = self.worlds.find(world)
        if found is not None:
            self._send(("clock", world, found.saved_clock()))

    def forget_world(self, world: str) -> None:
        self._send(("changed", world))   # it finds the world gone, and stops its attempts

    async def idle(self) -> bool:
        """True when no world has a delivery due on its clock and none is in flight (in the store)."""
        if self.worlds.any_due(await self.store.read(next_due_by_world)):
            return False
        return not await self.store.read(_any_in_flight)

    # --- the process ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the delivery process; return once it claims (the server is not up before)."""
        await self._spawn()
        self._watcher = asyncio.create_task(self._watch(), name="delivery-process")

    async def stop(self, grace_s: float = 5.0) -> None:
        """Let the delivery process finish its attempts in flight (`grace_s`), then end it."""
        self._stopping = True
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
        if self._proc is not None and self._proc.returncode is None:
            self._send(("stop", grace_s))
            try:
                await asyncio.wait_for(self._proc.wait(), grace_s + 5.0)
            except TimeoutError:
                self._proc.kill()
                await self._proc.wait()
        if self._calls:   # its last attempt rows
            await asyncio.gather(*self._calls, return_exceptions=True)
        if self._link is not None:
            await self._link.close()
        await super().stop(grace_s)

    async def _spawn(self) -> None:
        ours, theirs = socket.socketpair()
        try:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "sandbox.delivery.worker", str(theirs.fileno()), str(os.getpid()),
                pass_fds=(theirs.fileno(),))
        finally:
            theirs.close()
        reader, writer = await asyncio.open_unix_connection(sock=ours)
        self._link = Link(reader, writer, self._on_message)
        self._ready = asyncio.get_running_loop().create_future()
        self._send(("hello", self._settings.model_dump(mode="json"), self._boot, logs.configured,
                    self.worlds.default.saved_clock()))
        ended = asyncio.ensure_future(self._proc.wait())
        try:
            await asyncio.wait({self._ready, ended}, timeout=READY_S, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ended.cancel()
        if not self._ready.done():
            if self._proc.returncode is None:
                self._proc.kill()
            raise RuntimeError(f"the delivery process did not start (exit code {await self._proc.wait()}; "
                               "its error is in the log above)")

    async def _watch(self) -> None:
        """A delivery process that ends while the server runs: recover its claims, start another."""
        while True:
            code = await self._proc.wait()
            if self._stopping:
                return
            log.warning("the delivery process ended (exit code %s); recovering its deliveries and starting another",
                        code)
            if self._link is not None:
                await self._link.close()
            await asyncio.sleep(RESTART_S)
            try:
                if self.recover is not None:
                    await self.recover()
                await self._spawn()
            except Exception:   # tried again at the next turn
                log.exception("the delivery process did not start")

    def _send(self, message: tuple) -> None:
        if self._link is not None:
            self._link.send(message)

    def _on_message(self, message: Any) -> None:
        if message is None:
            return   # its end is seen by `_watch`
        if message[0] == "ready":
            if self._ready is not None and not self._ready.done():
                self._ready.set_result(None)
            return
        task = asyncio.create_task(self._run(*message[1:]))
        self._calls.add(task)
        task.add_done_callback(self._calls.discard)

    async def _run(self, call: int, kind: str, fn: Callable, args: tuple, world: str, replica: str) -> None:
        run = self.store.commit if kind == "commit" else self.store.read
        try:
            result = ("result", call, True, await run(fn, *args, world=world, replica=replica))
        except Exception as exc:   # handed to the caller in the delivery process
            result = ("result", call, False, exc)
        try:
            self._send(result)
        except Exception as exc:   # a value or error pickle cannot carry: the caller still gets an answer
            self._send(("result", call, False, RuntimeError(f"{type(exc).__name__}: {exc}")))


def _any_in_flight(uow: UnitOfWork) -> bool:
    return bool(uow.deliveries.worlds_in_flight(()))


class RemoteStore:
    """The delivery process's store: every unit of work runs in the server's (see the module docstring)."""

    #: The worlds may change in another process: look them up in the store when unknown.
    shared = True

    def __init__(self) -> None:
        self.replica = new_replica_id()
        self.link: Link | None = None
        self.hello: asyncio.Future = asyncio.get_running_loop().create_future()
        self.stopped = asyncio.Event()
        self.grace_s = 5.0
        self.handlers: dict[str, Callable[..., None]] = {}
        self._calls: dict[int, asyncio.Future] = {}
        self._next = 0
        self._on_deliveries: list[Callable] = []
        self._on_world: list[Callable] = []

    def watch(self, *, deliveries: Callable | None = None, jobs: Callable | None = None,
              worlds: Callable | None = None, committed_worlds: Callable | None = None) -> None:
        if deliveries is not None:
            self._on_deliveries.append(deliveries)
        if worlds is not None:
            self._on_world.append(worlds)

    def commit(self, fn: Callable, *args: Any, world: str = DEFAULT) -> asyncio.Future:
        return self._call("commit", fn, args, world)

    def read(self, fn: Callable, *args: Any, world: str = DEFAULT) -> asyncio.Future:
        return self._call("read", fn, args, world)

    def _call(self, kind: str, fn: Callable, args: tuple, world: str) -> asyncio.Future:
        self._next += 1
        future = asyncio.get_running_loop().create_future()
        self._calls[self._next] = future
        self.link.send(("call", self._next, kind, fn, args, world, self.replica))
        return future

    def on_message(self, message: Any) -> None:
        if message is None:   # the server is gone: nothing can be recorded any more
            os._exit(0)
        kind, *rest = message
        if kind == "result":
            call, ok, value = rest
            future = self._calls.pop(call, None)
            if future is not None and not future.done():
                future.set_result(value) if ok else future.set_exception(value)
        elif kind == "hello":
            self.hello.set_result(rest)
        elif kind == "queued":
            for wake in self._on_deliveries:
                wake(*rest)
        elif kind == "changed":
            for changed in self._on_world:
                changed(*rest)
        elif kind == "stop":
            self.grace_s = rest[0]
            self.stopped.set()
        elif kind in self.handlers:
            self.handlers[kind](*rest)
