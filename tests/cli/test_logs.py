"""`sandbox serve` logs one stderr line per request and per webhook attempt (SPEC §13), as text or
JSON, and `--quiet` silences them but not the banner. Read from a real server's stderr."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.live import start_server

PAYIN = {"external_ref": "log-1", "external_user_id": "user-1", "depositor_name": "홍길동",
         "amount_krw": "10000", "amount_usdt": "7.25"}


def _complete_a_payin(server) -> str:
    """Create a LIQX payin and complete it; returns the intent id."""
    _, config = server.call("GET", "/_sandbox/config")
    status, intent = server.call("POST", "/liqx/v1/payin-intents", PAYIN,
                                 {"Authorization": f"Bearer {config['providers']['liqx']['api_key']}"})
    assert status == 201, intent
    status, _ = server.call("POST", f"/_sandbox/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"})
    assert status == 200
    return intent["intent_id"]


@pytest.fixture
def stopped():
    servers = []
    yield servers.append
    for server in servers:
        server.stop()


def test_text_log_has_a_line_per_request_and_per_attempt(tmp_path, stopped):
    """Requests read `METHOD PATH STATUS DURATIONms`; an attempt names provider, event, URL, status and number."""
    server = start_server(tmp_path)
    stopped(server)
    intent_id = _complete_a_payin(server)
    text = server.wait_for_stderr("webhook liqx ")
    _, events = server.call("GET", f"/_sandbox/events?intent_id={intent_id}")
    event = events["data"][0]
    lines = text.splitlines()
    assert any(re.fullmatch(r"POST /liqx/v1/payin-intents 201 \d+(\.\d+)?ms", line) for line in lines), text
    assert any(re.fullmatch(rf"POST /_sandbox/intents/liqx/{intent_id}/transition 200 \d+(\.\d+)?ms", line)
               for line in lines), text
    attempt = re.compile(rf"webhook liqx {event['id']} transaction\.completed -> {re.escape(server.url)}"
                         r"/api/webhooks/liqx 200 \d+(\.\d+)?ms attempt 1")
    assert any(attempt.fullmatch(line) for line in lines), text
    # The receiver's own request is logged too: the delivery arrived over HTTP.
    assert any(re.fullmatch(r"POST /api/webhooks/liqx 200 \d+(\.\d+)?ms", line) for line in lines), text


def test_json_log_is_one_object_per_line_with_kind_and_snake_case_fields(tmp_path, stopped):
    """`--log-format json`: every stderr line parses; requests and attempts carry their fields."""
    server = start_server(tmp_path, "--log-format", "json")
    stopped(server)
    _complete_a_payin(server)
    server.wait_for_stderr('"kind": "attempt"')
    records = [json.loads(line) for line in server.stderr.splitlines()]
    requests = [r for r in records if r["kind"] == "request"]
    attempts = [r for r in records if r["kind"] == "attempt"]
    create = next(r for r in requests if r["path"] == "/liqx/v1/payin-intents")
    assert create["method"] == "POST" and create["status"] == 201 and create["duration_ms"] >= 0
    (attempt,) = attempts
    assert set(attempt) >= {"provider", "event_id", "event_type", "url", "status", "error", "duration_ms", "attempt"}
    assert attempt["provider"] == "liqx" and attempt["event_type"] == "transaction.completed"
    assert attempt["status"] == 200 and attempt["error"] is None and attempt["attempt"] == 1
    assert attempt["url"] == f"{server.url}/api/webhooks/liqx"


def test_failed_attempt_logs_its_error(tmp_path, stopped):
    """An attempt that cannot connect logs the error instead of a status."""
    server = start_server(tmp_path, "--log-format", "json")
    stopped(server)
    status, _ = server.call("PUT", "/_sandbox/endpoints/liqx", {"url": "http://127.0.0.1:9/closed"})
    assert status == 200
    _complete_a_payin(server)
    server.wait_for_stderr('"kind": "attempt"')
    (attempt,) = [json.loads(line) for line in server.stderr.splitlines() if '"kind": "attempt"' in line]
    assert attempt["status"] is None and attempt["error"].startswith("cannot connect to 127.0.0.1:9")
    assert attempt["url"] == "http://127.0.0.1:9/closed"


def test_quiet_keeps_the_banner_and_drops_request_and_attempt_lines(tmp_path, stopped):
    """`--quiet`: the banner is printed, stderr stays empty through requests and a delivery."""
    server = start_server(tmp_path, "--quiet")
    stopped(server)
    intent_id = _complete_a_payin(server)
    for _ in range(100):
        _, read = server.call("GET", f"/api/webhooks/liqx/events?intent_id={intent_id}")
        if read["data"]:
            break
        time.sleep(0.05)  # real time: the server delivers on its own
    assert read["data"], "the webhook was delivered"
    assert "listening on" in server.banner
    assert server.stderr == ""


def test_lines_of_another_world_name_it(tmp_path, stopped):
    """A request and an attempt in a world other than the default one end with `world wld_…`."""
    server = start_server(tmp_path)
    stopped(server)
    status, world = server.call("POST", "/_sandbox/worlds", {"name": "logs"})
    assert status == 201
    key = world["credentials"]["liqx"]["api_key"]
    status, intent = server.call("POST", "/liqx/v1/payin-intents", PAYIN, {"Authorization": f"Bearer {key}"})
    assert status == 201
    status, _ = server.call("POST", f"/_sandbox/intents/liqx/{intent['intent_id']}/transition", {"to": "COMPLETED"},
                            {"X-Sandbox-World": world["id"]})
    assert status == 200
    lines = server.wait_for_stderr(f"attempt 1 world {world['id']}").splitlines()
    assert any(re.fullmatch(rf"POST /liqx/v1/payin-intents 201 \d+(\.\d+)?ms world {world['id']}", line)
               for line in lines)
    assert any(re.fullmatch(r"POST /_sandbox/worlds 201 \d+(\.\d+)?ms", line) for line in lines)
