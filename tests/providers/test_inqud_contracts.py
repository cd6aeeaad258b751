"""Inqud contracts: generated from the one enum file, fresh, and agreeing with the provider code."""

import json

from sandbox import DATA_DIR
from sandbox.providers.inqud import schemas
from sandbox.providers.inqud.statuses import CHECKOUT_STATUSES, ENUMS, REQUEST_STATUSES
from tests.providers.inqud_support import CONTRACTS

INQUD = DATA_DIR / "contracts" / "inqud"


def test_schema_files_are_generated_from_the_enum_file():
    """`python -m sandbox.providers.inqud.schemas --check` finds nothing stale."""
    assert schemas.main(["--check"]) == 0


def test_every_generated_contract_is_loaded():
    """Every file the generator writes is a compiled contract of the sandbox."""
    loaded = {f"{kind}/{name}" for provider, kind, name in CONTRACTS.names() if provider == "inqud"}
    assert loaded == set(schemas.build())


def test_status_enums_in_the_schemas_are_the_enum_file_words():
    """Checkout, request and widget statuses in every schema are exactly enums.json's words."""
    def load(name):
        return json.loads((INQUD / f"{name}.schema.json").read_text(encoding="utf-8"))

    for name in ("responses/checkout", "webhooks/checkout"):
        doc = load(name)
        assert doc["properties"]["status"]["enum"] == list(ENUMS["checkoutStatus"].values())
        assert doc["$defs"]["request"]["properties"]["status"]["enum"] == list(ENUMS["requestStatus"].values())
    for name in ("responses/request", "webhooks/request"):
        assert load(name)["properties"]["status"]["enum"] == list(ENUMS["requestStatus"].values())
    assert load("browser/status-changed")["properties"]["status"]["enum"] == list(CHECKOUT_STATUSES)
    assert tuple(ENUMS["requestStatus"].values()) == REQUEST_STATUSES


def test_published_words_are_all_in_use():
    """Every status word Inqud published is one the sandbox uses, so a correction only adds or renames."""
    published = ENUMS["published"]
    assert set(published["checkoutStatus"]) <= set(CHECKOUT_STATUSES)
    assert set(published["requestStatus"]) <= set(REQUEST_STATUSES)
    assert set(published["widgetStatus"]) <= set(CHECKOUT_STATUSES)
    assert set(published["paymentStatus"]) == set(ENUMS["paymentStatus"].values())


def test_documented_examples_satisfy_the_contracts():
    """Inqud's own request-body examples pass the request contracts."""
    fixed = {"clientOrderId": "1234567890", "expiresAt": "2024-12-01T12:00:00Z",
             "fixedAmount": {"amount": 100, "currency": "USD"}, "returnUrl": "https://example.com/return",
             "name": "My shopping cart checkout", "type": "FIXED_PRICE"}
    no_price = {"clientOrderId": "12345676890", "expiresAt": "2024-12-01T12:00:00Z",
                "name": "My website balance top up", "returnUrl": "https://example.com/return", "type": "NO_PRICE"}
    nulls = {"type": "FIXED_PRICE", "fixedAmount": {"amount": 100, "currency": "USD"}, "clientOrderId": None,
             "expiresAt": None, "name": None, "returnUrl": None}
    request = {"amount": 100, "amountIn": "USD", "clientOrderId": "1234567890", "cryptoCurrency": "ETHEREUM_USDT"}
    for body in (fixed, no_price, nulls):
        assert CONTRACTS.errors("inqud", "requests", "create-checkout", body) == []
    assert CONTRACTS.errors("inqud", "requests", "create-request", {**request, "methodKey": "CRYPTOCOIN"}) == []
