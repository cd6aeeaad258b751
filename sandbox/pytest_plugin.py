"""The pytest plugin (entry point `pytest11`): a sandbox server and a fresh world per test (SPEC §13).

Installed with the package, so a partner's suite only asks for the fixtures:

- `sandbox_server` (session): `--sandbox-url URL` (else `$SANDBOX_URL`) names a running server;
  with neither, a server starts in-process on a free loopback port with a temporary database and
  stops at the end of the session (one per xdist worker, since each worker is its own session).
  Yields a `SandboxServer` with `url` and `admin_token`.
- `sandbox_client` (session): a `SandboxClient` for that server.
- `sandbox_world` (function): a new world (`POST /_sandbox/worlds`), deleted after the test, so
  tests never see one another's intents, events, faults or clock. Options for the world come from
  `@pytest.mark.sandbox_world(seed=42, clock={"time_scale": 0}, …)`.

The handles are blocking; see `sandbox.client` for using them from async tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from sandbox.client import SandboxAPIError, SandboxClient, World

#: Real seconds a plugin-made world outlives its creation at most, so a test process killed
#: mid-test does not leave its world on a shared server forever.
WORLD_TTL_S = 3600


@dataclass(frozen=True)
class SandboxServer:
    """The server a session uses: its URL, the admin token (None on loopback) and where it runs."""

    url: str
    admin_token: str | None = None
    in_process: bool = False

    def client(self) -> SandboxClient:
        """A blocking control API client for this server."""
        return SandboxClient(self.url, self.admin_token)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("liqx-sandbox", "liqx-sandbox server for the sandbox_* fixtures")
    group.addoption("--sandbox-url", dest="sandbox_url", default=None, metavar="URL",
                    help="use the sandbox running at URL (default $SANDBOX_URL); "
                         "without either, one starts in-process")
    group.addoption("--sandbox-admin-token", dest="sandbox_admin_token", default=None, metavar="TOKEN",
                    help="admin token of that server when it is bound beyond loopback "
                         "(default $SANDBOX_ADMIN_TOKEN)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sandbox_world(**options): options of the world `sandbox_world` creates "
                                       "(seed, clock, webhook_urls, signature_clock, …)")


@pytest.fixture(scope="session")
def sandbox_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A running sandbox: the one at `--sandbox-url`/`$SANDBOX_URL`, else one started in-process."""
    url = request.config.getoption("sandbox_url") or os.environ.get("SANDBOX_URL")
    token = request.config.getoption("sandbox_admin_token") or os.environ.get("SANDBOX_ADMIN_TOKEN") or None
    if url:
        server = SandboxServer(url.rstrip("/"), token)
        server.client().health()  # a wrong URL fails here, once, with the URL in the message
        yield server
        return
    from sandbox.inprocess import InProcessServer

    with InProcessServer(tmp_path_factory.mktemp("liqx-sandbox") / "sandbox.db") as running:
        assert running.url is not None
        yield SandboxServer(running.url, running.admin_token, in_process=True)


@pytest.fixture(scope="session")
def sandbox_client(sandbox_server: SandboxServer) -> SandboxClient:
    """A blocking client of the session's sandbox (`.world(id)`, `.create_world(**options)`)."""
    return sandbox_server.client()


@pytest.fixture
def sandbox_world(request: pytest.FixtureRequest, sandbox_client: SandboxClient) -> Iterator[World]:
    """A fresh world for this test, deleted afterwards (its data, timers and pending deliveries go too)."""
    options: dict = {"name": request.node.nodeid[-200:], "ttl_s": WORLD_TTL_S}
    marker = request.node.get_closest_marker("sandbox_world")
    if marker is not None:
        options.update(marker.kwargs)
    world = sandbox_client.create_world(**options)
    yield world
    try:
        world.delete()
    except SandboxAPIError as exc:
        if exc.code != "WORLD_NOT_FOUND":  # the test deleted it itself (or its ttl_s ran out)
            raise
