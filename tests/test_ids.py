"""Object ids: the provider's alphabet and length, in creation order, replayed by a seed."""

from __future__ import annotations

import re
import uuid

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
