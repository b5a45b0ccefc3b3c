"""Simulator accounting on small hand-computed traces, the trace reader, and the CLI contract."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from functions import pricing
from functions.shard_scaler.policy import MinuteMetrics, ScalingHistory, StreamMode, StreamStatus, StreamView
from research import simulate_scaling
from research.autoscaling.compare import account, max_operations_in_window, on_demand_outcome, run_policy
from research.autoscaling.controllers import OursController
from research.autoscaling.engine import SimulationConfig, simulate
from research.autoscaling.report import percent
from research.autoscaling.trace import Demand, TraceError, from_share, load_trace, to_demand
from streamctl.cost import scaler_cost

EXACT = SimulationConfig(metric_delay_min=1, metric_delay_max=1, reshard_minutes=3)


@dataclass
class Scripted:
    """Asks for the shard counts in `plan` (minute index -> target) and nothing else."""

    plan: dict[int, int] = field(default_factory=dict)
    start: int = 0
    name: str = "scripted"
    window_minutes: int = 1
    seen: list[int] = field(default_factory=list)

    def decide(
        self, now: int, visible: Sequence[MinuteMetrics], stream: StreamView, history: ScalingHistory
    ) -> tuple[int | None, StreamMode | None]:
        self.seen.append(len(visible))
        return self.plan.get(now - self.start), None


def demand_of(units: list[float]) -> Demand:
    return Demand("hand", 0, np.asarray(units, dtype=np.float64), 1024)


def test_fixed_capacity_bills_shard_hours_and_accepted_put_units() -> None:
    demand = demand_of([2.5] * 120)
    result = account(simulate(Scripted(), demand, EXACT, initial_shards=3), demand)
    records = 2.5 * 60_000 * 120
    assert result.shard_hours == 6.0
    assert result.throttled_fraction == 0.0
    assert result.cost_usd == round(6.0 * 0.015 + records / 1e6 * 0.014, 2)


def test_demand_above_capacity_is_throttled() -> None:
    demand = demand_of([2.0] * 60 + [4.0] * 60)
    result = account(simulate(Scripted(), demand, EXACT, initial_shards=2), demand)
    assert result.throttled_fraction == pytest.approx(120 / 360)


def test_new_shards_serve_only_after_resharding_but_are_billed_at_once() -> None:
    demand = demand_of([3.0] * 10)
    outcome = simulate(Scripted({0: 4}), demand, EXACT, initial_shards=2)
    result = account(outcome, demand)
    assert outcome.capacity_units.tolist() == [2.0] * 3 + [4.0] * 7
    assert float(outcome.billed_shards.sum()) == 40.0
    assert result.throttled_fraction == pytest.approx(3 / 30)


def test_update_shard_count_limits_are_enforced_by_the_simulator() -> None:
    demand = demand_of([1.0] * 60)
    plan = {t: 1 + (t // 2) % 2 for t in range(60)}  # flip 1 <-> 2 as often as the stream allows
    fast = SimulationConfig(metric_delay_min=1, metric_delay_max=1, reshard_minutes=1)
    outcome = simulate(Scripted(plan), demand, fast, initial_shards=1)
    assert len(outcome.reshard_minutes) == 10
    assert outcome.rejected_calls > 0
    too_far = simulate(Scripted({0: 5}), demand, fast, initial_shards=2)
    assert too_far.reshard_minutes == [] and too_far.rejected_calls == 1


def test_metrics_reach_the_policy_only_after_the_delay() -> None:
    controller = Scripted(window_minutes=100)
    simulate(controller, demand_of([1.0] * 6), SimulationConfig(metric_delay_min=2, metric_delay_max=2))
    assert controller.seen == [0, 0, 0, 1, 2, 3]


def test_on_demand_throttles_growth_beyond_twice_the_peak_for_fifteen_minutes() -> None:
    demand = demand_of([3.0] * 30 + [10.0] * 30)
    outcome = on_demand_outcome(demand, SimulationConfig())
    result = account(outcome, demand)
    assert result.throttled_fraction == pytest.approx(60 / 390)
    hours = 1.0
    gib = (3 * 30 + 10 * 30 - 60) * 60_000 * 1024 / pricing.GIB
    assert result.cost_usd == round(hours * 0.04 + gib * 0.08, 2)


def test_rolling_window_counts_operations_in_any_24_hours() -> None:
    assert max_operations_in_window([0, 10, 1439, 1440, 1450]) == 3
    assert max_operations_in_window([]) == 0


def write_trace(path: Path, values: list[float], step_minutes: int = 5) -> Path:
    rows = ["timestamp,value"]
    for i, value in enumerate(values):
        minutes = i * step_minutes
        rows.append(
            f"2024-01-01 {minutes // 60 % 24:02d}:{minutes % 60:02d}:00,{value}".replace(
                "2024-01-01", f"2024-01-{1 + minutes // 1440:02d}"
            )
        )
    path.write_text("\n".join(rows) + "\n")
    return path


def test_trace_is_interpolated_per_minute_and_scaled_to_the_peak(tmp_path: Path) -> None:
    demand = to_demand(load_trace(write_trace(tmp_path / "t.csv", [0.0, 30.0], step_minutes=30)), 50, 1024)
    assert demand.units.size == 31
    assert demand.units[-1] == pytest.approx(50e6 / 1024 / 1000)
    assert demand.units[15] == pytest.approx(demand.units[-1] / 2)


def test_from_share_replays_the_rest_of_the_trace_rescaled_to_its_own_peak(tmp_path: Path) -> None:
    trace = load_trace(write_trace(tmp_path / "t.csv", [5.0, 40.0, 10.0, 20.0], step_minutes=30))
    rest = from_share(trace, 0.5)  # the last two points
    assert rest.start_minute == trace.start_minute + 60
    assert rest.offsets.tolist() == [0, 30]
    demand = to_demand(rest, 50, 1024)
    assert demand.units.size == 31
    assert demand.units[0] == pytest.approx(demand.units[-1] / 2)  # 10 of a peak of 20, not of 40
    assert from_share(trace, 0.0) is trace


@pytest.mark.parametrize(
    ("share", "message"), [(1.0, r"in \[0, 1\), got 1.0"), (-0.1, "got -0.1"), (0.9, "fewer than two")]
)
def test_from_share_out_of_range_is_an_error_naming_the_flag(tmp_path: Path, share: float, message: str) -> None:
    trace = load_trace(write_trace(tmp_path / "t.csv", [5.0, 40.0, 10.0, 20.0], step_minutes=30))
    with pytest.raises(TraceError, match=rf"--from-share.*{message}"):
        from_share(trace, share)


def test_bad_header_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("time,count\n2024-01-01 00:00:00,1\n")
    with pytest.raises(TraceError, match=r"bad.csv:1: expected header"):
        load_trace(path)


def write_rows(path: Path, *rows: str) -> Path:
    """A trace file of `rows` ("timestamp,value") under the usual header, irregular as they come."""
    path.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    return path


def test_points_off_the_step_are_kept_where_they_fall_and_reported_with_their_line(tmp_path: Path) -> None:
    minutes_and_values = [("00", 1), ("05", 1), ("10", 1), ("13", 4), ("15", 1), ("20", 1)]
    path = write_rows(tmp_path / "irregular.csv", *(f"2024-01-01 00:{m}:00,{v}" for m, v in minutes_and_values))
    trace = load_trace(path)
    assert trace.step_minutes == 5
    assert trace.offsets.tolist() == [0, 5, 10, 13, 15, 20]
    assert trace.notes == (f"{path}:5: 1 point off the regular 5-minute step, kept as stamped",)
    assert to_demand(trace, 50, 1024).units.argmax() == 13


def test_rows_sharing_a_timestamp_are_averaged_as_a_clock_change_leaves_them(tmp_path: Path) -> None:
    # NAB's ec2 exports stamp the hour clocks skip with one repeated time, then carry on off the step.
    times_and_values = [
        ("01:51", 1),
        ("01:56", 1),
        ("03:00", 2),
        ("03:00", 4),
        ("03:00", 6),
        ("03:01", 1),
        ("03:06", 1),
    ]
    path = write_rows(tmp_path / "dst.csv", *(f"2014-03-09 {t}:00,{v}" for t, v in times_and_values))
    trace = load_trace(path)
    assert trace.offsets.tolist() == [0, 5, 69, 70, 75]
    assert trace.values.tolist() == [1.0, 1.0, 4.0, 1.0, 1.0]
    assert trace.notes[0] == (
        f"{path}:5: 2 rows repeating the timestamp before (1 timestamp); the values at each timestamp are averaged"
    )
    assert trace.notes[1] == f"{path}:4: 1 point off the regular 5-minute step, kept as stamped"


def test_a_timestamp_going_backwards_is_an_error_naming_its_line(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "backwards.csv", "2024-01-01 00:05:00,1", "2024-01-01 00:10:00,1", "2024-01-01 00:00:00,1"
    )
    with pytest.raises(TraceError, match=r"backwards.csv:4: timestamp 2024-01-01 00:00:00 is earlier"):
        load_trace(path)


def test_naive_timestamps_are_utc_whatever_the_machines_zone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_trace(tmp_path / "t.csv", [1.0, 2.0])
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        trace = load_trace(path)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert trace.start_minute == int(datetime(2024, 1, 1, tzinfo=UTC).timestamp()) // 60


def test_cli_prints_every_policy_with_the_agreed_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(1)
    values = (100 + 80 * np.sin(np.arange(576) / 288 * 2 * np.pi) + rng.uniform(0, 10, 576)).tolist()
    trace = write_trace(tmp_path / "two_days.csv", values)
    assert (
        simulate_scaling.main(["--trace", str(trace), "--peak-mb-per-s", "5", "--record-bytes", "1024", "--json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"ours", "ksu", "aws_samples", "static_peak", "on_demand", "ideal", "oracle"}
    for name, fields in report.items():
        assert {"shard_hours", "cost_usd", "throttled_fraction", "max_ops_24h"} <= set(fields)
        assert ("mode_switches" in fields) == (name == "ours")
    assert report["oracle"]["shard_hours"] <= report["static_peak"]["shard_hours"]
    assert report["oracle"]["throttled_fraction"] == 0.0


def test_cli_warns_of_repaired_rows_on_stderr_and_keeps_stdout_one_json_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [f"2024-01-01 00:{5 * i:02d}:00,{1 + i % 3}" for i in range(12)]
    path = write_rows(tmp_path / "twice.csv", *rows[:6], rows[5], *rows[6:])
    assert simulate_scaling.main(["--trace", str(path), "--json", "--policies", "ideal"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["ideal"]["throttled_fraction"] == 0.0
    assert captured.err == (
        f"warning: {path}:8: 1 row repeating the timestamp before (1 timestamp); the values at each timestamp"
        " are averaged\n"
    )


def test_cli_rejects_an_unknown_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = write_trace(tmp_path / "t.csv", [1.0, 2.0, 3.0])
    assert simulate_scaling.main(["--trace", str(trace), "--policies", "ours,magic"]) == 2
    assert "magic" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("fraction", "text"),
    [
        (0.0, "0.0000%"),
        (0.134178, "13.4178%"),
        (0.000584, "0.0584%"),
        (7.5e-5, "0.0075%"),
        (1.7333e-6, "0.00017%"),  # nyc_taxi's `ours` and aws_samples would both read 0.0002% at four decimals
        (2.4e-6, "0.00024%"),
    ],
)
def test_tables_print_small_throttled_shares_to_two_significant_digits(fraction: float, text: str) -> None:
    assert percent(fraction) == text


def test_a_policy_that_never_throttles_reports_exactly_zero() -> None:
    # 1 - accepted/offered over 10,000 uneven minutes leaves float residue; the per-minute sum does not.
    rng = np.random.default_rng(2)
    demand = Demand("uneven", 0, rng.uniform(0.1, 7.3, 10_000), 1024)
    outcome = run_policy("ideal", demand, SimulationConfig())
    assert account(outcome, demand).throttled_fraction == 0.0


def test_ours_pays_for_running_the_scaler_a_round_a_minute_while_provisioned() -> None:
    demand = demand_of([1.5] * 600)
    outcome = run_policy("ours", demand, EXACT)
    result = account(outcome, demand)
    assert not outcome.on_demand.any()
    expected = scaler_cost.scaler_usd(rounds=600, skipped_rounds=0, hours=10.0)
    assert outcome.running_cost_usd == pytest.approx(expected)
    assert result.scaler_cost_usd == round(expected, 2) and result.scaler_cost_usd > 0
    records = float(outcome.accepted_units.sum()) * demand.records_per_unit_minute
    stream_only = pricing.provisioned_cost_usd(float(outcome.billed_shards.sum()) / 60.0, records, 1024)
    assert result.cost_usd == round(stream_only + expected, 2)
    # The published scalers' own running costs are not counted (see docs/autoscaling.md).
    assert account(run_policy("ksu", demand, EXACT), demand).scaler_cost_usd is None


def test_ours_decides_an_on_demand_stream_once_per_round_interval() -> None:
    controller = OursController()
    on_demand = StreamView(4, StreamStatus.ACTIVE, StreamMode.ON_DEMAND, 1, 16)
    metrics = [MinuteMetrics(m, 60_000 * 1024, 60_000, 0.0) for m in range(40)]
    for now in range(40, 80):
        controller.decide(now, metrics, on_demand, ScalingHistory())
    interval = controller.config.mode_switch.on_demand_round_minutes
    assert controller.rounds == math.ceil(40 / interval) and controller.skipped_rounds == 40 - controller.rounds
    assert controller.memory.last_minute == 39  # the rounds it made read every minute published


def test_a_month_of_scaler_rounds_costs_about_a_fifth_of_a_shard_mostly_get_metric_data() -> None:
    month = scaler_cost.scaler_usd(rounds=43_800, skipped_rounds=0, hours=730.0)
    shard_month = 730 * pricing.KINESIS_SHARD_HOUR_USD
    assert 0.15 * shard_month < month < 0.25 * shard_month
    get_metric_data = 43_800 * 4 * pricing.CLOUDWATCH_GET_METRIC_DATA_PER_THOUSAND_METRICS_USD / 1000
    assert get_metric_data > 0.75 * month
    assert scaler_cost.metrics_per_round(consumer_function=False) == 3
    # An on-demand month, one round a quarter hour: under a sixth of that.
    quiet = scaler_cost.scaler_usd(rounds=43_800 // 15, skipped_rounds=43_800 - 43_800 // 15, hours=730.0)
    assert quiet < month / 6
