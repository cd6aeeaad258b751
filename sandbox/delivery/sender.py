"""Webhook POSTs: one request on a pooled keep-alive connection, its status and the start of its answer.

aiohttp's client was 58% of the dispatcher's event-loop time (bench/README.md): for every request
it builds request and response objects, header multidicts, a payload writer, a stream reader and
trace hooks. An attempt needs none of that. It sends one POST of ready bytes and keeps the status
and the first 8 KiB of the answer, so `Sender` writes the request itself and reads the answer with
httptools' parser (llhttp, Node.js's parser): about 85 µs of CPU a request against aiohttp's 400.

What it keeps of a full client:
- connections are kept alive per (scheme, host, port) and dropped when the receiver closes them,
  answers `Connection: close`, sends more than 8 KiB, or an attempt is cancelled (its timeout);
  idle ones are closed after `IDLE_S`, and at most `max_idle` are kept across all receivers (a
  sandbox posting to thousands of partner URLs never runs out of file descriptors);
- `https` verifies the certificate and the host name against the system's CAs;
- the destination policy (SPEC §10) is checked on every address a host name resolves to, at each
  new connection, so a name that resolves differently between the API check and the POST (DNS
  rebinding) is still refused; IP literals were checked before the attempt (`refuse_url`);
- chunked and close-delimited answers, and `100 Continue` before the answer;
- user and password in the URL become HTTP Basic authorization.

Redirects are not followed (a 3xx is the attempt's answer) and no cookies are kept, as before;
no `Accept-Encoding` is offered, so the answer is stored as the receiver wrote it.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import httptools
from yarl import URL

from sandbox.delivery.destinations import DestinationPolicy

KEEP = 8 * 1024
IDLE_S = 15.0

#: host, port → the addresses to try, in order.
Resolve = Callable[[str, int], Awaitable[list[str]]]


class SendFailed(Exception):
    """No answer to the attempt; the message is the error the attempt records."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes   # at most KEEP bytes


@dataclass(frozen=True, slots=True)
class _Target:
    key: tuple[str, str, int]
    host: str        # as connected to: an IPv6 literal without brackets
    port: int
    tls: bool
    literal: bool    # an IP address, not a name to resolve
    head: bytes      # request line, Host and fixed headers


@lru_cache(maxsize=1024)
def _target(url: str) -> _Target:
    """What a URL means to a connection (the dispatcher sends to the same few URLs again and again)."""
    parsed = URL(url)
    host, port = parsed.raw_host or "", parsed.port or 80
    lines = [f"POST {parsed.raw_path_qs or '/'} HTTP/1.1", f"Host: {parsed.host_port_subcomponent}", "Accept: */*"]
    if parsed.user is not None:
        credentials = f"{parsed.user}:{parsed.password or ''}".encode()
        lines.append("Authorization: Basic " + base64.b64encode(credentials).decode("ascii"))
    head = "\r\n".join(lines) + "\r\n"
    literal = _is_address(host)
    return _Target((parsed.scheme, host, port), host, port, parsed.scheme == "https", literal,
                   head.encode("latin-1", errors="strict"))


def _is_address(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


def _header_block(headers: Mapping[str, str], length: int) -> bytes:
    parts = [f"Content-Length: {length}\r\n"]
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
            raise SendFailed(f"header {name!r} holds a line break or colon: not sent")
        parts.append(f"{name}: {value}\r\n")
    parts.append("\r\n")
    try:
        return "".join(parts).encode("latin-1")
    except UnicodeEncodeError:
        raise SendFailed("a header holds characters outside Latin-1: not sent") from None


def _request(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[_Target, bytes]:
    """Where the POST goes, and its bytes: request line, headers and body."""
    try:
        target = _target(url)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise SendFailed("the webhook URL is not a URL this client can send to") from None
    return target, target.head + _header_block(headers, len(body)) + body


async def _system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


class _Connection(asyncio.Protocol):
    """One keep-alive connection: one request at a time, its answer parsed as bytes arrive."""

    def __init__(self, key: tuple[str, str, int], lost: Callable[[_Connection], None]) -> None:
        self.key = key
        self._lost = lost
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future | None = None
        self.status = 0
        self.body = bytearray()
        self.keep_alive = False
        self.closed = False
        self.idle_since = 0.0

    def request(self, data: bytes) -> asyncio.Future:
        self.status, self.body, self.keep_alive = 0, bytearray(), False
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self.waiter

    def abort(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.abort()

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.waiter is None:   # bytes nobody asked for: the connection cannot be trusted again
            self.abort()
            return
        try:
            self.parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            self._settle(SendFailed(f"invalid HTTP answer: {exc or type(exc).__name__}"))
            self.abort()
            return
        if self.waiter is not None and self.status and len(self.body) >= KEEP:
            self._settle(Answer(self.status, bytes(self.body)))   # the rest is not read: no reuse

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._lost(self)
        if self.status:   # close-delimited (or cut short): what arrived is the answer
            self._settle(Answer(self.status, bytes(self.body)))
        else:
            self._settle(SendFailed("the receiver closed the connection without answering"
                                    + (f": {exc}" if exc else "")))

    # httptools callbacks
    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, chunk: bytes) -> None:
        room = KEEP - len(self.body)
        if room > 0:
            self.body += chunk[:room]

    def on_message_complete(self) -> None:
        if self.status < 200:   # 100 Continue and other interim answers: the real one follows
            self.status, self.body = 0, bytearray()
            return
        self.keep_alive = self.parser.should_keep_alive()
        self._settle(Answer(self.status, bytes(self.body)))

    def _settle(self, outcome: Answer | SendFailed) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is None or waiter.done():
            return
        if isinstance(outcome, Answer):
            waiter.set_result(outcome)
        else:
            waiter.set_exception(outcome)


class Pending(NamedTuple):
    """A request written on `connection`, its answer to come on `waiter` (`Sender.post_now`)."""

    key: tuple[str, str, int]
    connection: _Connection
    waiter: asyncio.Future


class Sender:
    """POSTs webhook bodies; one per dispatcher, closed with it."""

    def __init__(self, policy: DestinationPolicy, resolve: Resolve | None = None,
                 tls: ssl.SSLContext | None = None, *, max_idle: int = 256, idle_s: float = IDLE_S) -> None:
        self.policy = policy
        self._resolve = resolve or _system_resolve
        self._tls = tls
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        #: Idle connections kept, across all receivers; past it a finished connection is closed.
        self.max_idle, self.idle_s = max_idle, idle_s
        self._parked = 0
        self._sweeper: asyncio.TimerHandle | None = None
        #: Connections opened so far (tests read it to see reuse).
        self.opened = 0

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        """POST `body` to `url`; the answer, or `SendFailed` saying why there was none."""
        target, data = _request(url, body, headers)
        connection = self._reuse(target.key) or await self._connect(target)
        return await self.answer(Pending(target.key, connection, connection.request(data)))

    def post_now(self, url: str, body: bytes, headers: Mapping[str, str]) -> Pending | None:
        """`post` with the request written before this returns, on a kept-alive connection to the
        same receiver; then `answer` (or `drop`) it. None when there is no idle connection (or the
        request cannot be made: `post` says why)."""
        try:
            target, data = _request(url, body, headers)
        except SendFailed:
            return None
        connection = self._reuse(target.key)
        return None if connection is None else Pending(target.key, connection, connection.request(data))

    async def answer(self, pending: Pending) -> Answer:
        """The answer to a request written, then its connection kept for the next or closed."""
        try:
            answer = await pending.waiter
        except BaseException:   # cancelled (its timeout) or no answer: never reused
            pending.connection.abort()
            raise
        if pending.connection.keep_alive and not pending.connection.closed and self._parked < self.max_idle:
            self._park(pending.key, pending.connection)
        else:
            pending.connection.abort()
        return answer

    @staticmethod
    def drop(pending: Pending) -> None:
        """A request written whose answer nobody will wait for: its connection is closed."""
        pending.connection.abort()

    @property
    def parked(self) -> int:
        """Idle connections kept now (tests read it)."""
        return self._parked

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        idle, self._idle, self._parked = self._idle, {}, 0
        for connections in idle.values():
            for connection in connections:
                connection.abort()

    def _park(self, key: tuple[str, str, int], connection: _Connection) -> None:
        connection.idle_since = time.monotonic()
        self._idle.setdefault(key, []).append(connection)
        self._parked += 1
        if self._sweeper is None:   # idle connections are closed after idle_s even if no POST comes
            self._sweeper = asyncio.get_running_loop().call_later(self.idle_s, self._sweep)

    def _reuse(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            self._parked -= 1
            if not idle:
                del self._idle[key]
            if not connection.closed and now - connection.idle_since < self.idle_s:
                return connection
            connection.abort()
        return None

    def _forget(self, connection: _Connection) -> None:
        """A connection closed (by either side): it is no longer idle anywhere."""
        idle = self._idle.get(connection.key)
        if idle and connection in idle:
            idle.remove(connection)
            self._parked -= 1
            if not idle:
                del self._idle[connection.key]

    def _sweep(self) -> None:
        self._sweeper = None
        cutoff = time.monotonic() - self.idle_s
        for connections in list(self._idle.values()):
            for connection in [c for c in connections if c.idle_since <= cutoff]:
                self._forget(connection)
                connection.abort()
        if self._parked:
            self._sweeper = asyncio.get_running_loop().call_later(self.idle_s, self._sweep)

    async def _connect(self, target: _Target) -> _Connection:
        if target.literal:
            addresses = [target.host]
        else:
            try:
                addresses = await self._resolve(target.host, target.port)
            except OSError as exc:
                raise SendFailed(f"cannot resolve {target.host}: {exc}") from None
            for address in addresses:
                reason = self.policy.refuse_address(target.host, address)
                if reason is not None:
                    raise SendFailed(f"webhook destination refused: {reason}")
        tls = self._tls_context() if target.tls else None
        loop = asyncio.get_running_loop()
        failure: Exception | None = None
        for address in addresses:
            try:
                _, connection = await loop.create_connection(
                    lambda: _Connection(target.key, self._forget), address, target.port,
                    ssl=tls, server_hostname=target.host if tls else None)
            except (OSError, ValueError) as exc:   # refused, unreachable, TLS and certificate errors
                failure = exc
                continue
            self.opened += 1
            return connection
        raise SendFailed(f"cannot connect to {target.host}:{target.port}: {failure or 'no address'}")

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls
