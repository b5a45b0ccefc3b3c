"""Replay demand against a causal scaling controller, minute by minute, with AWS's rules and delays.

Model (the same for every policy):
- capacity is shards x (1 MiB/s or 1,000 records/s); demand above capacity is throttled and lost
  (producers' retries are not replayed), optionally with a sub-minute burst inside each minute;
- a controller sees CloudWatch minutes only after a delay of 1-3 minutes (seeded, reproducible);
- UpdateShardCount and UpdateStreamMode leave the stream UPDATING for `reshard_minutes`: the old
  capacity serves until then, and both the old and new shard counts are billed (the larger);
- UpdateShardCount accepts [n/2, 2n] and at most 10 calls per rolling 24 h; other calls are rejected
  as AWS would reject them (counted in `rejected_calls`);
- on-demand capacity is twice the highest accepted write rate in the previous 30 days, lagging 15 minutes
  (floor 4 MiB/s, 4,000 records/s; never below the shard count it had when switched to on-demand).
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from functions import aws_limits
from functions.shard_scaler.policy import (
    DAY_MINUTES,
    MODE_SWITCHES_PER_24H,
    RESHARD_CALLS_PER_24H,
    MinuteMetrics,
    ScalingHistory,
    StreamMode,
    StreamStatus,
    StreamView,
)
from research.autoscaling.trace import Demand

ON_DEMAND_FLOOR_UNITS = aws_limits.KINESIS_ON_DEMAND_MIN_WRITE_SHARDS
ON_DEMAND_PEAK_DAYS = aws_limits.KINESIS_ON_DEMAND_PEAK_DAYS
ON_DEMAND_LAG_MINUTES = aws_limits.KINESIS_ON_DEMAND_SCALE_LAG_MINUTES


@dataclass(frozen=True)
class SimulationConfig:
    metric_delay_min: int = 1
    metric_delay_max: int = 3
    reshard_minutes: int = 3
    burst_factor: float = 1.0
    """Peak-second rate over the minute's mean during the burst; 1.0 means no sub-minute burst."""
    burst_seconds: float = 6.0
    min_shards: int = 1
    max_shards: int = 500
    seed: int = 7

    def __post_init__(self) -> None:
        if not 0 <= self.metric_delay_min <= self.metric_delay_max:
            raise ValueError(f"metric delay range {self.metric_delay_min}..{self.metric_delay_max} is empty")
        if self.burst_factor < 1.0 or self.burst_factor * self.burst_seconds > 60.0:
            raise ValueError("burst_factor must be >= 1 and burst_factor * burst_seconds <= 60")
        if self.reshard_minutes < 1:
            raise ValueError(f"reshard_minutes must be >= 1, got {self.reshard_minutes}")


def accepted_units(
    demand: npt.NDArray[np.float64] | float,
    capacity: npt.NDArray[np.float64] | float,
    config: SimulationConfig,
) -> npt.NDArray[np.float64]:
    """Mean accepted load over each minute, with the optional burst of `burst_factor` x mean."""
    demand_a = np.asarray(demand, dtype=np.float64)
    capacity_a = np.asarray(capacity, dtype=np.float64)
    if config.burst_factor == 1.0:
        return np.minimum(demand_a, capacity_a)
    burst = config.burst_seconds
    high = demand_a * config.burst_factor
    low = (60.0 * demand_a - burst * high) / (60.0 - burst)
    return (burst * np.minimum(high, capacity_a) + (60.0 - burst) * np.minimum(low, capacity_a)) / 60.0


class Controller(Protocol):
    """A causal scaling policy: sees only what CloudWatch has published, decides at each minute."""

    name: str
    window_minutes: int
    """How many of the latest published minutes the controller reads."""

    def decide(
        self, now: int, visible: Sequence[MinuteMetrics], stream: StreamView, history: ScalingHistory
    ) -> tuple[int | None, StreamMode | None]: ...


@dataclass
class Outcome:
    """Per-minute record of one policy's run, and its totals."""

    name: str
    capacity_units: npt.NDArray[np.float64]
    billed_shards: npt.NDArray[np.float64]
    on_demand: npt.NDArray[np.bool_]
    accepted_units: npt.NDArray[np.float64]
    reshard_minutes: list[int] = field(default_factory=list)
    mode_switch_minutes: list[int] = field(default_factory=list)
    rejected_calls: int = 0
    seconds: float = 0.0
    running_cost_usd: float | None = None
    """What the policy itself costs to run (only `ours` is counted: scripts/streamctl/cost/scaler_cost.py)."""


class OnDemandCapacity:
    """On-demand's rule: 2x the previous 30-day peak of accepted writes, seen with a 15-minute lag."""

    def __init__(self, initial_peak: float) -> None:
        self._window: deque[tuple[int, float]] = deque()
        self._pending: deque[tuple[int, float]] = deque()
        self._window.append((-ON_DEMAND_LAG_MINUTES, initial_peak))
        self.floor = ON_DEMAND_FLOOR_UNITS

    def capacity(self, now: int) -> float:
        while self._pending and self._pending[0][0] <= now - ON_DEMAND_LAG_MINUTES:
            minute, value = self._pending.popleft()
            while self._window and self._window[-1][1] <= value:
                self._window.pop()
            self._window.append((minute, value))
        horizon = now - ON_DEMAND_PEAK_DAYS * DAY_MINUTES
        while len(self._window) > 1 and self._window[0][0] < horizon:
            self._window.popleft()
        return max(self.floor, aws_limits.KINESIS_ON_DEMAND_PEAK_FACTOR * self._window[0][1])

    def observe(self, minute: int, accepted: float) -> None:
        self._pending.append((minute, accepted))


def simulate(
    controller: Controller, demand: Demand, config: SimulationConfig, initial_shards: int | None = None
) -> Outcome:
    """Run `controller` over the whole demand; the stream starts provisioned at the first minute's need."""
    units = demand.units
    minutes = units.size
    per_unit = demand.records_per_unit_minute
    record_bytes = demand.record_bytes
    rng = random.Random(config.seed)
    shards = initial_shards or max(config.min_shards, math.ceil(units[0]))
    mode = StreamMode.PROVISIONED
    status = StreamStatus.ACTIVE
    pending_shards: int | None = None
    pending_mode: StreamMode | None = None
    update_ends = -1
    on_demand = OnDemandCapacity(float(units[0]))
    history = ScalingHistory()
    reshards: list[int] = []
    switches: list[int] = []
    rejected = 0
    visible_end = 0  # metrics[:visible_end] are published
    metrics: list[MinuteMetrics] = []
    capacity_out = np.zeros(minutes)
    billed_out = np.zeros(minutes)
    od_out = np.zeros(minutes, dtype=bool)
    accepted_out = np.zeros(minutes)
    base = demand.start_minute
    burst = config.burst_factor != 1.0
    for t in range(minutes):
        now = base + t
        if status == StreamStatus.UPDATING and t >= update_ends:
            if pending_shards is not None:
                shards = pending_shards
            if pending_mode is not None:
                if pending_mode == StreamMode.ON_DEMAND:
                    on_demand.floor = max(ON_DEMAND_FLOOR_UNITS, float(shards))
                else:
                    shards = min(config.max_shards, max(config.min_shards, math.ceil(on_demand.capacity(t))))
                mode = pending_mode
            pending_shards, pending_mode, status = None, None, StreamStatus.ACTIVE
        delay = rng.randint(config.metric_delay_min, config.metric_delay_max)
        visible_end = max(visible_end, t - delay)
        stream = StreamView(shards, status, mode, config.min_shards, config.max_shards)
        target, new_mode = controller.decide(
            now, metrics[max(0, visible_end - controller.window_minutes) : visible_end], stream, history
        )
        if target is not None and target != shards:
            ok = (
                status == StreamStatus.ACTIVE
                and mode == StreamMode.PROVISIONED
                and 2 * target >= shards
                and target <= 2 * shards
                and config.min_shards <= target <= config.max_shards
                and history.reshards_within_24h(now) < RESHARD_CALLS_PER_24H
            )
            if ok:
                pending_shards, status, update_ends = (
                    target,
                    StreamStatus.UPDATING,
                    t + config.reshard_minutes,
                )
                reshards.append(t)
                history = history.with_reshard(now)
            else:
                rejected += 1
        elif new_mode is not None and new_mode != mode:
            if status == StreamStatus.ACTIVE and history.mode_switches_within_24h(now) < MODE_SWITCHES_PER_24H:
                pending_mode, status, update_ends = (
                    new_mode,
                    StreamStatus.UPDATING,
                    t + config.reshard_minutes,
                )
                switches.append(t)
                history = history.with_mode_switch(now)
            else:
                rejected += 1
        if mode == StreamMode.ON_DEMAND:
            capacity = on_demand.capacity(t)
            billed = 0.0
        else:
            capacity = float(shards)
            billed = float(max(shards, pending_shards or 0))
        offered = float(units[t])
        accepted = float(accepted_units(offered, capacity, config)) if burst else min(offered, capacity)
        on_demand.observe(t, accepted)
        capacity_out[t], billed_out[t], od_out[t], accepted_out[t] = (
            capacity,
            billed,
            mode == StreamMode.ON_DEMAND,
            accepted,
        )
        records = accepted * per_unit
        metrics.append(MinuteMetrics(now, records * record_bytes, records, (offered - accepted) * per_unit))
    return Outcome(controller.name, capacity_out, billed_out, od_out, accepted_out, reshards, switches, rejected)
