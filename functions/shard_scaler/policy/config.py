"""The policy's tuning: one set of defaults for every stream."""

from __future__ import annotations

from dataclasses import dataclass

from functions.shard_scaler.policy.limits import DAY_MINUTES


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
