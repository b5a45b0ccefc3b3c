"""The call planner: cheapest segmentations of a forecast within the rolling call budget, by hand."""

from __future__ import annotations

import itertools
import math

import pytest

from functions.shard_scaler.call_plan import PLAN_SLOT_MINUTES, forecast_peaks, make_plan

DAY = 24 * 60
START = 100 * DAY  # a plan slot boundary
VALLEY = [1.0, 1.0, 4.0, 4.0, 1.0, 1.0]


def brute_force(forecast: list[float], calls: int, call_cost: float) -> float:
    """Least cost of covering the forecast with a call at slot 0 and at most `calls` calls in all."""
    slots = len(forecast)
    best = math.inf
    for count in range(1, calls + 1):
        for cuts in itertools.combinations(range(1, slots), count - 1):
            bounds = [0, *cuts, slots]
            cost = sum(max(forecast[a:b]) * (b - a) + call_cost for a, b in itertools.pairwise(bounds))
            best = min(best, cost)
    return best


@pytest.mark.parametrize(("budget", "expected"), [(1, 24.0), (2, 18.0), (3, 12.0), (8, 12.0)])
def test_calling_now_costs_the_best_segmentation_the_budget_allows(budget: int, expected: float) -> None:
    plan = make_plan(VALLEY, START, [], budget, call_cost=0.0)

    assert plan.after_call[0][0] == expected == brute_force(VALLEY, budget, 0.0)


def test_plan_agrees_with_brute_force_on_uneven_forecasts() -> None:
    forecasts = [
        [3.0, 1.0, 2.0, 5.0, 1.0, 1.0, 2.0],
        [1.0, 2.0, 3.0, 4.0, 3.0, 2.0, 1.0],
        [5.0, 1.0, 5.0, 1.0, 5.0, 1.0],
    ]
    for forecast, budget, call_cost in itertools.product(forecasts, (1, 2, 3, 4), (0.0, 1.5)):
        plan = make_plan(forecast, START, [], budget, call_cost)
        assert plan.after_call[0][0] == pytest.approx(brute_force(forecast, budget, call_cost))


def test_holding_wins_when_a_call_would_save_nothing_within_the_budget() -> None:
    plan = make_plan(VALLEY, START, [], 2, call_cost=0.0)

    # Holding 4 through the peak, then one call down (4 x 4 + 2 = 18), is as cheap as calling now.
    assert plan.level_now(4.0) is None


def test_calling_now_wins_when_the_budget_covers_the_whole_valley() -> None:
    plan = make_plan(VALLEY, START, [], 3, call_cost=0.0)

    assert plan.level_now(4.0) == 1.0  # down now, up for the peak, down after it: 12 < 18


def test_capacity_below_the_forecast_must_call_now_for_the_first_segment() -> None:
    plan = make_plan(VALLEY, START, [], 3, call_cost=0.0)

    # Holding 0.5 cannot cover slot 0: call now, for the first segment of the best plan (1, 4, 1).
    assert plan.level_now(0.5) == 1.0
    assert plan.level_now(0.0) == 1.0


def test_call_cost_makes_small_savings_not_worth_a_call() -> None:
    forecast = [1.9, 1.9, 2.0, 2.0]

    # Down now and back up at slot 2 saves 0.2 against holding 2.0 (8.0): worth it only if calls are free.
    assert make_plan(forecast, START, [], 3, call_cost=0.0).level_now(2.0) == 1.9
    assert make_plan(forecast, START, [], 3, call_cost=1.0).level_now(2.0) is None


def test_past_calls_use_the_budget_until_they_are_24_hours_old() -> None:
    # One call allowed per rolling 24 h, and one was made so that it ages out at slot 3.
    made = START + 3 * PLAN_SLOT_MINUTES - DAY
    plan = make_plan(VALLEY, START, [made], 1, call_cost=0.0)

    assert [math.isinf(cost) for cost in plan.after_call[0][:6]] == [True, True, True, False, False, False]
    assert plan.level_now(0.5) is None  # below the forecast, but no call is allowed before slot 3
    assert plan.level_now(4.0) is None  # hold 4, then down at slot 4: 4 x 4 + 1 x 2


def test_forecast_peaks_cover_each_plan_slot_and_the_lead_after_it() -> None:
    table = [1.0] * 96
    table[10] = 7.0  # one 15-minute slot of the day

    peaks = forecast_peaks(table, 15, 0, lead_minutes=6)

    assert PLAN_SLOT_MINUTES == 15 and len(peaks) == 96
    # Slot 9 reaches 6 minutes into slot 10: capacity must be there before the rise.
    assert {slot for slot, peak in enumerate(peaks) if peak == 7.0} == {9, 10}
