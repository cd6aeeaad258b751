"""The providers' API path (`sandbox.web.fastpath`): the same answers as aiohttp's, over raw connections.

Each test speaks HTTP/1.1 over a socket, so framing, pipelining and the hand-over of a connection
to aiohttp are what is exercised, not a client's choices. The equivalence test serves one
application on both paths at once and compares their answers byte for byte (the `Date` aside).
"""

from __future__ import annotations

import asyncio
import json
import re

import httptools
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.app import create_app
from sandbox.providers import registered
from sandbox.settings import load_settings
from sandbox.web import fastpath
from tests.providers.liqx_support import PAYIN
from tests.support import free_socket


class _Answers:
    """httptools' callbacks collecting whole answers: (status, headers, body)."""

    def __init__(self) -> None:
        self.done: list[tuple[int, dict[str, str], bytes]] = []
        self._headers: dict[str, str] = {}
        self._body = b""

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode().lower()] = value.decode()

    def on_body(self, body: bytes) -> None:
        self._body += body

    def on_message_complete(self) -> None:
        self.done.append((self.parser.get_status_code(), self._headers, self._body))
        self._headers, self._body = {}, b""


async def exchange(base_url: str, chunks: list[bytes], answers: int, timeout: float = 10.0) -> list[tuple]:
    """Send `chunks` on one connection (one write each) and read `answers` answers, in order."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    collected = _Answers()
    collected.parser = httptools.HttpResponseParser(collected)
    try:
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
        async with asyncio.timeout(timeout):
            while len(collected.done) < answers:
                data = await reader.read(65536)
                if not data:
                    break
                collected.parser.feed_data(data)
    finally:
        writer.close()
    return collected.done


def request(method: str, path: str, body: bytes = b"", headers: dict | None = None, version: str = "1.1") -> bytes:
    lines = [f"{method} {path} HTTP/{version}", "Host: sandbox"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def create(sandbox, ref: str, extra: dict | None = None) -> bytes:
    body = json.dumps({**PAYIN, "external_ref": ref}).encode()
    return request("POST", "/liqx/v1/payin-intents", body,
                   {"Authorization": f"Bearer {sandbox.key('liqx')}", "Content-Type": "application/json",
                    **(extra or {})})


async def test_pipelined_creates_are_answered_in_order(sandbox):
    """Three creates in one write: three 201s, in the order sent, each with its own intent."""
    answers = await exchange(sandbox.base_url, [b"".join(create(sandbox, f"pipe-{n}") for n in range(3))], 3)
    assert [status for status, _, _ in answers] == [201, 201, 201]
    assert [json.loads(body)["external_ref"] for _, _, body in answers] == ["pipe-0", "pipe-1", "pipe-2"]
    assert all(headers["content-type"] == "application/json; charset=utf-8" for _, headers, _ in answers)
    assert all(int(headers["content-length"]) == len(body) for _, headers, body in answers)


async def test_a_request_split_anywhere_is_read_whole(sandbox):
    """Head and body sent a byte at a time still make one create."""
    data = create(sandbox, "bytewise")
    answers = await exchange(sandbox.base_url, [data[i:i + 1] for i in range(len(data))], 1)
    assert answers[0][0] == 201 and json.loads(answers[0][2])["external_ref"] == "bytewise"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=1, max_value=4000), max_size=8))
async def test_any_split_of_a_pipelined_stream_gives_the_same_answers(sandbox, cuts):
    """Wherever the stream of a create, a read of a missing intent and a bad body is cut, the answers
    are the same three, in order."""
    stream = (create(sandbox, "split-dup") + request("GET", "/liqx/v1/intents/lqi_none",
                                                    headers={"Authorization": f"Bearer {sandbox.key('liqx')}"})
              + request("POST", "/liqx/v1/payin-intents", b"{not json",
                        {"Authorization": f"Bearer {sandbox.key('liqx')}", "Content-Type": "application/json"}))
    points = sorted({c for c in cuts if c < len(stream)})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    answers = await exchange(sandbox.base_url, chunks, 3)
    assert [status for status, _, _ in answers][1:] == [404, 400]
    assert answers[0][0] in (201, 409)   # the first example creates it, the others find it taken
    assert json.loads(answers[2][2])["error"]["code"] == "MALFORMED_JSON"


async def test_the_connection_moves_to_aiohttp_at_the_first_request_it_must_answer(sandbox):
    """A create, the control API's health, then a create: all answered in order on one connection."""
    answers = await exchange(sandbox.base_url, [create(sandbox, "before") + request("GET", "/_sandbox/health")
                                                + create(sandbox, "after")], 3)
    assert [status for status, _, _ in answers] == [201, 200, 201]
    assert json.loads(answers[1][2])["status"] == "ok"
    assert json.loads(answers[2][2])["external_ref"] == "after"


@pytest.mark.parametrize("headers", [{"Transfer-Encoding": "chunked"}, {"Expect": "100-continue"},
                                     {"Connection": "close"}])
async def test_framings_left_to_aiohttp_still_create(sandbox, headers):
    """A chunked body, an Expect and a Connection: close go to aiohttp, which creates as before."""
    body = json.dumps({**PAYIN, "external_ref": f"framed-{sorted(headers)[0]}"}).encode()
    head = {"Authorization": f"Bearer {sandbox.key('liqx')}", "Content-Type": "application/json", **headers}
    if "Transfer-Encoding" in headers:
        data = request("GET", "/", headers={}).replace(b"GET / ", b"POST /liqx/v1/payin-intents ")
        data = data[:-2] + "".join(f"{k}: {v}\r\n" for k, v in head.items()).encode() + b"\r\n"
        data += f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    else:
        data = request("POST", "/liqx/v1/payin-intents", body, head)
    expect = "Expect" in headers
    answers = await exchange(sandbox.base_url, [data], 2 if expect else 1)
    assert [status for status, _, _ in answers] == ([100, 201] if expect else [201]), answers


async def test_http_1_0_and_unparsable_heads_get_aiohttps_answers(sandbox):
    status = (await exchange(sandbox.base_url, [create(sandbox, "old").replace(b"HTTP/1.1", b"HTTP/1.0", 1)], 1))[0][0]
    assert status == 201
    answers = await exchange(sandbox.base_url, [b"POST /liqx/v1/payin-intents HTTP/1.1\r\nBad Header\r\n\r\n"], 1)
    assert answers[0][0] == 400


async def test_a_body_over_the_limit_is_refused_in_the_providers_shape(sandbox):
    """A Content-Length over 1 MiB: 413 in LIQX's envelope (aiohttp refuses it, the middleware words it)."""
    data = request("POST", "/liqx/v1/payin-intents", b"", {"Authorization": f"Bearer {sandbox.key('liqx')}",
                                                           "Content-Type": "application/json"})
    data = data.replace(b"Content-Length: 0", b"Content-Length: 2000000")
    answers = await exchange(sandbox.base_url, [data], 1)
    assert answers[0][0] == 413
    assert json.loads(answers[0][2])["error"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_header_line_longer_than_aiohttp_takes_gets_aiohttps_answer(sandbox):
    answers = await exchange(sandbox.base_url, [create(sandbox, "long", {"X-Long": "a" * 9000})], 1)
    assert answers[0][0] in (400, 431)


async def test_idle_connections_are_closed(sandbox, monkeypatch):
    """A keep-alive connection idle past the limit is closed by the server (network time, not sandbox time)."""
    monkeypatch.setattr(fastpath, "KEEPALIVE_S", 0.2)
    site = next(s for s in sandbox.runner.sites if isinstance(s, fastpath.ApiSite))
    site._sweeper.cancel()
    site._sweeper = asyncio.get_running_loop().create_task(site._sweep())
    host, port = sandbox.base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(create(sandbox, "idle"))
    async with asyncio.timeout(5):
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 201")
        while await reader.read(65536):   # the rest of the answer, then the server's close
            pass
    writer.close()


async def test_both_paths_answer_alike(sandbox):
    """One application on both paths at once: the same reads get the same status, headers and body."""
    sock = free_socket()
    plain = web.SockSite(sandbox.runner, sock)
    await plain.start()
    try:
        other = f"http://127.0.0.1:{sock.getsockname()[1]}"
        (_, _, created), = await exchange(sandbox.base_url, [create(sandbox, "alike")], 1)
        intent_id = json.loads(created)["intent_id"]
        key = {"Authorization": f"Bearer {sandbox.key('liqx')}"}
        reads = [request("GET", f"/liqx/v1/intents/{intent_id}", headers=key),
                 request("GET", "/liqx/v1/intents?limit=1&external_ref=alike", headers=key),
                 request("GET", "/liqx/v1/intents/lqi_missing", headers=key),
                 request("GET", f"/liqx/v1/intents/{intent_id}"),
                 request("POST", "/liqx/v1/payin-intents", b"[]", {**key, "Content-Type": "application/json"}),
                 request("OPTIONS", "/rozo/functions/v1/payment-api/payments",
                         headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}),
                 request("GET", "/rozo/functions/v1/payment-api/payments/none"),
                 request("GET", "/mizu/api/v1/payments?limit=1"),
                 request("GET", "/inqud/v1/user/crypto-acquiring/requests/none")]
        fast = await exchange(sandbox.base_url, [b"".join(reads)], len(reads))
        slow = await exchange(other, [b"".join(reads)], len(reads))
        assert len(fast) == len(slow) == len(reads)
        assert [status for status, _, _ in fast][-4:-2] == [204, 404]   # ROZO's preflight, and its 404 with CORS
        assert fast[-3][1]["access-control-allow-origin"] == "*"
        for (f_status, f_headers, f_body), (s_status, s_headers, s_body) in zip(fast, slow, strict=True):
            f_headers.pop("date"), s_headers.pop("date")
            assert (f_status, f_headers) == (s_status, s_headers)
            if f_status < 400:
                assert f_body == s_body
            else:   # error answers carry a fresh request id each
                assert json.loads(f_body).keys() == json.loads(s_body).keys()
    finally:
        await plain.stop()


async def test_every_api_route_is_taken_and_matched_as_aiohttp_matches_it(tmp_path):
    """Each route of each provider's API table is in the path's table, and a path of it picks the
    handler, and the values, that aiohttp's router picks."""
    app = create_app(load_settings({"db": str(tmp_path / "s.db")}, environ={}))
    table = fastpath.ApiRoutes.of(app)
    checked = 0
    for provider in registered():
        for route in provider.routes:
            path = f"/{provider.name}" + re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: f"v-{m.group(1)}", route.path)
            found = table.match(route.method, path)
            assert found is not None, (route.method, path)
            matched = await app.router.resolve(make_mocked_request(route.method, path, app=app))
            assert found[0].route_handler is matched.handler, (route.method, path)
            assert found[2] == dict(matched), (route.method, path)
            checked += 1
    assert checked >= 20
    assert table.match("GET", "/liqx/widget/abc") is None   # a page: aiohttp's
    assert table.match("HEAD", "/liqx/v1/intents/x") is None
