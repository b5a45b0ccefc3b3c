"""Run every policy on one demand trace and account shard-hours, cost, throttling and operations."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from functions import pricing
from functions.shard_scaler.policy import DAY_MINUTES
from research.autoscaling.controllers import AwsSamplesController, KsuController, OursController
from research.autoscaling.engine import OnDemandCapacity, Outcome, SimulationConfig, accepted_units, simulate
from research.autoscaling.oracle import solve_oracle
from research.autoscaling.trace import Demand
from streamctl.cost.scaler_cost import scaler_usd

POLICIES = ("ours", "ksu", "aws_samples", "static_peak", "on_demand", "ideal", "oracle")


@dataclass(frozen=True)
class PolicyResult:
    shard_hours: float
    cost_usd: float
    throttled_fraction: float
    max_ops_24h: int
    mode_switches: int | None = None
    on_demand_hours: float = 0.0
    rejected_calls: int = 0
    seconds: float = 0.0
    scaler_cost_usd: float | None = None
    """The scaler's own running cost, included in `cost_usd` (ours only)."""

    def to_json(self, include_mode_switches: bool) -> dict[str, float | int]:
        data = asdict(self)
        if not include_mode_switches:
            data.pop("mode_switches")
        return {k: v for k, v in data.items() if v is not None}


def max_operations_in_window(operation_minutes: list[int], window: int = DAY_MINUTES) -> int:
    """Most operations inside any rolling window of `window` minutes."""
    best, lo = 0, 0
    ordered = sorted(operation_minutes)
    for hi, minute in enumerate(ordered):
        while minute - ordered[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def required_shards(units: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Shards that carry each minute's mean load without throttling (a tiny epsilon absorbs float noise)."""
    return np.maximum(1, np.ceil(units - 1e-9)).astype(np.int64)


def account(outcome: Outcome, demand: Demand) -> PolicyResult:
    """Totals for one run: costs billed per mode, throttled share of offered records, operations."""
    per_unit = demand.records_per_unit_minute
    offered = float(demand.units.sum()) * per_unit
    accepted = outcome.accepted_units * per_unit
    provisioned_records = float(accepted[~outcome.on_demand].sum())
    on_demand_records = float(accepted[outcome.on_demand].sum())
    shard_hours = float(outcome.billed_shards.sum()) / 60.0
    on_demand_hours = float(outcome.on_demand.sum()) / 60.0
    cost = pricing.provisioned_cost_usd(shard_hours, provisioned_records, demand.record_bytes)
    if on_demand_hours:
        cost += pricing.on_demand_cost_usd(on_demand_hours, on_demand_records, demand.record_bytes)
    if outcome.running_cost_usd is not None:
        cost += outcome.running_cost_usd
    # Summed per minute (never negative there), not as 1 - accepted/offered: that leaves float
    # residue (2e-16) where nothing was throttled.
    lost_units = float(np.maximum(demand.units - outcome.accepted_units, 0.0).sum())
    throttled = lost_units * per_unit / offered if offered else 0.0
    return PolicyResult(
        shard_hours=round(shard_hours, 3),
        cost_usd=round(cost, 2),
        throttled_fraction=throttled,
        max_ops_24h=max_operations_in_window(outcome.reshard_minutes),
        mode_switches=len(outcome.mode_switch_minutes),
        on_demand_hours=round(on_demand_hours, 3),
        rejected_calls=outcome.rejected_calls,
        seconds=round(outcome.seconds, 2),
        scaler_cost_usd=None if outcome.running_cost_usd is None else round(outcome.running_cost_usd, 2),
    )


def _offline(
    name: str,
    demand: Demand,
    capacity: npt.NDArray[np.float64],
    on_demand: bool,
    config: SimulationConfig,
    operations: list[int] | None = None,
) -> Outcome:
    accepted = accepted_units(demand.units, capacity, config)
    billed = np.zeros_like(capacity) if on_demand else capacity
    flags = np.full(capacity.size, on_demand)
    return Outcome(name, capacity, billed, flags, accepted, operations or [], [], 0)


def on_demand_outcome(demand: Demand, config: SimulationConfig) -> Outcome:
    """The stream in on-demand mode throughout, under on-demand's own 2x-previous-peak rule."""
    tracker = OnDemandCapacity(float(demand.units[0]))
    capacity = np.zeros(demand.units.size)
    accepted = np.zeros(demand.units.size)
    for t, offered in enumerate(demand.units.tolist()):
        capacity[t] = tracker.capacity(t)
        accepted[t] = float(accepted_units(offered, capacity[t], config))
        tracker.observe(t, float(accepted[t]))
    return Outcome("on_demand", capacity, np.zeros_like(capacity), np.ones(capacity.size, dtype=bool), accepted)


def run_policy(name: str, demand: Demand, config: SimulationConfig) -> Outcome:
    started = time.perf_counter()
    need = required_shards(demand.units)
    if name == "ours":
        controller = OursController()
        outcome = simulate(controller, demand, config)
        outcome.running_cost_usd = scaler_usd(controller.rounds, controller.skipped_rounds, demand.units.size / 60.0)
    elif name == "ksu":
        outcome = simulate(KsuController(), demand, config)
    elif name == "aws_samples":
        outcome = simulate(AwsSamplesController(), demand, config)
    elif name == "static_peak":
        outcome = _offline(name, demand, np.full(need.size, float(need.max())), False, config)
    elif name == "on_demand":
        outcome = on_demand_outcome(demand, config)
    elif name == "ideal":
        changes = (np.nonzero(np.diff(need))[0] + 1).tolist()
        outcome = _offline(name, demand, need.astype(np.float64), False, config, changes)
    elif name == "oracle":
        schedule = solve_oracle(
            need, start_offset_minutes=demand.start_minute % DAY_MINUTES, min_shards=config.min_shards
        )
        outcome = _offline(name, demand, schedule.shards.astype(np.float64), False, config, schedule.operation_minutes)
    else:
        raise ValueError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}")
    outcome.seconds = time.perf_counter() - started
    return outcome


def compare(
    demand: Demand, config: SimulationConfig, policies: tuple[str, ...] = POLICIES
) -> tuple[dict[str, PolicyResult], dict[str, Outcome]]:
    outcomes = {name: run_policy(name, demand, config) for name in policies}
    return {name: account(outcome, demand) for name, outcome in outcomes.items()}, outcomes


def hours(demand: Demand) -> float:
    return math.ceil(demand.units.size) / 60.0
