"""The oracle: the fewest shard-hours any schedule can reach that never throttles, knowing the future.

Rules it obeys: each operation moves n to any count in [ceil(n/2), 2n]; at most one operation per
minute, taking effect at once; at most `ops_per_day` operations per calendar day (UTC). The rolling
24-hour window and resharding time are relaxed away, so no policy that never throttles can beat it.

Dynamic programming over (operations used today, shard count), one minute at a time, vectorised over
both axes with numpy. The state resets at each midnight to "0 operations used", so the forward pass keeps
one cost vector per day and the schedule is rebuilt day by day backwards, re-running a single day with
back-pointers (memory stays O(day x ops x shards)).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from functions.shard_scaler.policy import DAY_MINUTES, RESHARD_CALLS_PER_24H


@dataclass(frozen=True)
class OracleSchedule:
    shards: npt.NDArray[np.int64]
    """Shard count in each minute."""
    operation_minutes: list[int]
    shard_minutes: float


def _transition_penalty(max_shards: int) -> npt.NDArray[np.float64]:
    """penalty[to, from] is 0 when one operation can go from `from` to `to` shards, inf otherwise (1-based)."""
    counts = np.arange(1, max_shards + 1)
    to, frm = np.meshgrid(counts, counts, indexing="ij")
    allowed = (to <= 2 * frm) & (2 * to >= frm) & (to != frm)
    return np.where(allowed, 0.0, np.inf)


def _day_pass(
    cost: npt.NDArray[np.float64],
    required: npt.NDArray[np.int64],
    penalty: npt.NDArray[np.float64],
    ops_per_day: int,
    keep_pointers: bool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int16] | None]:
    """Run one day from `cost` (per shard count, 0 ops used); return cost per (ops used, count) at day end."""
    max_shards = cost.size
    counts = np.arange(1, max_shards + 1)
    state = np.full((ops_per_day + 1, max_shards), np.inf)
    state[0] = cost
    pointers = np.zeros((required.size, ops_per_day + 1, max_shards), dtype=np.int16) if keep_pointers else None
    for minute, need in enumerate(required):
        # Arrive at count `to` with one more op: the cheapest allowed `from` among states with k-1 ops.
        via = state[:-1, None, :] + penalty[None, :, :]
        best_from = via.argmin(axis=2)
        moved = np.take_along_axis(via, best_from[:, :, None], axis=2)[:, :, 0]
        take = moved < state[1:]
        state[1:] = np.where(take, moved, state[1:])
        if pointers is not None:
            pointers[minute, 1:] = np.where(take, best_from + 1, 0)
        state += counts
        state[:, counts < need] = np.inf
    return state, pointers


def solve_oracle(
    required: npt.NDArray[np.int64],
    start_offset_minutes: int = 0,
    ops_per_day: int = RESHARD_CALLS_PER_24H,
    min_shards: int = 1,
) -> OracleSchedule:
    """Cheapest never-throttling schedule for per-minute shard needs `required`.

    `start_offset_minutes` is the minute of the day (UTC) the trace starts at, so days break at midnight.
    """
    need = np.maximum(np.asarray(required, dtype=np.int64), min_shards)
    max_shards = int(need.max())
    penalty = _transition_penalty(max_shards)
    first_day = DAY_MINUTES - start_offset_minutes % DAY_MINUTES
    bounds = [0, *range(first_day, need.size, DAY_MINUTES), need.size]
    days = list(itertools.pairwise(bounds))
    start = np.zeros(max_shards)  # any starting count is free: the stream exists before the trace
    day_starts = []
    for lo, hi in days:
        day_starts.append(start)
        end, _ = _day_pass(start, need[lo:hi], penalty, ops_per_day, keep_pointers=False)
        start = end.min(axis=0)
    total = float(start.min())
    shards = np.zeros(need.size, dtype=np.int64)
    operations: list[int] = []
    count = int(start.argmin()) + 1
    for (lo, hi), day_start in zip(reversed(days), reversed(day_starts), strict=True):
        end, pointers = _day_pass(day_start, need[lo:hi], penalty, ops_per_day, keep_pointers=True)
        assert pointers is not None
        ops = int(end[:, count - 1].argmin())
        for minute in range(hi - lo - 1, -1, -1):
            shards[lo + minute] = count
            source = int(pointers[minute, ops, count - 1]) if ops > 0 else 0
            if source:
                operations.append(lo + minute)
                count, ops = source, ops - 1
    operations.reverse()
    return OracleSchedule(shards, operations, total)
