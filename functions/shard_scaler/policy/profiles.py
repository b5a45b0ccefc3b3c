"""The seasonal profiles: demand per time of day and of week, learned slot by slot, how well they
forecast, and the tables demand is read against."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Final, TypedDict

from functions.shard_scaler.policy.cache import LastResult
from functions.shard_scaler.policy.config import PolicyConfig
from functions.shard_scaler.policy.limits import DAY_MINUTES
from functions.shard_scaler.policy.memory import PolicyMemory

WEEK_DAYS: Final = 7
WEEK_MINUTES: Final = WEEK_DAYS * DAY_MINUTES

ProfileTables = tuple[list[float], list[float]]
"""The profile in use (`seasonal_values`) and each slot's normal demand (`slot_normals`)."""


class ProfileFields(TypedDict):
    """PolicyMemory's fields `learn_profiles` learns, by name."""

    profile: tuple[float, ...]
    weekly_profile: tuple[float, ...]
    daily_error: float
    weekly_error: float
    paired_slots_scored: int
    profile_error: float
    profile_slots_scored: int
    slot: int
    slot_sum: float
    slot_count: int


def learn_profiles(
    memory: PolicyMemory, units: dict[int, float], new_minutes: Sequence[int], start: int, config: PolicyConfig
) -> tuple[ProfileFields, list[ProfileTables]]:
    """The profiles and their scores after the `new_minutes` (the memory's first minute being `start`),
    and the tables each new minute is read against: the profile as it stood after the minute before.

    Each minute adds to its slot; when a slot closes, its mean scores each profile that had a value for
    it (its miss, decaying), then moves the daily and the weekly profile's slot by `profile.weight`.
    """
    step = config.profile.slot_minutes
    slots_per_day = DAY_MINUTES // step
    slots_per_week = WEEK_DAYS * slots_per_day
    profile = list(memory.profile) if len(memory.profile) == slots_per_day else [0.0] * slots_per_day
    weekly = list(memory.weekly_profile) if len(memory.weekly_profile) == slots_per_week else [0.0] * slots_per_week
    changed = len(memory.profile) != slots_per_day or len(memory.weekly_profile) != slots_per_week
    slot, slot_sum, slot_count = memory.slot, memory.slot_sum, memory.slot_count
    daily_error, weekly_error, paired_scored = memory.daily_error, memory.weekly_error, memory.paired_slots_scored
    profile_error, profile_scored = memory.profile_error, memory.profile_slots_scored
    error_decay = 0.5 ** (step / config.profile.error_half_life_minutes)
    weight = config.profile.weight
    table = seasonal_values(memory, config)
    normals = slot_normals(table, trusted_step_ratio(forecast_error(memory, config), config), config.profile.step_slots)
    tables: list[ProfileTables] = []
    for minute in new_minutes:
        tables.append((table, normals))
        current = minute // step
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
                profile[index] = fresh if old == 0.0 else old + weight * (fresh - old)
                old = weekly[week_index]
                weekly[week_index] = fresh if old == 0.0 else old + weight * (fresh - old)
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
                        daily_error=daily_error,
                        weekly_error=weekly_error,
                        paired_slots_scored=paired_scored,
                        profile_error=profile_error,
                        profile_slots_scored=profile_scored,
                    )
                    table = seasonal_values(interim, config)
                    step_ratio = trusted_step_ratio(forecast_error(interim, config), config)
                    normals = slot_normals(table, step_ratio, config.profile.step_slots)
            slot, slot_sum, slot_count = current, 0.0, 0
        slot_sum += units[minute]
        slot_count += 1
    fields: ProfileFields = {
        # Unchanged profiles keep their identity, so the tables derived from them stay cached.
        "profile": tuple(profile) if changed else memory.profile,
        "weekly_profile": tuple(weekly) if changed else memory.weekly_profile,
        "daily_error": daily_error,
        "weekly_error": weekly_error,
        "paired_slots_scored": paired_scored,
        "profile_error": profile_error,
        "profile_slots_scored": profile_scored,
        "slot": slot,
        "slot_sum": slot_sum,
        "slot_count": slot_count,
    }
    return fields, tables


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
    """`profile.step_ratio` unless the profile's forecast `error` is too large to plan by (rule 7's gate),
    else 0: a noisy profile's steps are noise, and reading minutes against them hides real surges. A
    profile not yet scored (`error` None: learned from the first day, in use on the second) is trusted
    with steps that last (`profile.step_slots`), or a daily step a few minutes early reads as a surge."""
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
