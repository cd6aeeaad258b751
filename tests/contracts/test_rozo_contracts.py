"""The ROZO contracts in contracts/rozo/ are well-formed, current and faithful to the OpenAPI.

Reads only the emitted JSON files (no PyYAML): regenerate them with `python tools/rozo_contracts.py`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[2]
ROZO = ROOT / "sandbox" / "data" / "contracts" / "rozo"
OPENAPI = ROZO / "openapi-v2.0.0.yaml"
ID_BASE = "https://liqx-sandbox.dev/contracts/rozo"

# sha256 of ROZO's published openapi-v2.0.0.yaml (x-revision-date 2026-05-11); the copy must stay
# byte-identical.
PUBLISHED_SHA256 = "8d0d4a7aa19ea13da6c860900d9481262c1b2f936699b423de63dcdde646835a"

EXPECTED = {
    "requests/create-payment",
    "requests/register-payin",
    "requests/list-payments-query",
    "responses/payment",
    "responses/payment-list",
    "responses/error",
    "responses/fee-quote",
    "webhooks/webhook-event",
    "browser/pay-event",
}
HAND_WRITTEN = {"browser/pay-event", "responses/fee-quote"}
OPENAPI_ONLY = {"nullable", "example", "discriminator", "xml", "externalDocs"}

# Published examples that the published schema rejects, with the exact instance paths that fail.
# See contracts/rozo/README.md, "Known inconsistencies".
KNOWN_EXAMPLE_CONFLICTS = {
    ("webhooks/webhook-event", "", 0): {
        ("data", "destination", "txHash"),
        ("data", "destination", "confirmedAt"),
    },
}


def load(name: str) -> dict[str, Any]:
    return json.loads((ROZO / f"{name}.schema.json").read_text(encoding="utf-8"))


def validator(name: str, pointer: str = "") -> Draft202012Validator:
    """Validator for the subschema at `pointer` of contract `name`, refs resolved in that file."""
    schema = load(name)
    registry = Registry().with_resource(schema["$id"], DRAFT202012.create_resource(schema))
    return Draft202012Validator(
        {"$ref": f"{schema['$id']}#{pointer}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def errors(name: str, instance: Any, pointer: str = "") -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator(name, pointer).iter_errors(instance)
    ]


def pointer_join(pointer: str, *parts: str | int) -> str:
    for part in parts:
        pointer += "/" + quote(str(part).replace("~", "~0").replace("/", "~1"), safe="$")
    return pointer


def subschemas(schema: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object inside `schema` (schema-aware: skips instance-valued keywords)."""
    if not isinstance(schema, dict):
        return
    yield pointer, schema
    for key in ("properties", "$defs", "patternProperties", "dependentSchemas"):
        for name, sub in schema.get(key, {}).items():
            yield from subschemas(sub, pointer_join(pointer, key, name))
    for key in ("items", "not", "additionalProperties", "if", "then", "else", "contains"):
        if key in schema:
            yield from subschemas(schema[key], pointer_join(pointer, key))
    for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
        for i, sub in enumerate(schema.get(key, [])):
            yield from subschemas(sub, pointer_join(pointer, key, i))


ALL_EXAMPLES = [
    pytest.param(name, pointer, i, example, id=f"{name}#{pointer}[{i}]")
    for name in sorted(EXPECTED)
    for pointer, sub in subschemas(load(name))
    for i, example in enumerate(sub.get("examples", []))
    if (name, pointer, i) not in KNOWN_EXAMPLE_CONFLICTS
]


# -- the files --------------------------------------------------------------------------------


def test_openapi_copy_is_the_published_file():
    assert hashlib.sha256(OPENAPI.read_bytes()).hexdigest() == PUBLISHED_SHA256


def test_exactly_the_expected_files_are_emitted():
    found = {str(p.relative_to(ROZO)).removesuffix(".schema.json") for p in ROZO.glob("*/*.schema.json")}
    assert found == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_schema_compiles_and_is_labelled(name):
    schema = load(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"{ID_BASE}/{name}.schema.json"
    assert schema["title"].strip()
    assert "ROZO's published OpenAPI v2.0.0" in schema["description"]
    if name not in HAND_WRITTEN:
        assert "source:" in schema["description"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_schema_is_current_with_the_openapi_copy(name):
    """Each file records the sha256 of the OpenAPI it came from; a stale one needs regenerating."""
    sha = hashlib.sha256(OPENAPI.read_bytes()).hexdigest()
    assert f"sha256 {sha}" in load(name)["$comment"], "run: python tools/rozo_contracts.py"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_openapi_only_keywords_and_refs_are_local(name):
    schema = load(name)
    defs = schema.get("$defs", {})
    for pointer, sub in subschemas(schema):
        leftovers = {k for k in sub if k in OPENAPI_ONLY or k.startswith("x-")}
        assert not leftovers, f"{pointer}: {leftovers}"
        if "$ref" in sub:
            ref = sub["$ref"]
            assert ref == "#" or (ref.startswith("#/$defs/") and ref.removeprefix("#/$defs/") in defs), (
                f"{pointer}: {ref}"
            )
    # every embedded component is used
    text = json.dumps({k: v for k, v in schema.items() if k != "$defs"}) + json.dumps(defs)
    for def_name in defs:
        assert f'"#/$defs/{def_name}"' in text, f"unused $defs/{def_name}"


# -- the published examples -------------------------------------------------------------------


def test_published_examples_are_carried_over():
    assert load("requests/create-payment")["examples"], "POST / request example"
    assert load("webhooks/webhook-event")["examples"], "paymentPayinCompleted example"


@pytest.mark.parametrize(("name", "pointer", "index", "example"), ALL_EXAMPLES)
def test_example_validates_against_its_schema(name, pointer, index, example):
    assert errors(name, example, pointer) == []


@pytest.mark.parametrize(("key", "failing_paths"), KNOWN_EXAMPLE_CONFLICTS.items())
def test_known_example_conflicts_are_exactly_the_documented_ones(key, failing_paths):
    name, pointer, index = key
    example = copy.deepcopy(dict(subschemas(load(name)))[pointer]["examples"][index])
    found = list(validator(name, pointer).iter_errors(example))
    assert {tuple(e.absolute_path) for e in found} == failing_paths
    assert all(e.validator == "type" and e.instance is None for e in found)
    # without the nulls the published example is valid
    for path in failing_paths:
        holder = example
        for part in path[:-1]:
            holder = holder[part]
        del holder[path[-1]]
    assert errors(name, example, pointer) == []


# -- enums.json -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def enums():
    return json.loads((ROZO / "enums.json").read_text(encoding="utf-8"))


def test_enums_file_shape(enums):
    assert set(enums) == {
        "PaymentStatus",
        "WebhookEventType",
        "FeeType",
        "TokenSymbol",
        "ChainId",
        "PaymentErrorCode",
    }
    for name, values in enums.items():
        assert isinstance(values, list) and values, name
        assert len(set(values)) == len(values), name
        assert all(isinstance(v, str) for v in values), name


def test_payment_status_matches_every_schema(enums):
    expected = enums["PaymentStatus"]
    assert load("responses/payment")["properties"]["status"]["enum"] == expected
    for name in ("responses/payment-list", "webhooks/webhook-event"):
        assert load(name)["$defs"]["PaymentResponse"]["properties"]["status"]["enum"] == expected
    assert load("browser/pay-event")["$defs"]["PaymentStatus"]["enum"] == expected


def test_webhook_event_type_matches_schema(enums):
    assert load("webhooks/webhook-event")["$defs"]["WebhookEventType"]["enum"] == enums["WebhookEventType"]
    assert set(enums["WebhookEventType"]) <= set(enums["PaymentStatus"])


def test_fee_type_matches_schemas(enums):
    assert load("requests/create-payment")["properties"]["type"]["enum"] == enums["FeeType"]
    assert load("responses/payment")["properties"]["type"]["enum"] == enums["FeeType"]


def test_token_symbol_matches_schema(enums):
    props = load("requests/create-payment")["properties"]
    for side in ("source", "destination"):
        assert props[side]["properties"]["tokenSymbol"]["enum"] == enums["TokenSymbol"]


def test_chain_ids_are_the_documented_ones_and_accepted(enums):
    create = load("requests/create-payment")
    listed = re.findall(r"(\d+)\s*\(", create["properties"]["source"]["properties"]["chainId"]["description"])
    assert enums["ChainId"] == listed
    for chain in enums["ChainId"]:
        for value in (chain, int(chain)):
            assert errors("requests/create-payment", value, "/properties/source/properties/chainId") == []
            assert (
                errors("requests/create-payment", value, "/properties/destination/properties/chainId") == []
            )
        assert errors("responses/payment", chain, "/properties/source/properties/chainId") == []


def test_payment_error_codes_fit_the_error_code_field(enums):
    for code in enums["PaymentErrorCode"]:
        payment = {
            "id": "550e8400-e29b-41d4-a716-446655440000",
            "status": "payment_bounced",
            "errorCode": code,
        }
        assert errors("responses/payment", payment) == []


# -- request deviations (contracts/rozo/README.md) ----------------------------------------------


SDK_CREATE = {
    "appId": "rozoDemo",
    "type": "exactIn",
    "orderId": "CAFE-1",
    "source": {
        "chainId": 8453,
        "tokenSymbol": "USDC",
        "amount": "1.00",
        "tokenAddress": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
    },
    "destination": {
        "chainId": 1500,
        "receiverAddress": "GC56BXCNEWL6JSGKHD3RJ5HJRNKFEJQ53D3YY3SMD6XK7YPDI75BQ7FD",
        "tokenSymbol": "USDC",
        "amount": "1.00",
        "receiverMemo": "memo ✓",
    },
    "display": {"currency": "USD", "title": "Pay", "description": "커피 한 잔"},
    "metadata": {"appId": "rozoDemo"},
    "webhookUrl": "https://merchant.example/hooks/rozo",
    "webhookSecret": "whsec_abc123",
    "intent": "stellar_direct",
}


def test_create_accepts_what_the_sdk_sends():
    assert errors("requests/create-payment", SDK_CREATE) == []


@pytest.mark.parametrize("field", ["appId", "display", "source", "destination"])
def test_create_requires(field):
    body = {k: v for k, v in SDK_CREATE.items() if k != field}
    assert errors("requests/create-payment", body) == [f"<root>: '{field}' is a required property"]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"webhookSecret": 123}, "webhookSecret"),
        ({"type": "anyAmount"}, "type"),
        ({"source": {"chainId": 8453, "tokenSymbol": "DAI"}}, "source/tokenSymbol"),
        ({"source": {"chainId": 8.5, "tokenSymbol": "USDC"}}, "source/chainId"),
        ({"display": {"title": "Pay"}}, "display"),
        ({"destination": {"chainId": 1500, "tokenSymbol": "USDC"}}, "destination"),
    ],
)
def test_create_still_rejects_what_the_spec_rejects(change, path):
    found = errors("requests/create-payment", {**SDK_CREATE, **change})
    assert found and all(e.startswith(f"{path}:") for e in found), found


@pytest.mark.parametrize(
    "body",
    [
        {"txHash": "0xabc", "fromAddress": "0xdef"},  # as published
        {"txHash": "0xabc", "senderAddress": "0xdef"},  # D2: the SDK's name
        {"txHash": "0xabc"},  # D3: the SDK omits an unknown sender
    ],
)
def test_register_payin_accepts(body):
    assert errors("requests/register-payin", body) == []


@pytest.mark.parametrize(
    "body",
    [{"fromAddress": "0xdef"}, {"txHash": 1}, {"txHash": "0xabc", "senderAddress": 7}, []],
)
def test_register_payin_rejects(body):
    assert errors("requests/register-payin", body)


def test_list_query_bounds():
    assert (
        errors("requests/list-payments-query", {"limit": 20, "offset": 0, "status": "payment_started"}) == []
    )
    assert errors("requests/list-payments-query", {"limit": 0})
    assert errors("requests/list-payments-query", {"limit": 101})
    assert errors("requests/list-payments-query", {"offset": -1})
    assert errors("requests/list-payments-query", {"fromDate": "yesterday"})


# -- responses and webhooks are the published ones, not relaxed -----------------------------------


FULL_PAYMENT = {
    "id": "550e8400-e29b-41d4-a716-446655440000",
    "appId": "merchant_sandbox",
    "orderId": "CAFE-1",
    "status": "payment_payin_completed",
    "type": "exactIn",
    "createdAt": "2026-05-11T10:00:00Z",
    "updatedAt": "2026-05-11T10:31:55Z",
    "expiresAt": "2026-05-11T11:00:00Z",
    "display": {"title": "Pay", "currency": "USD"},
    "source": {
        "chainId": "8453",
        "tokenSymbol": "USDC",
        "amount": "10.00",
        "receiverAddress": "0xdep",
        "fee": "0.03",
        "senderAddress": "0xdef",
        "txHash": "0xabc",
        "amountReceived": "10.00",
        "confirmedAt": "2026-05-11T10:31:55Z",
    },
    "destination": {"chainId": "1500", "receiverAddress": "GC56", "tokenSymbol": "USDC", "amount": "9.97"},
    "webhookSecret": "a" * 64,
    "metadata": {"note": "Unicode ✓"},
}


def test_full_payment_validates_everywhere_it_appears():
    assert errors("responses/payment", FULL_PAYMENT) == []
    page = {"data": [FULL_PAYMENT], "pagination": {"total": 1, "limit": 20, "offset": 0}}
    assert errors("responses/payment-list", page) == []
    event = {
        "event_id": "0a4f9b2e-1c2d-4e5f-8a6b-7c8d9e0f1a2b",
        "type": "payment_payin_completed",
        "timestamp": "2026-05-11T10:32:01Z",
        "data": FULL_PAYMENT,
    }
    assert errors("webhooks/webhook-event", event) == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"status": "payment_bridging"}, "status"),
        ({"errorCode": None}, "errorCode"),
        ({"orderId": None}, "orderId"),
        ({"source": {"chainId": 8453}}, "source/chainId"),
        ({"destination": {"txHash": None}}, "destination/txHash"),
        ({"createdAt": "11 May 2026"}, "createdAt"),
    ],
)
def test_payment_is_not_relaxed(change, path):
    found = errors("responses/payment", {**FULL_PAYMENT, **change})
    assert found and all(e.startswith(f"{path}:") for e in found), found


@pytest.mark.parametrize(
    ("event", "path"),
    [
        ({"type": "payment_bounced"}, "type"),
        ({"event_id": "not-a-uuid"}, "event_id"),
        ({"timestamp": "1746282100000"}, "timestamp"),
    ],
)
def test_webhook_event_is_not_relaxed(event, path):
    body = {
        "event_id": "0a4f9b2e-1c2d-4e5f-8a6b-7c8d9e0f1a2b",
        "type": "payment_payout_completed",
        "timestamp": "2026-05-11T10:40:00Z",
        "data": FULL_PAYMENT,
        **event,
    }
    found = errors("webhooks/webhook-event", body)
    assert found and all(e.startswith(f"{path}:") for e in found), found
    missing = {k: v for k, v in body.items() if k != "data"}
    assert errors("webhooks/webhook-event", missing)


def test_error_shape():
    assert (
        errors(
            "responses/error",
            {
                "error": {
                    "code": "invalid_api_key",
                    "message": "unknown key",
                    "details": {"fields": ["appId"]},
                },
                "requestId": "r1",
            },
        )
        == []
    )
    assert errors("responses/error", {"error": {"code": 400}})
    assert errors("responses/error", {"error": {"details": ["appId"]}})


# -- hand-written contracts ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["paymentStarted", "paymentCompleted", "payoutCompleted", "paymentBounced"])
def test_pay_event_types(kind):
    event = {
        "source": "rozo-pay",
        "type": kind,
        "paymentId": "550e8400-e29b-41d4-a716-446655440000",
        "status": "payment_completed",
    }
    assert errors("browser/pay-event", event) == []


@pytest.mark.parametrize(
    "change",
    [{"source": "rozo"}, {"type": "paymentFailed"}, {"status": "done"}, {"paymentId": 1}, {"extra": True}],
)
def test_pay_event_rejects(change):
    event = {"source": "rozo-pay", "type": "paymentStarted", "paymentId": "p1", "status": "payment_started"}
    assert errors("browser/pay-event", {**event, **change})
    for key in event:
        assert errors("browser/pay-event", {k: v for k, v in event.items() if k != key})


def test_fee_quote_never_looks_like_an_error():
    quote_ = load("responses/fee-quote")["examples"][0]
    assert errors("responses/fee-quote", quote_) == []
    assert errors("responses/fee-quote", {**quote_, "error": {"code": "amountTooHigh"}})
    assert errors("responses/fee-quote", {k: v for k, v in quote_.items() if k != "feeInfo"})
