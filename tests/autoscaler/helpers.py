"""Builders shared by the autoscaler tests."""

from __future__ import annotations

from functions.shard_scaler.policy import MinuteMetrics, StreamMode, StreamStatus, StreamView

RECORD_BYTES = 1024
NOW = 30_000_000  # minutes since the epoch, far from any edge


def minutes_of(units: list[float], end: int = NOW - 2, iterator_age_ms: float = 0.0,
               throttled_units: float = 0.0) -> list[MinuteMetrics]:
    """Published minutes ending at `end`, each carrying `units` shards' worth of 1 KiB records."""
    start = end - len(units) + 1
    return [
        MinuteMetrics(start + i, u * 60_000 * RECORD_BYTES, u * 60_000, throttled_units * 60_000, iterator_age_ms)
        for i, u in enumerate(units)
    ]


def stream(shards: int, *, status: StreamStatus = StreamStatus.ACTIVE, min_shards: int = 1,
           max_shards: int = 500, mode: StreamMode = StreamMode.PROVISIONED) -> StreamView:
    return StreamView(shards, status, mode, min_shards, max_shards)
