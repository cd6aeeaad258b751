"""`sandbox.client` against a real server in a background thread, from plain synchronous tests."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from sandbox.client import SandboxAPIError, SandboxClient, SandboxUnreachable, World
from sandbox.inprocess import InProcessServer
from tests.providers.liqx_support import PAYIN, verify_liqx
from tests.support import free_socket


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[InProcessServer]:
    with InProcessServer(tmp_path_factory.mktemp("client") / "sandbox.db", seed=99) as running:
        yield running


@pytest.fixture
def world(server) -> World:
    return SandboxClient(server.url).world()


def create_payin(world: World, external_ref: str) -> dict:
    """A LIQX payin made with the world's own credentials, over plain HTTP."""
    creds = world.credentials("liqx")
    request = urllib.request.Request(
        world.base_url("liqx") + "/payin-intents", method="POST",
        data=json.dumps({**PAYIN, "external_ref": external_ref}).encode(),
        headers={"Authorization": f"Bearer {creds['api_key']}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return json.load(response)


def test_credentials_and_base_url_are_the_config_entry(world, server):
    """credentials(provider) is the provider's /_sandbox/config entry, webhook secret and base URL included."""
    creds = world.credentials("liqx")
    assert creds["api_key"].startswith("liqx_sk_sandbox_") and creds["webhook_secret"]
    assert world.base_url("liqx") == f"{server.url}/liqx/v1" == creds["base_url"]
    assert world.credentials("rozo")["app_id"]
    with pytest.raises(KeyError, match="unknown provider 'nope'"):
        world.credentials("nope")


def test_transition_then_wait_returns_the_delivered_webhook_with_its_attempts(world):
    """A forced COMPLETED is delivered to the built-in receiver; the wait returns it with a 2xx attempt."""
    intent = create_payin(world, "client-wait-1")
    moved = world.transition("liqx", intent["intent_id"], "COMPLETED")
    assert moved["status"] == "COMPLETED"
    delivery = world.wait_for_delivery("liqx", intent_id=intent["intent_id"], type="transaction.completed")
    assert delivery["status"] == "delivered" and delivery["attempts"][-1]["status"] == 200
    [event] = world.events(provider="liqx", intent_id=intent["intent_id"])
    assert event["type"] == "transaction.completed" and event["id"] == delivery["event_id"]
    assert [d["id"] for d in world.deliveries(intent_id=intent["intent_id"])] == [delivery["id"]]


def test_wait_for_delivery_skips_failed_answers_until_a_retry_succeeds(world):
    """A 500 is not a delivery: the wait times out, and after advancing to the retry it returns attempts [500, 200]."""
    world.call("PUT", "/receiver/liqx", {"status": 500, "times": 1})
    intent = create_payin(world, "client-retry-1")
    world.transition("liqx", intent["intent_id"], "REJECTED")
    with pytest.raises(TimeoutError, match=r"no liqx delivery answered 2xx in 0.5 s .*'failed'|500"):
        world.wait_for_delivery("liqx", intent_id=intent["intent_id"], timeout=0.5)
    world.advance(5)  # LIQX retries 5 s after the first failure
    delivery = world.wait_for_delivery("liqx", intent_id=intent["intent_id"], type="transaction.failed")
    assert [a["status"] for a in delivery["attempts"]] == [500, 200]


def test_wait_for_delivery_filters_by_event_type(world):
    """Asking for a type no event of the intent has times out even though another type was delivered."""
    intent = create_payin(world, "client-type-1")
    world.transition("liqx", intent["intent_id"], "EXPIRED")
    assert world.wait_for_delivery("liqx", intent_id=intent["intent_id"], type="transaction.expired")
    with pytest.raises(TimeoutError):
        world.wait_for_delivery("liqx", intent_id=intent["intent_id"], type="transaction.completed", timeout=0.3)


def test_set_webhook_url_returns_url_and_secret_used_to_sign(world, server):
    """set_webhook_url answers {url, secret}; the next webhook goes there signed with that secret."""
    received: list[tuple[dict, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the standard library's name
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), raw))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = world.set_webhook_url("liqx", f"http://127.0.0.1:{httpd.server_port}/hooks")
        assert set(endpoint) == {"url", "secret"} and endpoint["url"].endswith("/hooks")
        assert world.credentials("liqx")["webhook_secret"] == endpoint["secret"]
        intent = create_payin(world, "client-hook-1")
        world.transition("liqx", intent["intent_id"], "COMPLETED")
        world.wait_for_delivery("liqx", intent_id=intent["intent_id"])
        [(headers, raw)] = received
        assert verify_liqx(endpoint["secret"], headers, raw)
    finally:
        world.set_webhook_url("liqx", f"{server.url}/api/webhooks/liqx")
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_control_api_errors_carry_status_and_body(world):
    """A refused call raises SandboxAPIError with the HTTP status, the parsed body and its code."""
    with pytest.raises(SandboxAPIError) as caught:
        world.transition("nope", "lqi_x", "COMPLETED")
    assert caught.value.status == 404 and caught.value.code == "NOT_FOUND"
    assert "unknown provider 'nope'" in caught.value.body["error"]["message"]
    assert "answered 404" in str(caught.value)
    with pytest.raises(SandboxAPIError) as caught:
        world.add_fault({"action": "explode"})
    assert caught.value.status == 400 and caught.value.code == "VALIDATION_FAILED"
    assert caught.value.body["error"]["details"]


def test_add_fault_and_advance_act_on_the_server(world):
    """A posted rule is listed and clearable; advance moves the clock by the given seconds."""
    rule = world.add_fault({"action": "drop", "provider": "mizu", "times": 1})
    assert rule["id"] in [r["id"] for r in world.faults()]
    world.call("DELETE", f"/faults/{rule['id']}")
    assert rule["id"] not in [r["id"] for r in world.faults()]
    before = world.clock()["now"]
    after = world.advance(3600)["now"]
    assert after > before


def test_unreachable_server_raises_a_connection_error_naming_it():
    """Nothing listening: SandboxUnreachable (a ConnectionError) with the URL in the message."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(ConnectionError, match=f"127.0.0.1:{port}") as caught:
        SandboxClient(f"http://127.0.0.1:{port}").health()
    assert isinstance(caught.value, SandboxUnreachable)


def test_admin_token_is_sent_when_the_server_needs_one(tmp_path):
    """Bound beyond loopback the server wants its token: with it calls work, without they raise 401."""
    with InProcessServer(tmp_path / "s.db", host="0.0.0.0") as running:
        assert running.admin_token
        assert SandboxClient(running.url, running.admin_token).world().config()["admin_token_required"] is True
        with pytest.raises(SandboxAPIError) as caught:
            SandboxClient(running.url).world().config()
        assert caught.value.status == 401


def test_in_process_server_reports_a_failed_start_and_leaves_no_thread(tmp_path):
    """Settings the server refuses fail start() with the reason; the server's thread is gone."""
    before = {t for t in threading.enumerate() if t.name == "liqx-sandbox"}
    with pytest.raises(RuntimeError, match="(?s)failed to start: .*time.scale -1: must be at least 0"):
        InProcessServer(tmp_path / "s.db", time_scale=-1).start()
    assert {t for t in threading.enumerate() if t.name == "liqx-sandbox"} == before
