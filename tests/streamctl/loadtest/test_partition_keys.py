from __future__ import annotations

from collections import Counter

import pytest

from streamctl.loadtest.partition_keys import PartitionKeyStrategyName, partition_keys


def test_random_keys_do_not_repeat() -> None:
    keys = partition_keys(PartitionKeyStrategyName.RANDOM, seed=1)
    assert len({keys.next_key() for _ in range(10_000)}) == 10_000


def test_per_entity_keys_stay_within_the_entity_set_and_cover_it() -> None:
    keys = partition_keys(PartitionKeyStrategyName.PER_ENTITY, entities=20, seed=1)
    drawn = Counter(keys.next_key() for _ in range(5_000))
    assert set(drawn) == {f"entity-{index}" for index in range(20)}
    assert max(drawn.values()) < 2 * min(drawn.values())


def test_zipf_keys_concentrate_on_the_top_ranked_entity() -> None:
    keys = partition_keys(PartitionKeyStrategyName.ZIPF, entities=1_000, zipf_exponent=1.2, seed=1)
    drawn = Counter(keys.next_key() for _ in range(20_000))
    top_key, top_count = drawn.most_common(1)[0]
    assert top_key == "entity-0"
    # Uniform would give 20 per entity; rank 1 of Zipf(1.2) over 1,000 takes about a fifth.
    assert top_count > 50 * (20_000 / 1_000)


def test_the_same_seed_gives_the_same_keys() -> None:
    first = partition_keys(PartitionKeyStrategyName.ZIPF, seed=7)
    second = partition_keys(PartitionKeyStrategyName.ZIPF, seed=7)
    assert [first.next_key() for _ in range(100)] == [second.next_key() for _ in range(100)]


def test_entity_count_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="--entities"):
        partition_keys(PartitionKeyStrategyName.PER_ENTITY, entities=0)
