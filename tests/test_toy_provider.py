"""A provider defined only in the tests folder gets the whole sandbox without a line of core code.

The toy (tests/toy_provider) is handed to `load_settings` and `create_app` beside the registry's
providers. Through the real server it gets: its API, a signed webhook at a real receiver, an
OpenAPI entry, its `GET /_sandbox/config` entry, settings from `SANDBOX_TOY_*`, its own error
shape and its inspector timeline.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest

from sandbox.providers import registered
from sandbox.settings import load_settings
from tests.support import start_sandbox, stop_sandbox
from tests.toy_provider import PROVIDER as TOY

KEY = "toy_key_from_the_environment"


@pytest.fixture
async def toy(tmp_path, receiver):
    """A sandbox serving the registry's providers and the toy, configured through SANDBOX_TOY_* variables."""
    env = {"SANDBOX_TOY_API_KEY": KEY, "SANDBOX_TOY_WEBHOOK_URL": receiver.url}
    providers = (*registered(), TOY)
    settings = load_settings({"db": str(tmp_path / "toy.db"), "seed": 5}, environ=env, providers=providers)
    running = await start_sandbox(tmp_path, settings=settings, providers=providers)
    yield running
    await stop_sandbox(running)


async def create(toy, label: str = "first") -> dict:
    status, gadget, _ = await toy.request("POST", "/toy/v1/gadgets", json={"label": label},
                                          headers={"Authorization": f"Bearer {KEY}"})
    assert status == 201, gadget
    return gadget


async def test_toy_object_is_created_and_read_through_its_own_api(toy):
    """The toy's API creates a gadget with the key from SANDBOX_TOY_API_KEY and reads it back."""
    gadget = await create(toy)
    assert gadget["id"].startswith("gdg_") and gadget["status"] == "open" and gadget["label"] == "first"
    status, read, _ = await toy.request("GET", f"/toy/v1/gadgets/{gadget['id']}", headers={"Authorization": f"Bearer {KEY}"})
    assert status == 200 and read == gadget


async def test_toy_webhook_arrives_signed_at_a_real_receiver(toy, receiver):
    """Moving a gadget to done sends a webhook whose HMAC verifies with the toy's secret from the config."""
    gadget = await create(toy)
    await toy.control("POST", f"/intents/toy/{gadget['id']}/transition", {"to": "done"})
    await toy.settle()
    [delivery] = await receiver.wait_for(1)
    secret = (await toy.control("GET", "/config"))["providers"]["toy"]["webhook_secret"]
    expected = hmac.new(secret.encode(), delivery["raw"], hashlib.sha256).hexdigest()
    assert secret.startswith("toy_whsec_") and hmac.compare_digest(delivery["headers"]["X-Toy-Signature"], expected)
    assert gadget["id"].encode() in delivery["raw"] and delivery["headers"]["X-Toy-Event"].startswith("tev_")


async def test_toy_has_its_openapi_entry_and_config(toy):
    """The OpenAPI document lists the toy's operations with its contract; the config describes it."""
    doc = await toy.control("GET", "/openapi.json")
    create_op = doc["paths"]["/toy/v1/gadgets"]["post"]
    assert create_op["tags"] == ["Toy (test provider)"] and create_op["security"] == [{"toyBearer": []}]
    ref = create_op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert doc["components"]["schemas"][ref]["title"] == "Create gadget"
    described = (await toy.control("GET", "/config"))["providers"]["toy"]
    assert described["base_url"] == f"{toy.base_url}/toy/v1" and described["api_key"] == KEY
    assert described["webhook_url"].endswith("/hooks")


async def test_toy_bad_request_answers_in_the_toy_error_shape(toy):
    """A body missing its label and a wrong key both answer in the toy's own envelope."""
    status, answer, _ = await toy.request("POST", "/toy/v1/gadgets", json={}, headers={"Authorization": f"Bearer {KEY}"})
    assert status == 400 and answer["problem"]["kind"] == "validation_failed"
    assert answer["problem"]["fields"] == ["/label"] and answer["trace"].startswith("req_")
    status, answer, _ = await toy.request("POST", "/toy/v1/gadgets", json={"label": "x"},
                                          headers={"Authorization": "Bearer wrong"})
    assert status == 401 and answer["problem"]["kind"] == "unauthorized"


async def test_toy_timeline_shows_call_transition_event_and_attempt(toy, receiver):
    """The inspector's timeline of a toy gadget has its API call, transitions, webhook event and attempt."""
    gadget = await create(toy)
    await toy.control("POST", f"/intents/toy/{gadget['id']}/transition", {"to": "done"})
    await toy.settle()
    await receiver.wait_for(1)
    found = await toy.control("GET", f"/intents/toy/{gadget['id']}/timeline")
    kinds = [entry["kind"] for entry in found["timeline"]]
    assert kinds[:2] == ["transition", "api_call"] or kinds[:2] == ["api_call", "transition"]
    assert {"event", "attempt"} <= set(kinds) and found["intent"]["status"] == "done"
    [attempt] = [e["attempt"] for e in found["timeline"] if e["kind"] == "attempt"]
    assert attempt["status"] == 200
