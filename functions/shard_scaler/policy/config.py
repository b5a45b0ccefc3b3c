"""The policy's tuning: one set of defaults for every stream, grouped by the rule each knob serves.

The rules are numbered as in docs/autoscaling.md, which gives the measurements behind most values;
the simulator runs this one set on every trace.
"""

from __future__ import annotations

from dataclasses import dataclass

from functions.shard_scaler.policy.limits import DAY_MINUTES


@dataclass(frozen=True, slots=True)
class DemandConfig:
    """How a minute's demand and the window's level are read (rule 1)."""

    reaction_minutes: int = 6
    """Metric delay plus schedule tick plus resharding: how long a surge runs before new capacity is live."""
    window_minutes: int = 180
    """The level is read over the last 3 hours, and growth is measured against the level of the same span."""
    level_quantile: float = 1.0
    """Nearest-rank quantile of the window taken as the level: 1.0, its highest minute (load it just carried)."""
    floor_units: float = 1.0
    """Demand is counted as at least one shard's worth: growth from below one shard costs nothing to absorb."""


@dataclass(frozen=True, slots=True)
class ProfileConfig:
    """The learned daily and weekly profiles demand is read against (rule 2)."""

    slot_minutes: int = 15
    """Resolution of the profiles (time of day or of week, UTC) used to look ahead."""
    step_ratio: float = 2.0
    """A slot followed by a step up of at least 2x that lasts `step_slots` is read at the stepped-up level: the
    profile places a step only to within a slot, and a step a few minutes early is no surge (0 turns this off)."""
    step_slots: int = 4
    """How long a step must last to be read so, an hour: a one-day profile's spikes stand a slot or two."""
    weight: float = 0.5
    """Weight of the newest day (or week) in its slot of the profile; older ones decay by halves."""
    floor_share: float = 0.25
    """No slot counts as quieter than this share of `floor_units`: a near-empty slot would inflate the ratio."""
    weekly: bool = True
    """Also learn a time-of-week profile, used when it predicts the stream better (quiet weekends)."""
    error_half_life_minutes: float = 7 * DAY_MINUTES
    """Half-life of the profiles' scores (their misses per closed slot): a week, as long as the weekly cycle."""
    weekly_error_share: float = 0.8
    """The weekly profile is used once it misses closed slots by at most this share of the daily one's misses."""


@dataclass(frozen=True, slots=True)
class HeadroomConfig:
    """The learned headroom: growth histogram and its SLO-steered scale (rule 3)."""

    throttle_budget: float = 0.003
    """Share of records the histogram expects to lose to growth beyond the headroom; real capacity sits above
    level x headroom (steps, scale-in slack), so realised throttling comes out well below this figure."""
    growth_half_life_minutes: float = 10 * DAY_MINUTES
    """Half-life of the growth histogram: last week's rare surges still count, a calmer month earns less."""
    minimum: float = 1.1
    """Per-minute averages hide sub-minute bursts, so never plan to run a shard above ~90%."""
    learning_minutes: int = DAY_MINUTES
    """Until the policy has watched the stream this long its headroom is untrained: no scale-in, and its
    throttling does not count towards the SLO feedback (the histogram still learns from it)."""
    scale_step_up: float = 1.03
    """Hourly growth of the headroom's scale while realised throttling is above target: 3%/h, 2x a day."""
    scale_step_down: float = 1.03
    """Hourly shrink of the scale while below target, as fast."""
    scale_min: float = 0.25
    """Least scale: quiet weeks shrink the learned excess over 1 to a quarter, never away."""
    scale_max: float = 4.0
    """Largest scale; a provisioned stream that misses the service level at it goes on-demand (rule 9)."""


@dataclass(frozen=True, slots=True)
class ServiceLevelConfig:
    """The throttling the SLO feedback steers to and the service level the mode switch guards (rules 3, 9)."""

    throttle_target: float = 0.0005
    """Realised throttled share (records) the feedback steers to: half the 0.1% service level."""
    service_level: float = 0.001
    """Throttled share (records) that counts as a missed service level."""
    half_life_minutes: float = 7 * DAY_MINUTES
    """Half-life of the realised throttled share: a week; a stream watched this long counts as trained."""


@dataclass(frozen=True, slots=True)
class CostCapConfig:
    """The cost cap: headroom never costs more than on-demand would for the same traffic (rule 4)."""

    affordable_share: float = 0.8
    """Headroom may cost at most this share of what on-demand mode would cost for the same traffic."""
    sustained_minutes: int = 10
    """Demand held this long is real load, whatever it costs; shorter bursts are headroom's job."""
    volume_half_life_minutes: float = 360.0
    """Half-life of the mean traffic the cap is priced on: six hours, so it follows the day but not a burst."""
    record_bytes_hint: int = 1024
    """Record size assumed for cost comparisons until traffic tells otherwise."""


@dataclass(frozen=True, slots=True)
class ScaleOutConfig:
    """Capacity wanted and scale-outs (rules 4, 5)."""

    pre_scale_minutes: int = 30
    """Capacity wanted covers the profile's peak this far ahead: scale out ahead of an expected rise."""
    lookahead_minutes: int = 90
    """A scale-out sizes for the profile's peak over the next 90 minutes, so one call covers the rise ahead."""
    min_step: float = 1.25
    """Calls are the scarce resource (10 a day): a scale-out adds at least a quarter of the shards."""
    overshoot: float = 1.05
    """Calls aim 5% above the need (a greedy scale-in's target too): a shade more demand needs no call."""


@dataclass(frozen=True, slots=True)
class ScaleInConfig:
    """Greedy scale-ins and what holds any scale-in back (rule 6)."""

    lookahead_minutes: int = 120
    """A scale-in keeps what the profile's next two hours need: shards wanted back soon cost two calls."""
    slack: float = 1.2
    """No scale-in while the shards are within 1.2x what the next two hours need: not worth a call."""
    min_removed: int = 2
    """Without a plan, a scale-in within the cost cap gives back at least this many shards: one shard
    saves cents a day, and the call it spends may be the one a surge later finds missing."""
    cooldown_minutes: int = 30
    """No scale-in within half an hour of the last call: the traffic that asked for it may come back."""
    max_iterator_age_ms: float = 60_000.0
    """No scale-in while consumers are more than a minute behind: they are catching up on the shards' reads."""


@dataclass(frozen=True, slots=True)
class CallBudgetConfig:
    """How the 10 UpdateShardCount calls per rolling 24 h are shared out (rule 8)."""

    reserved: int = 2
    """Calls per rolling 24 h kept for scale-outs while throttled (or while demand exceeds the shards)."""
    kept_for_scale_out: int = 0
    """Scale-in stops this many routine calls early, so a later rise can still be followed (the reserve and
    rule 6's reach floor already hold calls back)."""


@dataclass(frozen=True, slots=True)
class PlanConfig:
    """Planned calls over the profile's next 24 h (rule 7, ../call_plan.py)."""

    enabled: bool = True
    """Place routine calls where a plan over the profile's next 24 h saves most."""
    call_cost: float = 2.0
    """What a call costs the plan, in plan slots of the forecast's mean level: half an hour of it."""
    max_forecast_error: float = 0.2
    """Plan only while the profile misses slots by at most this share of its mean: a plan is only as good
    as its forecast (spiky or irregular streams keep the greedy rules)."""


@dataclass(frozen=True, slots=True)
class ModeSwitchConfig:
    """Switching to on-demand and back, and on-demand's rounds (rule 9)."""

    hysteresis: float = 0.5
    """On-demand once 1.5x what is affordable is needed, back once 1.5x the need is affordable: each switch
    costs a resharding-sized pause, and AWS allows two per 24 h."""
    cooldown_minutes: int = DAY_MINUTES
    """A day between switches."""
    on_demand_min_minutes: int = 14 * DAY_MINUTES
    """Once on-demand, stay two weeks: it remembers a 30-day peak, and spikes come back."""
    peak_days: int = 30
    """On-demand sizes itself to twice the peak of this many days; the way back waits until the cost cap
    covers that peak (times `return_peak_cover`), or provisioned mode would drop the protection
    that made on-demand worth paying for just before the spike recurs."""
    return_peak_cover: float = 1.0
    """How much of that peak the cap must cover; 2 (all on-demand holds) kept Twitter_volume_AMZN away, 16% dearer."""
    on_demand_round_minutes: int = 15
    """An on-demand stream gets a scheduled round this often, not every minute: all the policy decides
    there is the way back, after two weeks and on hours of evidence, and each round's GetMetricData is
    most of what the scaler costs to run (docs/autoscaling.md, "What the scaler costs")."""


@dataclass(frozen=True, slots=True)
class GuardrailConfig:
    """Bounds on what the rules may do (guardrails.py, issue 29)."""

    peak_cap: bool = True
    """While the load is recurring short bursts, never more shards than the burst level needs."""
    recurring_share: float = 0.8
    """A window whose highest minute reaches this share of the previous days' highest, and no more,
    shows that level recurring (bursts vary in height; the highest of many is the level to hold)."""
    recurring_days: int = 3
    """... and whose level each of the previous 3 days reached too: a schedule (a fleet checking in), not
    news spikes that come back a few times (NAB's Twitter traces, whose next spike may be twice as high)."""
    burst_share: float = 0.2
    """A window with at most this share of its minutes above half its highest is short bursts..."""
    bursts: int = 2
    """... if they come in at least this many separate runs: one run is a rise (a sale ramping in)."""
    outage_hold_minutes: int = 8 * 60
    """No scale-in while the stream has been silent for more than a reaction time and less than this: an
    outage is not a new level, and the traffic comes back to the shards it left (its backlog on top)."""
    follow_rising_load: bool = True
    """A planned stream whose demand is heading past its shards is followed to where it is heading even
    beyond the cost cap: that is load arriving, not headroom (the cap still bounds headroom)."""
    switch_replay: bool = True
    """Switch to on-demand only if replaying the window read says it throttles less or costs less."""


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """One set of defaults for every stream; see docs/autoscaling.md for why each value."""

    demand: DemandConfig = DemandConfig()
    profile: ProfileConfig = ProfileConfig()
    headroom: HeadroomConfig = HeadroomConfig()
    slo: ServiceLevelConfig = ServiceLevelConfig()
    cost: CostCapConfig = CostCapConfig()
    scale_out: ScaleOutConfig = ScaleOutConfig()
    scale_in: ScaleInConfig = ScaleInConfig()
    calls: CallBudgetConfig = CallBudgetConfig()
    plan: PlanConfig = PlanConfig()
    mode_switch: ModeSwitchConfig = ModeSwitchConfig()
    guardrails: GuardrailConfig = GuardrailConfig()
