"""The oracle DP is exact: it matches brute force on tiny cases, across a calendar-day boundary."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from functions.shard_scaler.policy import DAY_MINUTES
from research.autoscaling.oracle import solve_oracle


def brute_force(required: list[int], ops_per_day: int, day_break: int) -> int:
    """Cheapest schedule by enumeration: counts >= need, one op per minute in [n/2, 2n], ops per day."""
    top = max(required)
    best = None
    for counts in itertools.product(range(1, top + 1), repeat=len(required)):
        if any(c < r for c, r in zip(counts, required, strict=True)):
            continue
        ops = [0, 0]
        ok = True
        for t in range(1, len(counts)):
            before, after = counts[t - 1], counts[t]
            if before == after:
                continue
            if after > 2 * before or 2 * after < before:
                ok = False
                break
            ops[0 if t < day_break else 1] += 1
        if ok and max(ops) <= ops_per_day:
            cost = sum(counts)
            best = cost if best is None else min(best, cost)
    assert best is not None
    return best


@pytest.mark.parametrize(
    ("required", "ops_per_day", "day_break"),
    [
        ([1, 4, 1, 4, 1, 4], 1, 3),
        ([1, 4, 1, 4, 1, 4], 2, 3),
        ([2, 2, 5, 5, 1, 1], 1, 2),
        ([3, 1, 1, 6, 6, 1], 2, 4),
        ([1, 2, 3, 4, 5, 6], 3, 3),
        ([6, 1, 6, 1, 6, 1], 1, 1),
    ],
)
def test_oracle_matches_brute_force(required: list[int], ops_per_day: int, day_break: int) -> None:
    schedule = solve_oracle(np.array(required), start_offset_minutes=DAY_MINUTES - day_break, ops_per_day=ops_per_day)
    assert schedule.shard_minutes == brute_force(required, ops_per_day, day_break)


def test_oracle_schedule_never_throttles_and_obeys_the_limits() -> None:
    rng = np.random.default_rng(3)
    required = rng.integers(1, 9, size=200)
    schedule = solve_oracle(required, start_offset_minutes=DAY_MINUTES - 100, ops_per_day=3)
    assert (schedule.shards >= required).all()
    assert float(schedule.shards.sum()) == schedule.shard_minutes
    changes = np.nonzero(np.diff(schedule.shards))[0] + 1
    assert sorted(changes.tolist()) == schedule.operation_minutes
    for before, after in zip(schedule.shards[changes - 1], schedule.shards[changes], strict=True):
        assert after <= 2 * before and 2 * after >= before
    assert sum(1 for m in changes if m < 100) <= 3 and sum(1 for m in changes if m >= 100) <= 3
