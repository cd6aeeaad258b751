"""`sandbox trigger inqud checkout`: a fixed-price checkout and the status words of each outcome."""

from __future__ import annotations

from sandbox.providers.inqud.statuses import CHECKOUT
from sandbox.triggers import Http, Trigger


def _checkout(http: Http, sandbox: str, config: dict, ref: str) -> str:
    body = {"clientOrderId": ref, "fixedAmount": {"amount": 100, "currency": "USD"},
            "returnUrl": "https://example.com/return", "name": f"Checkout {ref}", "type": "FIXED_PRICE"}
    headers = {"X-Token-API-Id": config["api_id"], "X-Token-API-Secret": config["api_secret"]}
    return http("POST", config["checkouts_url"], body, headers, create=True)["id"]


TRIGGERS = {
    "checkout": Trigger("a FIXED_PRICE checkout of 100 USD", _checkout,
                        {"success": (CHECKOUT.success,), "expired": (CHECKOUT.expired,),
                         "cancelled": (CHECKOUT.cancelled,), "conflict": (CHECKOUT.conflict,)}, "success"),
}
