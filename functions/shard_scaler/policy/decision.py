"""The decision of one round: read demand against the profile, then apply the rules in docs/autoscaling.md."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from functions.shard_scaler.call_plan import CallPlan, forecast_peaks, make_plan
from functions.shard_scaler.policy.cache import LastResult
from functions.shard_scaler.policy.config import PolicyConfig
from functions.shard_scaler.policy.learning import learn
from functions.shard_scaler.policy.limits import (
    RESHARD_CALLS_PER_24H,
    ScalingHistory,
    StreamMode,
    StreamStatus,
    StreamView,
    clamp,
)
from functions.shard_scaler.policy.memory import PolicyMemory
from functions.shard_scaler.policy.mode_switch import mode_switch
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

LOOKBACK_MINUTES: Final = 220
"""Published minutes a round reads. Every minute it has not read yet needs the demand window and the
reaction time before it (186 minutes), and an on-demand stream's quarter-hourly rounds, with CloudWatch's
delay, leave the oldest unread minute up to 18 minutes back. GetMetricData costs the same for any span."""


@dataclass(frozen=True, slots=True)
class Decision:
    target_shards: int | None
    target_mode: StreamMode | None
    reason: str
    memory: PolicyMemory
    headroom: float = 1.0
    demand_units: float = 0.0


_PLANS: LastResult[CallPlan] = LastResult()


def call_plan(table: list[float], latest: int, history: ScalingHistory, config: PolicyConfig) -> CallPlan:
    """The plan for the profile `table` from `latest`; reused while the table (its values: a slot that
    closed unchanged keeps the plan), the profile slot and the history stand."""
    budget = RESHARD_CALLS_PER_24H - config.calls.reserved

    def plan() -> CallPlan:
        forecast = forecast_peaks(table, config.profile.slot_minutes, latest, config.demand.reaction_minutes)
        call_cost = config.plan.call_cost * sum(forecast) / len(forecast)
        return make_plan(forecast, latest, history.reshard_minutes, budget, call_cost)

    key = (
        table,
        latest // config.profile.slot_minutes,
        history.reshard_minutes,
        budget,
        config.demand.reaction_minutes,
        config.plan.call_cost,
    )
    return _PLANS.get(key, plan)


def decide(
    now: int,
    metrics: Sequence[MinuteMetrics],
    stream: StreamView,
    history: ScalingHistory,
    memory: PolicyMemory,
    *,
    allow_mode_switch: bool = False,
    config: PolicyConfig | None = None,
) -> Decision:
    """Decide a new shard count or mode for the stream at minute `now`, or nothing.

    `metrics` holds the most recent published minutes (oldest first, gaps allowed; give at least
    `demand_window_minutes + reaction_minutes`); `now` is the current minute since the epoch. The result
    obeys every UpdateShardCount/UpdateStreamMode limit.
    """
    config = config or PolicyConfig()
    units = {m.minute: m.demand for m in metrics}
    throttled_by_minute = {
        m.minute: units[m.minute] * m.throttled_records / (m.incoming_records + m.throttled_records)
        for m in metrics
        if m.throttled_records > 0
    }
    memory = learn(memory, units, throttled_by_minute, config, steer=stream.mode == StreamMode.PROVISIONED)

    def keep(reason: str, headroom: float = 1.0, demand: float = 0.0) -> Decision:
        return Decision(None, None, reason, memory, headroom, demand)

    if stream.status != StreamStatus.ACTIVE:
        return keep(f"stream is {stream.status.value}")
    if not units:
        return keep("no metrics yet")

    latest = max(units)
    window = config.demand.window_minutes
    # Demand relative to the daily profile: a diurnal stream's ratio is flat, a noisy stream's ratio
    # carries its noise, and ratio x the profile ahead is what capacity must cover next.
    table, step = seasonal_values(memory, config), config.profile.slot_minutes
    forecast = forecast_error(memory, config)
    normals = slot_normals(table, trusted_step_ratio(forecast, config), config.profile.step_slots)
    ratio = demand_level(
        [v / normals[(m // step) % len(normals)] for m, v in units.items() if latest - m < window],
        config.demand.level_quantile,
    )
    demand = ratio * table[(latest // step) % len(table)]
    recent_demand = max(v for m, v in units.items() if latest - m < config.demand.reaction_minutes)
    # Where demand is heading by the time a call made now is live: it grew this much over the last
    # reaction time and is assumed to grow as much again (0 while it is not growing), but for the rise
    # the profile itself shows over that time (its slot stepped up), which the plan holds capacity for:
    # a daily step is not projected on as if it would climb as far again.
    span = config.demand.reaction_minutes
    profile_rise = table[(latest // step) % len(table)] - table[((latest - span) // step) % len(table)]
    projected = projected_demand(units, latest, span, expected_rise=max(0.0, ratio * profile_rise))
    sustained = min(v for m, v in units.items() if latest - m < config.cost.sustained_minutes)
    throttled = any(m.throttled_records > 0 and latest - m.minute < config.demand.reaction_minutes for m in metrics)
    learned = headroom_for_budget(memory.growth_weights, config.headroom.throttle_budget)
    headroom = max(config.headroom.minimum, 1.0 + (learned - 1.0) * memory.headroom_scale)
    wanted = (
        max(
            ratio * seasonal_peak(memory, latest, config.scale_out.pre_scale_minutes, config), config.demand.floor_units
        )
        * headroom
    )
    record_bytes = mean_record_bytes(metrics) or config.cost.record_bytes_hint
    affordable = max(
        affordable_shards(memory.mean_units, record_bytes, config.cost.affordable_share),
        math.ceil(sustained * config.headroom.minimum),
    )
    over_cost_cap = stream.shards > 2 * affordable  # what a throttled surge followed past the cap leaves behind

    if allow_mode_switch:
        # The headroom over the window's highest minute as measured, not as read through the profile: a
        # profile learned from a day or two of a spiky stream misreads the ratio and the look-ahead.
        needed = max(max(v for m, v in units.items() if latest - m < window), config.demand.floor_units) * headroom
        switch = mode_switch(
            now, stream, history, needed, affordable, memory, config, surging=throttled, over_cost_cap=over_cost_cap
        )
        if switch is not None:
            reason = f"switch to {switch.value}: needs {needed:.1f} shards, affordable {affordable}"
            return Decision(None, switch, reason, memory, headroom, demand)
    if stream.mode != StreamMode.PROVISIONED:
        return keep("on-demand mode: capacity is AWS's", headroom, demand)

    shards = stream.shards
    used = history.reshards_within_24h(now)
    target_capacity = max(stream.min_shards, min(math.ceil(wanted), affordable))
    if throttled:
        # Traffic the stream is throttling now is load, not headroom: follow it at full speed (2x per call)
        # whatever the cost cap says; scale-in takes the capacity back once the surge has passed.
        target_capacity = max(target_capacity, math.ceil(recent_demand * config.headroom.minimum))
    emergency = throttled or recent_demand > shards
    error = forecast if config.plan.enabled else None
    plan_fits = error is not None and error <= config.plan.max_forecast_error and len(table) > 1 and ratio > 0
    # A plan holds capacity at its level between its calls, so a rise the profile did not expect would
    # be met only once it throttles: leave the plan for the greedy rules while demand is heading past
    # capacity, and size the call for where it is heading (within the cost cap). Without a plan the
    # greedy rules already scale out on headroom; projecting there too spends routine calls early.
    heading_past = plan_fits and projected > shards
    if heading_past and not throttled:
        target_capacity = max(target_capacity, min(math.ceil(projected * config.headroom.minimum), affordable))
    rising = emergency or heading_past
    if plan_fits and not rising and shards <= stream.max_shards:
        plan = call_plan(table, latest, history, config)
        scale = ratio * headroom  # shards per profile unit
        level = plan.level_now(shards / scale)
        if level is None:
            return keep("the plan holds", headroom, demand)
        planned = max(stream.min_shards, min(math.ceil(max(level * scale, wanted)), max(affordable, target_capacity)))
        if planned > shards:
            if used >= RESHARD_CALLS_PER_24H - config.calls.reserved:
                return keep(f"planned scale-out but {used} calls in 24 h", headroom, demand)
            target = clamp(planned, shards, stream)
            if target > shards:
                return Decision(target, None, f"planned scale out to {planned}", memory, headroom, demand)
            return keep("at max_shards", headroom, demand)
        if planned == shards:
            return keep("capacity fits", headroom, demand)
        refusal = _scale_in_refusal(now, metrics, units, memory, history, used, config, over_cost_cap=over_cost_cap)
        if refusal is not None:
            return keep(refusal, headroom, demand)
        planned = max(planned, _reach_floor(table, memory, used, affordable, config, planned=True))
        if planned >= shards:
            return keep("no scale-in: the calls left could not bring back the profile's peak", headroom, demand)
        return Decision(
            clamp(planned, shards, stream), None, f"planned scale in to {planned}", memory, headroom, demand
        )
    if shards < target_capacity:
        budget = RESHARD_CALLS_PER_24H - (0 if emergency else config.calls.reserved)
        if used >= budget:
            return keep(f"scale-out wanted but {used} calls in 24 h", headroom, demand)
        ahead = ratio * seasonal_peak(memory, latest, config.scale_out.lookahead_minutes, config) * headroom
        goal = max(max(wanted, ahead) * config.scale_out.overshoot, shards * config.scale_out.min_step)
        target = clamp(min(math.ceil(goal), max(affordable, target_capacity)), shards, stream)
        if target > shards:
            reason = f"scale out: demand {demand:.2f} x headroom {headroom:.2f}"
            return Decision(target, None, reason, memory, headroom, demand)
        return keep("at max_shards", headroom, demand)

    if shards > stream.max_shards:
        return Decision(clamp(stream.max_shards, shards, stream), None, "above max_shards", memory, headroom, demand)
    if rising:
        return keep("demand is rising past capacity: no scale-in", headroom, demand)
    later = ratio * seasonal_peak(memory, latest, config.scale_in.lookahead_minutes, config) * headroom
    keep_capacity = max(stream.min_shards, min(math.ceil(max(wanted, later)), affordable))
    if shards <= stream.min_shards or shards <= keep_capacity * config.scale_in.slack:
        return keep("capacity fits", headroom, demand)
    refusal = _scale_in_refusal(now, metrics, units, memory, history, used, config, over_cost_cap=over_cost_cap)
    if refusal is not None:
        return keep(refusal, headroom, demand)
    goal = min(math.ceil(max(wanted, later) * config.scale_out.overshoot), max(affordable, keep_capacity))
    reach = _reach_floor(table, memory, used, affordable, config, planned=False)
    target = clamp(max(goal, reach), shards, stream)
    if target < shards and shards - target < config.scale_in.min_removed and shards <= affordable:
        return keep(f"no scale-in: {shards} -> {target} shards is not worth a call", headroom, demand)
    if target < shards:
        reason = f"scale in: demand {demand:.2f} x headroom {headroom:.2f}"
        return Decision(target, None, reason, memory, headroom, demand)
    if reach >= shards:
        return keep("no scale-in: the calls left could not bring back the profile's peak", headroom, demand)
    return keep("capacity fits", headroom, demand)


def _reach_floor(
    table: list[float], memory: PolicyMemory, used: int, affordable: int, config: PolicyConfig, *, planned: bool
) -> int:
    """Fewest shards a scale-in may leave: from there, the calls left after it (each at most doubling)
    must still reach the profile's peak with the minimum headroom, or a day of scale-ins can strand the
    stream below its next peak with the 10 calls spent. Without a plan, only routine calls count: the
    emergency reserve is spent only once throttled, so reaching the peak with it means throttling
    first. A plan budgets its own routine calls; this floor only backs it up. Never more than the
    cost cap. Before a profile is learned (`table` is the all-ones placeholder then), the peak is the
    highest minute of the last `peak_days` days."""
    peak = max(table) if len(table) > 1 else max(memory.daily_peaks, default=0.0)
    left = max(0, RESHARD_CALLS_PER_24H - used - 1 - (0 if planned else config.calls.reserved))
    return min(affordable, math.ceil(peak * config.headroom.minimum / 2**left))


def _scale_in_refusal(
    now: int,
    metrics: Sequence[MinuteMetrics],
    units: dict[int, float],
    memory: PolicyMemory,
    history: ScalingHistory,
    used: int,
    config: PolicyConfig,
    *,
    over_cost_cap: bool,
) -> str | None:
    """Why a scale-in must wait (consumers behind, calls, cooldown, too little history), or None.

    Shards more than twice the cost cap (left by a throttled surge followed past it) cost more than
    on-demand would even after one halving. Giving them back may spend the emergency reserve: a
    halving from there still leaves more than the cap's worth of shards, which is itself the
    headroom the reserve's doublings would have bought."""
    if max(m.iterator_age_ms for m in metrics) > config.scale_in.max_iterator_age_ms:
        return "consumers are behind: no scale-in"
    kept = 0 if over_cost_cap else config.calls.reserved + config.calls.kept_for_scale_out
    if used >= RESHARD_CALLS_PER_24H - kept:
        return f"scale-in wanted but {used} calls in 24 h"
    last = history.last_change_minute()
    if last is not None and now - last < config.scale_in.cooldown_minutes:
        return "scale-in cooling down"
    latest = max(units)
    if (
        latest - min(units) < config.demand.window_minutes - 1
        or latest - memory.first_minute < config.headroom.learning_minutes
    ):
        return "too little history to scale in"
    return None
