"""A memory the Lambda stored in DynamoDB loads, whole, with the code of today."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from functions.shard_scaler.policy import (
    MinuteMetrics,
    PolicyMemory,
    ScalingHistory,
    StreamMode,
    StreamStatus,
    StreamView,
    decide,
)

STORED = Path(__file__).parent / "data" / "memory_stored_by_37f98c0.json"
"""The `memory` attribute of a state item as functions/shard_scaler/state.py wrote it at commit 37f98c0:
the policy's memory after the simulator ran it over nyc_taxi's first 17 days (no field at its default)."""


def stored_memory() -> PolicyMemory:
    return PolicyMemory.from_json(STORED.read_bytes())


def test_a_memory_stored_by_37f98c0_loads_every_field_and_is_written_back_alike() -> None:
    memory = stored_memory()
    stored = json.loads(STORED.read_bytes())
    written = json.loads(memory.to_json())
    # Every stored field comes back as it was; a field added since (issue 29's last_active_minute) is
    # written at its default, which is what an older document reads as.
    assert {k: v for k, v in written.items() if k in stored} == stored
    assert {k: v for k, v in written.items() if k not in stored} == {"last_active_minute": -1}
    assert PolicyMemory.from_json(memory.to_json()) == memory  # and what is written back loads alike
    assert (memory.first_minute, memory.last_minute, memory.slot) == (23_402_880, 23_427_357, 1_561_823)
    assert (len(memory.profile), len(memory.weekly_profile), len(memory.daily_peaks)) == (96, 672, 30)


@pytest.mark.parametrize(
    ("shards", "mode", "target_shards", "target_mode", "reason"),
    [
        (4, StreamMode.PROVISIONED, 6, None, "scale out: demand 5.00 x headroom 1.10"),
        (12, StreamMode.PROVISIONED, None, None, "demand is rising past capacity: no scale-in"),
        (
            12,
            StreamMode.ON_DEMAND,
            None,
            StreamMode.PROVISIONED,
            "switch to PROVISIONED: needs 5.5 shards, affordable 282",
        ),
    ],
)
def test_a_memory_stored_by_37f98c0_decides_as_it_did_then(
    shards: int, mode: StreamMode, target_shards: int | None, target_mode: StreamMode | None, reason: str
) -> None:
    # Decisions taken by the code of 37f98c0 from this memory, on 220 minutes of 5 shards' worth whose
    # last 4 were throttled.
    memory = stored_memory()
    now = memory.last_minute + 2
    metrics = [
        MinuteMetrics(m, 5.0 * 60_000 * 1024, 5.0 * 60_000, 30.0 if m > now - 5 else 0.0, 1000.0)
        for m in range(now - 221, now - 1)
    ]
    view = StreamView(shards, StreamStatus.ACTIVE, mode, 1, 500)
    decision = decide(now, metrics, view, ScalingHistory(), memory, allow_mode_switch=True)
    assert (decision.target_shards, decision.target_mode, decision.reason) == (target_shards, target_mode, reason)
    assert (decision.headroom, decision.demand_units) == (1.1, 5.0005)
