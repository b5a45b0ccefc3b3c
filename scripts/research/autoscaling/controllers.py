"""The causal policies compared by the simulator: ours and the two published autoscalers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from functions.shard_scaler.policy import (
    LOOKBACK_MINUTES,
    SHARD_WRITE_BYTES_PER_S,
    SHARD_WRITE_RECORDS_PER_S,
    MinuteMetrics,
    PolicyConfig,
    PolicyMemory,
    ScalingHistory,
    StreamMode,
    StreamStatus,
    StreamView,
    decide,
    round_due,
)


@dataclass
class OursController:
    """functions.shard_scaler.policy exactly as the Lambda runs it, memory kept between calls."""

    allow_mode_switch: bool = True
    config: PolicyConfig = field(default_factory=PolicyConfig)
    name: str = "ours"
    window_minutes: int = LOOKBACK_MINUTES
    memory: PolicyMemory = field(default_factory=PolicyMemory)
    last_round_minute: int | None = None
    rounds: int = 0
    """Minutes the Lambda reads CloudWatch and decides (what the scaler's running cost counts)."""
    skipped_rounds: int = 0
    """Minutes an on-demand stream's scheduled run stops at the stream's mode (`round_due`)."""

    def decide(
        self, now: int, visible: Sequence[MinuteMetrics], stream: StreamView, history: ScalingHistory
    ) -> tuple[int | None, StreamMode | None]:
        if not round_due(stream, self.last_round_minute, now, self.config):
            self.skipped_rounds += 1
            return None, None
        self.rounds += 1
        self.last_round_minute = now
        decision = decide(
            now,
            visible,
            stream,
            history,
            self.memory,
            allow_mode_switch=self.allow_mode_switch,
            config=self.config,
        )
        self.memory = decision.memory
        return decision.target_shards, decision.target_mode


def _utilisation(metrics: Sequence[MinuteMetrics], shards: int) -> float:
    """Accepted writes over the window as a fraction of the shards' capacity (what CloudWatch shows)."""
    accepted = sum(
        max(
            m.incoming_bytes / (60.0 * SHARD_WRITE_BYTES_PER_S),
            m.incoming_records / (60.0 * SHARD_WRITE_RECORDS_PER_S),
        )
        for m in metrics
    )
    return accepted / (len(metrics) * shards)


@dataclass
class KsuController:
    """amazon-kinesis-scaling-utils with its README example: up at 75% for 5 min by 150%, down at 25% for 15 min.

    "Up by 150%" asks for 2.5x; UpdateShardCount caps one call at 2x, so it doubles. "Down by 25%" keeps 75%.
    A breach streak restarts after every action (the utility's cool-off), and it keeps calling when AWS
    rejects the call for the 10-per-24-h limit.
    """

    up_threshold: float = 0.75
    up_minutes: int = 5
    up_factor: float = 2.5
    down_threshold: float = 0.25
    down_minutes: int = 15
    down_factor: float = 0.75
    name: str = "ksu"
    window_minutes: int = 15
    _streak_from: int = -1

    def decide(
        self, now: int, visible: Sequence[MinuteMetrics], stream: StreamView, history: ScalingHistory
    ) -> tuple[int | None, StreamMode | None]:
        if stream.status != StreamStatus.ACTIVE or not visible:
            return None, None
        fresh = [m for m in visible if m.minute > self._streak_from]
        shards = stream.shards
        up = fresh[-self.up_minutes :]
        if len(up) == self.up_minutes and all(_utilisation([m], shards) >= self.up_threshold for m in up):
            self._streak_from = visible[-1].minute
            target = min(2 * shards, stream.max_shards, math.ceil(shards * self.up_factor))
            return (target if target > shards else None), None
        down = fresh[-self.down_minutes :]
        if len(down) == self.down_minutes and all(_utilisation([m], shards) < self.down_threshold for m in down):
            self._streak_from = visible[-1].minute
            target = max(stream.min_shards, math.ceil(shards * self.down_factor))
            return (target if target < shards else None), None
        return None, None


@dataclass
class AwsSamplesController:
    """aws-samples/kinesis-auto-scaling defaults: 5-minute periods, double when 5 of 5 >= 75%,
    halve when 57 of 60 < 25% (and consumers are under 30 min behind); alarms reset after each action."""

    period_minutes: int = 5
    up_threshold: float = 0.75
    up_points: int = 5
    down_threshold: float = 0.25
    down_points: int = 60
    down_required: int = 57
    name: str = "aws_samples"
    window_minutes: int = 300
    _reset_at: int = -1

    def decide(
        self, now: int, visible: Sequence[MinuteMetrics], stream: StreamView, history: ScalingHistory
    ) -> tuple[int | None, StreamMode | None]:
        if stream.status != StreamStatus.ACTIVE or not visible:
            return None, None
        last = visible[-1].minute
        period = self.period_minutes
        if (last + 1) % period != 0:
            return None, None  # alarms evaluate when a period completes
        shards = stream.shards
        points: list[float] = []
        end = len(visible)
        while end >= period and len(points) < self.down_points:
            chunk = visible[end - period : end]
            if chunk[0].minute <= self._reset_at:
                break
            points.append(_utilisation(chunk, shards))
            end -= period
        if len(points) >= self.up_points and all(p >= self.up_threshold for p in points[: self.up_points]):
            self._reset_at = last
            return (min(2 * shards, stream.max_shards) if shards < stream.max_shards else None), None
        if len(points) >= self.down_points and sum(p < self.down_threshold for p in points) >= self.down_required:
            self._reset_at = last
            return (max(stream.min_shards, math.ceil(shards / 2)) if shards > stream.min_shards else None), None
        return None, None
