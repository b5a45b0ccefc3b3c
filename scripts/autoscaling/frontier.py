"""An optimistic bound for causal policies: follow a trailing demand level x a fixed headroom, every minute.

Each candidate keeps capacity at ceil(H x level) where level is a quantile of the demand over a trailing
window, seen `lag_minutes` late (metric delay plus resharding). It may change capacity every minute by
any amount (no 2x/half rule, no 10-calls-per-day budget), and H is chosen in hindsight as the smallest
that keeps throttling within the target on this very trace. A real causal policy has none of those
advantages, so if no candidate reaches a shard-hours figure at a throttling target, `ours` cannot
reasonably be asked to either. It is not a proof over all causal policies; it bounds the family every
published scaler (and ours) belongs to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

WINDOWS_MINUTES = (60, 180, 720, 1440)
QUANTILES = (0.5, 0.9, 1.0)
MAX_HEADROOM = 64.0
CHUNK_VALUES = 4_000_000


@dataclass(frozen=True)
class FrontierPoint:
    window_minutes: int
    quantile: float
    headroom: float
    shard_hours: float
    throttled_fraction: float


def trailing_level(units: npt.NDArray[np.float64], window: int, quantile: float, lag: int) -> npt.NDArray[np.float64]:
    """Quantile of the `window` minutes ending `lag` minutes before each minute (the start pads with minute 0)."""
    padded = np.concatenate([np.full(window - 1 + lag, units[0]), units])
    windows = sliding_window_view(padded, window)[: units.size]
    # In chunks: np.quantile copies its input, and 300k minutes x a day's window would be gigabytes.
    rows = max(1, CHUNK_VALUES // window)
    return np.concatenate(
        [np.quantile(windows[start : start + rows], quantile, axis=1) for start in range(0, units.size, rows)]
    )


def throttled_fraction(units: npt.NDArray[np.float64], capacity: npt.NDArray[np.float64]) -> float:
    total = float(units.sum())
    return float(np.maximum(units - capacity, 0.0).sum()) / total if total else 0.0


def best_headroom(
    units: npt.NDArray[np.float64], level: npt.NDArray[np.float64], target: float, min_shards: int = 1
) -> FrontierPoint | None:
    """Smallest headroom (to 0.01) whose capacity throttles at most `target`; None if even MAX_HEADROOM fails."""

    def capacity(headroom: float) -> npt.NDArray[np.float64]:
        return np.maximum(float(min_shards), np.ceil(headroom * level - 1e-9))

    low, high = 1.0, MAX_HEADROOM
    if throttled_fraction(units, capacity(high)) > target:
        return None
    if throttled_fraction(units, capacity(low)) <= target:
        high = low
    while high - low > 0.01:
        middle = (low + high) / 2.0
        if throttled_fraction(units, capacity(middle)) <= target:
            high = middle
        else:
            low = middle
    chosen = capacity(high)
    return FrontierPoint(0, 0.0, round(high, 2), float(chosen.sum()) / 60.0, throttled_fraction(units, chosen))


def frontier(units: npt.NDArray[np.float64], target: float, lag_minutes: int = 6) -> list[FrontierPoint]:
    """The best headroom and its shard-hours for every (window, quantile) candidate."""
    points = []
    for window in WINDOWS_MINUTES:
        for quantile in QUANTILES:
            level = trailing_level(units, window, quantile, lag_minutes)
            point = best_headroom(units, level, target)
            if point is not None:
                points.append(
                    FrontierPoint(window, quantile, point.headroom, point.shard_hours, point.throttled_fraction)
                )
    return points


def to_table(points: list[FrontierPoint], oracle_shard_hours: float | None, target: float) -> str:
    lines = [
        f"Causal frontier at <= {target:.2%} throttled (level x headroom, resized every minute, no call limits)",
        "",
        "| window min | quantile | headroom | shard-hours | x oracle | throttled |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for p in sorted(points, key=lambda p: p.shard_hours):
        ratio = f"{p.shard_hours / oracle_shard_hours:.2f}" if oracle_shard_hours else "-"
        lines.append(
            f"| {p.window_minutes} | {p.quantile:g} | {p.headroom:.2f} | {p.shard_hours:,.0f} | {ratio} "
            f"| {p.throttled_fraction:.4%} |"
        )
    return "\n".join(lines)


def hours_at(points: list[FrontierPoint]) -> float:
    """The best (smallest) shard-hours on the frontier."""
    return min((p.shard_hours for p in points), default=math.inf)
