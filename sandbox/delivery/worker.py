"""The delivery process's side of `sandbox serve --delivery-process` (`sandbox.delivery.process` says
why and how): `python -m sandbox.delivery.worker FD PARENT_PID`, started by the server only.

It builds the same services as the server over a `RemoteStore`, loads the worlds, and runs only
the dispatcher; everything else (the API, timers, the TTL watch, the leases) stays in the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import sys

from sandbox import logs
from sandbox.clock import Clock
from sandbox.contracts import Contracts
from sandbox.delivery.process import Link, RemoteStore
from sandbox.engine import Services
from sandbox.ids import Ids
from sandbox.providers import registered
from sandbox.runtime import loop_factory, settle_heap
from sandbox.scenarios import DEFAULT_DIR, Scenarios
from sandbox.settings import load_settings
from sandbox.worlds import sync_clock


async def _serve(sock: socket.socket) -> None:
    store = RemoteStore()
    reader, writer = await asyncio.open_unix_connection(sock=sock)
    store.link = Link(reader, writer, store.on_message)
    values, boot, (log_format, quiet), default_clock = await store.hello
    logs.configure(log_format, quiet)
    # The server's settings as it resolved them (each provider's table through its own model again).
    settings = load_settings({**values, "delivery_process": False}, environ={})
    providers = registered()
    services = Services.build(settings, store, Clock(time_scale=settings.time_scale), Ids(settings.seed, boot),
                              Contracts({p.name: p.contracts for p in providers}), Scenarios(DEFAULT_DIR),
                              {p.name: p for p in providers}, boot)
    await services.lifecycle.load_default()
    sync_clock(services.worlds.default.clock, default_clock)
    await services.lifecycle.restore()

    def clock(world_id: str, state: dict) -> None:
        world = services.worlds.find(world_id)
        if world is not None:
            sync_clock(world.clock, state)   # its listeners re-key the dispatcher

    store.handlers.update(clock=clock, wake=lambda: services.dispatcher.wake())
    await services.dispatcher.start()
    settle_heap()
    store.link.send(("ready",))
    await store.stopped.wait()
    await services.dispatcher.stop(store.grace_s)
    await store.link.close()


def _die_with(parent: int) -> None:
    """Be killed when the server dies, however it dies (Linux); elsewhere the closed socket ends it."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    if os.getppid() != parent:   # the server died before the line above ran
        os._exit(0)


def main(argv: list[str]) -> None:
    fd, parent = int(argv[0]), int(argv[1])
    _die_with(parent)
    # Stopped by the server only (which lets its attempts finish): a terminal's Ctrl-C or a TERM
    # sent to the whole process group reaches the server too.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(_serve(socket.socket(fileno=fd)))


if __name__ == "__main__":
    main(sys.argv[1:])
