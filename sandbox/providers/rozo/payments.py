"""From a create request to ROZO's Payment object: chains, tokens, amounts, fees, deposit address.

Pure functions over a validated `CreatePaymentRequest` (the JSON Schema check already ran), shared
by `POST /` and the fee quote `POST /payments?dryrun=true`, so a quote always prices exactly what
a create would. What the schema cannot say is checked here, in ROZO's words: an unknown chain is
`invalidChainId`; an amount that does not cover the fee is `amountTooLow`; everything else is
`invalidRequest` naming the field.

Unset members are omitted, never `null`: the published PaymentResponse schema declares them as
plain strings (see contracts/rozo/README.md).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_UP, Decimal
from urllib.parse import urlsplit

from sandbox.amounts import wide
from sandbox.clock import iso
from sandbox.errors import ValidationFailed
from sandbox.ids import Ids
from sandbox.providers.rozo import chains
from sandbox.providers.rozo.chains import Chain

#: ROZO's public rate card for its own rails: 0.1 %, at least $0.01 (get-fees doc).
FEE_RATE = Decimal("0.001")
MINIMUM_FEE = Decimal("0.01")
TTL_S = 3600
#: Hosts that may receive webhooks over plain http (ROZO demands https; local receivers cannot have it).
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".test")
#: A plain decimal amount: up to 15 integer digits and 18 decimals (no exponents, signs or spaces).
_AMOUNT = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,18})?")


@dataclass(slots=True)
class Priced:
    """The resolved legs of a request and what the payer must send."""

    kind: str
    source_chain: Chain
    destination_chain: Chain
    source_amount: str
    destination_amount: str
    fee: str


def _issue(field: str, issue: str, message: str | None = None, code: str = "invalidRequest") -> ValidationFailed:
    return ValidationFailed(message or f"{field}: {issue}", details=[{"field": field, "issue": issue}], code=code)


def _decimal(value: str, field: str) -> Decimal:
    if not _AMOUNT.fullmatch(value):
        raise _issue(field, "must be a decimal string such as \"10.00\"")
    amount = Decimal(value)
    if amount <= 0:
        raise _issue(field, "must be greater than 0")
    return amount


def _places(*amounts: Decimal) -> int:
    return min(18, max([2, *(-int(a.as_tuple().exponent) for a in amounts)]))


def _text(amount: Decimal, places: int) -> str:
    return f"{amount.quantize(Decimal(1).scaleb(-places)):f}"


def _chain(leg: dict, field: str) -> Chain:
    chain = chains.resolve_chain(leg["chainId"])
    if chain is None:
        raise _issue(f"{field}/chainId", "unknown chain", f"unsupported chainId {leg['chainId']!r}; use one of "
                     f"{', '.join(chains.CHAINS)}, solana, stellar or a cctp:<domain> alias", code="invalidChainId")
    return chain


@wide
def price(body: dict) -> Priced:
    """Resolve both legs and compute the fee: exactIn deducts it from the input, exactOut adds it."""
    kind = body.get("type", "exactIn")
    source, destination = body["source"], body["destination"]
    source_chain, destination_chain = _chain(source, "/source"), _chain(destination, "/destination")
    if chains.token_address(source_chain, source["tokenSymbol"]) is None:
        raise _issue("/source/tokenSymbol", f"{source['tokenSymbol']} cannot be paid in on {source_chain.name}")
    if (destination_chain.id, destination["tokenSymbol"]) not in chains.PAYOUT_TOKENS:
        raise _issue("/destination/tokenSymbol", f"{destination['tokenSymbol']} cannot be paid out on "
                     f"{destination_chain.name}")
    if not chains.is_address(destination_chain, destination["receiverAddress"]):
        raise _issue("/destination/receiverAddress", f"must be {chains.address_shape(destination_chain)} "
                     f"for {destination_chain.name}")
    given_field = "/source/amount" if kind == "exactIn" else "/destination/amount"
    given_text = (source if kind == "exactIn" else destination).get("amount")
    if given_text is None:
        raise _issue(given_field, f"is required for {kind}")
    given = _decimal(given_text, given_field)
    places = _places(given)
    fee = max(given * FEE_RATE, MINIMUM_FEE).quantize(Decimal(1).scaleb(-places), rounding=ROUND_UP)
    if kind == "exactIn":
        if given <= fee:
            raise _issue(given_field, "does not cover the fee", f"amount {given_text} does not cover the fee "
                         f"{_text(fee, places)}", code="amountTooLow")
        return Priced(kind, source_chain, destination_chain, given_text, _text(given - fee, places),
                      _text(fee, places))
    return Priced(kind, source_chain, destination_chain, _text(given + fee, places), given_text, _text(fee, places))


def check_webhook_url(url: str) -> None:
    """https anywhere, as ROZO demands; plain http only for receivers that cannot be on the internet."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise _issue("/webhookUrl", "must be an absolute https URL")
    if parts.scheme == "https" or _is_local(host):
        return
    raise _issue("/webhookUrl", "must start with https://", "webhookUrl must start with https:// as ROZO demands; "
                 "the sandbox allows http only for loopback, private-network and single-label hosts")


def _is_local(host: str) -> bool:
    if host == "localhost" or "." not in host or host.endswith(_LOCAL_SUFFIXES):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def quote(body: dict) -> dict:
    """The answer to `POST /payments?dryrun=true`: ROZO's FeeResponseData, nothing stored."""
    priced = price(body)
    return {
        "status": "payment_unpaid",
        "type": priced.kind,
        "fee": priced.fee,
        "source": {"chainId": priced.source_chain.id, "tokenSymbol": body["source"]["tokenSymbol"],
                   "amount": priced.source_amount, "fee": priced.fee},
        "destination": {"chainId": priced.destination_chain.id, "tokenSymbol": body["destination"]["tokenSymbol"],
                        "amount": priced.destination_amount},
        "feeInfo": {"feePercentage": _percent(priced), "minimumFee": f"${MINIMUM_FEE}", "provider": "rozo"},
    }


@wide
def _percent(priced: Priced) -> str:
    """The effective rate, as ROZO reports it when the minimum fee applies to a small order."""
    base = Decimal(priced.source_amount if priced.kind == "exactIn" else priced.destination_amount)
    rate = (Decimal(priced.fee) / base * 100).quantize(Decimal("0.01")).normalize()
    return f"{rate:f}%"


def new_payment(ids: Ids, now: datetime, body: dict, app_id: str, base_url: str, pools: dict[str, str],
                ttl_s: float = TTL_S) -> dict:
    """A fresh `payment_unpaid` Payment object for a validated request (webhook secret rules included)."""
    priced = price(body)
    if body.get("webhookUrl"):
        check_webhook_url(body["webhookUrl"])
    source, destination, display = body["source"], body["destination"], body["display"]
    payment_id = ids.uuid()
    deposit_memo = chains.memo(ids) if chains.uses_memo(priced.source_chain) else None
    deposit = pools[priced.source_chain.family] if deposit_memo else chains.account(ids, priced.source_chain)
    payment: dict = {"id": payment_id, "appId": app_id}
    if body.get("orderId") is not None:
        payment["orderId"] = body["orderId"]
    payment.update({
        "status": "payment_unpaid",
        "type": priced.kind,
        "createdAt": iso(now),
        "updatedAt": iso(now),
        "expiresAt": iso(now + timedelta(seconds=ttl_s)),
        "display": {k: display[k] for k in ("title", "description", "currency") if k in display},
        "source": _leg({
            "chainId": priced.source_chain.id, "tokenSymbol": source["tokenSymbol"],
            "tokenAddress": source.get("tokenAddress") or chains.token_address(priced.source_chain,
                                                                               source["tokenSymbol"]),
            "amount": priced.source_amount, "receiverAddress": deposit, "receiverMemo": deposit_memo,
            "fee": priced.fee,
        }),
        "destination": _leg({
            "chainId": priced.destination_chain.id, "receiverAddress": destination["receiverAddress"],
            "receiverMemo": destination.get("receiverMemo"), "tokenSymbol": destination["tokenSymbol"],
            "tokenAddress": destination.get("tokenAddress") or chains.token_address(
                priced.destination_chain, destination["tokenSymbol"]),
            "amount": priced.destination_amount,
        }),
    })
    if body.get("webhookUrl"):
        payment["webhookUrl"] = body["webhookUrl"]
    secret = body.get("webhookSecret") or (ids.hex(64) if body.get("webhookUrl") else None)
    if secret:
        payment["webhookSecret"] = secret
    payment["paymentLink"] = f"{base_url}/rozo/pay/{payment_id}"
    if body.get("metadata") is not None:
        payment["metadata"] = body["metadata"]
    return payment


def _leg(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None}
