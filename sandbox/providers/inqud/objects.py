"""Inqud's objects as they go on the wire: the checkout (`CCO-…`) and the request (`CAPD-…`), field for field.

The members and their order follow Inqud's full response examples (crypto widget "Inqud hosted"
for checkouts, "API only" for requests). Private bookkeeping members start with `_` and never
leave the sandbox. Amounts are JSON numbers, times ISO 8601 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sandbox.amounts import wide
from sandbox.clock import iso
from sandbox.providers import base
from sandbox.providers.inqud import catalog
from sandbox.providers.inqud.catalog import number
from sandbox.providers.inqud.statuses import CHECKOUT, REQUEST

PAYMENT_WINDOW_S = 10 * 60     # the example request's paymentWindowEndsAt is created + 10 min
CHECKOUT_TTL_S = 60 * 60       # expiresAt when the partner sends none (Inqud's on-ramp default)


@dataclass(slots=True)
class Ctx(base.Ctx):
    """An Inqud transaction also needs the sandbox's project and the merchant's domain."""

    project_id: str = ""
    merchant_domain: str = ""


def acquiring_url(base_url: str, checkout_id: str) -> str:
    """The hosted checkout page of a checkout (Inqud: paycrypto.inqud.com/checkout/CCO-…)."""
    return f"{base_url}/inqud/pay/checkout/{checkout_id}"


def _fee_maps(codes: list[str]) -> dict:
    return {
        "merchantFixedPlatformFees": {c: number(catalog.merchant_fixed_fee(c)) for c in codes},
        "merchantPercentPlatformFees": {c: number(catalog.MERCHANT_PERCENT_FEE) for c in codes},
        "payerFixedPlatformFees": {},
        "payerPercentPlatformFees": {},
    }


def new_checkout(ctx: Ctx, body: dict, project: dict, expires_at: datetime) -> dict:
    """A checkout in NEW, priced for every currency the project accepts."""
    codes = list(project["cryptoCurrencies"])
    kind = body["type"]
    fixed = body.get("fixedAmount") if kind == "FIXED_PRICE" else None
    checkout_id = "CCO-" + ctx.ids.uuid()
    estimated, mins, maxs = {}, {}, {}
    if fixed is not None:
        amount = Decimal(str(fixed["amount"]))
        estimated = {c: number(catalog.converted(c, amount, fixed["currency"])) for c in codes}
    else:
        for code in codes:
            low, high = catalog.limits(code)
            mins[code], maxs[code] = number(low), number(high)
    return {
        "id": checkout_id, "projectId": ctx.project_id, "projectName": project["name"],
        "merchantDomain": ctx.merchant_domain, "clientOrderId": body.get("clientOrderId"),
        "status": CHECKOUT.new, "reason": None, "name": body.get("name"), "type": kind,
        "fixedAmount": {"currency": fixed["currency"], "amount": fixed["amount"]} if fixed else None,
        "suggestedAmounts": dict(project["suggestedAmounts"]) if kind == "SUGGESTED_FIXED_PRICE" else None,
        "cryptoCurrencies": codes,
        "cryptoCurrenciesByBlockchain": catalog.by_blockchain(codes),
        "cryptoCurrencyDetails": catalog.details(codes),
        "estimatedPayAmounts": estimated, "minLimits": mins, "maxLimits": maxs,
        **_fee_maps(codes),
        "request": None, "returnUrl": body.get("returnUrl"),
        "acquiringUrl": acquiring_url(ctx.base_url, checkout_id),
        "createdAt": ctx.stamp, "lastUpdatedAt": None, "expiresAt": iso(expires_at),
        "_history": [{"status": CHECKOUT.new, "at": ctx.stamp}],
    }


@wide
def new_request(ctx: Ctx, project: dict, code: str, amount: Decimal | None, amount_in: str | None,
                client_order_id: str | None, checkout_id: str | None, expires_at: datetime) -> dict:
    """A request in WAITING_PAYMENT with its deposit address; `amount` None makes a no-price request."""
    details = catalog.CRYPTO[code]
    request = {
        "id": "CAPD-" + ctx.ids.uuid(), "orderId": "ORD-" + ctx.ids.uuid(), "clientOrderId": client_order_id,
        "currency": details["currency"], "blockchain": details["blockchain"], "status": REQUEST.waitingPayment,
        "reason": None, "cryptoAcquiringProjectId": ctx.project_id, "cryptoAcquiringProjectName": project["name"],
        "checkoutId": checkout_id, "address": catalog.address(ctx.ids, code),
        "paymentWindowEndsAt": iso(expires_at), "expiresAt": iso(expires_at), "createdAt": ctx.stamp,
        "lastUpdatedAt": None, "paymentStatus": None, "paymentId": None, "payment": None, "txHash": None,
        "requestAmount": None, "requestAmountIn": None, "requestAmountConverted": None,
        "convertPair": None, "convertRate": None, "payAmount": None,
        "payerPlatformFee": 0, "payerFixedPlatformFee": None, "payerPercentPlatformFee": None,
        "merchantPlatformFee": None, "merchantFixedPlatformFee": number(catalog.merchant_fixed_fee(code)),
        "merchantPercentPlatformFee": number(catalog.MERCHANT_PERCENT_FEE),
        "processingAmount": None, "paidAmount": None, "overpaid": False, "minLimit": None, "maxLimit": None,
        "_code": code, "_history": [{"status": REQUEST.waitingPayment, "at": ctx.stamp}],
    }
    if amount is None:
        low, high = catalog.limits(code)
        request["minLimit"], request["maxLimit"] = number(low), number(high)
    else:
        pay = catalog.converted(code, amount, amount_in)
        fee = catalog.merchant_fee(code, pay)
        request.update({
            "requestAmount": number(amount), "requestAmountIn": amount_in, "requestAmountConverted": number(pay),
            "convertPair": f"{details['currency']}{amount_in}", "convertRate": number(catalog.rate(code, amount_in)),
            "payAmount": number(pay), "merchantPlatformFee": number(fee), "processingAmount": number(pay - fee),
        })
    return request


@wide
def settle_amounts(request: dict, paid: Decimal) -> None:
    """Fees and processing amount on what was actually paid (no-price requests learn it only now)."""
    fee = catalog.merchant_fee(request["_code"], paid)
    request["merchantPlatformFee"] = number(fee)
    request["processingAmount"] = number(max(paid - fee, Decimal(0)))
