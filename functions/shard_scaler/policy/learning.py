"""What each round learns from the minutes it has not seen: growth histogram, SLO feedback, profiles, peaks."""

from __future__ import annotations

from dataclasses import replace
from typing import TypedDict

from functions.shard_scaler.policy.config import PolicyConfig
from functions.shard_scaler.policy.limits import DAY_MINUTES
from functions.shard_scaler.policy.memory import PolicyMemory
from functions.shard_scaler.policy.model import demand_level, growth_bin
from functions.shard_scaler.policy.profiles import (
    WEEK_DAYS,
    forecast_error,
    seasonal_values,
    slot_normals,
    trusted_step_ratio,
)


class _ProfileScores(TypedDict):
    """The profiles' scores, in PolicyMemory's field names."""

    daily_error: float
    weekly_error: float
    paired_slots_scored: int
    profile_error: float
    profile_slots_scored: int


def learn(
    memory: PolicyMemory, units: dict[int, float], throttled: dict[int, float], config: PolicyConfig, *, steer: bool
) -> PolicyMemory:
    """Fold minutes not seen before into the growth histogram (weighted by volume) and the volume average.

    A minute's growth is its demand over the level (relative to the daily profile) of the window that
    ended one reaction time earlier: the surprise a policy holding that level times the headroom faces.
    The realised throttled share steers `headroom_scale` towards the throttle target (SLO feedback); it
    counts losses only after the first `learning_minutes`, once there is a learned headroom to correct,
    and steers only while `steer` (the stream is provisioned): on-demand's throttling says nothing about
    the headroom provisioned mode needs, and shrinking it there would make the way back look cheap.
    """
    new_minutes = sorted(m for m in units if m > memory.last_minute)
    if not new_minutes:
        return memory
    weights = list(memory.growth_weights)
    last_decay = memory.last_decay_minute if memory.last_decay_minute >= 0 else new_minutes[0]
    mean = memory.mean_units
    volume_decay = 0.5 ** (1.0 / config.cost.volume_half_life_minutes)
    lag = config.demand.reaction_minutes
    window = config.demand.window_minutes
    slots_per_day = DAY_MINUTES // config.profile.slot_minutes
    profile = list(memory.profile) if len(memory.profile) == slots_per_day else [0.0] * slots_per_day
    slots_per_week = WEEK_DAYS * slots_per_day
    weekly = list(memory.weekly_profile) if len(memory.weekly_profile) == slots_per_week else [0.0] * slots_per_week
    slot, slot_sum, slot_count = memory.slot, memory.slot_sum, memory.slot_count
    changed = len(memory.profile) != slots_per_day or len(memory.weekly_profile) != slots_per_week
    peaks, peak_day = list(memory.daily_peaks), memory.peak_day
    daily_error, weekly_error, paired_scored = memory.daily_error, memory.weekly_error, memory.paired_slots_scored
    profile_error, profile_scored = memory.profile_error, memory.profile_slots_scored
    error_decay = 0.5 ** (config.profile.slot_minutes / config.profile.error_half_life_minutes)
    offered, lost, scale = memory.offered_units, memory.throttled_units, memory.headroom_scale
    start = memory.first_minute if memory.first_minute >= 0 else new_minutes[0]
    slo_decay = 0.5 ** (1.0 / config.slo.half_life_minutes)
    table, step = seasonal_values(memory, config), config.profile.slot_minutes
    normals = slot_normals(table, trusted_step_ratio(forecast_error(memory, config), config), config.profile.step_slots)
    size = len(table)

    def scores() -> _ProfileScores:
        """The profiles' scores as they stand."""
        return {
            "daily_error": daily_error,
            "weekly_error": weekly_error,
            "paired_slots_scored": paired_scored,
            "profile_error": profile_error,
            "profile_slots_scored": profile_scored,
        }

    for minute in new_minutes:
        value = units[minute]
        earlier = [
            units[m] / normals[(m // step) % size]
            for m in range(minute - lag - window + 1, minute - lag + 1)
            if m in units
        ]
        if 2 * len(earlier) >= window:
            expected = demand_level(earlier, config.demand.level_quantile) * table[(minute // step) % size]
            weights[growth_bin(value / max(expected, config.demand.floor_units))] += max(
                value, config.demand.floor_units
            )
        offered = offered * slo_decay + value
        # Losses while the headroom is still untrained say nothing about the headroom it learns.
        lost = lost * slo_decay + (
            throttled.get(minute, 0.0) if minute - start >= config.headroom.learning_minutes else 0.0
        )
        if steer and minute % 60 == 0 and offered > 0.0:
            above = lost / offered > config.slo.throttle_target
            factor = config.headroom.scale_step_up if above else 1.0 / config.headroom.scale_step_down
            scale = min(config.headroom.scale_max, max(config.headroom.scale_min, scale * factor))
        day = minute // DAY_MINUTES
        if day != peak_day or not peaks:
            peaks = (peaks + [0.0] * max(1, min(config.mode_switch.peak_days, day - peak_day)))[
                -config.mode_switch.peak_days :
            ]
            peak_day = day
        peaks[-1] = max(peaks[-1], value)
        first = memory.last_minute < 0 and mean == 0.0
        mean = value if first else mean * volume_decay + value * (1 - volume_decay)
        current = minute // config.profile.slot_minutes
        if current != slot:
            if slot_count:
                changed = True
                index = slot % slots_per_day
                old = profile[index]
                fresh = slot_sum / slot_count
                week_index = slot % slots_per_week
                if old != 0.0:
                    profile_error = profile_error * error_decay + abs(fresh - old)
                    profile_scored += 1
                if old != 0.0 and weekly[week_index] != 0.0:
                    daily_error = daily_error * error_decay + abs(fresh - old)
                    weekly_error = weekly_error * error_decay + abs(fresh - weekly[week_index])
                    paired_scored += 1
                profile[index] = fresh if old == 0.0 else old + config.profile.weight * (fresh - old)
                old = weekly[week_index]
                weekly[week_index] = fresh if old == 0.0 else old + config.profile.weight * (fresh - old)
                if len(table) > 1:
                    # The minutes after this one are read against the profile as it now stands, as a round a
                    # minute would read them: what is learned does not depend on how many minutes a round
                    # reads at once (an on-demand stream's quarter-hourly rounds, a missed run). A profile
                    # comes into use only at a round (once in a stream's life, a day after its first minute).
                    interim = replace(
                        memory,
                        last_minute=minute,
                        first_minute=start,
                        profile=tuple(profile),
                        weekly_profile=tuple(weekly),
                        **scores(),
                    )
                    table = seasonal_values(interim, config)
                    step_ratio = trusted_step_ratio(forecast_error(interim, config), config)
                    normals, size = slot_normals(table, step_ratio, config.profile.step_slots), len(table)
            slot, slot_sum, slot_count = current, 0.0, 0
        slot_sum += value
        slot_count += 1
    elapsed = new_minutes[-1] - last_decay
    if elapsed >= 60:
        factor = 0.5 ** (elapsed / config.headroom.growth_half_life_minutes)
        weights = [w * factor for w in weights]
        last_decay = new_minutes[-1]
    return replace(
        memory,
        last_minute=new_minutes[-1],
        first_minute=memory.first_minute if memory.first_minute >= 0 else new_minutes[0],
        growth_weights=tuple(weights),
        last_decay_minute=last_decay,
        mean_units=mean,
        offered_units=offered,
        throttled_units=lost,
        headroom_scale=scale,
        # Unchanged profiles keep their identity, so the tables derived from them stay cached.
        profile=tuple(profile) if changed else memory.profile,
        weekly_profile=tuple(weekly) if changed else memory.weekly_profile,
        **scores(),
        slot=slot,
        slot_sum=slot_sum,
        slot_count=slot_count,
        daily_peaks=tuple(peaks),
        peak_day=peak_day,
    )
