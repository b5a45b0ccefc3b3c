"""The decision of one round: the rules of docs/autoscaling.md, in the order they apply.

`decide` learns from the new minutes, reads the round (reading.py: rules 1-4), lets rule 9 switch the
mode, and on a provisioned stream follows the plan where the profile forecasts well (rule 7), else
scales out to the capacity wanted (rule 5) or in (rule 6), within the call budget (rule 8).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

from functions.shard_scaler.call_plan import CallPlan, forecast_peaks, make_plan
from functions.shard_scaler.policy.cache import LastResult
from functions.shard_scaler.policy.config import PolicyConfig
from functions.shard_scaler.policy.guardrails import in_outage
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
from functions.shard_scaler.policy.mode_switch import switch_mode
from functions.shard_scaler.policy.model import MinuteMetrics
from functions.shard_scaler.policy.reading import Decision, Reading, read_round

LOOKBACK_MINUTES: Final = 220
"""Published minutes a round reads. Every minute it has not read yet needs the demand window and the
reaction time before it (186 minutes), and an on-demand stream's quarter-hourly rounds, with CloudWatch's
delay, leave the oldest unread minute up to 18 minutes back. GetMetricData costs the same for any span."""
_PEAK_OUT_OF_REACH = "no scale-in: the calls left could not bring back the profile's peak"


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
    `demand.window_minutes + demand.reaction_minutes`); `now` is the current minute since the epoch. The
    result obeys every UpdateShardCount/UpdateStreamMode limit.
    """
    config = config or PolicyConfig()
    units = {m.minute: m.demand for m in metrics}
    throttled_by_minute = {
        m.minute: units[m.minute] * m.throttled_records / (m.incoming_records + m.throttled_records)
        for m in metrics
        if m.throttled_records > 0
    }
    memory = learn(memory, units, throttled_by_minute, config, steer=stream.mode == StreamMode.PROVISIONED)
    if stream.status != StreamStatus.ACTIVE:
        return Decision(None, None, f"stream is {stream.status.value}", memory)
    if not units:
        return Decision(None, None, "no metrics yet", memory)
    reading = read_round(now, metrics, units, stream, history, memory, config)
    if allow_mode_switch:
        switched = switch_mode(reading)
        if switched is not None:
            return switched
    if stream.mode != StreamMode.PROVISIONED:
        return reading.keep("on-demand mode: capacity is AWS's")
    return _resize(reading)


def _resize(reading: Reading) -> Decision:
    """A provisioned stream's shard count: planned where the profile forecasts well and demand is not
    rising past the shards, else scaled out to the capacity wanted, else scaled in."""
    shards, config = reading.stream.shards, reading.config
    target_capacity = max(reading.stream.min_shards, min(math.ceil(reading.wanted), reading.affordable))
    if reading.throttled:
        # Traffic the stream is throttling now is load, not headroom: follow it at full speed (2x per call)
        # whatever the cost cap says; scale-in takes the capacity back once the surge has passed.
        target_capacity = max(target_capacity, math.ceil(reading.recent_demand * config.headroom.minimum))
    target_capacity = min(target_capacity, max(reading.peak_cap, reading.stream.min_shards))
    emergency = reading.throttled or reading.recent_demand > shards
    plan_fits = _plan_fits(reading)
    # A plan holds capacity at its level between its calls, so a rise the profile did not expect would
    # be met only once it throttles: leave the plan for the greedy rules while demand is heading past
    # capacity, and size the call for where it is heading (within the cost cap). Without a plan the
    # greedy rules already scale out on headroom; projecting there too spends routine calls early.
    heading_past = plan_fits and reading.projected > shards
    if heading_past and not reading.throttled:
        # Where demand is heading is load on its way, not headroom: the cost cap would only make the call
        # wait until the rise throttles (a sale ramping in over 20 minutes), unless that guardrail is off.
        ceiling = reading.peak_cap if config.guardrails.follow_rising_load else reading.affordable
        target_capacity = max(
            target_capacity, min(math.ceil(reading.projected * config.headroom.minimum), ceiling, reading.peak_cap)
        )
    rising = emergency or heading_past
    if plan_fits and not rising and shards <= reading.stream.max_shards:
        return _planned_call(reading, target_capacity)
    if shards < target_capacity:
        return _scale_out(reading, target_capacity, emergency=emergency)
    if shards > reading.stream.max_shards:
        return reading.reshard(clamp(reading.stream.max_shards, shards, reading.stream), "above max_shards")
    if rising:
        return reading.keep("demand is rising past capacity: no scale-in")
    return _scale_in(reading)


def _plan_fits(reading: Reading) -> bool:
    """Rule 7's gate: plans are on, a profile is in use, and it has been scored as missing by at most
    `plan.max_forecast_error` of its mean."""
    error = reading.forecast if reading.config.plan.enabled else None
    return (
        error is not None
        and error <= reading.config.plan.max_forecast_error
        and len(reading.table) > 1
        and reading.ratio > 0
    )


def _planned_call(reading: Reading, target_capacity: int) -> Decision:
    """Rule 7: call now for the plan's next level if calling now beats holding the shards until the
    plan's next call; a planned scale-out keeps the emergency reserve, a planned scale-in rule 6's
    conditions and the reach floor (counting the reserve: the plan budgets its own routine calls)."""
    shards, used = reading.stream.shards, reading.calls_used
    plan = call_plan(reading.table, reading.latest, reading.history, reading.config)
    scale = reading.ratio * reading.headroom  # shards per profile unit
    level = plan.level_now(shards / scale)
    if level is None:
        return reading.keep("the plan holds")
    planned = max(
        reading.stream.min_shards,
        min(math.ceil(max(level * scale, reading.wanted)), max(reading.affordable, target_capacity), reading.peak_cap),
    )
    if planned > shards:
        if used >= RESHARD_CALLS_PER_24H - reading.config.calls.reserved:
            return reading.keep(f"planned scale-out but {used} calls in 24 h")
        target = clamp(planned, shards, reading.stream)
        if target > shards:
            return reading.reshard(target, f"planned scale out to {planned}")
        return reading.keep("at max_shards")
    if planned == shards:
        return reading.keep("capacity fits")
    refusal = _scale_in_refusal(reading)
    if refusal is not None:
        return reading.keep(refusal)
    planned = max(planned, _reach_floor(reading, planned=True))
    if planned >= shards:
        return reading.keep(_PEAK_OUT_OF_REACH)
    return reading.reshard(clamp(planned, shards, reading.stream), f"planned scale in to {planned}")


def _scale_out(reading: Reading, target_capacity: int, *, emergency: bool) -> Decision:
    """Rule 5: to the capacity the profile's next `scale_out.lookahead_minutes` want (with the overshoot),
    at least `scale_out.min_step` x the shards, within the cost cap unless demand needs more; the
    emergency reserve only while throttled or demand already exceeds the shards (rule 8)."""
    shards, used, config = reading.stream.shards, reading.calls_used, reading.config
    budget = RESHARD_CALLS_PER_24H - (0 if emergency else config.calls.reserved)
    if used >= budget:
        return reading.keep(f"scale-out wanted but {used} calls in 24 h")
    ahead = reading.ahead(config.scale_out.lookahead_minutes)
    goal = max(max(reading.wanted, ahead) * config.scale_out.overshoot, shards * config.scale_out.min_step)
    ceiling = min(max(reading.affordable, target_capacity), reading.peak_cap)
    target = clamp(min(math.ceil(goal), ceiling), shards, reading.stream)
    if target > shards:
        return reading.reshard(target, f"scale out: demand {reading.demand:.2f} x headroom {reading.headroom:.2f}")
    return reading.keep("at max_shards")


def _scale_in(reading: Reading) -> Decision:
    """Rule 6: when the shards exceed `scale_in.slack` x what the profile's next
    `scale_in.lookahead_minutes` want, to that (with the overshoot), no lower than the reach floor, and
    by at least `scale_in.min_removed` shards within the cost cap."""
    shards, config = reading.stream.shards, reading.config
    later = reading.ahead(config.scale_in.lookahead_minutes)
    keep_capacity = max(
        reading.stream.min_shards, min(math.ceil(max(reading.wanted, later)), reading.affordable, reading.peak_cap)
    )
    over_peak = shards > reading.peak_cap  # the guardrail: never above the trailing peak's need
    if shards <= reading.stream.min_shards or (shards <= keep_capacity * config.scale_in.slack and not over_peak):
        return reading.keep("capacity fits")
    refusal = _scale_in_refusal(reading)
    if refusal is not None:
        return reading.keep(refusal)
    goal = min(
        math.ceil(max(reading.wanted, later) * config.scale_out.overshoot),
        max(reading.affordable, keep_capacity),
        reading.peak_cap,
    )
    reach = _reach_floor(reading, planned=False)
    target = clamp(max(goal, reach), shards, reading.stream)
    if target < shards and shards - target < config.scale_in.min_removed and shards <= reading.affordable:
        return reading.keep(f"no scale-in: {shards} -> {target} shards is not worth a call")
    if target < shards:
        return reading.reshard(target, f"scale in: demand {reading.demand:.2f} x headroom {reading.headroom:.2f}")
    if reach >= shards:
        return reading.keep(_PEAK_OUT_OF_REACH)
    return reading.keep("capacity fits")


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


def _reach_floor(reading: Reading, *, planned: bool) -> int:
    """Fewest shards a scale-in may leave: from there, the calls left after it (each at most doubling)
    must still reach the profile's peak with the minimum headroom, or a day of scale-ins can strand the
    stream below its next peak with the 10 calls spent. Without a plan, only routine calls count: the
    emergency reserve is spent only once throttled, so reaching the peak with it means throttling
    first. A plan budgets its own routine calls; this floor only backs it up. Never more than the
    cost cap. Before a profile is learned (`table` is the all-ones placeholder then), the peak is the
    highest minute of the last `mode_switch.peak_days` days."""
    peak = max(reading.table) if len(reading.table) > 1 else max(reading.memory.daily_peaks, default=0.0)
    left = max(0, RESHARD_CALLS_PER_24H - reading.calls_used - 1 - (0 if planned else reading.config.calls.reserved))
    reach = math.ceil(peak * reading.config.headroom.minimum / 2**left)
    return min(reading.affordable, reading.peak_cap, reach)


def _scale_in_refusal(reading: Reading) -> str | None:
    """Why a scale-in must wait (consumers behind, calls, cooldown, too little history), or None.

    Shards more than twice the cost cap (left by a throttled surge followed past it) cost more than
    on-demand would even after one halving. Giving them back may spend the emergency reserve: a
    halving from there still leaves more than the cap's worth of shards, which is itself the
    headroom the reserve's doublings would have bought."""
    config = reading.config
    if max(m.iterator_age_ms for m in reading.metrics) > config.scale_in.max_iterator_age_ms:
        return "consumers are behind: no scale-in"
    if in_outage(reading.memory.last_active_minute, reading.now, config):
        return "the stream is silent (an outage): no scale-in"
    kept = 0 if reading.over_cost_cap else config.calls.reserved + config.calls.kept_for_scale_out
    if reading.calls_used >= RESHARD_CALLS_PER_24H - kept:
        return f"scale-in wanted but {reading.calls_used} calls in 24 h"
    last = reading.history.last_change_minute()
    if last is not None and reading.now - last < config.scale_in.cooldown_minutes:
        return "scale-in cooling down"
    if (
        reading.latest - min(reading.units) < config.demand.window_minutes - 1
        or reading.latest - reading.memory.first_minute < config.headroom.learning_minutes
    ):
        return "too little history to scale in"
    return None
