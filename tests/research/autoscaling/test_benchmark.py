"""The family benchmark: its summary figures, its goals, and the CLI on a subsample (2 seeds x 1 day)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from research import simulate_scaling
from research.autoscaling import benchmark
from research.autoscaling.benchmark import POLICIES, Run, VariantResult


def variant(seed: int, ours_cost: float, ours_throttled: float, **costs: float) -> VariantResult:
    runs = {p: Run(costs.get(p, 100.0), 0.0, 0.0, 0.0) for p in POLICIES}
    runs["oracle"] = Run(50.0, 0.0, 0.0, 0.0)
    runs["ours"] = Run(ours_cost, ours_throttled, 0.0, 0.0)
    return VariantResult("fam", seed, runs)


def test_the_summary_is_the_median_and_p90_of_the_per_variant_figures() -> None:
    results = [variant(seed, ours_cost=10.0 * (seed + 1), ours_throttled=0.0) for seed in range(10)]
    summary = benchmark.summarise("fam", results)
    # ours' costs 10..100 over the oracle's 50: 0.2..2.0; median 1.1, p90 (linear) 1.82.
    assert summary.cost_over_oracle["ours"].median == pytest.approx(1.1)
    assert summary.cost_over_oracle["ours"].p90 == pytest.approx(1.82)
    assert summary.ours_cost_over["ksu"].p90 == pytest.approx(0.91)
    assert summary.ours_cost_over_cheaper_simple.median == pytest.approx(0.55)


def test_goals_need_ours_to_dominate_each_anchor_on_the_p90() -> None:
    cheaper = [variant(s, ours_cost=90.0, ours_throttled=0.0) for s in range(5)]
    goals = benchmark.check_family_goals(benchmark.summarise("fam", cheaper))
    assert goals.met and goals.anchors == {"ksu": True, "aws_samples": True}
    # as cheap as ksu and throttling no less is no win; throttling more than the service level fails too
    level = [variant(s, ours_cost=100.0, ours_throttled=0.002) for s in range(5)]
    goals = benchmark.check_family_goals(benchmark.summarise("fam", level))
    assert not goals.service_level and goals.anchors == {"ksu": False, "aws_samples": False}
    # dearer than the cheaper of static peak and on-demand
    dear = [variant(s, ours_cost=90.0, ours_throttled=0.0, static_peak=80.0) for s in range(5)]
    assert not benchmark.check_family_goals(benchmark.summarise("fam", dear)).cost


def test_the_cli_runs_every_policy_on_each_variant_and_prints_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--family", "periodic_bursts,device_fleet", "--seeds", "2", "--days", "1", "--json"]
    assert simulate_scaling.main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"periodic_bursts", "device_fleet"}
    family = out["periodic_bursts"]
    assert [v["seed"] for v in family["variants"]] == [0, 1]
    assert set(family["variants"][0]["runs"]) == set(POLICIES)
    assert set(family["summary"]["ours_cost_over"]) == set(POLICIES) - {"ours"}
    assert set(family["goals"]) >= {"service_level", "cost", "anchors", "met"}
    assert family["summary"]["cost_over_oracle"]["oracle"] == {"median": 1.0, "p90": 1.0}


def test_the_cli_prints_a_table_per_family_and_the_goals(capsys: pytest.CaptureFixture[str]) -> None:
    assert simulate_scaling.main(["--family", "noise", "--seeds", "2", "--days", "1", "--seed-offset", "1000"]) == 0
    out = capsys.readouterr().out
    assert "#### noise (2 variants)" in out
    for policy in POLICIES:
        assert f"| {policy} |" in out
    assert "| noise |" in out  # the goals table's row


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--family", "bursty"], "unknown --family 'bursty'"),
        (["--family", "noise", "--seeds", "0"], "--seeds and --jobs must be >= 1"),
    ],
)
def test_bad_family_flags_are_errors_naming_them(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert simulate_scaling.main(argv) == 2
    assert message in capsys.readouterr().err


def test_trace_and_family_exclude_each_other() -> None:
    with pytest.raises(SystemExit):
        simulate_scaling.parse_args(["--family", "noise", "--trace", "x.csv"])


def test_a_saved_run_prints_the_same_tables_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--family", "step_change", "--seeds", "2", "--days", "1"]
    assert simulate_scaling.main([*argv, "--json"]) == 0
    saved = tmp_path / "run.json"
    saved.write_text(capsys.readouterr().out)
    assert simulate_scaling.main(argv) == 0
    tables = capsys.readouterr().out
    assert simulate_scaling.main(["--family-results", str(saved), "--plot-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == tables
    assert (tmp_path / "autoscaling-family-step_change.png").stat().st_size > 0
    # the frontier at the service level, against the anchors' cost, for the first variant
    assert simulate_scaling.main(["--family-results", str(saved), "--frontier-seeds", "1"]) == 0
    frontier_row = capsys.readouterr().out.splitlines()[-1]
    assert frontier_row.startswith("| step_change | 1 | ")
