"""The seasonal profiles: demand per time of day and of week, how well they forecast, the tables read from them."""

from __future__ import annotations

from typing import Final

from functions.shard_scaler.policy.cache import LastResult
from functions.shard_scaler.policy.config import PolicyConfig
from functions.shard_scaler.policy.limits import DAY_MINUTES
from functions.shard_scaler.policy.memory import PolicyMemory

WEEK_DAYS: Final = 7
WEEK_MINUTES: Final = WEEK_DAYS * DAY_MINUTES


def seasonal_values(memory: PolicyMemory, config: PolicyConfig) -> list[float]:
    """Per-minute "normal" demand from the daily profile, as a function table; all 1.0 until a day is learned."""
    profile = memory.profile
    if not profile or memory.first_minute < 0 or memory.last_minute - memory.first_minute < DAY_MINUTES + 60:
        return [1.0]
    floor = config.demand.floor_units * config.profile.floor_share
    if weekly_in_use(memory, config):
        return _floored(memory.weekly_profile, floor)
    return _floored(profile, floor)


def weekly_in_use(memory: PolicyMemory, config: PolicyConfig) -> bool:
    """Whether the time-of-week profile has been learned and predicts better than the daily one."""
    return (
        config.profile.weekly
        and len(memory.weekly_profile) == WEEK_DAYS * len(memory.profile)
        and memory.last_minute - memory.first_minute >= 2 * WEEK_MINUTES
        and memory.weekly_error < config.profile.weekly_error_share * memory.daily_error
    )


def forecast_error(memory: PolicyMemory, config: PolicyConfig) -> float | None:
    """How far the profile in use has missed each closed slot, on average (recent slots weigh more),
    relative to the profile's mean; None until it has been scored on a day's slots (a profile's misses
    are scored from its second period on: the daily one's second day, the weekly one's second week).
    Counted by slots actually scored, not time watched: a gap in the metrics scores nothing."""
    step = config.profile.slot_minutes
    weekly = weekly_in_use(memory, config)
    scored = memory.paired_slots_scored if weekly else memory.profile_slots_scored
    mean = sum(memory.profile) / len(memory.profile) if memory.profile else 0.0
    if scored < DAY_MINUTES // step or mean <= 0.0:
        return None
    decay = 0.5 ** (step / config.profile.error_half_life_minutes)
    weight = (1.0 - decay**scored) / (1.0 - decay)
    error = memory.weekly_error if weekly else memory.profile_error
    return error / weight / mean


_FLOORED: LastResult[list[float]] = LastResult()
_NORMALS: LastResult[list[float]] = LastResult()


def _floored(profile: tuple[float, ...], floor: float) -> list[float]:
    """`profile` with `floor` applied; the profile only changes when a slot closes, so the last table is reused."""
    return _FLOORED.get((profile, floor), lambda: [max(value, floor) for value in profile])


def trusted_step_ratio(error: float | None, config: PolicyConfig) -> float:
    """`profile_step_ratio` unless the profile's forecast `error` is too large to plan by (rule 7's gate),
    else 0: a noisy profile's steps are noise, and reading minutes against them hides real surges. A
    profile not yet scored (`error` None: learned from the first day, in use on the second) is trusted
    with steps that last (`profile_step_slots`), or a daily step a few minutes early reads as a surge."""
    return config.profile.step_ratio if error is None or error <= config.plan.max_forecast_error else 0.0


def slot_normals(table: list[float], step_ratio: float, lasting_slots: int) -> list[float]:
    """Each slot's normal demand: its own profile value, or the next slot's where a step up of at least
    `step_ratio` follows and lasts `lasting_slots` slots (at least the one). A `step_ratio` of 0 turns
    this off. Reused while the table stands."""
    if step_ratio <= 0.0 or len(table) < 2:
        return table
    return _NORMALS.get((table, step_ratio, lasting_slots), lambda: _stepped(table, step_ratio, lasting_slots))


def _stepped(table: list[float], step_ratio: float, lasting_slots: int) -> list[float]:
    size = len(table)
    normals = []
    for slot, here in enumerate(table):
        lowest_after = min(table[(slot + k) % size] for k in range(1, max(1, lasting_slots) + 1))
        normals.append(table[(slot + 1) % size] if lowest_after >= step_ratio * here else here)
    return normals


def seasonal_peak(memory: PolicyMemory, minute: int, horizon_minutes: int, config: PolicyConfig) -> float:
    """Highest profile value from `minute` to `horizon_minutes` later."""
    step = config.profile.slot_minutes
    table = seasonal_values(memory, config)
    return max(table[(minute // step + k) % len(table)] for k in range(horizon_minutes // step + 1))
