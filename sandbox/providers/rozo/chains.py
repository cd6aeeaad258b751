"""ROZO's chains and tokens, and on-chain values shaped like each chain's real ones.

The chain and token matrix is ROZO's published one (supported-tokens-and-chains): chain ids as
the strings responses use, the `solana` / `stellar` names and `cctp:<domain>` aliases requests may
use, and the token contracts per chain. Addresses and transaction hashes are made from `Ids`, so a
seeded server replays them, and they have each chain's real shape: EVM `0x` + 40 hex (addresses)
or 64 hex (hashes); Solana base58 of 32 bytes (addresses) or 64 bytes (signatures); Stellar
StrKey account ids (`G…`, 56 characters with a valid CRC16 checksum) and 64-hex hashes without a
prefix. A partner whose code validates shapes sees the same shapes as in production.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sandbox.ids import Ids


@dataclass(frozen=True, slots=True)
class Chain:
    """One chain ROZO settles on."""

    id: str
    name: str
    family: str  # evm | solana | stellar


CHAINS = {c.id: c for c in (
    Chain("1", "Ethereum", "evm"),
    Chain("42161", "Arbitrum", "evm"),
    Chain("8453", "Base", "evm"),
    Chain("56", "BSC", "evm"),
    Chain("137", "Polygon", "evm"),
    Chain("999", "HyperEVM", "evm"),
    Chain("900", "Solana", "solana"),
    Chain("1500", "Stellar", "stellar"),
)}

#: Names and CCTP V2 domains ROZO resolves to its own chain ids (matching is case-insensitive).
ALIASES = {"solana": "900", "stellar": "1500", "cctp:0": "1", "cctp:3": "42161", "cctp:5": "900",
           "cctp:6": "8453", "cctp:7": "137", "cctp:27": "1500"}

#: Token contract per (chain, symbol) for pay-ins, as ROZO lists them.
TOKENS = {
    ("1", "USDC"): "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
    ("1", "USDT"): "0xdAC17F958D2ee523a2206206994597C13D831ec7",
    ("42161", "USDC"): "0xaf88d065e77c8cC2239327C5EDb3A432268e5831",
    ("42161", "USDT"): "0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9",
    ("8453", "USDC"): "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
    ("8453", "EURC"): "0x60a3E35Cc302bFA44Cb288Bc5a4F316Fdb1adb42",
    ("56", "USDC"): "0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d",
    ("56", "USDT"): "0x55d398326f99059fF775485246999027B3197955",
    ("137", "USDC"): "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359",
    ("137", "USDT"): "0xc2132D05D31c914a87C6611C10748AEb04B58e8F",
    ("999", "USDC"): "0xb88339cb7199b77e23db6e890353e22632ba630f",
    ("900", "USDC"): "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
    ("900", "USDT"): "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",
    ("1500", "USDC"): "USDC:GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN",
    ("1500", "EURC"): "EURC:GDHU6WRG4IEQXM5NZ4BMPKOXHW76MZM4Y2IEMFDVXBSDP6SJY4ITNPP2",
}
#: Payouts: USDC everywhere, EURC on Base and Stellar; "USDT payouts are in private beta … rejected at creation".
PAYOUT_TOKENS = {key for key in TOKENS if key[1] == "USDC" or key in {("8453", "EURC"), ("1500", "EURC")}}

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_SHAPES = {
    "evm": (re.compile(r"^0x[0-9a-fA-F]{40}$"), re.compile(r"^0x[0-9a-fA-F]{64}$")),
    "solana": (re.compile(r"^[1-9A-HJ-NP-Za-km-z]{32,44}$"), re.compile(r"^[1-9A-HJ-NP-Za-km-z]{64,90}$")),
    # Accounts (G…), contracts (C…) and muxed accounts (M…, 69 characters).
    "stellar": (re.compile(r"^(?:[GC][A-Z2-7]{55}|M[A-Z2-7]{68})$"), re.compile(r"^[0-9a-fA-F]{64}$")),
}
_SHAPE_NAMES = {
    "evm": ("0x followed by 40 hex digits", "0x followed by 64 hex digits"),
    "solana": ("a base58 public key", "a base58 transaction signature"),
    "stellar": ("a Stellar StrKey (G…, C… or M…)", "64 hex digits without a 0x prefix"),
}


def resolve_chain(value: str | int) -> Chain | None:
    """The chain a request's `chainId` names (number, numeric string, name or `cctp:` alias), else None."""
    if isinstance(value, bool):
        return None
    text = str(value).strip()
    chain_id = ALIASES.get(re.sub(r"\s+", "", text.lower()), text)
    return CHAINS.get(chain_id)


def token_address(chain: Chain, symbol: str) -> str | None:
    """ROZO's token contract for `symbol` on `chain`, None where ROZO does not take that token."""
    return TOKENS.get((chain.id, symbol))


def is_address(chain: Chain, value: str) -> bool:
    """Whether `value` looks like a wallet address on `chain`."""
    return bool(_SHAPES[chain.family][0].fullmatch(value))  # whole value: `$` would pass a final newline


def is_tx_hash(chain: Chain, value: str) -> bool:
    """Whether `value` looks like a transaction hash on `chain`."""
    return bool(_SHAPES[chain.family][1].fullmatch(value))


def address_shape(chain: Chain) -> str:
    """How a wallet address on `chain` looks, for error messages."""
    return _SHAPE_NAMES[chain.family][0]


def tx_hash_shape(chain: Chain) -> str:
    """How a transaction hash on `chain` looks, for error messages."""
    return _SHAPE_NAMES[chain.family][1]


def uses_memo(chain: Chain) -> bool:
    """Stellar and Solana deposits go to one pooled address and are told apart by a memo."""
    return chain.family in ("stellar", "solana")


# --- making values ----------------------------------------------------------------------------


def base58(data: bytes) -> str:
    """Bitcoin-alphabet base58, as Solana writes keys and signatures."""
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _BASE58[rest] + out
    leading = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading + out


def _crc16_xmodem(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def _base32(data: bytes) -> str:
    bits = "".join(f"{byte:08b}" for byte in data)
    bits += "0" * (-len(bits) % 5)
    return "".join(_BASE32[int(bits[i:i + 5], 2)] for i in range(0, len(bits), 5))


def stellar_account(ids: Ids) -> str:
    """A Stellar account id: StrKey of a 32-byte ed25519 key, version byte 6 << 3, CRC16 checksum."""
    payload = bytes([6 << 3]) + bytes.fromhex(ids.hex(64))
    checksum = _crc16_xmodem(payload).to_bytes(2, "little")
    return _base32(payload + checksum)


def account(ids: Ids, chain: Chain) -> str:
    """A fresh wallet address on `chain`."""
    if chain.family == "evm":
        return ids.evm_address()
    if chain.family == "solana":
        return base58(bytes.fromhex(ids.hex(64)))
    return stellar_account(ids)


def tx_hash(ids: Ids, chain: Chain) -> str:
    """A transaction hash as `chain`'s explorers print it."""
    if chain.family == "evm":
        return ids.evm_tx_hash()
    if chain.family == "solana":
        return base58(bytes.fromhex(ids.hex(128)))
    return ids.hex(64)


def memo(ids: Ids) -> str:
    """A deposit memo: digits, short enough for a Stellar text memo (28 bytes)."""
    return str(ids.number(10**9, 10**10 - 1))
