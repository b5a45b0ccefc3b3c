"""The demand and capacity model: a minute of CloudWatch data, the shards it needs, and what they cost.

Demand is counted in shards' worth of writes (1 MiB/s or 1,000 records/s); headroom is learned as a
histogram of how much demand outgrew its level (`headroom_for_budget`), and capped by what on-demand
would cost for the same traffic (`affordable_shards`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from functions import pricing
from functions.shard_scaler.policy.limits import SHARD_WRITE_BYTES_PER_S, SHARD_WRITE_RECORDS_PER_S

GROWTH_BINS_PER_OCTAVE: Final = 8
"""The growth histogram's bins are an eighth of a doubling wide (9% apart)."""
GROWTH_OCTAVES: Final = 12
"""It reaches 2^12 = 4096x growth; more is counted in the top bin."""
GROWTH_BIN_COUNT: Final = GROWTH_BINS_PER_OCTAVE * GROWTH_OCTAVES


@dataclass(frozen=True, slots=True)
class MinuteMetrics:
    """One minute of CloudWatch data for the stream (sums over the minute; iterator age is the max)."""

    minute: int
    """Minutes since the Unix epoch at the start of the minute."""
    incoming_bytes: float
    incoming_records: float
    throttled_records: float = 0.0
    iterator_age_ms: float = 0.0
    demand: float = field(init=False, repr=False, compare=False)
    """`demand_units` of this minute, worked out once: each minute is read by some 200 decisions."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "demand", demand_units(self))


def demand_units(metrics: MinuteMetrics) -> float:
    """Shards the minute's offered load needs: accepted plus throttled writes, bytes or records."""
    records = metrics.incoming_records + metrics.throttled_records
    if metrics.incoming_records > 0:
        bytes_ = metrics.incoming_bytes * records / metrics.incoming_records
    else:
        bytes_ = metrics.incoming_bytes
    return max(bytes_ / (60.0 * SHARD_WRITE_BYTES_PER_S), records / (60.0 * SHARD_WRITE_RECORDS_PER_S))


def demand_level(values: Sequence[float], quantile: float) -> float:
    """The window's demand at `quantile` (nearest rank): the level capacity and growth are measured from."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]


def growth_bin(ratio: float) -> int:
    """The histogram bin of a minute's growth `ratio` over its level: 0 when it did not grow."""
    if ratio <= 1.0:
        return 0
    return min(GROWTH_BIN_COUNT - 1, int(math.log2(ratio) * GROWTH_BINS_PER_OCTAVE))


def headroom_for_budget(weights: Sequence[float], throttle_budget: float) -> float:
    """Smallest headroom h whose expected throttled share stays within `throttle_budget`.

    With capacity h x baseline, traffic that grew by g > h loses (1 - h/g) of itself; the histogram holds
    volume per growth bin, so the loss for a candidate h is A - h*B over the bins above it, where A is
    their volume and B their volume over growth. One pass from the top bin down.
    """
    total = sum(weights)
    if total <= 0.0:
        return 1.0
    allowed = throttle_budget * total
    above_volume = 0.0
    above_volume_over_growth = 0.0
    for index in range(len(weights) - 1, 0, -1):
        growth = 2.0 ** ((index + 0.5) / GROWTH_BINS_PER_OCTAVE)
        above_volume += weights[index]
        above_volume_over_growth += weights[index] / growth
        candidate = 2.0 ** (index / GROWTH_BINS_PER_OCTAVE)  # lower edge of this bin
        if above_volume - candidate * above_volume_over_growth > allowed:
            return 2.0 ** ((index + 1) / GROWTH_BINS_PER_OCTAVE)
    return 1.0


def affordable_shards(mean_units: float, record_bytes: float, share: float) -> int:
    """Shards whose provisioned cost is `share` of on-demand's for the same traffic: more is waste."""
    records_per_hour = mean_units * SHARD_WRITE_RECORDS_PER_S * 3600.0
    size = max(1, round(record_bytes))
    on_demand = pricing.on_demand_cost_usd(1.0, records_per_hour, size)
    put_cost = pricing.provisioned_cost_usd(0.0, records_per_hour, size)
    return max(1, math.floor((share * on_demand - put_cost) / pricing.KINESIS_SHARD_HOUR_USD))


def mean_record_bytes(metrics: Sequence[MinuteMetrics]) -> float:
    records = sum(m.incoming_records for m in metrics)
    return sum(m.incoming_bytes for m in metrics) / records if records > 0 else 0.0


def projected_demand(
    units: dict[int, float], latest: int, span: int, *, expected_rise: float, points: int = 3
) -> float:
    """Demand `span` minutes on if it keeps rising as it did over the last `span`: the mean of the last
    `points` minutes plus its rise over the mean of as many minutes `span` earlier (means, so a noisy
    flat stream shows no rise) beyond `expected_rise`; 0 when it did not rise."""
    now = [v for m, v in units.items() if latest - m < points]
    before = [v for m, v in units.items() if 0 <= latest - span - m < points]
    if not now or not before:
        return 0.0
    level = sum(now) / len(now)
    rise = level - sum(before) / len(before)
    return level + max(0.0, rise - expected_rise) if rise > 0.0 else 0.0
