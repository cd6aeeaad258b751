"""The sandbox's crypto catalogue: currencies, prices, platform fees, limits and amount maths.

Inqud names a payable currency `BLOCKCHAIN_SYMBOL` (`ETHEREUM_USDT`, from its API-only example).
Prices are fixed so every amount is reproducible; the fee and conversion arithmetic follows the
published request example (100 USD at USDTUSD 1.0054 → pay 99.46291; merchant fee 5 % + 0.1 →
5.07315; processing amount 94.38976).
"""

from __future__ import annotations

from decimal import ROUND_UP, Decimal

from sandbox.amounts import wide
from sandbox.ids import Ids

#: code -> details. `decimals` is how many places pay amounts are quoted in.
CRYPTO: dict[str, dict] = {
    "ETHEREUM_USDT": {"currency": "USDT", "blockchain": "ETHEREUM", "name": "Tether USD", "network": "ERC-20", "decimals": 5},
    "ETHEREUM_USDC": {"currency": "USDC", "blockchain": "ETHEREUM", "name": "USD Coin", "network": "ERC-20", "decimals": 5},
    "ETHEREUM_ETH": {"currency": "ETH", "blockchain": "ETHEREUM", "name": "Ether", "network": "Ethereum", "decimals": 8},
    "TRON_USDT": {"currency": "USDT", "blockchain": "TRON", "name": "Tether USD", "network": "TRC-20", "decimals": 5},
    "BITCOIN_BTC": {"currency": "BTC", "blockchain": "BITCOIN", "name": "Bitcoin", "network": "Bitcoin", "decimals": 8},
    "SOLANA_USDC": {"currency": "USDC", "blockchain": "SOLANA", "name": "USD Coin", "network": "SPL", "decimals": 5},
}

#: USD price of one unit of each currency a checkout or request may be priced in.
USD_PRICE: dict[str, Decimal] = {
    "USD": Decimal("1"), "EUR": Decimal("1.08"), "GBP": Decimal("1.27"),
    "USDT": Decimal("1.0054"), "USDC": Decimal("0.9998"), "ETH": Decimal("3150.25"), "BTC": Decimal("97250.5"),
}
PRICING_CURRENCIES = tuple(USD_PRICE)

MERCHANT_FIXED_FEE = {"USDT": Decimal("0.1"), "USDC": Decimal("0.1"), "ETH": Decimal("0.00003"), "BTC": Decimal("0.000001")}
MERCHANT_PERCENT_FEE = Decimal("5")
#: Per-payment limits in USD, quoted per currency as crypto amounts.
MIN_USD, MAX_USD = Decimal("5"), Decimal("100000")


@wide
def number(value: Decimal | int | float | None):
    """A JSON number: integral values as ints, others as floats (Inqud's amounts are numbers)."""
    if value is None:
        return None
    value = Decimal(str(value)).normalize()
    return int(value) if value == value.to_integral_value() else float(value)


@wide
def quantize_up(value: Decimal, places: int) -> Decimal:
    """Round up to `places` decimals (a payer never pays less than the quote)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_UP)


def rate(code: str, amount_in: str) -> Decimal:
    """Price of one unit of `code`'s currency in `amount_in` units (the convertRate)."""
    symbol = CRYPTO[code]["currency"]
    if symbol == amount_in:
        return Decimal("1")
    return (USD_PRICE[symbol] / USD_PRICE[amount_in]).quantize(Decimal("0.00000001")).normalize()


@wide
def converted(code: str, amount: Decimal, amount_in: str) -> Decimal:
    """`amount` of `amount_in` expressed in `code`'s currency, rounded up to its quoted places."""
    return quantize_up(amount / rate(code, amount_in), CRYPTO[code]["decimals"])


def merchant_fixed_fee(code: str) -> Decimal:
    """The fixed part of the merchant fee, in `code`'s currency."""
    return MERCHANT_FIXED_FEE[CRYPTO[code]["currency"]]


@wide
def merchant_fee(code: str, pay_amount: Decimal) -> Decimal:
    """Merchant platform fee on a pay amount: percent plus fixed, as in Inqud's example."""
    places = CRYPTO[code]["decimals"]
    return quantize_up(pay_amount * MERCHANT_PERCENT_FEE / 100 + merchant_fixed_fee(code), places)


def limits(code: str) -> tuple[Decimal, Decimal]:
    """Minimum and maximum payable amounts of `code`, in its own currency."""
    return converted(code, MIN_USD, "USD"), converted(code, MAX_USD, "USD")


def address(ids: Ids, code: str) -> str:
    """A deposit address shaped like the blockchain's own (fake, from the seeded generator)."""
    chain = CRYPTO[code]["blockchain"]
    if chain == "TRON":
        return "T" + ids.base58(33)
    if chain == "BITCOIN":
        return "bc1q" + ids.base32(38).lower()
    if chain == "SOLANA":
        return ids.base58(44)
    return ids.evm_address()


def tx_hash(ids: Ids, code: str) -> str:
    """A fake transaction hash in the chain's own form."""
    chain = CRYPTO[code]["blockchain"]
    return ids.hex(64) if chain in ("BITCOIN", "TRON") else (ids.base58(88) if chain == "SOLANA" else ids.evm_tx_hash())


def by_blockchain(codes: list[str]) -> dict[str, list[str]]:
    """`cryptoCurrenciesByBlockchain`: blockchain -> its symbols."""
    out: dict[str, list[str]] = {}
    for code in codes:
        out.setdefault(CRYPTO[code]["blockchain"], []).append(CRYPTO[code]["currency"])
    return out


def details(codes: list[str]) -> dict[str, dict]:
    """`cryptoCurrencyDetails`: code -> what the sandbox knows of it."""
    return {code: dict(CRYPTO[code]) for code in codes}
