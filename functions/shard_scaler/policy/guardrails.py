"""Guardrails (issue 29): bounds on what the rules may do, so no traffic shape gets a scaler worse than
the simplest alternatives.

- The burst hold: while the load comes as short bursts back at the level of earlier days, capacity
  never exceeds that level's need: the rules' own steps (a scale-out adds at least a quarter and aims
  5% over; the headroom learned from the bursts' growth) would otherwise hold more than a static
  allocation for the peak (static_peak) does.
- The outage hold: no scale-in while the stream is silent for minutes to hours; the traffic comes back
  to the shards it left, and a scale-in over an outage meets its return (and its backlog) short.
- The switch check: a switch to on-demand is taken only when replaying the window just read (the
  stream's latest minutes, the best evidence of the next) under on-demand's capacity rule throttles
  less or costs less than holding the current shards, never both worse.

UpdateShardCount's limits (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateShardCount.html:
at most double or halve per call, 10 calls per rolling 24 h) are in `limits.py`; on-demand's capacity
rule is in `functions/aws_limits.py`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from functions import aws_limits, pricing
from functions.shard_scaler.policy.config import PolicyConfig
from functions.shard_scaler.policy.limits import SHARD_WRITE_BYTES_PER_S, SHARD_WRITE_RECORDS_PER_S


def recurring_burst_level(
    daily_peaks: tuple[float, ...], units: Mapping[int, float], latest: int, config: PolicyConfig
) -> float | None:
    """The burst level, while the window's load is short bursts back at the level of earlier days: its
    highest minute at least `guardrails.recurring_share` of the highest of the previous days and no
    higher (a new high is followed by the rules), that level reached on each of the last
    `guardrails.recurring_days` days, and at most `guardrails.burst_share` of its minutes
    above half of it, in at least `guardrails.bursts` runs a reaction time apart. Such bursts end before
    a reshard could follow them (UpdateShardCount: one call every few minutes, 10 per rolling 24 h), so
    the stream must hold their level; None otherwise (a first spike, a new high, a rise, a load that
    stays up)."""
    earlier = max(daily_peaks[:-1], default=0.0)
    window = [v for m, v in units.items() if latest - m < config.demand.window_minutes]
    if not window or earlier <= 0.0:
        return None
    highest = max(window)
    share, days = config.guardrails.recurring_share, config.guardrails.recurring_days
    previous = daily_peaks[-1 - days : -1]
    if len(previous) < days or min(previous) < share * earlier:
        return None  # the level was not reached every day lately: spikes, not a schedule
    if not share * earlier <= highest <= earlier:
        return None
    high = [v > highest / 2.0 for v in window]
    if (
        sum(high) > config.guardrails.burst_share * len(window)
        or _runs(high, config.demand.reaction_minutes) < config.guardrails.bursts
    ):
        return None
    return earlier


def _runs(flags: list[bool], gap: int) -> int:
    """How many runs of True `flags` holds, apart by at least `gap` Falses: bursts that ended and came
    back, not one rise (whose noise flickers about any threshold)."""
    runs, quiet = 0, gap
    for flag in flags:
        if flag:
            runs += quiet >= gap
            quiet = 0
        else:
            quiet += 1
    return runs


def peak_cap(burst_level: float | None, min_shards: int, max_shards: int) -> int:
    """Most shards the rules may ask for: the burst level's need while the load is recurring short
    bursts (more is pure cost: they keep reaching that level and no further), else `max_shards`."""
    if burst_level is None:
        return max_shards
    return max(min_shards, min(max_shards, math.ceil(burst_level - 1e-9)))


def in_outage(last_active_minute: int, latest: int, config: PolicyConfig) -> bool:
    """Whether the stream has been silent (no demand at all) for more than a reaction time but less than
    `guardrails.outage_hold_minutes`: the outage hold, in which no scale-in is made."""
    if last_active_minute < 0:
        return False
    silent = latest - last_active_minute
    return config.demand.reaction_minutes < silent <= config.guardrails.outage_hold_minutes


@dataclass(frozen=True, slots=True)
class SwitchReplay:
    """The window replayed both ways: throttled shards' worth of minutes, and cost in USD."""

    provisioned_throttled: float
    provisioned_usd: float
    on_demand_throttled: float
    on_demand_usd: float

    @property
    def on_demand_pays(self) -> bool:
        """On-demand throttles less or costs less, and is not worse on both."""
        less_throttled = self.on_demand_throttled < self.provisioned_throttled
        cheaper = self.on_demand_usd < self.provisioned_usd
        both_worse = self.on_demand_throttled > self.provisioned_throttled and self.on_demand_usd > self.provisioned_usd
        return (less_throttled or cheaper) and not both_worse


def replay_switch(units: Mapping[int, float], shards: int, previous_peak: float, record_bytes: float) -> SwitchReplay:
    """Replay `units` (demand per minute, in shards' worth) held at `shards` provisioned, and on-demand
    after a switch now: capacity max(its floor, the shards, 2x the previous peak), and 2x each accepted
    minute once `aws_limits.KINESIS_ON_DEMAND_SCALE_LAG_MINUTES` have passed (on-demand's rule)."""
    minutes = sorted(units)
    floor = aws_limits.KINESIS_ON_DEMAND_MIN_WRITE_SHARDS
    capacity = max(floor, float(shards), aws_limits.KINESIS_ON_DEMAND_PEAK_FACTOR * previous_peak)
    lag = aws_limits.KINESIS_ON_DEMAND_SCALE_LAG_MINUTES
    size = max(1, round(record_bytes))
    records_per_unit_minute = 60.0 * min(SHARD_WRITE_RECORDS_PER_S, SHARD_WRITE_BYTES_PER_S / size)
    accepted: dict[int, float] = {}
    prov_lost = od_lost = records = 0.0
    for minute in minutes:
        demand = units[minute]
        seen = accepted.get(minute - lag)
        if seen is not None:
            capacity = max(capacity, aws_limits.KINESIS_ON_DEMAND_PEAK_FACTOR * seen)
        accepted[minute] = min(demand, capacity)
        od_lost += demand - accepted[minute]
        prov_lost += max(0.0, demand - shards)
        records += demand * records_per_unit_minute
    hours = len(minutes) / 60.0
    return SwitchReplay(
        provisioned_throttled=prov_lost,
        provisioned_usd=pricing.provisioned_cost_usd(shards * hours, records, size),
        on_demand_throttled=od_lost,
        on_demand_usd=pricing.on_demand_cost_usd(hours, records, size),
    )
