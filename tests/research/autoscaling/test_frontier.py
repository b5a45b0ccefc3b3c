"""The causal frontier's arithmetic on traces small enough to check by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from functions.shard_scaler.policy import DAY_MINUTES
from research import simulate_scaling
from research.autoscaling.frontier import (
    best_headroom,
    capacity_for,
    frontier,
    seasonal_level,
    throttled_fraction,
    trailing_level,
)
from research.autoscaling.trace import Demand


def test_trailing_level_sees_the_window_only_after_the_lag() -> None:
    units = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    level = trailing_level(units, window=2, quantile=1.0, lag=1)
    # minute t sees max(units[t-2], units[t-1]); the start pads with minute 0
    np.testing.assert_allclose(level, [1.0, 1.0, 2.0, 3.0, 4.0, 5.0])


def test_seasonal_level_is_the_highest_minute_near_the_same_time_in_past_periods() -> None:
    units = np.array([1.0, 0.0, 4.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    # period 4, two periods back, one minute either side of the same time
    level = seasonal_level(units, period=4, periods=2, half_window=1)
    # minute t sees max(units[t-5..t-3]) and max(units[t-9..t-7]), nothing before minute 4;
    # minutes 9-11 keep the 4 from two periods back, which one period back has forgotten
    np.testing.assert_allclose(level, [0.0, 0.0, 0.0, 0.0, 1.0, 4.0, 4.0, 4.0, 3.0, 4.0, 4.0, 4.0])


def test_constant_demand_needs_no_headroom() -> None:
    units = np.full(120, 2.5)
    level = trailing_level(units, 60, 0.5, 6)
    headroom = best_headroom(units, level, target=0.0)
    assert headroom == 1.0
    assert capacity_for(level, headroom).sum() / 60 == pytest.approx(3 * 2.0)  # ceil(2.5) shards for two hours


def test_a_spike_the_level_misses_must_be_covered_by_headroom() -> None:
    units = np.array([1.0] * 100 + [5.0] + [1.0] * 100)
    level = trailing_level(units, 60, 0.5, 6)
    headroom = best_headroom(units, level, target=0.0)
    assert headroom is not None and 4.0 < headroom <= 5.01
    assert throttled_fraction(units, np.ceil(headroom * level)) == 0.0
    assert throttled_fraction(units, np.ceil((headroom - 0.05) * level)) > 0.0
    # A budget that allows losing most of the spike needs far less.
    loose = best_headroom(units, level, target=0.02)
    assert loose is not None and loose < headroom


def test_a_spike_at_the_same_hour_every_day_is_cheaper_to_cover_with_seasonal_memory() -> None:
    day = np.ones(DAY_MINUTES)
    day[1000:1010] = 20.0  # ten minutes at 20x, at the same time each day
    units = np.tile(day, 10)
    points = frontier(Demand("daily spike", 0, units, 1024), target=0.01)
    trailing = min(p.shard_hours for p in points if p.season is None)
    seasonal = min(p.shard_hours for p in points if p.season is not None)
    # The trailing level needs ~20x headroom all day; memory of yesterday holds 20 shards an hour a day.
    assert seasonal < trailing / 5
    best = min(points, key=lambda p: p.shard_hours)
    assert best.season == (DAY_MINUTES, 1) and best.headroom == 1.0


def test_frontier_reports_every_candidate_within_the_target() -> None:
    rng = np.random.default_rng(3)
    units = rng.gamma(2.0, 2.0, size=3000)
    points = frontier(Demand("gamma", 0, units, 1024), target=0.001)
    # 4 windows x 3 quantiles, alone and with a day's and seven days' memory (the weeks are longer than the trace)
    assert len(points) == 36
    assert {p.season for p in points} == {None, (DAY_MINUTES, 1), (DAY_MINUTES, 7)}
    assert all(p.throttled_fraction <= 0.001 for p in points)
    # Cost is the provisioned bill of exactly those shard-hours and the records they accept.
    one = points[0]
    assert one.cost_usd > one.shard_hours * 0.015


def test_cli_prints_the_frontier_after_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "t.csv"
    rows = [f"2024-01-01 {h:02d}:{m:02d}:00,{1 + (h * 60 + m) % 7}" for h in range(10) for m in range(0, 60, 5)]
    trace.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    code = simulate_scaling.main(["--trace", str(trace), "--policies", "ours,oracle", "--frontier", "0.001"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Causal frontier at <= 0.10% throttled" in out
    assert "ours' cost includes" in out and "USD for running the scaler itself" in out
    assert out.count("\n| ") >= 2 + 1  # policy rows and at least one frontier row


def test_cli_rejects_a_frontier_target_that_is_not_a_share(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "t.csv"
    trace.write_text("timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,2\n")
    assert simulate_scaling.main(["--trace", str(trace), "--frontier", "5"]) == 2
    assert "--frontier must be a share" in capsys.readouterr().err
