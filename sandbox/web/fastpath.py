"""The providers' JSON APIs served without aiohttp's per-request objects; everything else by aiohttp.

Why: on the LIQX create, aiohttp's request, stream, router match, middleware wrappers and response
(its `prepare`, header building and writer) cost more of the server's CPU than the sandbox's own
Python of the request: served this way a create takes 15% less (bench/README.md, "the providers'
APIs served without aiohttp's per-request objects"). Here a connection
frames each request itself (the head up to the blank line, then `Content-Length` bytes), parses
the head with httptools (llhttp, the parser aiohttp's own C parser is built on), and, for a route
of a provider's API table (`Provider.routes`), runs the application's own middleware
(`sandbox.app.request_middleware`), the provider's sub-app middlewares and the route's handler
with an `ApiRequest`, then writes the `web.Response` it returns in one `write`.

What takes this path: HTTP/1.1, a method and a path (no `%` escapes) of a provider's API route, a
body framed by `Content-Length` alone (up to `MAX_BODY`), and no `Transfer-Encoding`,
`Content-Encoding`, `Expect`, `Upgrade` or `Connection` other than keep-alive. Anything else —
pages, static files, the control API, HEAD, a head llhttp refuses, a body aiohttp must refuse or
decode — is handed with its connection to aiohttp's own protocol at that request's first byte, and
the connection stays with aiohttp: the answers, errors included, are aiohttp's and the sandbox's
as before. Requests of one connection are answered in order, one at a time (pipelined ones wait
in the buffer); reading pauses while the buffer holds more than a request may, or the transport's
buffer is full. An idle connection is closed after `KEEPALIVE_S`, as aiohttp does.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import ChainMap
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import httptools
from aiohttp import web
from aiohttp.helpers import HeadersMixin, rfc822_formatted_time
from aiohttp.http import SERVER_SOFTWARE
from multidict import CIMultiDict, CIMultiDictProxy, MultiDictProxy
from yarl import URL

from sandbox.app import request_middleware
from sandbox.bodies import MAX_BODY
from sandbox.providers.base import THIS

log = logging.getLogger("sandbox")

#: The longest request head taken here, and the longest line in it (aiohttp's own limits, whose
#: answers a longer one gets).
MAX_HEAD = 16 * 1024
MAX_LINE = 8190
#: Seconds an idle keep-alive connection stays open (aiohttp's default).
KEEPALIVE_S = 75.0
#: Headers whose presence sends the request to aiohttp (framing, decoding or protocol changes).
_HANDED_OVER = ("transfer-encoding", "content-encoding", "expect", "upgrade")
#: Statuses whose answer has no body (and no Content-Length).
_NO_BODY = frozenset({204, 304})

Handler = Callable[[Any], Awaitable[web.StreamResponse]]


class ApiRoutes:
    """The API routes of every provider sub-app of an application: method and path to handler."""

    def __init__(self) -> None:
        self.plain: dict[tuple[str, str], tuple[Handler, web.Application]] = {}
        self.dynamic: list[tuple[str, Any, Handler, web.Application]] = []

    @classmethod
    def of(cls, app: web.Application) -> ApiRoutes:
        """The table of `app`'s provider sub-apps, in the order aiohttp would match them."""
        table = cls()
        dynamic = []
        for resource in app.router.resources():
            sub = getattr(resource, "_app", None)
            if not isinstance(sub, web.Application) or THIS not in sub:
                continue
            prefix = resource.canonical
            for route in sub[THIS].routes:
                if not isinstance(route, web.RouteDef):
                    continue
                handler = _chain(sub, route.handler)
                full = web.DynamicResource(prefix + route.path) if "{" in route.path else None
                if full is None:
                    table.plain.setdefault((route.method, prefix + route.path), (handler, sub))
                else:
                    fixed = full.canonical.partition("{")[0].rpartition("/")[0]
                    dynamic.append((-len(fixed), len(dynamic), route.method, full.get_info()["pattern"], handler, sub))
        # aiohttp tries a path's exact resource first, then the dynamic ones by their fixed start,
        # the longest first (its router's index); among equals, the first added.
        table.dynamic = [entry[2:] for entry in sorted(dynamic, key=lambda entry: entry[:2])]
        return table

    def match(self, method: str, path: str) -> tuple[Handler, web.Application, dict[str, str]] | None:
        """The handler, its sub-app and the path's values, or None (not an API route here)."""
        found = self.plain.get((method, path))
        if found is not None:
            return found[0], found[1], {}
        for route_method, pattern, handler, sub in self.dynamic:
            if route_method == method:
                matched = pattern.fullmatch(path)
                if matched is not None:
                    return handler, sub, matched.groupdict()
        return None


def _chain(sub: web.Application, route_handler: Handler) -> Handler:
    """The route's handler inside its sub-app's middlewares, with `request.app` the sub-app meanwhile
    (as aiohttp sets the current app for the handlers and middlewares of a sub-app)."""
    handler = route_handler
    for middleware in reversed(tuple(sub.middlewares)):
        handler = partial(middleware, handler=handler)

    async def run(request: ApiRequest) -> web.StreamResponse:
        outer, request.app = request.app, sub
        try:
            return await handler(request)
        finally:
            request.app = outer
    run.route_handler = route_handler   # type: ignore[attr-defined] (which route this runs: the tests compare)
    return run


class _Body:
    """`request.content` for a body that has all arrived: what `sandbox.bodies.read_raw` reads."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    def is_eof(self) -> bool:
        return True

    def read_nowait(self, n: int = -1) -> bytes:
        data, self._data = self._data, b""
        return data


class ApiRequest(dict, HeadersMixin):
    """What the sandbox's middleware and the providers' API handlers use of a `web.Request`:
    method, path, query, headers, match_info, app, content and its type and length, and
    per-request values by key."""

    def __init__(self, method: str, path: str, query_string: str, headers: CIMultiDictProxy, body: bytes,
                 app: web.Application, match_info: dict[str, str]) -> None:
        super().__init__()
        self.method = method
        self.path = path
        self.query_string = query_string
        self._headers = self.headers = headers
        self.content = _Body(body)
        self.app = self._main = app
        self.match_info = match_info
        self._query: MultiDictProxy | None = None

    @property
    def query(self) -> MultiDictProxy:
        """The query's values, parsed as aiohttp parses them (yarl)."""
        if self._query is None:
            self._query = URL.build(query_string=self.query_string, encoded=True).query
        return self._query

    @property
    def config_dict(self) -> ChainMap:
        """The current app's values, then the main app's (aiohttp's lookup along the chain of apps)."""
        return ChainMap(self.app, self._main) if self.app is not self._main else ChainMap(self._main)

    __hash__ = object.__hash__   # one request is one key (as aiohttp's requests are)
    __eq__ = object.__eq__


def _head(response: web.StreamResponse, length: int) -> bytes:
    """The answer's status line and headers, as aiohttp's `prepare` writes them for HTTP/1.1."""
    headers = response.headers
    lines = [f"HTTP/1.1 {response.status} {response.reason}"]
    lines.extend(f"{name}: {value}" for name, value in headers.items()
                 if name.lower() not in ("content-length", "transfer-encoding", "date", "server"))
    for cookie in response.cookies.values():
        lines.append("Set-Cookie: " + cookie.output(header="")[1:])
    if response.status not in _NO_BODY:
        if length and "Content-Type" not in headers:
            lines.append("Content-Type: application/octet-stream")
        lines.append(f"Content-Length: {length}")
    lines.append(f"Date: {headers.get('Date') or rfc822_formatted_time()}")
    lines.append(f"Server: {headers.get('Server') or SERVER_SOFTWARE}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")


class _TooLong(Exception):
    """A line of the head is longer than aiohttp takes: aiohttp answers it (raised from a callback,
    it reaches the parser's caller as httptools' `HttpParserError`)."""


class _Head:
    """httptools' callbacks for one request head."""

    __slots__ = ("url", "headers", "done")

    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[str, str]] = []
        self.done = False

    def on_url(self, url: bytes) -> None:
        self.url += url
        if len(self.url) > MAX_LINE:
            raise _TooLong

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(name) + len(value) + 2 > MAX_LINE:
            raise _TooLong
        self.headers.append((name.decode("utf-8", "surrogateescape"), value.decode("utf-8", "surrogateescape")))

    def on_headers_complete(self) -> None:
        self.done = True


class ApiProtocol(asyncio.Protocol):
    """One connection: API requests answered here, in order; the connection handed to aiohttp at
    the first request that is not one."""

    def __init__(self, site: ApiSite) -> None:
        self._site = site
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._busy = False            # a request of this connection is being answered
        self._write_paused = False
        self._read_paused = False
        self._closing = False
        self._task: asyncio.Task | None = None
        self.idle_since = time.monotonic()

    # --- asyncio's callbacks ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport   # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # pragma: no cover (a socket that refuses it still works)
                pass
        self._site.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        self._transport = None
        self._site.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._busy:
            self._next()
        if len(self._buffer) > MAX_HEAD + MAX_BODY and not self._read_paused and self._transport is not None \
                and not self._closing:
            self._read_paused = True   # pipelined requests pile up faster than they are answered
            self._transport.pause_reading()

    def eof_received(self) -> bool:
        return False   # the transport closes itself once written out

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        if not self._busy and self._buffer:
            self._next()
            self._resume_reading()

    def _resume_reading(self) -> None:
        if self._read_paused and len(self._buffer) <= MAX_HEAD + MAX_BODY and self._transport is not None \
                and not self._closing:
            self._read_paused = False
            self._transport.resume_reading()

    # --- requests --------------------------------------------------------------------------------

    def close_if_idle(self) -> bool:
        """Close the connection unless it is answering a request; True when it was closed."""
        if self._busy or self._transport is None:
            return False
        self._closing = True
        self._transport.close()
        return True

    def _next(self) -> None:
        """Answer the request at the head of the buffer if it has all arrived (or hand it over)."""
        if self._closing or self._write_paused or self._transport is None:
            return
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > MAX_HEAD:
                self._hand_over()
            return
        if end + 4 > MAX_HEAD:
            self._hand_over()
            return
        head = _Head()
        parser = httptools.HttpRequestParser(head)
        try:
            parser.feed_data(bytes(buffer[:end + 4]))
        except httptools.HttpParserError:
            self._hand_over()   # aiohttp answers it (400, 431) in its own words
            return
        plan = self._plan(head, parser)
        if plan is None:
            self._hand_over()
            return
        handler, sub, match_info, method, path, query, headers, length = plan
        if len(buffer) < end + 4 + length:
            return   # the body is still arriving
        body = bytes(buffer[end + 4:end + 4 + length])
        del buffer[:end + 4 + length]
        request = ApiRequest(method, path, query, headers, body, self._site.app, match_info)
        self._busy = True
        # Held here: the loop keeps only a weak reference to a task.
        self._task = asyncio.get_running_loop().create_task(self._answer(request, handler))

    def _plan(self, head: _Head, parser: httptools.HttpRequestParser) -> tuple | None:
        """What answers this request here, or None when aiohttp must."""
        if not head.done or parser.get_http_version() != "1.1" or parser.should_upgrade():
            return None
        url = head.url.decode("latin-1")
        path, _, query = url.partition("?")
        if "%" in path or "#" in url or not path.startswith("/"):
            return None
        method = parser.get_method().decode("ascii")
        found = self._site.routes.match(method, path)
        if found is None:
            return None
        headers = CIMultiDict(head.headers)
        length = 0
        for name in _HANDED_OVER:
            if name in headers:
                return None
        connection = headers.getall("Connection", ())
        if connection and any(value.strip().lower() != "keep-alive" for value in connection):
            return None
        lengths = headers.getall("Content-Length", ())
        if lengths:
            if len(lengths) > 1 or not lengths[0].isdigit() or not lengths[0].isascii():
                return None
            length = int(lengths[0])
            if length > MAX_BODY:
                return None
        handler, sub, match_info = found
        return handler, sub, match_info, method, path, query, CIMultiDictProxy(headers), length

    async def _answer(self, request: ApiRequest, handler: Handler) -> None:
        try:
            await self._respond(request, handler)
        except Exception:   # writing the answer failed (a sandbox bug): this connection cannot go on
            log.exception("could not answer %s %s", request.method, request.path)
            if self._transport is not None:
                self._transport.close()
        finally:
            self._task = None
            self._busy = False
        self.idle_since = time.monotonic()
        if self._site.stopping:
            self.close_if_idle()
        elif self._buffer:
            self._next()
        self._resume_reading()

    async def _respond(self, request: ApiRequest, handler: Handler) -> None:
        started = time.monotonic()
        try:
            response = await request_middleware(request, handler)
        except web.HTTPException as exc:   # a handler raised an answer (aiohttp takes those as responses)
            response = exc
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.path)
            response = web.Response(status=500, text="internal error (a sandbox bug)")
        body = response.body if isinstance(response, web.Response) else None
        if body is None:
            body = b""
        elif not isinstance(body, bytes | bytearray):
            log.error("%s %s answered with a body the API path cannot write: %r", request.method, request.path,
                      type(body).__name__)
            response, body = web.Response(status=500, text="internal error (a sandbox bug)"), b""
        if response.status in _NO_BODY:
            body = b""
        transport = self._transport
        if transport is not None and not self._closing:
            transport.write(_head(response, len(body)) + body)
        access = self._site.access_log
        if access is not None and access.enabled:
            access.log(request, response, time.monotonic() - started)

    def _hand_over(self) -> None:
        """Give the connection to aiohttp's protocol, with what it sent from this request on."""
        transport = self._transport
        if transport is None:
            return
        self._site.connections.discard(self)
        self._closing = True
        protocol = self._site.server()
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        data, self._buffer = bytes(self._buffer), bytearray()
        if self._read_paused:
            transport.resume_reading()
        if data:
            protocol.data_received(data)


class ApiSite(web.SockSite):
    """`web.SockSite` whose connections answer the providers' API routes on the path above."""

    __slots__ = ("app", "routes", "server", "access_log", "connections", "stopping", "_sweeper")

    def __init__(self, runner: web.AppRunner, sock: socket.socket, *,
                 access_log: Any = None, **kwargs: Any) -> None:
        super().__init__(runner, sock, **kwargs)
        self.app = runner.app
        self.routes = ApiRoutes.of(runner.app)
        self.server = runner.server
        #: An aiohttp access logger (`AbstractAccessLogger`) for the answers given here, or None.
        self.access_log = access_log
        self.connections: set[ApiProtocol] = set()
        self.stopping = False
        self._sweeper: asyncio.Task | None = None

    async def start(self) -> None:
        await web.BaseSite.start(self)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: ApiProtocol(self), sock=self._sock, backlog=self._backlog,
                                                ssl=self._ssl_context)
        self._sweeper = loop.create_task(self._sweep())

    async def stop(self) -> None:
        """Stop listening, close idle connections, and wait (up to the runner's shutdown timeout) for
        the requests being answered here; aiohttp's connections close with the runner."""
        self.stopping = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        await super().stop()
        for connection in list(self.connections):
            connection.close_if_idle()
        deadline = time.monotonic() + getattr(self._runner, "_shutdown_timeout", 60.0)
        while self.connections and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
            for connection in list(self.connections):
                connection.close_if_idle()

    async def _sweep(self) -> None:
        """Close connections idle for `KEEPALIVE_S`, looking every tenth of that."""
        while True:
            await asyncio.sleep(KEEPALIVE_S / 10)
            limit = time.monotonic() - KEEPALIVE_S
            for connection in list(self.connections):
                if connection.idle_since < limit:
                    connection.close_if_idle()
