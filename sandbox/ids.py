"""Identifiers and fake data from one seeded source, so `--seed N` replays byte for byte.

Every id, secret, address, jitter and fake name the sandbox makes comes from `Ids`. Without a
seed it draws from the OS; with one, two servers given the same requests produce the same ids.
The boot count is folded into the seed so a restarted server never re-issues an id it already
stored.

Object ids (`prefixed`, `uuid`) lead with a sequence: the first characters count up from a
seeded random start, the rest are random. A purely random id lands on a random page of every
index keyed by it (the intent's own, its timeline's, its timers'), so each create dirtied pages
of its own in every one of them: the WAL took about 27 KB per create in groups of 8, and the
COMMIT that wrote those pages was half of SQLite's work on a create. In creation order they share
the last page (15 KB; bench/README.md). The ids keep their alphabet and length, and a seed still
replays them.
"""

from __future__ import annotations

import random
import string
import uuid

from faker import Faker

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE36 = string.digits + string.ascii_lowercase
#: How many leading characters of a `prefixed` id count up (36**6: 2.2 billion ids before it wraps).
_ORDERED = 6
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_ALNUM = string.ascii_lowercase + string.digits
#: Every two-digit base-36 numeral, "00" to "zz": a `prefixed` id's six leading digits are three of them.
_BASE36_PAIRS = tuple(a + b for a in _BASE36 for b in _BASE36)
_FAKER: Faker | None = None
#: Random bytes drawn beyond the characters asked for, so that the bytes an alphabet drops rarely
#: need a second draw.
_SPARE = 4


class _Alphabet:
    """How random bytes become an alphabet's characters: byte `b` is character `b % size`, and the
    bytes from the largest multiple of `size` up are dropped, so that no character is likelier
    than another."""

    __slots__ = ("drop", "table")

    def __init__(self, chars: str) -> None:
        size = len(chars)
        self.table = bytes(ord(chars[b % size]) for b in range(256))
        self.drop = bytes(range(256 - 256 % size, 256))


_HEX_CHARS = _Alphabet("0123456789abcdef")
_ALNUM_CHARS = _Alphabet(_ALNUM)
_DIGIT_CHARS = _Alphabet(string.digits)
_BASE58_CHARS = _Alphabet(_BASE58)
_BASE32_CHARS = _Alphabet(_BASE32)


class Ids:
    """A seeded generator for ids and fake data."""

    def __init__(self, seed: int | None, boot: int = 0, world: str | None = None) -> None:
        self.seed = seed
        # A world other than the default folds its id in: two worlds with one seed draw different ids.
        material = f"{seed}:{boot}" if seed is not None else None
        if material is not None and world is not None:
            material += f":{world}"
        self.rng = random.Random(material) if material is not None else random.Random()
        #: The sequence object ids lead with; a random start keeps ids from looking numbered.
        self._order = self.rng.randrange(36 ** _ORDERED)

    @property
    def faker(self) -> Faker:
        """Fake data (Korean locale) seeded from this generator, so a seed replays it.

        One Faker serves the process (making one costs milliseconds, and a world is created in
        less): it is re-seeded from this generator on every use, so draws stay deterministic.
        """
        global _FAKER
        if _FAKER is None:
            _FAKER = Faker("ko_KR")
        _FAKER.seed_instance(self.rng.getrandbits(64))
        return _FAKER

    def _draw(self, alphabet: _Alphabet, length: int) -> str:
        """`length` characters of `alphabet`, each equally likely: random bytes mapped in C
        (`bytes.translate`) rather than a `random()` call per character (every create draws twice)."""
        drawn = b""
        while len(drawn) < length:
            drawn += self.rng.randbytes(length - len(drawn) + _SPARE).translate(alphabet.table, alphabet.drop)
        return drawn[:length].decode("ascii")

    def hex(self, length: int) -> str:
        return self._draw(_HEX_CHARS, length)

    def alnum(self, length: int) -> str:
        return self._draw(_ALNUM_CHARS, length)

    def digits(self, length: int) -> str:
        return self._draw(_DIGIT_CHARS, length)

    def base58(self, length: int) -> str:
        return self._draw(_BASE58_CHARS, length)

    def base32(self, length: int) -> str:
        return self._draw(_BASE32_CHARS, length)

    def _next(self) -> int:
        self._order = (self._order + 1) % 36 ** _ORDERED
        return self._order

    def uuid(self) -> str:
        """A version 4 UUID whose first 32 bits are the id sequence (the other 90 bits random)."""
        return str(uuid.UUID(int=self._next() << 96 | self.rng.getrandbits(96), version=4))

    def prefixed(self, prefix: str, length: int = 24) -> str:
        """`prefix` + lowercase alphanumerics, e.g. `lqi_7x…`: the sequence in base 36, then random ones."""
        n = self._next()
        lead = _BASE36_PAIRS[n // 36**4] + _BASE36_PAIRS[n // 36**2 % 36**2] + _BASE36_PAIRS[n % 36**2]
        return prefix + lead + self.alnum(length - _ORDERED)

    def number(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def jitter(self, spread: float) -> float:
        """A uniform value in [0, spread): seeded, so retry jitter is reproducible."""
        return self.rng.random() * spread

    def evm_address(self) -> str:
        return "0x" + self.hex(40)

    def evm_tx_hash(self) -> str:
        return "0x" + self.hex(64)
