"""What AWS allows: a shard's write limits, UpdateShardCount's and UpdateStreamMode's, and the stream as seen.

UpdateShardCount takes a stream from n shards to [n/2, 2n] per call, at most 10 calls per rolling 24 h;
UpdateStreamMode at most twice per 24 h; each leaves the stream UPDATING for a while. A shard accepts
1 MiB/s or 1,000 records/s of writes, whichever comes first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from functions.shard_scaler.policy.reading import Decision

SHARD_WRITE_BYTES_PER_S: Final = 1024 * 1024
SHARD_WRITE_RECORDS_PER_S: Final = 1000
RESHARD_CALLS_PER_24H: Final = 10
MODE_SWITCHES_PER_24H: Final = 2
DAY_MINUTES: Final = 1440
"""The rolling window AWS counts calls over, and the period of the daily profile."""


class StreamStatus(StrEnum):
    CREATING = "CREATING"
    DELETING = "DELETING"
    ACTIVE = "ACTIVE"
    UPDATING = "UPDATING"


class StreamMode(StrEnum):
    PROVISIONED = "PROVISIONED"
    ON_DEMAND = "ON_DEMAND"


@dataclass(frozen=True, slots=True)
class StreamView:
    """The stream as DescribeStreamSummary shows it, and the shard range its autoscaling allows."""

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


def clamp(target: int, shards: int, stream: StreamView) -> int:
    """The nearest count UpdateShardCount accepts: within [shards/2, 2*shards] and [min, max]."""
    lowest = max(stream.min_shards, math.ceil(shards / 2))
    highest = min(stream.max_shards, 2 * shards)
    return max(lowest, min(highest, target))


def validate_shard_update(now: int, current: int, target: int, stream: StreamView, history: ScalingHistory) -> None:
    """Raise ValueError when UpdateShardCount would reject `target` (the simulator and tests use this)."""
    if stream.status != StreamStatus.ACTIVE:
        raise ValueError(f"stream is {stream.status.value}, not ACTIVE")
    if target > 2 * current or 2 * target < current:
        raise ValueError(f"target {target} is outside [{current}/2, 2x{current}]")
    if history.reshards_within_24h(now) >= RESHARD_CALLS_PER_24H:
        raise ValueError(f"already {RESHARD_CALLS_PER_24H} UpdateShardCount calls in the last 24 h")
