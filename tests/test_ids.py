"""Object ids: the provider's alphabet and length, in creation order, replayed by a seed."""

from __future__ import annotations

import re
import string
import uuid
from collections import Counter

import pytest

from sandbox.ids import Ids


def test_prefixed_ids_keep_their_shape_and_sort_in_creation_order():
    """Successive ids match the contract's pattern and sort as they were made (index pages are shared)."""
    ids = Ids(7)
    made = [ids.prefixed("lqi_") for _ in range(500)]
    assert all(re.fullmatch(r"lqi_[a-z0-9]{24}", one) for one in made)
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    # The tail is random: two neighbours differ beyond the counting lead.
    assert made[0][10:] != made[1][10:]


def test_uuids_stay_version_4_and_sort_in_creation_order():
    ids = Ids(7)
    made = [ids.uuid() for _ in range(500)]
    assert {uuid.UUID(one).version for one in made} == {4}
    assert made == sorted(made)


def test_a_seed_replays_the_ids_and_worlds_and_boots_get_their_own():
    """The same seed, boot and world give the same ids; another world or boot starts elsewhere."""
    def first_ids(*args, **kwargs):
        ids = Ids(*args, **kwargs)
        return [ids.prefixed("evt_"), ids.uuid(), ids.alnum(8)]

    assert first_ids(3, 1) == first_ids(3, 1)
    assert first_ids(3, 1) != first_ids(3, 2)
    assert first_ids(3, 1, world="wld_a") != first_ids(3, 1, world="wld_b")
    assert first_ids(None) != first_ids(None)


def test_the_sequence_wraps_without_changing_the_shape():
    ids = Ids(1)
    ids._order = 36 ** 6 - 2
    last, wrapped = ids.prefixed("lqi_"), ids.prefixed("lqi_")
    assert last.startswith("lqi_zzzzzz") and wrapped.startswith("lqi_000000")
    assert re.fullmatch(r"lqi_[a-z0-9]{24}", wrapped)


@pytest.mark.parametrize(("draw", "alphabet"), [
    ("alnum", string.ascii_lowercase + string.digits),
    ("digits", string.digits),
    ("hex", "0123456789abcdef"),
    ("base58", "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"),
    ("base32", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
])
def test_every_character_of_an_alphabet_is_equally_likely(draw, alphabet):
    """Random bytes are mapped to characters by remainder: without dropping the bytes above the
    largest multiple of the alphabet's size, the first `256 % size` characters would come about
    one time in `256 // size` more often (a seventh more for the 36 of `alnum`, a twenty-fifth for `digits`)."""
    ids = Ids(11)
    drawn = "".join(getattr(ids, draw)(20) for _ in range(20_000))
    assert len(drawn) == 400_000 and set(drawn) == set(alphabet)
    counts = Counter(drawn)
    expected = len(drawn) / len(alphabet)
    # Seeded, so the same counts every run; a uniform draw stays well within 6% here.
    assert max(abs(n - expected) / expected for n in counts.values()) < 0.06
    favoured, others = alphabet[:256 % len(alphabet)], alphabet[256 % len(alphabet):]
    if favoured:
        def mean(chars: str) -> float:
            return sum(counts[c] for c in chars) / len(chars)
        assert mean(favoured) / mean(others) < 1 + 0.5 / (256 // len(alphabet))
