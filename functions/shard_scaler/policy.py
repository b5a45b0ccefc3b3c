"""Shard autoscaling policy: a pure decision from recent metrics, the stream's limits and its history.

No AWS calls and no numpy: the Lambda and the simulator run exactly this code. The policy
- reads demand relative to a learned daily profile (or a weekly one, once it has predicted the stream
  better for a week: weekends differ), so diurnal traffic is followed ahead of time and a noisy stream's
  level carries its noise;
- keeps headroom that adapts to how spiky the stream has been: a decaying, volume-weighted histogram of
  how much demand outgrew its level within one reaction time (metric delay plus resharding), read at an
  expected-loss budget and steered by the throttling actually seen (SLO feedback);
- scales out at once (up to 2x per call) when capacity is below that need, and in (down to 1/2 per call)
  only when capacity is well above what the next two hours need, consumers are not behind and the call
  budget leaves a reserve for emergencies; where the profile forecasts the stream well, it instead
  places these routine calls by a plan over the profile's next 24 hours (call_plan.py), so the day's
  calls go where they save most, and leaves the plan as soon as demand rises faster than it expected;
- never buys headroom that costs more than on-demand mode would for the same traffic, and, when allowed,
  switches the stream to on-demand when the headroom it needs is unaffordable or the service level was
  missed anyway (and back when headroom is cheap again and the cost cap covers the month's peak,
  which on-demand would still absorb).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Final, TypedDict

from functions import pricing
from functions.shard_scaler.call_plan import CallPlan, forecast_peaks, make_plan

SHARD_WRITE_BYTES_PER_S: Final = 1024 * 1024
SHARD_WRITE_RECORDS_PER_S: Final = 1000
RESHARD_CALLS_PER_24H: Final = 10
MODE_SWITCHES_PER_24H: Final = 2
DAY_MINUTES: Final = 1440
WEEK_DAYS: Final = 7
WEEK_MINUTES: Final = WEEK_DAYS * DAY_MINUTES
LOOKBACK_MINUTES: Final = 220
"""Published minutes a round reads. Every minute it has not read yet needs the demand window and the
reaction time before it (186 minutes), and an on-demand stream's quarter-hourly rounds, with CloudWatch's
delay, leave the oldest unread minute up to 18 minutes back. GetMetricData costs the same for any span."""

GROWTH_BINS_PER_OCTAVE: Final = 8
GROWTH_OCTAVES: Final = 12
GROWTH_BIN_COUNT: Final = GROWTH_BINS_PER_OCTAVE * GROWTH_OCTAVES


class StreamStatus(StrEnum):
    CREATING = "CREATING"
    DELETING = "DELETING"
    ACTIVE = "ACTIVE"
    UPDATING = "UPDATING"


class StreamMode(StrEnum):
    PROVISIONED = "PROVISIONED"
    ON_DEMAND = "ON_DEMAND"


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


@dataclass(frozen=True, slots=True)
class StreamView:
    shards: int
    status: StreamStatus
    mode: StreamMode
    min_shards: int
    max_shards: int

    def __post_init__(self) -> None:
        if not 1 <= self.min_shards <= self.max_shards:
            raise ValueError(f"need 1 <= min_shards <= max_shards, got {self.min_shards}, {self.max_shards}")


@dataclass(frozen=True, slots=True)
class ScalingHistory:
    """Minutes (since the epoch) of past UpdateShardCount and UpdateStreamMode calls."""

    reshard_minutes: tuple[int, ...] = ()
    mode_switch_minutes: tuple[int, ...] = ()

    def reshards_within_24h(self, now: int) -> int:
        return sum(1 for minute in self.reshard_minutes if now - minute < DAY_MINUTES)

    def mode_switches_within_24h(self, now: int) -> int:
        return sum(1 for minute in self.mode_switch_minutes if now - minute < DAY_MINUTES)

    def last_change_minute(self) -> int | None:
        changes = self.reshard_minutes + self.mode_switch_minutes
        return max(changes) if changes else None

    def recorded(self, now: int, decision: Decision) -> ScalingHistory:
        """The history after `decision` was applied at `now` (the Lambda and the simulator both keep it so)."""
        history = self.with_reshard(now) if decision.target_shards is not None else self
        return history.with_mode_switch(now) if decision.target_mode is not None else history

    def with_reshard(self, now: int) -> ScalingHistory:
        """Plus an UpdateShardCount call at `now`; only the last 10 are kept, all the 24 h limit can count."""
        return ScalingHistory((*self.reshard_minutes, now)[-RESHARD_CALLS_PER_24H:], self.mode_switch_minutes)

    def with_mode_switch(self, now: int) -> ScalingHistory:
        """Plus an UpdateStreamMode call at `now`; the last 2 are kept however old: the two-week stay on
        on-demand is counted from the last one."""
        return ScalingHistory(self.reshard_minutes, (*self.mode_switch_minutes, now)[-MODE_SWITCHES_PER_24H:])


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """One set of defaults for every stream; see docs/autoscaling.md for why each value."""

    reaction_minutes: int = 6
    """Metric delay plus schedule tick plus resharding: how long a surge runs before new capacity."""
    demand_window_minutes: int = 180
    """Demand level is a high quantile of this window; growth is measured against the same level."""
    level_quantile: float = 1.0
    throttle_budget: float = 0.003
    """Expected share of records lost to growth the headroom does not cover, as the histogram counts it.

    The histogram assumes capacity sits exactly at level x headroom; real capacity sits above that
    (steps, scale-in slack), so realised throttling comes out well below this figure."""
    throttle_target: float = 0.0005
    """Realised throttled share (records) the feedback steers to: half the 0.1% service level."""
    service_level: float = 0.001
    """Throttled share (records) that counts as a missed service level."""
    slo_half_life_minutes: float = 7 * DAY_MINUTES
    headroom_scale_step_up: float = 1.03
    """Hourly growth of the headroom scale while realised throttling is above target."""
    headroom_scale_step_down: float = 1.03
    """Hourly shrink while below target."""
    headroom_scale_min: float = 0.25
    headroom_scale_max: float = 4.0
    sustained_minutes: int = 10
    """Demand held this long is real load, whatever it costs; shorter bursts are headroom's job."""
    growth_half_life_minutes: float = 10 * DAY_MINUTES
    min_headroom: float = 1.1
    """Per-minute averages hide sub-minute bursts, so never plan to run a shard above ~90%."""
    floor_units: float = 1.0
    """Growth is measured against at least one shard of traffic: spikes below one shard cost nothing."""
    scale_up_overshoot: float = 1.05
    profile_slot_minutes: int = 15
    """Resolution of the learned daily profile (time of day, UTC) used to look ahead."""
    profile_step_ratio: float = 2.0
    """Where the profile steps up at least this much at the next slot and stays up `profile_step_slots`
    slots, a minute's normal is the stepped-up level: the profile places a step only to within a slot,
    and a day whose step comes a few minutes early is not a surge (the level read would multiply with
    the step). Not on a profile scored as missing by more than `plan_max_forecast_error`."""
    profile_step_slots: int = 4
    """How long a step must last to be read so: an hour. A day's real step holds for hours; a one-day
    profile of a spiky stream (before it can be scored) has spikes that look like steps for a slot or two."""
    profile_weight: float = 0.5
    """Weight of the newest day in the daily profile (the rest is older days, decaying)."""
    profile_floor_share: float = 0.25
    """The profile never counts a time of day as quieter than this share of one shard."""
    weekly_profile: bool = True
    """Also learn a time-of-week profile and use it when it predicts the stream better than the daily one."""
    profile_error_half_life_minutes: float = 7 * DAY_MINUTES
    weekly_error_share: float = 0.8
    """The weekly profile must miss closed slots by at most this share of the daily profile's misses."""
    pre_scale_minutes: int = 30
    """Scale out ahead of a rise the daily profile expects within this time."""
    scale_out_lookahead_minutes: int = 90
    scale_in_lookahead_minutes: int = 120
    scale_out_min_step: float = 1.25
    """Calls are the scarce resource (10 a day): a scale-out adds at least a quarter of the shards."""
    learning_minutes: int = DAY_MINUTES
    """No scale-in until the policy has watched the stream this long (its headroom is still untrained),
    and no throttling before then counts towards the SLO feedback (the histogram still learns from it)."""
    scale_in_slack: float = 1.2
    scale_in_min_removed: int = 2
    """Without a plan, a scale-in within the cost cap gives back at least this many shards: one shard
    saves cents a day, and the call it spends may be the one a surge later finds missing."""
    scale_in_cooldown_minutes: int = 30
    reserved_calls: int = 2
    """UpdateShardCount calls per rolling 24 h kept for scale-outs while throttled."""
    calls_kept_for_scale_out: int = 0
    """Scale-in stops this many routine calls early, so a later rise can still be followed."""
    affordable_share: float = 0.8
    """Headroom may cost at most this share of what on-demand mode would cost for the same traffic."""
    max_iterator_age_ms_for_scale_in: float = 60_000.0
    volume_half_life_minutes: float = 360.0
    mode_switch_hysteresis: float = 0.5
    mode_switch_cooldown_minutes: int = DAY_MINUTES
    on_demand_min_minutes: int = 14 * DAY_MINUTES
    """Once on-demand, stay two weeks: it remembers a 30-day peak, and spikes come back."""
    peak_days: int = 30
    """On-demand sizes itself to twice the peak of this many days; the way back waits until the cost cap
    covers that peak (times `return_peak_cover`), or provisioned mode would drop the protection
    that made on-demand worth paying for just before the spike recurs."""
    return_peak_cover: float = 1.0
    record_bytes_hint: int = 1024
    """Record size assumed for cost comparisons until traffic tells otherwise."""
    plan_calls: bool = True
    """Place routine calls where a plan over the profile's next 24 h saves most (call_plan.py)."""
    plan_call_cost: float = 2.0
    """What a call costs the plan, in plan slots of the forecast's mean level."""
    plan_max_forecast_error: float = 0.2
    """Plan only while the profile misses slots by at most this share of its mean: a plan is only as
    good as its forecast (spiky or irregular streams keep the greedy rules)."""
    on_demand_round_minutes: int = 15
    """An on-demand stream gets a scheduled round this often, not every minute: all the policy decides
    there is the way back, after two weeks and on hours of evidence, and each round's GetMetricData is
    most of what the scaler costs to run (docs/autoscaling.md, "What the scaler costs")."""


class _ProfileScores(TypedDict):
    """The profiles' scores, in PolicyMemory's field names."""

    daily_error: float
    weekly_error: float
    paired_slots_scored: int
    profile_error: float
    profile_slots_scored: int


@dataclass(frozen=True, slots=True)
class PolicyMemory:
    """What the policy carries between calls (persisted by the Lambda, kept in memory by the simulator)."""

    last_minute: int = -1
    first_minute: int = -1
    growth_weights: tuple[float, ...] = field(default_factory=lambda: (0.0,) * GROWTH_BIN_COUNT)
    last_decay_minute: int = -1
    mean_units: float = 0.0
    offered_units: float = 0.0
    throttled_units: float = 0.0
    headroom_scale: float = 1.0
    """Multiplies the learned headroom's excess over 1; steered by realised throttling."""
    profile: tuple[float, ...] = ()
    """Mean demand per time-of-day slot, learned day over day."""
    weekly_profile: tuple[float, ...] = ()
    """Mean demand per time-of-week slot, learned week over week (weekends and weekdays differ)."""
    daily_error: float = 0.0
    weekly_error: float = 0.0
    """Decaying sums of how far each profile missed each closed slot both had a value for (from the second
    week on): the weekly one is used when it wins."""
    paired_slots_scored: int = 0
    """How many slots those two sums have scored: their weight, when read as a mean miss."""
    profile_error: float = 0.0
    """The same for the daily profile alone, on every closed slot it had a value for (from its second day
    on): how well it forecasts while the weekly one is not in use, a week before the two can be compared."""
    profile_slots_scored: int = 0
    slot: int = -1
    slot_sum: float = 0.0
    slot_count: int = 0
    daily_peaks: tuple[float, ...] = ()
    """Highest minute of demand on each of the last `peak_days` days (oldest first), the last being `peak_day`."""
    peak_day: int = -1

    def to_json_dict(self) -> dict[str, object]:
        return {
            "last_minute": self.last_minute,
            "first_minute": self.first_minute,
            "growth_weights": [round(w, 6) for w in self.growth_weights],
            "last_decay_minute": self.last_decay_minute,
            "mean_units": self.mean_units,
            "offered_units": self.offered_units,
            "throttled_units": self.throttled_units,
            "headroom_scale": self.headroom_scale,
            "profile": [round(v, 5) for v in self.profile],
            "weekly_profile": [round(v, 5) for v in self.weekly_profile],
            "daily_error": self.daily_error,
            "weekly_error": self.weekly_error,
            "paired_slots_scored": self.paired_slots_scored,
            "profile_error": self.profile_error,
            "profile_slots_scored": self.profile_slots_scored,
            "slot": self.slot,
            "slot_sum": self.slot_sum,
            "slot_count": self.slot_count,
            "daily_peaks": [round(v, 5) for v in self.daily_peaks],
            "peak_day": self.peak_day,
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, object]) -> PolicyMemory:
        weights = tuple(float(w) for w in data.get("growth_weights", ()))  # type: ignore[attr-defined]
        if len(weights) != GROWTH_BIN_COUNT:
            weights = (0.0,) * GROWTH_BIN_COUNT
        return cls(
            last_minute=int(data.get("last_minute", -1)),  # type: ignore[call-overload]
            first_minute=int(data.get("first_minute", -1)),  # type: ignore[call-overload]
            growth_weights=weights,
            last_decay_minute=int(data.get("last_decay_minute", -1)),  # type: ignore[call-overload]
            mean_units=float(data.get("mean_units", 0.0)),  # type: ignore[arg-type]
            offered_units=float(data.get("offered_units", 0.0)),  # type: ignore[arg-type]
            throttled_units=float(data.get("throttled_units", 0.0)),  # type: ignore[arg-type]
            headroom_scale=float(data.get("headroom_scale", 1.0)),  # type: ignore[arg-type]
            profile=tuple(float(v) for v in data.get("profile", ())),  # type: ignore[attr-defined]
            weekly_profile=tuple(float(v) for v in data.get("weekly_profile", ())),  # type: ignore[attr-defined]
            daily_error=float(data.get("daily_error", 0.0)),  # type: ignore[arg-type]
            weekly_error=float(data.get("weekly_error", 0.0)),  # type: ignore[arg-type]
            paired_slots_scored=int(data.get("paired_slots_scored", 0)),  # type: ignore[call-overload]
            profile_error=float(data.get("profile_error", 0.0)),  # type: ignore[arg-type]
            profile_slots_scored=int(data.get("profile_slots_scored", 0)),  # type: ignore[call-overload]
            slot=int(data.get("slot", -1)),  # type: ignore[call-overload]
            slot_sum=float(data.get("slot_sum", 0.0)),  # type: ignore[arg-type]
            slot_count=int(data.get("slot_count", 0)),  # type: ignore[call-overload]
            daily_peaks=tuple(float(v) for v in data.get("daily_peaks", ())),  # type: ignore[attr-defined]
            peak_day=int(data.get("peak_day", -1)),  # type: ignore[call-overload]
        )


@dataclass(frozen=True, slots=True)
class Decision:
    target_shards: int | None
    target_mode: StreamMode | None
    reason: str
    memory: PolicyMemory
    headroom: float = 1.0
    demand_units: float = 0.0


def demand_units(metrics: MinuteMetrics) -> float:
    """Shards the minute's offered load needs: accepted plus throttled writes, bytes or records."""
    records = metrics.incoming_records + metrics.throttled_records
    if metrics.incoming_records > 0:
        bytes_ = metrics.incoming_bytes * records / metrics.incoming_records
    else:
        bytes_ = metrics.incoming_bytes
    return max(bytes_ / (60.0 * SHARD_WRITE_BYTES_PER_S), records / (60.0 * SHARD_WRITE_RECORDS_PER_S))


def _growth_bin(ratio: float) -> int:
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


def _learn(
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
    volume_decay = 0.5 ** (1.0 / config.volume_half_life_minutes)
    lag = config.reaction_minutes
    window = config.demand_window_minutes
    slots_per_day = DAY_MINUTES // config.profile_slot_minutes
    profile = list(memory.profile) if len(memory.profile) == slots_per_day else [0.0] * slots_per_day
    slots_per_week = WEEK_DAYS * slots_per_day
    weekly = list(memory.weekly_profile) if len(memory.weekly_profile) == slots_per_week else [0.0] * slots_per_week
    slot, slot_sum, slot_count = memory.slot, memory.slot_sum, memory.slot_count
    changed = len(memory.profile) != slots_per_day or len(memory.weekly_profile) != slots_per_week
    peaks, peak_day = list(memory.daily_peaks), memory.peak_day
    daily_error, weekly_error, paired_scored = memory.daily_error, memory.weekly_error, memory.paired_slots_scored
    profile_error, profile_scored = memory.profile_error, memory.profile_slots_scored
    error_decay = 0.5 ** (config.profile_slot_minutes / config.profile_error_half_life_minutes)
    offered, lost, scale = memory.offered_units, memory.throttled_units, memory.headroom_scale
    start = memory.first_minute if memory.first_minute >= 0 else new_minutes[0]
    slo_decay = 0.5 ** (1.0 / config.slo_half_life_minutes)
    table, step = seasonal_values(memory, config), config.profile_slot_minutes
    normals = _normals(table, _trusted_step_ratio(forecast_error(memory, config), config), config.profile_step_slots)
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
            expected = demand_level(earlier, config.level_quantile) * table[(minute // step) % size]
            weights[_growth_bin(value / max(expected, config.floor_units))] += max(value, config.floor_units)
        offered = offered * slo_decay + value
        # Losses while the headroom is still untrained say nothing about the headroom it learns.
        lost = lost * slo_decay + (throttled.get(minute, 0.0) if minute - start >= config.learning_minutes else 0.0)
        if steer and minute % 60 == 0 and offered > 0.0:
            above = lost / offered > config.throttle_target
            factor = config.headroom_scale_step_up if above else 1.0 / config.headroom_scale_step_down
            scale = min(config.headroom_scale_max, max(config.headroom_scale_min, scale * factor))
        day = minute // DAY_MINUTES
        if day != peak_day or not peaks:
            peaks = (peaks + [0.0] * max(1, min(config.peak_days, day - peak_day)))[-config.peak_days :]
            peak_day = day
        peaks[-1] = max(peaks[-1], value)
        first = memory.last_minute < 0 and mean == 0.0
        mean = value if first else mean * volume_decay + value * (1 - volume_decay)
        current = minute // config.profile_slot_minutes
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
                profile[index] = fresh if old == 0.0 else old + config.profile_weight * (fresh - old)
                old = weekly[week_index]
                weekly[week_index] = fresh if old == 0.0 else old + config.profile_weight * (fresh - old)
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
                    step_ratio = _trusted_step_ratio(forecast_error(interim, config), config)
                    normals, size = _normals(table, step_ratio, config.profile_step_slots), len(table)
            slot, slot_sum, slot_count = current, 0.0, 0
        slot_sum += value
        slot_count += 1
    elapsed = new_minutes[-1] - last_decay
    if elapsed >= 60:
        factor = 0.5 ** (elapsed / config.growth_half_life_minutes)
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


def demand_level(values: Sequence[float], quantile: float) -> float:
    """The window's demand at `quantile` (nearest rank): the level capacity and growth are measured from."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]


def seasonal_values(memory: PolicyMemory, config: PolicyConfig) -> list[float]:
    """Per-minute "normal" demand from the daily profile, as a function table; all 1.0 until a day is learned."""
    profile = memory.profile
    if not profile or memory.first_minute < 0 or memory.last_minute - memory.first_minute < DAY_MINUTES + 60:
        return [1.0]
    floor = config.floor_units * config.profile_floor_share
    if _weekly_in_use(memory, config):
        return _floored(memory.weekly_profile, floor)
    return _floored(profile, floor)


def _weekly_in_use(memory: PolicyMemory, config: PolicyConfig) -> bool:
    """Whether the time-of-week profile has been learned and predicts better than the daily one."""
    return (
        config.weekly_profile
        and len(memory.weekly_profile) == WEEK_DAYS * len(memory.profile)
        and memory.last_minute - memory.first_minute >= 2 * WEEK_MINUTES
        and memory.weekly_error < config.weekly_error_share * memory.daily_error
    )


def forecast_error(memory: PolicyMemory, config: PolicyConfig) -> float | None:
    """How far the profile in use has missed each closed slot, on average (recent slots weigh more),
    relative to the profile's mean; None until it has been scored on a day's slots (a profile's misses
    are scored from its second period on: the daily one's second day, the weekly one's second week).
    Counted by slots actually scored, not time watched: a gap in the metrics scores nothing."""
    step = config.profile_slot_minutes
    weekly = _weekly_in_use(memory, config)
    scored = memory.paired_slots_scored if weekly else memory.profile_slots_scored
    mean = sum(memory.profile) / len(memory.profile) if memory.profile else 0.0
    if scored < DAY_MINUTES // step or mean <= 0.0:
        return None
    decay = 0.5 ** (step / config.profile_error_half_life_minutes)
    weight = (1.0 - decay**scored) / (1.0 - decay)
    error = memory.weekly_error if weekly else memory.profile_error
    return error / weight / mean


_FLOORED_CACHE: list[tuple[tuple[float, ...], float, list[float]]] = []


def _floored(profile: tuple[float, ...], floor: float) -> list[float]:
    """`profile` with `floor` applied; the profile only changes when a slot closes, so the last table is reused."""
    if _FLOORED_CACHE and _FLOORED_CACHE[0][0] is profile and _FLOORED_CACHE[0][1] == floor:
        return _FLOORED_CACHE[0][2]
    table = [max(value, floor) for value in profile]
    _FLOORED_CACHE[:] = [(profile, floor, table)]
    return table


def _trusted_step_ratio(error: float | None, config: PolicyConfig) -> float:
    """`profile_step_ratio` unless the profile's forecast `error` is too large to plan by (rule 7's gate),
    else 0: a noisy profile's steps are noise, and reading minutes against them hides real surges. A
    profile not yet scored (`error` None: learned from the first day, in use on the second) is trusted
    with steps that last (`profile_step_slots`), or a daily step a few minutes early reads as a surge."""
    return config.profile_step_ratio if error is None or error <= config.plan_max_forecast_error else 0.0


_NORMALS_CACHE: list[tuple[list[float], tuple[float, int], list[float]]] = []


def _normals(table: list[float], step_ratio: float, lasting_slots: int) -> list[float]:
    """Each slot's normal demand: its own profile value, or the next slot's where a step up of at least
    `step_ratio` follows and lasts `lasting_slots` slots (at least the one). A `step_ratio` of 0 turns
    this off. Reused while the table stands."""
    if step_ratio <= 0.0 or len(table) < 2:
        return table
    key = (step_ratio, lasting_slots)
    if _NORMALS_CACHE and _NORMALS_CACHE[0][0] is table and _NORMALS_CACHE[0][1] == key:
        return _NORMALS_CACHE[0][2]
    size = len(table)
    normals = []
    for slot, here in enumerate(table):
        lowest_after = min(table[(slot + k) % size] for k in range(1, max(1, lasting_slots) + 1))
        normals.append(table[(slot + 1) % size] if lowest_after >= step_ratio * here else here)
    _NORMALS_CACHE[:] = [(table, key, normals)]
    return normals


def seasonal_peak(memory: PolicyMemory, minute: int, horizon_minutes: int, config: PolicyConfig) -> float:
    """Highest profile value from `minute` to `horizon_minutes` later."""
    step = config.profile_slot_minutes
    table = seasonal_values(memory, config)
    return max(table[(minute // step + k) % len(table)] for k in range(horizon_minutes // step + 1))


_PLAN_CACHE: list[tuple[tuple[object, ...], CallPlan]] = []


def call_plan(table: list[float], latest: int, history: ScalingHistory, config: PolicyConfig) -> CallPlan:
    """The plan for the profile `table` from `latest`; reused while the table, slot and history stand."""
    budget = RESHARD_CALLS_PER_24H - config.reserved_calls
    key = (
        latest // config.profile_slot_minutes,
        history.reshard_minutes,
        budget,
        config.reaction_minutes,
        config.plan_call_cost,
    )
    # Compared by value: a new table with the same values (a slot closed unchanged) still hits.
    if _PLAN_CACHE and _PLAN_CACHE[0][0][1:] == key and _PLAN_CACHE[0][0][0] == table:
        return _PLAN_CACHE[0][1]
    forecast = forecast_peaks(table, config.profile_slot_minutes, latest, config.reaction_minutes)
    call_cost = config.plan_call_cost * sum(forecast) / len(forecast)
    plan = make_plan(forecast, latest, history.reshard_minutes, budget, call_cost)
    _PLAN_CACHE[:] = [((table, *key), plan)]
    return plan


def affordable_shards(mean_units: float, record_bytes: float, share: float) -> int:
    """Shards whose provisioned cost is `share` of on-demand's for the same traffic: more is waste."""
    records_per_hour = mean_units * SHARD_WRITE_RECORDS_PER_S * 3600.0
    size = max(1, round(record_bytes))
    on_demand = pricing.on_demand_cost_usd(1.0, records_per_hour, size)
    put_cost = pricing.provisioned_cost_usd(0.0, records_per_hour, size)
    return max(1, math.floor((share * on_demand - put_cost) / pricing.KINESIS_SHARD_HOUR_USD))


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
    memory = _learn(memory, units, throttled_by_minute, config, steer=stream.mode == StreamMode.PROVISIONED)

    def keep(reason: str, headroom: float = 1.0, demand: float = 0.0) -> Decision:
        return Decision(None, None, reason, memory, headroom, demand)

    if stream.status != StreamStatus.ACTIVE:
        return keep(f"stream is {stream.status.value}")
    if not units:
        return keep("no metrics yet")

    latest = max(units)
    window = config.demand_window_minutes
    # Demand relative to the daily profile: a diurnal stream's ratio is flat, a noisy stream's ratio
    # carries its noise, and ratio x the profile ahead is what capacity must cover next.
    table, step = seasonal_values(memory, config), config.profile_slot_minutes
    forecast = forecast_error(memory, config)
    normals = _normals(table, _trusted_step_ratio(forecast, config), config.profile_step_slots)
    ratio = demand_level(
        [v / normals[(m // step) % len(normals)] for m, v in units.items() if latest - m < window],
        config.level_quantile,
    )
    demand = ratio * table[(latest // step) % len(table)]
    recent_demand = max(v for m, v in units.items() if latest - m < config.reaction_minutes)
    # Where demand is heading by the time a call made now is live: it grew this much over the last
    # reaction time and is assumed to grow as much again (0 while it is not growing), but for the rise
    # the profile itself shows over that time (its slot stepped up), which the plan holds capacity for:
    # a daily step is not projected on as if it would climb as far again.
    span = config.reaction_minutes
    profile_rise = table[(latest // step) % len(table)] - table[((latest - span) // step) % len(table)]
    projected = _projected_demand(units, latest, span, expected_rise=max(0.0, ratio * profile_rise))
    sustained = min(v for m, v in units.items() if latest - m < config.sustained_minutes)
    throttled = any(m.throttled_records > 0 and latest - m.minute < config.reaction_minutes for m in metrics)
    learned = headroom_for_budget(memory.growth_weights, config.throttle_budget)
    headroom = max(config.min_headroom, 1.0 + (learned - 1.0) * memory.headroom_scale)
    wanted = max(ratio * seasonal_peak(memory, latest, config.pre_scale_minutes, config), config.floor_units) * headroom
    record_bytes = _mean_record_bytes(metrics) or config.record_bytes_hint
    affordable = max(
        affordable_shards(memory.mean_units, record_bytes, config.affordable_share),
        math.ceil(sustained * config.min_headroom),
    )
    over_cost_cap = stream.shards > 2 * affordable  # what a throttled surge followed past the cap leaves behind

    if allow_mode_switch:
        # The headroom over the window's highest minute as measured, not as read through the profile: a
        # profile learned from a day or two of a spiky stream misreads the ratio and the look-ahead.
        needed = max(max(v for m, v in units.items() if latest - m < window), config.floor_units) * headroom
        switch = _mode_switch(
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
        target_capacity = max(target_capacity, math.ceil(recent_demand * config.min_headroom))
    emergency = throttled or recent_demand > shards
    error = forecast if config.plan_calls else None
    plan_fits = error is not None and error <= config.plan_max_forecast_error and len(table) > 1 and ratio > 0
    # A plan holds capacity at its level between its calls, so a rise the profile did not expect would
    # be met only once it throttles: leave the plan for the greedy rules while demand is heading past
    # capacity, and size the call for where it is heading (within the cost cap). Without a plan the
    # greedy rules already scale out on headroom; projecting there too spends routine calls early.
    heading_past = plan_fits and projected > shards
    if heading_past and not throttled:
        target_capacity = max(target_capacity, min(math.ceil(projected * config.min_headroom), affordable))
    rising = emergency or heading_past
    if plan_fits and not rising and shards <= stream.max_shards:
        plan = call_plan(table, latest, history, config)
        scale = ratio * headroom  # shards per profile unit
        level = plan.level_now(shards / scale)
        if level is None:
            return keep("the plan holds", headroom, demand)
        planned = max(stream.min_shards, min(math.ceil(max(level * scale, wanted)), max(affordable, target_capacity)))
        if planned > shards:
            if used >= RESHARD_CALLS_PER_24H - config.reserved_calls:
                return keep(f"planned scale-out but {used} calls in 24 h", headroom, demand)
            target = _clamp(planned, shards, stream)
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
            _clamp(planned, shards, stream), None, f"planned scale in to {planned}", memory, headroom, demand
        )
    if shards < target_capacity:
        budget = RESHARD_CALLS_PER_24H - (0 if emergency else config.reserved_calls)
        if used >= budget:
            return keep(f"scale-out wanted but {used} calls in 24 h", headroom, demand)
        ahead = ratio * seasonal_peak(memory, latest, config.scale_out_lookahead_minutes, config) * headroom
        goal = max(max(wanted, ahead) * config.scale_up_overshoot, shards * config.scale_out_min_step)
        target = _clamp(min(math.ceil(goal), max(affordable, target_capacity)), shards, stream)
        if target > shards:
            reason = f"scale out: demand {demand:.2f} x headroom {headroom:.2f}"
            return Decision(target, None, reason, memory, headroom, demand)
        return keep("at max_shards", headroom, demand)

    if shards > stream.max_shards:
        return Decision(_clamp(stream.max_shards, shards, stream), None, "above max_shards", memory, headroom, demand)
    if rising:
        return keep("demand is rising past capacity: no scale-in", headroom, demand)
    later = ratio * seasonal_peak(memory, latest, config.scale_in_lookahead_minutes, config) * headroom
    keep_capacity = max(stream.min_shards, min(math.ceil(max(wanted, later)), affordable))
    if shards <= stream.min_shards or shards <= keep_capacity * config.scale_in_slack:
        return keep("capacity fits", headroom, demand)
    refusal = _scale_in_refusal(now, metrics, units, memory, history, used, config, over_cost_cap=over_cost_cap)
    if refusal is not None:
        return keep(refusal, headroom, demand)
    goal = min(math.ceil(max(wanted, later) * config.scale_up_overshoot), max(affordable, keep_capacity))
    reach = _reach_floor(table, memory, used, affordable, config, planned=False)
    target = _clamp(max(goal, reach), shards, stream)
    if target < shards and shards - target < config.scale_in_min_removed and shards <= affordable:
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
    left = max(0, RESHARD_CALLS_PER_24H - used - 1 - (0 if planned else config.reserved_calls))
    return min(affordable, math.ceil(peak * config.min_headroom / 2**left))


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
    if max(m.iterator_age_ms for m in metrics) > config.max_iterator_age_ms_for_scale_in:
        return "consumers are behind: no scale-in"
    kept = 0 if over_cost_cap else config.reserved_calls + config.calls_kept_for_scale_out
    if used >= RESHARD_CALLS_PER_24H - kept:
        return f"scale-in wanted but {used} calls in 24 h"
    last = history.last_change_minute()
    if last is not None and now - last < config.scale_in_cooldown_minutes:
        return "scale-in cooling down"
    latest = max(units)
    if latest - min(units) < config.demand_window_minutes - 1 or latest - memory.first_minute < config.learning_minutes:
        return "too little history to scale in"
    return None


def _projected_demand(
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


def _mean_record_bytes(metrics: Sequence[MinuteMetrics]) -> float:
    records = sum(m.incoming_records for m in metrics)
    return sum(m.incoming_bytes for m in metrics) / records if records > 0 else 0.0


def _clamp(target: int, shards: int, stream: StreamView) -> int:
    """The nearest count UpdateShardCount accepts: within [shards/2, 2*shards] and [min, max]."""
    lowest = max(stream.min_shards, math.ceil(shards / 2))
    highest = min(stream.max_shards, 2 * shards)
    return max(lowest, min(highest, target))


def _mode_switch(
    now: int,
    stream: StreamView,
    history: ScalingHistory,
    needed: float,
    affordable: int,
    memory: PolicyMemory,
    config: PolicyConfig,
    *,
    surging: bool,
    over_cost_cap: bool,
) -> StreamMode | None:
    """On-demand when the capacity the stream `needed` (its recent peak times the headroom) is unaffordable
    after a week of watching, or after a day if the service level is being missed too; when provisioned
    mode has missed the service level with the headroom feedback already at its limit (from the second
    week); or, on the first day, when throttled surges have left the stream `over_cost_cap` (it cannot
    scale in before a day of learning, and a stream whose first bursts outgrow twice what headroom may
    cost is one on-demand serves better). Never while a throttled surge is being followed: the switch
    would hand the surge to on-demand at the current shard count, which doubles only after its
    15-minute lag, where resharding doubles every few minutes. Back when headroom is cheap again and
    the cost cap covers the peak on-demand still remembers."""
    if history.mode_switches_within_24h(now) >= MODE_SWITCHES_PER_24H:
        return None
    last = max(history.mode_switch_minutes, default=None)
    if last is not None and now - last < config.mode_switch_cooldown_minutes:
        return None
    # Wide hysteresis: each switch costs a resharding-sized pause and AWS allows only two per 24 h.
    share = memory.throttled_units / memory.offered_units if memory.offered_units > 0 else 0.0
    # Until the headroom has been learned for a while, neither its size nor the losses say much; but a
    # stream that misses the service level after its first day while its headroom is unaffordable has
    # shown what it is: waiting the week out only adds the losses of more bursts.
    age = now - memory.first_minute if memory.first_minute >= 0 else -1
    trained = age >= config.slo_half_life_minutes
    unaffordable = needed > affordable * (1.0 + config.mode_switch_hysteresis)
    missing = share > config.service_level
    missed = trained and missing and memory.headroom_scale >= config.headroom_scale_max
    first_day = 0 <= age < config.learning_minutes
    proven = (unaffordable and (trained or (age >= config.learning_minutes and missing))) or (
        first_day and over_cost_cap
    )
    if stream.mode == StreamMode.PROVISIONED and (proven or missed) and not surging:
        return StreamMode.ON_DEMAND
    if (
        stream.mode == StreamMode.ON_DEMAND
        and (last is None or now - last >= config.on_demand_min_minutes)
        and share < config.throttle_target
        and needed * (1.0 + config.mode_switch_hysteresis) < affordable
        and max(memory.daily_peaks, default=0.0) <= affordable * config.return_peak_cover
    ):
        return StreamMode.PROVISIONED
    return None


def round_due(stream: StreamView, last_round_minute: int | None, now: int, config: PolicyConfig | None = None) -> bool:
    """Whether a scheduled round should read the metrics and decide, or stop at the stream's mode.

    Provisioned (or changing) streams decide every minute. An on-demand stream decides once per
    `on_demand_round_minutes`; the minutes in between are read by the next round (the memory takes
    every minute it has not seen yet), and the throttle alarm's rounds are never skipped.
    """
    if stream.mode != StreamMode.ON_DEMAND or last_round_minute is None:
        return True
    return now - last_round_minute >= (config or PolicyConfig()).on_demand_round_minutes


def validate_shard_update(now: int, current: int, target: int, stream: StreamView, history: ScalingHistory) -> None:
    """Raise ValueError when UpdateShardCount would reject `target` (the simulator and tests use this)."""
    if stream.status != StreamStatus.ACTIVE:
        raise ValueError(f"stream is {stream.status.value}, not ACTIVE")
    if target > 2 * current or 2 * target < current:
        raise ValueError(f"target {target} is outside [{current}/2, 2x{current}]")
    if history.reshards_within_24h(now) >= RESHARD_CALLS_PER_24H:
        raise ValueError(f"already {RESHARD_CALLS_PER_24H} UpdateShardCount calls in the last 24 h")
