"""Inqud helpers for tests, with independent implementations written from Inqud's documentation.

`hmac_headers` follows docs.inqud.com/developer/authentication ("Signature = HmacSHA256 function
of (Request body + salt) hashed by token secret in HEX"; "For GET request just use \"\" as a body")
and `verify_digest` follows docs.inqud.com/developer/web-hooks/web-hook-verification (the
published Python sample: hexlify(HMAC-SHA1(secret, raw body)) compared with X-Payload-Digest).
Neither imports anything from the sandbox, so a signing bug there cannot hide behind itself.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
import secrets
from pathlib import Path

from aiohttp import web

from sandbox.contracts import Contracts
from tests.support import free_socket

CONTRACTS = Contracts()
FIXTURES = Path(__file__).parent / "fixtures"
SEED_004_PAGE = FIXTURES / "inqud_seed_004.html"

FIXED = {"clientOrderId": "1234567890", "expiresAt": "2026-12-01T12:00:00Z",
         "fixedAmount": {"amount": 100, "currency": "USD"}, "returnUrl": "https://example.com/return",
         "name": "My shopping cart checkout", "type": "FIXED_PRICE"}
NO_PRICE = {"clientOrderId": "12345676890", "expiresAt": "2026-12-01T12:00:00Z",
            "name": "My website balance top up", "returnUrl": "https://example.com/return", "type": "NO_PRICE"}
SUGGESTED = {**NO_PRICE, "type": "SUGGESTED_FIXED_PRICE"}
API_REQUEST = {"amount": 100, "amountIn": "USD", "clientOrderId": "1234567890", "cryptoCurrency": "ETHEREUM_USDT"}


def creds(running) -> dict:
    """The Inqud credentials of the server (or world) under test."""
    return running.credentials("inqud")


def base(running) -> str:
    """The API path of the sandbox's project."""
    return f"/inqud/v1/user/crypto-acquiring/{creds(running)['project_id']}"


def secret_headers(running) -> dict:
    """The simple mode: token id and secret."""
    c = creds(running)
    return {"X-Token-API-Id": c["api_id"], "X-Token-API-Secret": c["api_secret"]}


def hmac_headers(running, body: str = "", salt: str | None = None, secret: str | None = None) -> dict:
    """The HMAC mode, as Inqud's Python example builds it: hex HMAC-SHA256(secret, body + salt)."""
    c = creds(running)
    salt = salt or secrets.token_hex(32)
    data_s = body + salt
    dig = hmac.new((secret or c["api_secret"]).encode("utf-8"), msg=data_s.encode("utf-8"),
                   digestmod=hashlib.sha256).digest()
    return {"X-Token-API-Id": c["api_id"], "X-HMAC-SHA256-Signature": dig.hex(), "X-Salt": salt}


def verify_digest(secret: str, raw: bytes, headers: dict) -> bool:
    """Inqud's published webhook check: X-Payload-Digest == hexlify(HMAC-SHA1(secret, raw body))."""
    callback_signature = headers.get("X-Payload-Digest")
    dig = hmac.new(bytes(secret, "utf-8"), raw, hashlib.sha1).digest()
    return callback_signature == binascii.hexlify(dig).decode()


async def create_checkout(running, body: dict | None = None, **headers):
    """POST a checkout with the simple auth mode."""
    return await running.request("POST", base(running) + "/checkouts", json=body or FIXED,
                                 headers={**secret_headers(running), **headers})


async def create_request(running, body: dict | None = None, **headers):
    """POST an API-only request with the simple auth mode."""
    return await running.request("POST", base(running) + "/requests", json=body or API_REQUEST,
                                 headers={**secret_headers(running), **headers})


async def get_checkout(running, checkout_id: str):
    """GET a checkout of the sandbox's project."""
    return await running.request("GET", f"{base(running)}/checkouts/{checkout_id}", headers=secret_headers(running))


async def get_request(running, request_id: str):
    """GET a request by id (the unscoped path)."""
    return await running.request("GET", f"/inqud/v1/user/crypto-acquiring/requests/{request_id}",
                                 headers=secret_headers(running))


async def choose(running, checkout_id: str, code: str = "ETHEREUM_USDT", amount=None) -> dict:
    """The payer picks a currency on the hosted page (checkout → WAITING_PAYMENT)."""
    body = {"cryptoCurrency": code, **({"amount": amount} if amount is not None else {})}
    status, answer, _ = await running.request("POST", f"/inqud/pay/api/checkouts/{checkout_id}/select", json=body)
    assert status == 200, answer
    return answer["checkout"]


async def act(running, object_id: str, action: str, amount=None) -> tuple[int, dict]:
    """A button on the hosted page (checkouts) or the sandbox wallet (API-only requests)."""
    kind = "checkouts" if object_id.startswith("CCO-") else "requests"
    body = {"action": action, **({"amount": amount} if amount is not None else {})}
    status, answer, _ = await running.request("POST", f"/inqud/pay/api/{kind}/{object_id}/actions", json=body)
    return status, answer


async def point_at(running, receiver, secret: str | None = "whsec-inqud-test") -> str | None:
    """Send Inqud webhooks to `receiver`, signed with `secret` (None: no secret, no digest header)."""
    project = f"/inqud/sandbox/projects/{creds(running)['project_id']}"
    status, answer, _ = await running.request("PUT", project, json={"webhookUrl": receiver.url, "webhookSecret": secret},
                                              headers=secret_headers(running))
    assert status == 200, answer
    return answer["webhookSecret"]


def bodies(receiver) -> list[dict]:
    """Every webhook body the receiver got, parsed."""
    return [json.loads(hit["raw"]) for hit in receiver.requests]


async def serve_seed_page(sandbox_url: str, checkout_id: str) -> tuple[web.AppRunner, str]:
    """The seed 004 partner page on its own origin, its two placeholders filled in."""
    html = SEED_004_PAGE.read_text(encoding="utf-8")
    html = html.replace("__SANDBOX_URL__", sandbox_url).replace("__CHECKOUT_ID__", checkout_id)

    async def page(request: web.Request) -> web.Response:
        """The filled-in seed page."""
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = free_socket()
    await web.SockSite(runner, sock).start()
    return runner, f"http://127.0.0.1:{sock.getsockname()[1]}/"
