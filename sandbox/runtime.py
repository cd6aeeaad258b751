"""How a long-running sandbox process runs: its event loop and its garbage collector (`sandbox serve`
and its delivery process; an in-process server leaves its host's alone)."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Tune the cyclic garbage collector for a long-running server (`sandbox serve` and its delivery
    process only: the in-process server leaves its host's collector alone).

    Everything alive once the server has started (routes, contracts, validators, the worlds it
    loaded) lives as long as the process, so it is frozen out of the collector's sight: a full
    collection then walks only what was made since, not 80,000 start-up objects (full collections
    were 80 ms pauses under create load). Requests leave no cycles behind, so the youngest
    generation is collected every 10,000 net allocations rather than every 700: fewer walks over
    the objects of the requests in flight.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def loop_factory():
    """uvloop's event loop where it is installed (not on Windows), else asyncio's own.

    uvloop's transports and scheduling are compiled, which takes a share of every request's CPU
    (bench/README.md); nothing in the sandbox depends on which loop runs it.
    """
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop
