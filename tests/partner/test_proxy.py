"""The local demo proxy (SPEC §8): one envelope per run, the key kept server-side, upstream errors as data."""

from __future__ import annotations

import json

from sandbox.partner.proxy import _failure, _summary
from tests.providers.liqx_support import PAYIN, PAYOUT, create_payin

PAYIN_PROXY = "/partner/api/liqx/payin-intents"
PAYOUT_PROXY = "/partner/api/liqx/payout-intents"


async def proxy(sandbox, path: str, body: dict, **headers):
    status, envelope, response = await sandbox.request("POST", path, json=body, headers=headers)
    raw = await response.text() if not isinstance(envelope, dict) else json.dumps(envelope, ensure_ascii=False)
    assert sandbox.key("liqx") not in raw, "the LIQX key must never reach the browser"
    return status, envelope


async def test_payin_run_creates_intent_and_widget_session(sandbox):
    """A PAYIN run answers 201 with the intent, an open widget session and the request as sent."""
    status, envelope = await proxy(sandbox, PAYIN_PROXY, dict(PAYIN, external_ref="proxy-payin-1"))
    assert status == 201 and envelope["ok"] is True and envelope["error"] is None
    assert envelope["intent"]["status"] == "CREATED" and envelope["intent"]["depositor_name"] == "홍길동"
    assert envelope["intent_id"] == envelope["intent"]["intent_id"] == envelope["session"]["intent_id"]
    assert envelope["external_ref"] == "proxy-payin-1"
    assert envelope["session"]["session_token"] and envelope["session"]["widget_type"] == "PAYIN"
    assert envelope["request"]["body"]["depositor_name"] == "홍길동"
    assert envelope["request"]["headers"]["Authorization"].startswith("Bearer liqx_sk_…")
    assert [envelope["upstream"][k]["status"] for k in ("create", "session")] == [201, 201]
    assert "accepted the PAYIN intent" in envelope["summary"]
    intent = await sandbox.control("GET", f"/intents/liqx/{envelope['intent_id']}/timeline")
    assert intent["intent"]["status"] == "PENDING"


async def test_payout_blank_fields_are_filled_by_liqx(sandbox):
    """Blank external_ref and external_user_id come back server-generated and as the mapped user."""
    status, envelope = await proxy(sandbox, PAYOUT_PROXY, PAYOUT)
    assert status == 201, envelope
    assert envelope["intent"]["status"] == "RESERVED"
    assert envelope["external_ref"] and envelope["external_ref"] == envelope["intent"]["external_ref"]
    assert envelope["intent"]["external_user_id"] == "partner-user-001"
    assert envelope["session"]["widget_type"] == "PAYOUT"


async def test_preflight_failure_is_summarised_with_its_failed_intent(sandbox):
    """KYC_REQUIRED answers 422 in the envelope, names the FAILED intent, and its failure webhook lands."""
    status, envelope = await proxy(sandbox, PAYOUT_PROXY, dict(PAYOUT, scenario="KYC_REQUIRED"))
    assert status == 422 and envelope["ok"] is False
    error = envelope["error"]
    assert error["stage"] == "create" and error["kind"] == "http" and error["status"] == 422
    assert error["code"] == "RESERVATION_PREFLIGHT_FAILED" and error["reason"] == "KYC_REQUIRED"
    assert envelope["intent_id"] == error["intent_id"] and envelope["intent"]["status"] == "FAILED"
    assert envelope["session"] is None and envelope["upstream"]["session"] is None
    assert "HTTP 422 RESERVATION_PREFLIGHT_FAILED" in envelope["summary"] and "KYC_REQUIRED" in envelope["summary"]
    await sandbox.settle()
    _, receipts, _ = await sandbox.request("GET", f"/api/webhooks/liqx/events?intent_id={envelope['intent_id']}")
    [receipt] = receipts["data"]
    assert receipt["type"] == "transaction.failed" and receipt["body"]["data"]["phase"] == "PAYOUT"


async def test_validation_error_names_the_fields(sandbox):
    """An invalid amount answers 400 in the envelope with LIQX's field details and no intent."""
    status, envelope = await proxy(sandbox, PAYIN_PROXY, dict(PAYIN, external_ref="bad-amount", amount_krw="abc"))
    assert status == 400 and envelope["intent_id"] is None and envelope["intent"] is None
    assert envelope["error"]["code"] == "VALIDATION_FAILED"
    assert "/amount_krw" in [d["field"] for d in envelope["error"]["details"]]


async def test_duplicate_external_ref_is_an_error_of_this_run(sandbox):
    """Reusing an external_ref answers 409 naming the existing intent, which is not adopted as this run's."""
    _, first, _ = await create_payin(sandbox, dict(PAYIN, external_ref="dup-ref"))
    status, envelope = await proxy(sandbox, PAYIN_PROXY, dict(PAYIN, external_ref="dup-ref"))
    assert status == 409 and envelope["error"]["code"] == "DUPLICATE_EXTERNAL_REF"
    assert envelope["error"]["intent_id"] == first["intent_id"]
    assert envelope["intent_id"] is None and envelope["upstream"]["lookup"] is None
    assert first["intent_id"] in envelope["summary"]


async def test_injected_api_error_appears_in_the_summary(sandbox):
    """An api_error fault on the create call comes back as HTTP 503 in the envelope, not a proxy crash."""
    await sandbox.control("POST", "/faults", {"provider": "liqx", "action": "api_error", "params": {"status": 503},
                                              "match": {"method": "POST", "path": "/liqx/v1/payin-intents"}})
    status, envelope = await proxy(sandbox, PAYIN_PROXY, dict(PAYIN, external_ref="fault-503"))
    assert status == 503 and envelope["error"]["status"] == 503 and envelope["error"]["kind"] == "http"
    assert "injected fault" in envelope["error"]["message"] and "HTTP 503" in envelope["summary"]
    status, envelope = await proxy(sandbox, PAYIN_PROXY, dict(PAYIN, external_ref="fault-503"))
    assert status == 201, "the fault applied to one call only"


def test_widget_session_failure_is_summarised_at_its_stage():
    """A failed widget-session call is reported at stage `session`, keeping the created intent in view."""
    call = {"method": "POST", "path": "/liqx/v1/intents/lqi_1/widget-sessions", "status": 409, "duration_ms": 1.0,
            "body": {"error": {"code": "INVALID_STATE", "message": "intent is EXPIRED"}, "request_id": "req_1"},
            "error": None}
    error = _failure("session", call)
    assert error["stage"] == "session" and error["code"] == "INVALID_STATE" and error["request_id"] == "req_1"
    text = _summary("PAYIN", {"intent_id": "lqi_1", "status": "EXPIRED"}, None, error)
    assert text.startswith("Upstream error while opening the widget session: HTTP 409 INVALID_STATE")
    assert text.endswith("Intent lqi_1 is EXPIRED.")
    assert _failure("session", dict(call, status=201, body={})) is None


async def test_upstream_timeout_is_reported_as_504(sandbox):
    """An api_timeout longer than the proxy's client timeout answers 504 with a timeout summary."""
    sandbox.sb.settings.partner_proxy_timeout_s = 0.3
    await sandbox.control("POST", "/faults", {"provider": "liqx", "action": "api_timeout", "params": {"delay_ms": 800},
                                              "match": {"method": "POST", "path": "/liqx/v1/payin-intents"}})
    status, envelope = await proxy(sandbox, PAYIN_PROXY, dict(PAYIN, external_ref="slow"))
    assert status == 504 and envelope["error"]["kind"] == "timeout" and envelope["error"]["status"] is None
    assert "did not answer within 0.3 s" in envelope["summary"]
    assert envelope["timeout_s"] == 0.3


async def test_unreachable_upstream_is_reported_as_502(sandbox):
    """When LIQX cannot be reached the envelope says so with 502."""
    real = sandbox.sb.settings.port
    sandbox.sb.settings.port = 1  # nothing listens on port 1
    try:
        status, envelope = await proxy(sandbox, PAYIN_PROXY, dict(PAYIN, external_ref="unreachable"))
    finally:
        sandbox.sb.settings.port = real
    assert status == 502 and envelope["error"]["kind"] == "connection"
    assert "could not reach LIQX" in envelope["summary"]


async def test_sandbox_scenario_header_is_forwarded(sandbox):
    """X-Sandbox-Scenario on the proxy call reaches LIQX and is shown in the request as sent."""
    status, envelope = await proxy(sandbox, PAYIN_PROXY, dict(PAYIN, external_ref="missed"),
                                   **{"X-Sandbox-Scenario": "webhook-missed"})
    assert status == 201 and envelope["request"]["headers"]["X-Sandbox-Scenario"] == "webhook-missed"
    timeline = await sandbox.control("GET", f"/intents/liqx/{envelope['intent_id']}/timeline")
    assert timeline["intent"]["scenario"] == "webhook-missed"


async def test_unknown_scenario_is_an_upstream_validation_error(sandbox):
    """An unknown scenario name comes back as LIQX's 400 naming the header."""
    status, envelope = await proxy(sandbox, PAYIN_PROXY, dict(PAYIN, external_ref="nope"),
                                   **{"X-Sandbox-Scenario": "no-such-scenario"})
    assert status == 400 and envelope["error"]["details"][0]["field"] == "X-Sandbox-Scenario"


async def test_intent_read_back_through_the_proxy(sandbox):
    """GET through the proxy returns the intent; an unknown id answers 404 in the envelope."""
    _, envelope = await proxy(sandbox, PAYIN_PROXY, dict(PAYIN, external_ref="read-back"))
    status, read, _ = await sandbox.request("GET", f"/partner/api/liqx/intents/{envelope['intent_id']}")
    assert status == 200 and read["intent"]["status"] == "PENDING"
    assert sandbox.key("liqx") not in json.dumps(read)
    status, read, _ = await sandbox.request("GET", "/partner/api/liqx/intents/lqi_missing")
    assert status == 404 and read["error"]["code"] == "NOT_FOUND" and read["intent"] is None


async def test_bad_proxy_bodies_never_crash(sandbox):
    """Malformed JSON, a wrong content type and a non-object body answer 4xx, never 500."""
    status, _, _ = await sandbox.request("POST", PAYIN_PROXY, data=b"{not json",
                                         headers={"Content-Type": "application/json"})
    assert status == 400
    status, _, _ = await sandbox.request("POST", PAYIN_PROXY, data=b"a=b",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415
    status, _, _ = await sandbox.request("POST", PAYIN_PROXY, json=[1, 2])
    assert status == 400
