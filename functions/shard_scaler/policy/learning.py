"""What each round learns from the minutes it has not seen yet, stage by stage.

Every stage folds the new minutes, oldest first, into its own fields of the memory: the profiles
(profiles.learn_profiles), the growth histogram, the SLO feedback, the daily peaks and the mean volume.
Only the histogram reads another stage: each minute's growth is measured against the profile as it
stood after the minute before, so what is learned does not depend on how many minutes a round reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from functions.shard_scaler.policy.config import PolicyConfig
from functions.shard_scaler.policy.limits import DAY_MINUTES
from functions.shard_scaler.policy.memory import PolicyMemory
from functions.shard_scaler.policy.model import demand_level, growth_bin
from functions.shard_scaler.policy.profiles import ProfileTables, learn_profiles


def learn(
    memory: PolicyMemory, units: dict[int, float], throttled: dict[int, float], config: PolicyConfig, *, steer: bool
) -> PolicyMemory:
    """The memory after the minutes of `units` not seen before (`throttled`: their throttled demand).

    A minute's growth is its demand over the level (relative to the daily profile) of the window that
    ended one reaction time earlier: the surprise a policy holding that level times the headroom faces.
    The realised throttled share steers `headroom_scale` towards the throttle target (SLO feedback); it
    counts losses only after the first `headroom.learning_minutes`, once there is a learned headroom to
    correct, and steers only while `steer` (the stream is provisioned): on-demand's throttling says
    nothing about the headroom provisioned mode needs, and shrinking it there would make the way back
    look cheap.
    """
    new_minutes = sorted(m for m in units if m > memory.last_minute)
    if not new_minutes:
        return memory
    start = memory.first_minute if memory.first_minute >= 0 else new_minutes[0]
    profiles, tables = learn_profiles(memory, units, new_minutes, start, config)
    weights, last_decay = _learn_growth(memory, units, new_minutes, tables, config)
    offered, lost, scale = _learn_losses(memory, units, throttled, new_minutes, start, config, steer=steer)
    peaks, peak_day = _learn_peaks(memory, units, new_minutes, config)
    return replace(
        memory,
        last_minute=new_minutes[-1],
        first_minute=start,
        growth_weights=weights,
        last_decay_minute=last_decay,
        mean_units=_learn_mean(memory, units, new_minutes, config),
        offered_units=offered,
        throttled_units=lost,
        headroom_scale=scale,
        daily_peaks=peaks,
        peak_day=peak_day,
        last_active_minute=max((m for m in new_minutes if units[m] > 0.0), default=memory.last_active_minute),
        **profiles,
    )


def _learn_growth(
    memory: PolicyMemory,
    units: dict[int, float],
    new_minutes: Sequence[int],
    tables: Sequence[ProfileTables],
    config: PolicyConfig,
) -> tuple[tuple[float, ...], int]:
    """The growth histogram (weighted by volume) with each new minute read against its profile tables,
    decayed at most hourly; and the minute it was last decayed."""
    weights = list(memory.growth_weights)
    lag, window = config.demand.reaction_minutes, config.demand.window_minutes
    step, quantile, floor = config.profile.slot_minutes, config.demand.level_quantile, config.demand.floor_units
    for minute, (table, normals) in zip(new_minutes, tables, strict=True):
        size = len(table)
        earlier = [
            units[m] / normals[(m // step) % size]
            for m in range(minute - lag - window + 1, minute - lag + 1)
            if m in units
        ]
        if 2 * len(earlier) >= window:
            value = units[minute]
            expected = demand_level(earlier, quantile) * table[(minute // step) % size]
            weights[growth_bin(value / max(expected, floor))] += max(value, floor)
    last_decay = memory.last_decay_minute if memory.last_decay_minute >= 0 else new_minutes[0]
    elapsed = new_minutes[-1] - last_decay
    if elapsed >= 60:
        factor = 0.5 ** (elapsed / config.headroom.growth_half_life_minutes)
        weights = [w * factor for w in weights]
        last_decay = new_minutes[-1]
    return tuple(weights), last_decay


def _learn_losses(
    memory: PolicyMemory,
    units: dict[int, float],
    throttled: dict[int, float],
    new_minutes: Sequence[int],
    start: int,
    config: PolicyConfig,
    *,
    steer: bool,
) -> tuple[float, float, float]:
    """The decaying offered and throttled demand, and the headroom scale steered hourly by their ratio."""
    offered, lost, scale = memory.offered_units, memory.throttled_units, memory.headroom_scale
    decay = 0.5 ** (1.0 / config.slo.half_life_minutes)
    headroom = config.headroom
    for minute in new_minutes:
        offered = offered * decay + units[minute]
        # Losses while the headroom is still untrained say nothing about the headroom it learns.
        lost = lost * decay + (throttled.get(minute, 0.0) if minute - start >= headroom.learning_minutes else 0.0)
        if steer and minute % 60 == 0 and offered > 0.0:
            above = lost / offered > config.slo.throttle_target
            factor = headroom.scale_step_up if above else 1.0 / headroom.scale_step_down
            scale = min(headroom.scale_max, max(headroom.scale_min, scale * factor))
    return offered, lost, scale


def _learn_peaks(
    memory: PolicyMemory, units: dict[int, float], new_minutes: Sequence[int], config: PolicyConfig
) -> tuple[tuple[float, ...], int]:
    """The highest minute of each of the last `mode_switch.peak_days` days, and the day of the last."""
    peaks, peak_day = list(memory.daily_peaks), memory.peak_day
    days = config.mode_switch.peak_days
    for minute in new_minutes:
        day = minute // DAY_MINUTES
        if day != peak_day or not peaks:
            peaks = (peaks + [0.0] * max(1, min(days, day - peak_day)))[-days:]
            peak_day = day
        peaks[-1] = max(peaks[-1], units[minute])
    return tuple(peaks), peak_day


def _learn_mean(
    memory: PolicyMemory, units: dict[int, float], new_minutes: Sequence[int], config: PolicyConfig
) -> float:
    """The decaying mean demand the cost cap is priced on; a new memory starts it at its first minute."""
    mean = memory.mean_units
    decay = 0.5 ** (1.0 / config.cost.volume_half_life_minutes)
    for minute in new_minutes:
        value = units[minute]
        first = memory.last_minute < 0 and mean == 0.0
        mean = value if first else mean * decay + value * (1 - decay)
    return mean
