"""Partition-key strategies: spread evenly, keep each entity's order, or skew onto hot shards."""

from __future__ import annotations

import bisect
import itertools
import random
from enum import StrEnum
from typing import Protocol


class PartitionKeyStrategyName(StrEnum):
    RANDOM = "random"
    PER_ENTITY = "per-entity"
    ZIPF = "zipf"


class PartitionKeys(Protocol):
    def next_key(self) -> str: ...


class RandomKeys:
    """A fresh 128-bit key per record: the even spread over shards that capacity numbers assume."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def next_key(self) -> str:
        return f"{self._rng.getrandbits(128):032x}"


class EntityKeys:
    """One key per entity, entities drawn uniformly: each entity's events stay in order on one shard."""

    def __init__(self, entities: int, rng: random.Random) -> None:
        if entities < 1:
            raise ValueError(f"--entities must be at least 1, got {entities}")
        self._keys = [f"entity-{index}" for index in range(entities)]
        self._rng = rng

    def next_key(self) -> str:
        return self._keys[self._rng.randrange(len(self._keys))]


class ZipfKeys:
    """Entity keys with Zipf-distributed popularity (rank r drawn with weight 1/r^s) to provoke hot shards."""

    def __init__(self, entities: int, exponent: float, rng: random.Random) -> None:
        if entities < 1:
            raise ValueError(f"--entities must be at least 1, got {entities}")
        if exponent <= 0:
            raise ValueError(f"--zipf-exponent must be positive, got {exponent}")
        self._keys = [f"entity-{rank}" for rank in range(entities)]
        weights = [1.0 / (rank + 1) ** exponent for rank in range(entities)]
        self._cumulative = list(itertools.accumulate(weights))
        self._rng = rng

    def next_key(self) -> str:
        draw = self._rng.random() * self._cumulative[-1]
        index = min(bisect.bisect_right(self._cumulative, draw), len(self._keys) - 1)
        return self._keys[index]


def partition_keys(
    strategy: PartitionKeyStrategyName,
    *,
    entities: int = 10_000,
    zipf_exponent: float = 1.1,
    seed: int | None = None,
) -> PartitionKeys:
    """The key generator for a strategy name; `seed` makes a run's key sequence reproducible."""
    rng = random.Random(seed)
    if strategy is PartitionKeyStrategyName.RANDOM:
        return RandomKeys(rng)
    if strategy is PartitionKeyStrategyName.PER_ENTITY:
        return EntityKeys(entities, rng)
    return ZipfKeys(entities, zipf_exponent, rng)
