"""Fuzzing in CI: Schemathesis against the sandbox's own OpenAPI document, ROZO's published one and Inqud's API.

`/_sandbox/openapi.json` (LIQX, Mizu and the control API), ROZO's OpenAPI v2.0.0 (served under
the sandbox's ROZO path), and documents built from the contracts for Inqud's API and ROZO's pay
page (`documents.py`) are fuzzed with a fixed seed and a bounded number of cases per operation,
so the run is repeatable and short. Any 5xx or answer outside its documented schema (errors
included: a provider's error answers are held to its error contract) fails the test, which prints
the run's figures.

No webhook may leave the machine: the sandbox under test is configured as bound beyond loopback
with `webhook_allow` = loopback only, and every provider's webhook URL is pointed at its built-in
receiver on 127.0.0.1 first, so whatever URL the fuzzer invents is refused by the destination
policy (at the API, or at send time).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from sandbox import DATA_DIR
from tests.fuzz import documents
from tests.fuzz.runner import fuzz, pinned
from tests.providers.inqud_support import API_REQUEST, FIXED, create_checkout, create_request, secret_headers
from tests.providers.liqx_support import create_payin
from tests.providers.mizu_support import create_link, open_payment
from tests.providers.rozo_support import created
from tests.support import start_sandbox, stop_sandbox

TOKEN = "fuzz-admin-token"
EXAMPLES = 10
ROZO_OPENAPI = Path(DATA_DIR) / "contracts" / "rozo" / "openapi-v2.0.0.yaml"
ROZO_BASE = "/rozo/functions/v1/payment-api"


async def _locked_down(tmp_path):
    running = await start_sandbox(tmp_path, host="0.0.0.0", admin_token=TOKEN,
                                  webhook_allow=["127.0.0.0/8", "::1/128"])
    admin = {"Authorization": f"Bearer {TOKEN}"}
    for provider in running.sb.providers:
        url = f"{running.base_url}/api/webhooks/{provider}"
        status, answer, _ = await running.request("PUT", f"/_sandbox/endpoints/{provider}", json={"url": url},
                                                  headers=admin)
        assert status == 200, answer
    return running, admin


async def _assert_nothing_left_the_machine(running, admin) -> None:
    """Every webhook attempt went to loopback, or was refused by the destination policy before sending."""
    await running.sb.settle()
    status, listed, _ = await running.request("GET", "/_sandbox/deliveries?limit=500", headers=admin)
    assert status == 200
    for delivery in listed["data"]:
        for attempt in delivery["attempts"]:
            host = urlsplit(attempt["url"] or "").hostname or ""
            sent = attempt["status"] is not None
            assert not sent or host in ("127.0.0.1", "::1", "localhost"), attempt


async def _live_objects(running, keys: dict) -> dict[str, str]:
    """A LIQX intent with a widget session and a Mizu link with a payment: the path parameters that
    name them are pinned to them."""
    status, intent, _ = await create_payin(running)
    assert status == 201, intent
    status, session, _ = await running.request("POST", f"/liqx/v1/intents/{intent['intent_id']}/widget-sessions",
                                               headers=keys["liqx"])
    assert status == 201, session
    link = await create_link(running)
    payment = await open_payment(running, link["id"])
    return {"intent_id": intent["intent_id"], "token": session["session_token"], "link_id": str(link["id"]),
            "payment_id": str(payment["id"])}


def _report(name: str, figures) -> None:
    print(f"\nfuzz {name}: {figures.summary()}")
    for line in figures.server_errors[:10] + figures.schema_violations[:10]:
        print("  " + line)
    assert not figures.server_errors, figures.server_errors[:5]
    assert not figures.schema_violations, figures.schema_violations[:5]


async def test_fuzzing_the_sandbox_openapi_finds_no_5xx_and_no_schema_violation(tmp_path):
    """Every LIQX, Mizu and control operation, positive and negative cases: no 5xx, every answer in schema."""
    running, admin = await _locked_down(tmp_path)
    try:
        status, document, _ = await running.request("GET", "/_sandbox/openapi.json", headers=admin)
        assert status == 200
        keys = {"liqx": {"Authorization": f"Bearer {running.key('liqx')}"},
                "mizu": {"Authorization": f"Bearer {running.key('mizu')}"}, "_sandbox": admin}

        def headers_for(path: str) -> dict:
            return keys[path.strip("/").split("/", 1)[0]]

        document = pinned(document, await _live_objects(running, keys))
        figures = await asyncio.to_thread(fuzz, document, running.base_url, headers_for, EXAMPLES,
                                          first=lambda method, path: not path.startswith("/_sandbox/"))
        assert figures.operations >= 30
        _report("sandbox openapi", figures)
        await _assert_nothing_left_the_machine(running, admin)
    finally:
        await stop_sandbox(running)


async def test_fuzzing_rozo_published_openapi_finds_no_5xx_and_no_schema_violation(tmp_path):
    """Every operation of ROZO's published OpenAPI against the sandbox's ROZO path, then its pay page:
    no 5xx, answers in schema."""
    running, _ = await _locked_down(tmp_path)
    try:
        document = yaml.safe_load(ROZO_OPENAPI.read_text(encoding="utf-8"))
        key = {"X-API-Key": running.key("rozo")}
        figures = await asyncio.to_thread(fuzz, document, running.base_url + ROZO_BASE, lambda path: key, EXAMPLES)
        assert figures.operations >= 5
        _report("rozo openapi", figures)
        # The pay page, which ROZO's document does not have, on a live payment.
        payment = await created(running)
        page = documents.document(running.sb.contracts, "rozo", documents.ROZO_PAGE, {"payment": payment["id"]})
        figures = await asyncio.to_thread(fuzz, page, running.base_url, lambda path: {}, EXAMPLES)
        assert figures.operations == len(documents.ROZO_PAGE)
        _report("rozo pay page", figures)
    finally:
        await stop_sandbox(running)


async def test_fuzzing_inqud_api_finds_no_5xx_and_no_schema_violation(tmp_path):
    """Inqud's partner API, its project settings and its hosted page's endpoints, on a live checkout
    and request: no 5xx, every answer in its contract or in Inqud's error contract."""
    running, admin = await _locked_down(tmp_path)
    try:
        status, checkout, _ = await create_checkout(running, FIXED)
        assert status == 200, checkout
        status, request, _ = await create_request(running, API_REQUEST)
        assert status == 200, request
        values = {"project": running.key("inqud", "project_id"), "checkout": checkout["id"], "request": request["id"]}
        document = documents.document(running.sb.contracts, "inqud", documents.INQUD, values)
        headers = secret_headers(running)
        figures = await asyncio.to_thread(fuzz, document, running.base_url, lambda path: headers, EXAMPLES)
        assert figures.operations == len(documents.INQUD)
        _report("inqud", figures)
        await _assert_nothing_left_the_machine(running, admin)
    finally:
        await stop_sandbox(running)
