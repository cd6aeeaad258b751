"""ROZO-specific inputs of the contract generator: request deviations and hand-written lists.

Each deviation relaxes a request schema only where the sandbox must accept more than ROZO's
published schema (contracts/rozo/README.md gives the reason for each).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.contracts import bound_strings  # noqa: E402  (the product's one definition of the bounds)

Json = Any


def deviate_bounds(schema: dict[str, Json]) -> dict[str, Json]:
    """Sandbox deviation D4: every free string gets a `maxLength` (SPEC §10; ids ≤ 255, names ≤ 1,000,
    secrets ≤ 256, URLs ≤ 2,048), in every emitted file. ROZO publishes no bounds; without them a
    900 KB `orderId` would be accepted, stored and echoed in every webhook."""
    return bound_strings(schema)


def _deviate_create_payment(schema: dict[str, Json]) -> None:
    schema["properties"]["webhookSecret"] = {
        "type": "string",
        "description": "Secret used to sign this payment's webhooks (HMAC-SHA256). If omitted, one is "
        "generated and returned in the response.",
        "$comment": "sandbox deviation D1: not in the published schema; accepted per SPEC §3 and "
        "ROZO's SDK (pay-common CreatePaymentRequest.webhookSecret).",
    }


def _deviate_register_payin(schema: dict[str, Json]) -> None:
    if schema.get("required") != ["txHash", "fromAddress"]:
        raise SystemExit("register-payin: published `required` changed; review deviations D2/D3")
    schema["required"] = ["txHash"]
    schema["properties"]["senderAddress"] = {
        "type": "string",
        "description": "Alias of fromAddress, as sent by ROZO's SDK (pay-common updatePaymentPayInTxHash).",
        "$comment": "sandbox deviation D2: not in the published schema; accepted per SPEC §3.",
    }
    schema["$comment"] = (
        "sandbox deviations D2/D3: `senderAddress` accepted as an alias of `fromAddress`, and neither is "
        "required (ROZO's SDK omits the sender when it does not know it). See contracts/rozo/README.md."
    )


REQUEST_DEVIATIONS: dict[str, Callable[[dict[str, Json]], None]] = {
    "create-payment": _deviate_create_payment,
    "register-payin": _deviate_register_payin,
}


# --------------------------------------------------------------------------------------------
# Hand-written contracts (not in ROZO's OpenAPI)
# --------------------------------------------------------------------------------------------

PAY_EVENT_TYPES = ["paymentStarted", "paymentCompleted", "payoutCompleted", "paymentBounced"]

# errorCode is a free string in the OpenAPI; these values come from ROZO's SDK
# (RozoAI/intent-pay packages/pay-common/src/api/types.ts, enum PaymentErrorCode).
PAYMENT_ERROR_CODES = [
    "amountTooHigh",
    "amountTooLow",
    "chainUnavailable",
    "insufficientLiquidity",
    "invalidRecipient",
    "missingTrustline",
    "networkError",
    "providerError",
    "serviceMaintenance",
]
