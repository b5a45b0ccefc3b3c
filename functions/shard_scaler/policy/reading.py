"""What a round reads before any rule applies (rules 1-4), and the decision a rule comes to.

Demand is read relative to the profile in use; the headroom is the learned one, steered by the SLO
feedback; capacity wanted is the level times the profile ahead times the headroom, capped by cost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from functions.shard_scaler.policy.config import PolicyConfig
from functions.shard_scaler.policy.guardrails import peak_cap, recurring_burst_level
from functions.shard_scaler.policy.limits import ScalingHistory, StreamMode, StreamView
from functions.shard_scaler.policy.memory import PolicyMemory
from functions.shard_scaler.policy.model import (
    MinuteMetrics,
    affordable_shards,
    demand_level,
    headroom_for_budget,
    mean_record_bytes,
    projected_demand,
)
from functions.shard_scaler.policy.profiles import (
    forecast_error,
    seasonal_peak,
    seasonal_values,
    slot_normals,
    trusted_step_ratio,
)


@dataclass(frozen=True, slots=True)
class Decision:
    """A round's outcome: at most one call (a shard count or a mode), why, and the memory to keep."""

    target_shards: int | None
    target_mode: StreamMode | None
    reason: str
    memory: PolicyMemory
    headroom: float = 1.0
    demand_units: float = 0.0


@dataclass(slots=True)
class Reading:
    """One round's view of the stream, in shards' worth: every rule decides from this, none changes it.

    Not frozen: one is built every minute, and a frozen dataclass takes seven times as long to build."""

    now: int
    metrics: Sequence[MinuteMetrics]
    units: dict[int, float]
    """Demand by minute (rule 1)."""
    stream: StreamView
    history: ScalingHistory
    memory: PolicyMemory
    """The memory after this round's learning."""
    config: PolicyConfig
    latest: int
    """The latest published minute."""
    table: list[float]
    """The profile in use, floored, one value per slot (all 1.0 until a day is learned)."""
    forecast: float | None
    """How far that profile misses, relative to its mean (None until scored: rule 7)."""
    ratio: float
    """The window's level relative to the profile (rule 2)."""
    demand: float
    """That level at the current slot of the profile."""
    recent_demand: float
    """The highest minute of the last reaction time."""
    projected: float
    """Where demand is heading by the time a call made now is live (0 while it is not rising)."""
    throttled: bool
    """Writes were throttled within the last reaction time."""
    headroom: float
    """The learned headroom, steered by the SLO feedback (rule 3)."""
    wanted: float
    """Capacity wanted: the level at the profile's peak over the next `scale_out.pre_scale_minutes`, with headroom."""
    affordable: int
    """The cost cap (rule 4): shards costing `cost.affordable_share` of on-demand, or the sustained load."""
    calls_used: int
    """UpdateShardCount calls within the last 24 h."""
    peak_cap: int
    """Most shards any rule may ask for (guardrails.peak_cap): the burst level's need while the load is
    recurring short bursts, else max_shards."""

    @property
    def over_cost_cap(self) -> bool:
        """More than twice the cost cap: what a throttled surge followed past the cap leaves behind."""
        return self.stream.shards > 2 * self.affordable

    def ahead(self, minutes: int) -> float:
        """The level at the profile's peak over the next `minutes`, with headroom: capacity for then."""
        return self.ratio * seasonal_peak(self.memory, self.latest, minutes, self.config) * self.headroom

    def keep(self, reason: str) -> Decision:
        return Decision(None, None, reason, self.memory, self.headroom, self.demand)

    def reshard(self, target: int, reason: str) -> Decision:
        return Decision(target, None, reason, self.memory, self.headroom, self.demand)

    def switch(self, mode: StreamMode, reason: str) -> Decision:
        return Decision(None, mode, reason, self.memory, self.headroom, self.demand)


def read_round(
    now: int,
    metrics: Sequence[MinuteMetrics],
    units: dict[int, float],
    stream: StreamView,
    history: ScalingHistory,
    memory: PolicyMemory,
    config: PolicyConfig,
) -> Reading:
    """The round's reading of `units` (not empty) against `memory` as learned this round."""
    latest = max(units)
    step = config.profile.slot_minutes
    table = seasonal_values(memory, config)
    forecast = forecast_error(memory, config)
    ratio = _level_ratio(units, latest, table, forecast, config)
    span = config.demand.reaction_minutes
    recent_demand = max(v for m, v in units.items() if latest - m < span)
    # Where demand is heading by the time a call made now is live: it grew this much over the last
    # reaction time and is assumed to grow as much again (0 while it is not growing), but for the rise
    # the profile itself shows over that time (its slot stepped up), which the plan holds capacity for:
    # a daily step is not projected on as if it would climb as far again.
    profile_rise = table[(latest // step) % len(table)] - table[((latest - span) // step) % len(table)]
    projected = projected_demand(units, latest, span, expected_rise=max(0.0, ratio * profile_rise))
    headroom = _headroom(memory, config)
    floor = config.demand.floor_units
    wanted = max(ratio * seasonal_peak(memory, latest, config.scale_out.pre_scale_minutes, config), floor) * headroom
    return Reading(
        now=now,
        metrics=metrics,
        units=units,
        stream=stream,
        history=history,
        memory=memory,
        config=config,
        latest=latest,
        table=table,
        forecast=forecast,
        ratio=ratio,
        demand=ratio * table[(latest // step) % len(table)],
        recent_demand=recent_demand,
        projected=projected,
        throttled=any(m.throttled_records > 0 and latest - m.minute < span for m in metrics),
        headroom=headroom,
        wanted=wanted,
        affordable=_cost_cap(metrics, units, latest, memory, config),
        calls_used=history.reshards_within_24h(now),
        peak_cap=_peak_cap(units, latest, stream, memory, config),
    )


def _peak_cap(
    units: dict[int, float], latest: int, stream: StreamView, memory: PolicyMemory, config: PolicyConfig
) -> int:
    if not config.guardrails.peak_cap:
        return stream.max_shards
    level = recurring_burst_level(memory.daily_peaks, units, latest, config)
    return peak_cap(level, stream.min_shards, stream.max_shards)


def _level_ratio(
    units: dict[int, float], latest: int, table: list[float], forecast: float | None, config: PolicyConfig
) -> float:
    """Rule 2: the window's level relative to the profile. A diurnal stream's ratio is flat, a noisy
    stream's ratio carries its noise, and ratio x the profile ahead is what capacity must cover next."""
    step, window = config.profile.slot_minutes, config.demand.window_minutes
    normals = slot_normals(table, trusted_step_ratio(forecast, config), config.profile.step_slots)
    return demand_level(
        [v / normals[(m // step) % len(normals)] for m, v in units.items() if latest - m < window],
        config.demand.level_quantile,
    )


def _headroom(memory: PolicyMemory, config: PolicyConfig) -> float:
    """Rule 3: the headroom the growth histogram needs at the throttle budget, its excess over 1 scaled
    by the SLO feedback, and never under the minimum."""
    learned = headroom_for_budget(memory.growth_weights, config.headroom.throttle_budget)
    return max(config.headroom.minimum, 1.0 + (learned - 1.0) * memory.headroom_scale)


def _cost_cap(
    metrics: Sequence[MinuteMetrics], units: dict[int, float], latest: int, memory: PolicyMemory, config: PolicyConfig
) -> int:
    """Rule 4: the shards whose cost is `cost.affordable_share` of what on-demand would cost for the traffic,
    or, if more, what demand sustained over `cost.sustained_minutes` needs: that is load, not headroom."""
    sustained = min(v for m, v in units.items() if latest - m < config.cost.sustained_minutes)
    record_bytes = mean_record_bytes(metrics) or config.cost.record_bytes_hint
    return max(
        affordable_shards(memory.mean_units, record_bytes, config.cost.affordable_share),
        math.ceil(sustained * config.headroom.minimum),
    )
