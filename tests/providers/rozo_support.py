"""ROZO test helpers: request bodies, a contract-checking client, and a signature check from ROZO's doc.

Every call made through `api()` has its answer validated against the schema the published OpenAPI
gives it (contracts/rozo/, generated from ROZO's file): PaymentResponse, the list response, the fee
quote or ErrorResponse. The webhook verifier is written from ROZO's webhook documentation alone
(§6 "Verify the Signature"); it shares no code with the sandbox's signer.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import time
from pathlib import Path

from tests.support import assert_contract

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "sandbox" / "data" / "contracts" / "rozo"
API = "/rozo/functions/v1/payment-api"
STELLAR_RECEIVER = "GC56BXCNEWL6JSGKHD3RJ5HJRNKFEJQ53D3YY3SMD6XK7YPDI75BQ7FD"
BASE_USDC = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
#: The OpenAPI's own example request (appId "rozoBridgeStellar" is a public app).
EXAMPLE = {
    "appId": "rozoBridgeStellar", "type": "exactIn", "display": {"title": "Deposit", "currency": "USD"},
    "source": {"chainId": 1, "tokenSymbol": "USDT", "amount": "1.00",
               "tokenAddress": "0xdAC17F958D2ee523a2206206994597C13D831ec7"},
    "destination": {"chainId": 1500, "receiverAddress": STELLAR_RECEIVER, "tokenSymbol": "USDC",
                    "tokenAddress": "USDC:GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN"},
    "metadata": {"intent": "Deposit"},
}
#: A merchant order: Base USDC in, Stellar USDC out.
MERCHANT = {
    "appId": "merchant_sandbox", "orderId": "CAFE-1768921337803", "type": "exactIn",
    "display": {"title": "Order #1042", "description": "Coffee + pastry ☕", "currency": "USD"},
    "source": {"chainId": "8453", "tokenSymbol": "USDC", "amount": "10.00"},
    "destination": {"chainId": "1500", "receiverAddress": STELLAR_RECEIVER, "tokenSymbol": "USDC"},
    "metadata": {"cart": "홍길동"},
}



def body(base: dict = MERCHANT, **changes) -> dict:
    """A deep copy of `base` with top-level members replaced (None removes one)."""
    out = copy.deepcopy(base)
    for name, value in changes.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def check_answer(status: int, answer, contract: str) -> None:
    """Errors must be ErrorResponse with a code; successes must be `contract`."""
    assert isinstance(answer, dict), (status, answer)
    if status >= 400:
        assert_contract("rozo", "responses", "error", answer)
        assert isinstance(answer["error"]["code"], str) and answer["error"]["message"], answer
        assert answer["requestId"]
    else:
        assert_contract("rozo", "responses", contract, answer)


def keyed(key: str | None) -> dict:
    return {"X-API-Key": key} if key else {}


async def api(running, method: str, path: str, *, json_body=None, key: str | None = None, headers=None,
              data=None, contract: str | None = None):
    """Call the ROZO API under the sandbox and validate the answer; returns (status, body)."""
    if contract is None:
        contract = ("payment-list" if method == "GET" and path.split("?")[0] == "/payments"
                    else "fee-quote" if "dryrun=true" in path else "payment")
    all_headers = {**keyed(key), **(headers or {})}
    kwargs = {"json": json_body} if json_body is not None else {"data": data} if data is not None else {}
    status, answer, _ = await running.request(method, API + path, headers=all_headers, **kwargs)
    check_answer(status, answer, contract)
    return status, answer


async def create(running, payload: dict | None = None, key: str | None = "default", path: str = "/", headers=None):
    """Create a payment (with the default merchant key unless told otherwise); returns (status, body)."""
    if key == "default":
        key = running.key("rozo")
    return await api(running, "POST", path, json_body=payload if payload is not None else body(), key=key,
                     headers=headers)


async def created(running, payload: dict | None = None, **kwargs) -> dict:
    status, answer = await create(running, payload, **kwargs)
    assert status == 201, answer
    return answer


async def get(running, payment_id: str, key: str | None = None) -> dict:
    status, answer = await api(running, "GET", f"/payments/{payment_id}", key=key)
    assert status == 200, answer
    return answer


async def payin(running, payment_id: str, tx_hash: str, sender: str | None = None, key: str | None = None):
    payload = {"txHash": tx_hash, **({"fromAddress": sender} if sender else {})}
    return await api(running, "POST", f"/payments/{payment_id}/payin", json_body=payload, key=key)


async def point_at(running, receiver) -> str:
    """Send the app's ROZO webhooks to `receiver`; returns the app's signing secret."""
    data = await running.control("PUT", "/endpoints/rozo", {"url": receiver.url})
    return data["secret"]


def header(headers: dict, name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def wall_ms() -> int:
    """The real clock in ms: what a partner compares `X-Rozo-Timestamp` with (SPEC §5)."""
    return int(time.time() * 1000)


def verify_rozo(secret: str, headers: dict, raw: bytes, now_ms: int, tolerance_ms: int = 5 * 60 * 1000) -> bool:
    """ROZO's webhook doc §6, step by step: replay window, HMAC-SHA256 over `ts + "." + raw body`, constant time."""
    timestamp, signature = header(headers, "X-Rozo-Timestamp"), header(headers, "X-Rozo-Signature")
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    if abs(now_ms - int(timestamp)) > tolerance_ms:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.removeprefix("sha256="))


#: What ROZO's webhook doc strips from `data`, and the payment's own secret.
STRIPPED = {"metadata", "webhookUrl", "webhookSecretSource", "paymentLink", "merchant", "webhookSecret"}


async def deliveries(running, payment_id: str) -> list[dict]:
    return (await running.control("GET", f"/deliveries?provider=rozo&intent_id={payment_id}"))["data"]
