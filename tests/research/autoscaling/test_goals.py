"""Issue 5's goal checks on hand-made results: each goal can fail on its own."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from research import simulate_scaling
from research.autoscaling.compare import PolicyResult
from research.autoscaling.goals import check_goals, to_goals_table


def result(cost: float, throttled: float, ops: int = 4, shard_hours: float = 100.0) -> PolicyResult:
    return PolicyResult(shard_hours=shard_hours, cost_usd=cost, throttled_fraction=throttled, max_ops_24h=ops)


BASE = {
    "ours": result(40.0, 0.0002, shard_hours=120.0),
    "on_demand": result(100.0, 0.0, shard_hours=0.0),
    "ksu": result(50.0, 0.003),
    "aws_samples": result(60.0, 0.0003),  # meets the service level, and costs more than ours
    "oracle": result(30.0, 0.0, shard_hours=100.0),
}


def test_a_result_that_meets_every_goal() -> None:
    report = check_goals("t", BASE)
    assert report.met
    assert report.shard_hours_vs_oracle == pytest.approx(1.2)
    assert report.cost_vs_on_demand == pytest.approx(0.4)


def test_each_goal_fails_on_its_own() -> None:
    over_level = check_goals("t", {**BASE, "ours": result(40.0, 0.002)})
    assert not over_level.meets_service_level
    # Where on-demand's own rule throttles more than 0.1%, matching it is enough.
    spiky = check_goals("t", {**BASE, "ours": result(40.0, 0.02), "on_demand": result(100.0, 0.03)})
    assert spiky.meets_service_level
    assert not check_goals("t", {**BASE, "ours": result(101.0, 0.0)}).costs_at_most_on_demand
    assert not check_goals("t", {**BASE, "ours": result(70.0, 0.0)}).cheaper_than_anchors_meeting_service_level
    assert not check_goals("t", {**BASE, "ours": result(40.0, 0.0, ops=11)}).within_call_limit
    assert not check_goals("t", {**BASE, "ours": result(40.0, 0.0004)}).throttles_less_than_anchors
    assert check_goals("t", {**BASE, "ours": result(40.0, 0.00005)}).met


def test_cheaper_than_anchors_is_vacuous_when_none_meets_the_service_level() -> None:
    missing = {**BASE, "aws_samples": result(10.0, 0.02), "ksu": result(10.0, 0.03)}
    assert check_goals("t", {**missing, "ours": result(40.0, 0.0005)}).cheaper_than_anchors_meeting_service_level


def test_shard_hours_against_the_oracle_are_not_read_after_time_on_demand() -> None:
    switched = replace(BASE["ours"], on_demand_hours=5.0)
    assert check_goals("t", {**BASE, "ours": switched}).shard_hours_vs_oracle is None


def test_missing_policies_are_named() -> None:
    with pytest.raises(ValueError, match="missing ksu"):
        check_goals("t", {k: v for k, v in BASE.items() if k != "ksu"})


def test_table_marks_misses() -> None:
    table = to_goals_table([check_goals("spiky", {**BASE, "ours": result(101.0, 0.002)})])
    assert table.splitlines()[2].startswith("| spiky | 0.2000% | 0.0000% | 1.010× | 1.00× | **no** | **no** |")


def test_cli_prints_the_goals_and_refuses_them_without_the_anchors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.csv"
    rows = [f"2024-01-01 {h:02d}:{m:02d}:00,{1 + (h * 60 + m) % 7}" for h in range(6) for m in range(0, 60, 5)]
    path.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    assert simulate_scaling.main(["--trace", str(path), "--goals", "--policies", "ours,on_demand"]) == 2
    assert "--goals needs --policies to include" in capsys.readouterr().err
    assert simulate_scaling.main(["--trace", str(path), "--goals", "--policies", "ours,on_demand,ksu,aws_samples"]) == 0
    out = capsys.readouterr().out
    assert "| t | " in out and "beats ksu and aws_samples" in out
