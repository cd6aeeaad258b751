"""The webhook client (`sandbox.delivery.sender`) against real servers: aiohttp ones for what a
framework answers, raw sockets for what a broken or unusual receiver sends."""

from __future__ import annotations

import asyncio
import base64
import ssl

import pytest
import trustme
from aiohttp import web
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from sandbox.delivery.destinations import DestinationPolicy
from sandbox.delivery.sender import KEEP, Sender, SendFailed
from tests.support import serve_posts

OPEN = DestinationPolicy.build(True)
HEADERS = {"Content-Type": "application/json", "X-Signature": "t=1,v1=abc"}


async def _scripted(answer: bytes, *, close: bool = True, seen: list | None = None):
    """A raw server that reads one request, writes `answer` as it is, then closes (or keeps) the socket."""
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            body = await reader.readexactly(length)
            if seen is not None:
                seen.append((head, body))
            writer.write(answer)
            await writer.drain()
            if not close:
                await reader.read()   # the client closes it
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hooks"


async def test_keeps_one_connection_alive_across_posts_and_sends_the_exact_bytes():
    """Ten sequential POSTs to a framework receiver use one connection; each arrives whole, headers intact."""
    received = []

    async def hook(request: web.Request) -> web.Response:
        received.append((await request.read(), dict(request.headers), request.transport.get_extra_info("peername")))
        return web.Response(status=202, text="taken")

    runner, url = await serve_posts(hook)
    sender = Sender(OPEN)
    try:
        for n in range(10):
            answer = await sender.post(url + "?n=" + str(n), b'{"n": %d}' % n, HEADERS)
            assert (answer.status, answer.body) == (202, b"taken")
    finally:
        await sender.close()
        await runner.cleanup()
    assert [body for body, _, _ in received] == [b'{"n": %d}' % n for n in range(10)]
    assert sender.opened == 1 and len({peer for _, _, peer in received}) == 1
    headers = received[0][1]
    assert headers["X-Signature"] == "t=1,v1=abc" and headers["Content-Type"] == "application/json"
    assert headers["Host"] == url.split("/")[2] and "Accept-Encoding" not in headers


async def test_chunked_answer_is_joined_and_a_long_one_is_cut_at_8_kib_without_waiting_for_the_rest():
    """A chunked answer is joined; past 8 KiB the client answers at once and drops that connection."""
    rest = asyncio.Event()

    async def hook(request: web.Request) -> web.StreamResponse:
        big = bool(request.query.get("big"))
        response = web.StreamResponse(status=500 if big else 200)
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(5 if big else 3):
            await response.write(b"x" * 2000)
        if big:
            await rest.wait()   # the rest of a long answer would come later: nobody waits for it
        await response.write_eof()
        return response

    runner, url = await serve_posts(hook, shutdown_timeout=1)
    sender = Sender(OPEN)
    try:
        small = await sender.post(url, b"{}", HEADERS)
        big = await asyncio.wait_for(sender.post(url + "?big=1", b"{}", HEADERS), 5)
        after = await sender.post(url, b"{}", HEADERS)
    finally:
        rest.set()
        await sender.close()
        await runner.cleanup()
    assert (small.status, len(small.body)) == (200, 6000)
    assert (big.status, len(big.body)) == (500, KEEP)
    assert after.status == 200 and sender.opened == 2


@pytest.mark.parametrize("answer, status, body", [
    (b"HTTP/1.1 200 OK\r\n\r\nread until the end", 200, b"read until the end"),
    (b"HTTP/1.0 204 No Content\r\n\r\n", 204, b""),
    (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", 201, b"ok"),
    (b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n", 302, b""),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 200, b"short"),
])
async def test_unusual_but_answered_responses_are_answers(answer, status, body):
    """Close-delimited, HTTP/1.0, 100 Continue first, a redirect (not followed), a body cut short."""
    server, url = await _scripted(answer)
    sender = Sender(OPEN)
    try:
        result = await sender.post(url, b"{}", HEADERS)
    finally:
        await sender.close()
        server.close()
    assert (result.status, result.body) == (status, body)


@pytest.mark.parametrize("answer, error", [
    (b"", "closed the connection without answering"),
    (b"HTTP/1.1 2", "closed the connection without answering"),
    (b"SMTP ready\r\n\r\n", "invalid HTTP answer"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "invalid HTTP answer"),
])
async def test_no_answer_is_a_send_failure_saying_why(answer, error):
    """A receiver that hangs up or speaks something else: `SendFailed` with a clear reason, no other error."""
    server, url = await _scripted(answer)
    sender = Sender(OPEN)
    try:
        with pytest.raises(SendFailed, match=error):
            await sender.post(url, b"{}", HEADERS)
    finally:
        await sender.close()
        server.close()


async def test_a_refused_connection_names_the_address():
    """Nothing listening: the error names host and port, as the attempt row and log line show it."""
    server, url = await _scripted(b"")
    server.close()
    await server.wait_closed()
    with pytest.raises(SendFailed, match=r"cannot connect to 127\.0\.0\.1:\d+: \[Errno \d+\]"):
        await Sender(OPEN).post(url, b"{}", HEADERS)


async def test_a_cancelled_attempt_closes_its_connection():
    """A timeout cancels the POST: the half-used connection is dropped, the next POST opens a new one."""
    release = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        if request.query.get("slow"):
            await release.wait()
        return web.Response(text="ok")

    runner, url = await serve_posts(hook)
    sender = Sender(OPEN)
    try:
        assert (await sender.post(url, b"{}", HEADERS)).status == 200
        task = asyncio.create_task(sender.post(url + "?slow=1", b"{}", HEADERS))
        await asyncio.sleep(0.05)   # real network time: the request is on the wire
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()
        assert (await sender.post(url, b"{}", HEADERS)).status == 200
    finally:
        await sender.close()
        await runner.cleanup()
    assert sender.opened == 2


async def test_url_credentials_become_basic_authorization_and_line_breaks_are_never_sent():
    """`user:pass@` in the URL is HTTP Basic; a header value with CR/LF is refused before any connection."""
    seen: list = []
    server, url = await _scripted(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", seen=seen)
    sender = Sender(OPEN)
    try:
        await sender.post(url.replace("http://", "http://partner:s%40cret@"), b"{}", HEADERS)
        with pytest.raises(SendFailed, match="line break"):
            await sender.post(url, b"{}", {"X-Evil": "a\r\nX-Injected: 1"})
    finally:
        await sender.close()
        server.close()
    head = seen[0][0].decode()
    assert f"Authorization: Basic {base64.b64encode(b'partner:s@cret').decode()}\r\n" in head
    assert len(seen) == 1 and sender.opened == 1


async def test_https_checks_the_certificate_and_the_host_name():
    """A receiver whose certificate the client does not trust is a send failure; a trusted one answers."""
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)

    async def hook(request: web.Request) -> web.Response:
        return web.Response(text="secure")

    app = web.Application()
    app.router.add_post("/hooks", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
    await site.start()
    url = f"https://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/hooks"
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)
    try:
        with pytest.raises(SendFailed, match="CERTIFICATE_VERIFY_FAILED"):
            await Sender(OPEN).post(url, b"{}", HEADERS)
        answer = await Sender(OPEN, tls=trusting).post(url, b"{}", HEADERS)
        assert (answer.status, answer.body) == (200, b"secure")
    finally:
        await runner.cleanup()


@seed(20261130)
@settings(max_examples=150, deadline=None, database=None)
@given(st.one_of(st.binary(max_size=300),
                 st.builds(lambda status, rest: b"HTTP/1.1 " + status + rest,
                           st.binary(min_size=0, max_size=5), st.binary(max_size=200))))
def test_whatever_a_receiver_sends_is_an_answer_or_a_send_failure(answer):
    """Any bytes, then a hang-up: an `Answer` with a real status or `SendFailed`, never another error."""
    async def one() -> None:
        server, url = await _scripted(answer)
        sender = Sender(OPEN)
        try:
            result = await sender.post(url, b"{}", HEADERS)
            assert 200 <= result.status <= 999 and len(result.body) <= KEEP
        except SendFailed as exc:
            assert str(exc)
        finally:
            await sender.close()
            server.close()

    asyncio.run(one())


async def test_a_connection_the_receiver_closed_while_idle_is_not_reused():
    """A receiver that hangs up after each answer: the next POST opens a fresh connection and is answered."""
    seen: list = []
    server, url = await _scripted(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", seen=seen)
    sender = Sender(OPEN)
    try:
        assert (await sender.post(url, b"{}", HEADERS)).status == 200
        await asyncio.sleep(0.05)   # real network time: the receiver's FIN arrives
        assert (await sender.post(url, b"{}", HEADERS)).status == 200
    finally:
        await sender.close()
        server.close()
    assert len(seen) == 2 and sender.opened == 2


async def test_idle_connections_are_capped_across_receivers_and_closed_after_idle_s():
    """Past `max_idle` a finished connection is closed at once; the kept ones close after `idle_s` with no POST."""
    peers: list = []

    async def hook(request: web.Request) -> web.Response:
        peers.append(request.transport)
        await asyncio.sleep(0.05)   # real network time: the four POSTs overlap, so four connections
        return web.Response(text="ok")

    async def closed_at_the_receiver(count: int) -> bool:
        for _ in range(600):   # real time for the FINs to arrive
            if sum(t.is_closing() for t in peers) >= count:
                return True
            await asyncio.sleep(0.005)
        return False

    runner, url = await serve_posts(hook)
    sender = Sender(OPEN, max_idle=2, idle_s=1.0)
    try:
        answers = await asyncio.gather(*(sender.post(url, b"{}", HEADERS) for _ in range(4)))
        assert [a.status for a in answers] == [200] * 4 and sender.opened == 4 and sender.parked == 2
        assert await closed_at_the_receiver(2)
        assert sum(t.is_closing() for t in peers) == 2   # the kept two are still open
        assert await closed_at_the_receiver(4) and sender.parked == 0
        assert (await sender.post(url, b"{}", HEADERS)).status == 200 and sender.opened == 5
    finally:
        await sender.close()
        await runner.cleanup()
