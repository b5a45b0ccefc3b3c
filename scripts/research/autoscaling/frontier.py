"""An optimistic bound for causal policies: follow a trailing demand level x a fixed headroom, every minute.

Each candidate keeps capacity at ceil(H x level) where level is a quantile of the demand over a trailing
window, seen `lag_minutes` late (metric delay plus resharding), or the higher of that and the demand at
the same time of day (or week) on the previous days (weeks), for streams whose peaks come back at the
same hour. It may change capacity every minute by
any amount (no 2x/half rule, no 10-calls-per-day budget), and H is chosen in hindsight as the smallest
that keeps throttling within the target on this very trace. A real causal policy has none of those
advantages, so if no candidate reaches a shard-hours figure at a throttling target, `ours` cannot
reasonably be asked to either. It is not a proof over all causal policies; it bounds the family every
published scaler (and ours) belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from functions import pricing
from functions.shard_scaler.policy import DAY_MINUTES, WEEK_MINUTES
from research.autoscaling.trace import Demand

WINDOWS_MINUTES = (60, 180, 720, 1440)
QUANTILES = (0.5, 0.9, 1.0)
SEASONS = ((DAY_MINUTES, 1), (DAY_MINUTES, 7), (WEEK_MINUTES, 2))
"""(period, how many past periods): the seasonal candidates' memory, besides none at all."""
SEASON_HALF_WINDOW_MINUTES = 30
MAX_HEADROOM = 64.0
CHUNK_VALUES = 4_000_000


@dataclass(frozen=True)
class FrontierPoint:
    window_minutes: int
    quantile: float
    season: tuple[int, int] | None
    """(period minutes, periods) of the seasonal memory maxed in, or None for the trailing level alone."""
    headroom: float
    shard_hours: float
    throttled_fraction: float
    cost_usd: float
    """Provisioned bill at this capacity: shard-hours plus PUT units of the accepted records."""


def trailing_level(units: npt.NDArray[np.float64], window: int, quantile: float, lag: int) -> npt.NDArray[np.float64]:
    """Quantile of the `window` minutes ending `lag` minutes before each minute (the start pads with minute 0)."""
    padded = np.concatenate([np.full(window - 1 + lag, units[0]), units])
    windows = sliding_window_view(padded, window)[: units.size]
    # In chunks: np.quantile copies its input, and 300k minutes x a day's window would be gigabytes.
    rows = max(1, CHUNK_VALUES // window)
    return np.concatenate(
        [np.quantile(windows[start : start + rows], quantile, axis=1) for start in range(0, units.size, rows)]
    )


def seasonal_level(
    units: npt.NDArray[np.float64], period: int, periods: int, half_window: int = SEASON_HALF_WINDOW_MINUTES
) -> npt.NDArray[np.float64]:
    """Highest demand within `half_window` minutes of the same time in each of the last `periods` periods.

    0 where no period has passed yet. The window's far edge is `half_window` minutes past the same time a
    period ago, which a policy has seen long before (a period is at least a day).
    """
    padded = np.concatenate([np.zeros(half_window), units, np.zeros(half_window)])
    around = sliding_window_view(padded, 2 * half_window + 1).max(axis=1)
    level = np.zeros_like(units)
    for back in range(1, periods + 1):
        shift = period * back
        if shift < units.size:
            level[shift:] = np.maximum(level[shift:], around[:-shift])
    return level


def throttled_fraction(units: npt.NDArray[np.float64], capacity: npt.NDArray[np.float64]) -> float:
    total = float(units.sum())
    return float(np.maximum(units - capacity, 0.0).sum()) / total if total else 0.0


def capacity_for(level: npt.NDArray[np.float64], headroom: float, min_shards: int = 1) -> npt.NDArray[np.float64]:
    """Whole shards covering `headroom` x `level` (a tiny epsilon absorbs float noise), at least `min_shards`."""
    return np.maximum(float(min_shards), np.ceil(headroom * level - 1e-9))


def best_headroom(
    units: npt.NDArray[np.float64], level: npt.NDArray[np.float64], target: float, min_shards: int = 1
) -> float | None:
    """Smallest headroom (to 0.01) whose capacity throttles at most `target`; None if even MAX_HEADROOM fails."""
    low, high = 1.0, MAX_HEADROOM
    if throttled_fraction(units, capacity_for(level, high, min_shards)) > target:
        return None
    if throttled_fraction(units, capacity_for(level, low, min_shards)) <= target:
        return low
    while high - low > 0.01:
        middle = (low + high) / 2.0
        if throttled_fraction(units, capacity_for(level, middle, min_shards)) <= target:
            high = middle
        else:
            low = middle
    return high


def frontier(demand: Demand, target: float, lag_minutes: int = 6) -> list[FrontierPoint]:
    """The best headroom, its shard-hours and provisioned cost for every (window, quantile, season) candidate.

    Seasons longer than the trace are left out: their memory would be empty, the trailing level alone.
    """
    units = demand.units
    seasons: list[tuple[int, int] | None] = [None]
    seasons += [season for season in SEASONS if season[0] < units.size]
    seasonal = {season: seasonal_level(units, *season) for season in seasons if season is not None}
    points = []
    for window in WINDOWS_MINUTES:
        for quantile in QUANTILES:
            trailing = trailing_level(units, window, quantile, lag_minutes)
            for season in seasons:
                level = trailing if season is None else np.maximum(trailing, seasonal[season])
                headroom = best_headroom(units, level, target)
                if headroom is None:
                    continue
                capacity = capacity_for(level, headroom)
                shard_hours = float(capacity.sum()) / 60.0
                records = float(np.minimum(units, capacity).sum()) * demand.records_per_unit_minute
                cost = pricing.provisioned_cost_usd(shard_hours, records, demand.record_bytes)
                points.append(
                    FrontierPoint(
                        window,
                        quantile,
                        season,
                        round(headroom, 2),
                        shard_hours,
                        throttled_fraction(units, capacity),
                        cost,
                    )
                )
    return points


def season_label(season: tuple[int, int] | None) -> str:
    if season is None:
        return "-"
    period, periods = season
    unit = "week" if period == WEEK_MINUTES else "day"
    return f"the last {periods} {unit}s" if periods > 1 else f"the previous {unit}"


def to_table(
    points: list[FrontierPoint], oracle_shard_hours: float | None, on_demand_cost_usd: float | None, target: float
) -> str:
    lines = [
        f"Causal frontier at <= {target:.2%} throttled (level x headroom, resized every minute, no call limits)",
        f"(same time on: also the highest minute within {SEASON_HALF_WINDOW_MINUTES} min of this time of day or week,"
        " on the days or weeks named)",
        "",
        "| window min | quantile | same time on | headroom | shard-hours | x oracle | throttled | cost USD "
        "| x on-demand |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for p in sorted(points, key=lambda p: p.shard_hours):
        ratio = f"{p.shard_hours / oracle_shard_hours:.2f}" if oracle_shard_hours else "-"
        cost_ratio = f"{p.cost_usd / on_demand_cost_usd:.2f}" if on_demand_cost_usd else "-"
        lines.append(
            f"| {p.window_minutes} | {p.quantile:g} | {season_label(p.season)} | {p.headroom:.2f} "
            f"| {p.shard_hours:,.0f} | {ratio} | {p.throttled_fraction:.4%} | {p.cost_usd:,.2f} | {cost_ratio} |"
        )
    return "\n".join(lines)
