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
  places these routine calls by a plan over the profile's next 24 hours (../call_plan.py), so the day's
  calls go where they save most, and leaves the plan as soon as demand rises faster than it expected;
- never buys headroom that costs more than on-demand mode would for the same traffic, and, when allowed,
  switches the stream to on-demand when the headroom it needs is unaffordable or the service level was
  missed anyway (and back when headroom is cheap again and the cost cap covers the month's peak,
  which on-demand would still absorb).

The package follows a round's stages: `limits` (what AWS allows), `model` (demand and capacity in
shards), `config` (the tuning), `memory` (what is carried between rounds), `profiles` and `learning`
(what a round learns), `reading` (what it reads: rules 1-4 of docs/autoscaling.md), `decision` (the
rules in the order they apply: plan, scale out, scale in, call budget), `mode_switch` (rule 9) and
`guardrails` (the peak cap and the switch check, which bound what the rules may do).
"""

from __future__ import annotations

from functions.shard_scaler.policy.config import (
    CallBudgetConfig,
    CostCapConfig,
    DemandConfig,
    GuardrailConfig,
    HeadroomConfig,
    ModeSwitchConfig,
    PlanConfig,
    PolicyConfig,
    ProfileConfig,
    ScaleInConfig,
    ScaleOutConfig,
    ServiceLevelConfig,
)
from functions.shard_scaler.policy.decision import LOOKBACK_MINUTES, decide
from functions.shard_scaler.policy.limits import (
    DAY_MINUTES,
    MODE_SWITCHES_PER_24H,
    RESHARD_CALLS_PER_24H,
    SHARD_WRITE_BYTES_PER_S,
    SHARD_WRITE_RECORDS_PER_S,
    ScalingHistory,
    StreamMode,
    StreamStatus,
    StreamView,
    validate_shard_update,
)
from functions.shard_scaler.policy.memory import PolicyMemory
from functions.shard_scaler.policy.mode_switch import round_due
from functions.shard_scaler.policy.model import (
    GROWTH_BIN_COUNT,
    MinuteMetrics,
    affordable_shards,
    demand_level,
    demand_units,
    headroom_for_budget,
)
from functions.shard_scaler.policy.profiles import (
    WEEK_DAYS,
    WEEK_MINUTES,
    forecast_error,
    seasonal_peak,
    seasonal_values,
)
from functions.shard_scaler.policy.reading import Decision

__all__ = [
    "DAY_MINUTES",
    "GROWTH_BIN_COUNT",
    "LOOKBACK_MINUTES",
    "MODE_SWITCHES_PER_24H",
    "RESHARD_CALLS_PER_24H",
    "SHARD_WRITE_BYTES_PER_S",
    "SHARD_WRITE_RECORDS_PER_S",
    "WEEK_DAYS",
    "WEEK_MINUTES",
    "CallBudgetConfig",
    "CostCapConfig",
    "Decision",
    "DemandConfig",
    "GuardrailConfig",
    "HeadroomConfig",
    "MinuteMetrics",
    "ModeSwitchConfig",
    "PlanConfig",
    "PolicyConfig",
    "PolicyMemory",
    "ProfileConfig",
    "ScaleInConfig",
    "ScaleOutConfig",
    "ScalingHistory",
    "ServiceLevelConfig",
    "StreamMode",
    "StreamStatus",
    "StreamView",
    "affordable_shards",
    "decide",
    "demand_level",
    "demand_units",
    "forecast_error",
    "headroom_for_budget",
    "round_due",
    "seasonal_peak",
    "seasonal_values",
    "validate_shard_update",
]
