"""Plan the day's UpdateShardCount calls over the forecast instead of spending them greedily.

The forecast is the learned profile (demand per time-of-day slot) for the next 24 hours. A plan cuts
those hours into segments, each held at its highest forecast, with one call at the start of each
segment; it may use only the calls the rolling 24-hour window will allow (calls in the history age
out as the plan goes on). The cheapest plan is a small dynamic programme, like the simulator's
oracle but over the forecast. Its cost does not depend on the demand's scale, only on the profile's
shape, so the part after the first call is computed once per plan slot and the current shard count
only decides, each minute, whether calling now beats holding on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from operator import add
from typing import Final

PLAN_SLOT_MINUTES: Final = 15
DAY_MINUTES: Final = 24 * 60
"""The plan's horizon, and the rolling window UpdateShardCount's call limit counts over."""


def _slot_start(minute: int) -> int:
    return minute - minute % PLAN_SLOT_MINUTES


@dataclass(frozen=True, slots=True)
class CallPlan:
    """The cheapest segmentation of the next 24 h from each plan slot, given calls already made.

    `forecast[i]` is the profile's peak over plan slot i (and the lead after it), in profile units;
    `after_call[j][k]` is the least cost (profile units x slots) of slots k.. when a call starts a
    segment at k and j plan calls came before it; `segment_end[j][k]` is where that segment ends.
    """

    forecast: tuple[float, ...]
    after_call: tuple[tuple[float, ...], ...]
    segment_end: tuple[tuple[int, ...], ...]

    def level_now(self, current_units: float) -> float | None:
        """The level (profile units) to call for now, or None when holding `current_units` until the
        plan's next call is cheaper (or calling cannot help)."""
        slots = len(self.forecast)
        best_hold = math.inf
        peak = 0.0
        for first_call in range(1, slots + 1):
            peak = max(peak, self.forecast[first_call - 1])
            if peak > current_units:
                break
            # after_call rows end in a 0.0 for "past the horizon".
            best_hold = min(best_hold, current_units * first_call + self.after_call[0][first_call])
        call_now = self.after_call[0][0]
        if call_now < best_hold:
            end = self.segment_end[0][0]
            return max(self.forecast[:end])
        return None


def forecast_peaks(
    table: Sequence[float], table_slot_minutes: int, start_minute: int, lead_minutes: int
) -> tuple[float, ...]:
    """Peak of the seasonal table over each plan slot of the next 24 h, from the start of the plan slot
    holding `start_minute`, each extended by `lead_minutes` (capacity must be there before a rise)."""
    first = _slot_start(start_minute)
    size = len(table)
    peaks = []
    for slot in range(DAY_MINUTES // PLAN_SLOT_MINUTES):
        begin = first + slot * PLAN_SLOT_MINUTES
        end = begin + PLAN_SLOT_MINUTES + lead_minutes
        peaks.append(
            max(table[(minute // table_slot_minutes) % size] for minute in range(begin, end, table_slot_minutes))
        )
    return tuple(peaks)


def make_plan(
    forecast: Sequence[float], start_minute: int, call_minutes: Sequence[int], budget: int, call_cost: float
) -> CallPlan:
    """The cheapest plans from each slot, with at most `budget` calls in any rolling 24 h counting
    `call_minutes` (past calls; each frees its place 24 h after it was made). Each call also costs
    `call_cost` (profile units x slots), so a call that saves little is not worth one of the day's ten."""
    slots = len(forecast)
    first = _slot_start(start_minute)
    # Calls the window allows at the start of each slot, before any plan call.
    free = [
        budget - sum(1 for minute in call_minutes if first + slot * PLAN_SLOT_MINUTES - minute < DAY_MINUTES)
        for slot in range(slots)
    ]
    most = max(0, max(free))
    # Holding a segment that starts at `start` for `length` slots costs its peak x length, whatever the
    # calls made before it: computed once for every row below.
    held = [
        [peak * length for length, peak in enumerate(accumulate(forecast[start:], max), start=1)]
        for start in range(slots)
    ]
    after: list[list[float]] = []
    ends: list[list[int]] = []
    # Row `made`, built from the last: `made` calls before a call at `start`; index `slots` is the end.
    following = [math.inf] * slots + [0.0]
    for made in range(most, -1, -1):
        row, row_ends = [math.inf] * slots + [0.0], [slots] * (slots + 1)
        for start in range(slots):
            if made + 1 > free[start]:
                continue
            # Segment [start, end): held at its peak, then the best plan from `end` (0 past the horizon).
            costs = list(map(add, held[start], following[start + 1 :]))
            best = min(costs)
            row[start], row_ends[start] = best + call_cost, start + 1 + costs.index(best)
        after.append(row)
        ends.append(row_ends)
        following = row
    after.reverse()
    ends.reverse()
    return CallPlan(
        forecast=tuple(forecast),
        after_call=tuple(tuple(row) for row in after),
        segment_end=tuple(tuple(row) for row in ends),
    )
