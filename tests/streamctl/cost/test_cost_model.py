"""The cost model: prices from the shared list, Firehose rounding per packed record, the mode comparison."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer
from typer.testing import CliRunner

from functions import pricing
from infra.config import PlatformConfig, config_from_pulumi_values, parse_config
from infra.mock_runtime import load_stack_config
from streamctl.cost.cli import cost_command
from streamctl.cost.model import (
    CONSUMER_CPU_US_PER_RECORD,
    HOURS_PER_MONTH,
    LAMBDA_MB_PER_VCPU,
    SECONDS_PER_MONTH,
    AdvantageAccount,
    account_plans,
    advantage_break_even_mib_per_s,
    firehose_billed_bytes,
    stack_costs,
    stream_cost,
)
from streamctl.cost.report import docs_three_mode_table
from streamctl.cost.scaler_cost import scaler_usd
from streamctl.cost.traffic import StreamTraffic, TrafficError, load_traffic

KIB = 1024


def one_stream(**stream: Any) -> PlatformConfig:
    return parse_config({"tenants": {"acme": {"streams": {"clicks": stream}}}}, stack="dev")


def cost_of(config: PlatformConfig, **traffic: Any) -> Any:
    [(tenant, stream, settings)] = config.streams()
    return stream_cost(tenant, stream, settings, config, StreamTraffic(**traffic))


def test_provisioned_stream_pays_shard_hours_and_put_units_from_the_shared_price_list() -> None:
    config = one_stream(mode="provisioned", shards=1, autoscaling={"enabled": False})
    cost = cost_of(config, mb_per_s=0.1, record_bytes=1000)  # 100 records/s, one PUT unit each

    assert cost.kinesis.shards == 1
    assert cost.kinesis.stream_usd == pytest.approx(HOURS_PER_MONTH * pricing.KINESIS_SHARD_HOUR_USD)
    put_units = 100 * SECONDS_PER_MONTH
    assert cost.kinesis.data_usd == pytest.approx(put_units / 1e6 * pricing.KINESIS_PUT_UNITS_PER_MILLION_USD)
    assert cost.kinesis.retention_usd == 0


def test_retention_beyond_24_hours_is_billed_per_shard_hour() -> None:
    config = one_stream(mode="provisioned", shards=2, autoscaling={"enabled": False}, retention_hours=168)
    cost = cost_of(config, mb_per_s=0.1)
    assert cost.kinesis.retention_usd == pytest.approx(
        2 * HOURS_PER_MONTH * pricing.KINESIS_EXTENDED_RETENTION_SHARD_HOUR_USD
    )


def test_firehose_rounds_each_packed_record_up_to_5_kb_not_each_event() -> None:
    rounding = pricing.FIREHOSE_RECORD_ROUNDING_BYTES
    assert firehose_billed_bytes(1) == rounding
    assert firehose_billed_bytes(rounding + 1) == 2 * rounding
    assert firehose_billed_bytes(1000 * KIB + 1) == 1000 * KIB + rounding
    cost = cost_of(one_stream(consumer={"batch_size": 500}), mb_per_s=1, record_bytes=800)
    # 1 KB lines one per Firehose record would be billed as 5 KB each.
    assert cost.firehose_unpacked_usd > 4 * cost.firehose_usd


def test_on_demand_wins_only_when_traffic_is_spiky() -> None:
    config = one_stream(mode="provisioned", shards=1, autoscaling={"min": 1, "max": 500})
    steady = cost_of(config, mb_per_s=2, peak_to_average=1)
    spiky = cost_of(config, mb_per_s=2, peak_to_average=60)
    assert steady.cheaper_mode == "provisioned"
    assert spiky.cheaper_mode == "on_demand"
    assert steady.alternative.mode == "on_demand" and steady.alternative.total_usd == pytest.approx(
        spiky.alternative.total_usd
    )


def test_a_fixed_stream_too_small_for_its_peak_is_flagged() -> None:
    config = one_stream(mode="provisioned", shards=2, autoscaling={"enabled": False})
    assert any("throttled" in note for note in cost_of(config, mb_per_s=5).notes)
    assert cost_of(config, mb_per_s=1).notes == []


def test_an_idle_stream_pays_only_for_capacity_and_its_alarms() -> None:
    cost = cost_of(one_stream(mode="provisioned", shards=1, autoscaling={"enabled": False}), mb_per_s=0)
    assert (cost.firehose_usd, cost.lambda_usd, cost.dynamodb_usd, cost.kinesis.data_usd) == (0, 0, 0, 0)
    # iterator age, stalled consumer (a metric-math alarm on IncomingRecords and Invocations: billed for both),
    # write and read throttling, consumer errors and throttles, failure queue depth and age, freshness
    alarms = 10
    assert cost.cloudwatch_usd == pytest.approx(alarms * pricing.CLOUDWATCH_ALARM_METRIC_MONTH_USD)
    assert cost.total_usd == pytest.approx(HOURS_PER_MONTH * pricing.KINESIS_SHARD_HOUR_USD + cost.cloudwatch_usd)


def test_the_autoscaler_adds_its_runs_state_item_and_get_metric_data() -> None:
    fixed = cost_of(one_stream(mode="provisioned", shards=1, autoscaling={"enabled": False}), mb_per_s=0)
    scaled = cost_of(one_stream(mode="provisioned", shards=1, autoscaling={"min": 1, "max": 4}), mb_per_s=0)
    runs = HOURS_PER_MONTH * 60
    # GetMetricData bills each of the 4 metrics of every minute's call: 1.75 USD a month, most of the scaler.
    get_metric_data = runs * 4 * pricing.CLOUDWATCH_GET_METRIC_DATA_PER_THOUSAND_METRICS_USD / 1000
    assert get_metric_data == pytest.approx(1.752)
    added_cloudwatch = scaled.cloudwatch_usd - fixed.cloudwatch_usd
    assert get_metric_data + pricing.CLOUDWATCH_ALARM_METRIC_MONTH_USD < added_cloudwatch < get_metric_data + 0.2
    # The ~8 KB state item: 8 write units and 2 strongly consistent read units a run.
    assert scaled.dynamodb_usd == pytest.approx(
        runs * (8 * pricing.DYNAMODB_WRITES_PER_MILLION_USD + 2 * pricing.DYNAMODB_READS_PER_MILLION_USD) / 1e6
    )
    assert 0 < scaled.lambda_usd < 0.1
    scaler = scaled.total_usd - fixed.total_usd
    assert scaler == pytest.approx(scaler_usd(runs, 0, HOURS_PER_MONTH))


def test_bigger_batches_mean_fewer_invocations_and_checkpoint_writes() -> None:
    small = cost_of(one_stream(consumer={"batch_size": 100, "batching_window_seconds": 0}), mb_per_s=2)
    large = cost_of(one_stream(consumer={"batch_size": 2000, "batching_window_seconds": 0}), mb_per_s=2)
    assert large.invocations < small.invocations
    assert large.dynamodb_usd < small.dynamodb_usd


def test_traffic_file_errors_name_the_file_and_key(tmp_path: Any) -> None:
    streams = [("acme", "clicks"), ("acme", "orders")]
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("streams:\n  acme/click: {mb_per_s: 1}\n")
    with pytest.raises(TrafficError, match=r"unknown\.yaml: streams\.acme/click is not a stream of the stack"):
        load_traffic(unknown, streams)
    negative = tmp_path / "negative.yaml"
    negative.write_text("streams:\n  acme/clicks: {mb_per_s: -1}\n")
    with pytest.raises(TrafficError, match=r"streams\.acme/clicks\.mb_per_s"):
        load_traffic(negative, streams)
    good = tmp_path / "good.yaml"
    good.write_text("defaults: {record_bytes: 500}\nstreams:\n  acme/clicks: {mb_per_s: 3}\n")
    traffic = load_traffic(good, streams)
    assert (traffic["acme/clicks"].mb_per_s, traffic["acme/clicks"].record_bytes) == (3, 500)
    assert traffic["acme/orders"].mb_per_s == 0


def _cost_app() -> typer.Typer:
    app = typer.Typer()
    app.command()(cost_command)
    return app


def test_cost_command_prices_every_stream_of_the_stack_with_tenant_totals() -> None:
    result = CliRunner().invoke(_cost_app(), ["--stack", "prod", "--mb-per-s", "1", "--json"])

    assert result.exit_code == 0, result.output
    report = orjson.loads(result.output)
    config = config_from_pulumi_values(load_stack_config("prod"), stack="prod")
    assert [(s["tenant"], s["stream"]) for s in report["streams"]] == [(t, s) for t, s, _ in config.streams()]
    assert report["total_usd"] == pytest.approx(sum(report["tenants"].values()))
    idle = sum(c.total_usd for c in stack_costs(config, {}))
    assert report["total_usd"] > idle > 0


def test_cost_command_requires_exactly_one_traffic_source() -> None:
    result = CliRunner().invoke(_cost_app(), ["--stack", "prod"])
    assert result.exit_code != 0 and "--traffic FILE or --mb-per-s" in result.output


def test_lake_storage_and_firehose_puts_are_priced_from_the_shared_price_list() -> None:
    config = parse_config(
        {"lake": {"buffer_seconds": 60, "buffer_mb": 64}, "tenants": {"acme": {"streams": {"clicks": {}}}}},
        stack="dev",
    )
    cost = cost_of(config, mb_per_s=0.1, record_bytes=1000)
    objects = SECONDS_PER_MONTH / 60  # 0.1 MB/s fills 64 MB in 640 s: the 60 s interval flushes first
    expected = (
        cost.lake_gb_per_month * pricing.S3_STANDARD_GB_MONTH_USD + objects / 1000 * pricing.S3_PUT_PER_THOUSAND_USD
    )
    assert cost.lake_gb_per_month > 0
    assert cost.s3_usd == pytest.approx(expected)
    assert cost.total_usd == pytest.approx(
        cost.kinesis.total_usd
        + cost.firehose_usd
        + cost.lambda_usd
        + cost.dynamodb_usd
        + cost.cloudwatch_usd
        + cost.s3_usd
    )


def _consumer_usd(memory_mb: int, traffic: dict[str, Any] | None = None, **stream: Any) -> float:
    """The consumer's GB-seconds in dollars, without requests (on-demand: no scaler)."""
    config = one_stream(mode="on_demand", consumer={"memory_mb": memory_mb}, **stream)
    cost = cost_of(config, mb_per_s=2, consumer_ms_per_batch=0, **(traffic or {}))
    return float(cost.lambda_usd - cost.invocations / 1e6 * pricing.LAMBDA_REQUESTS_PER_MILLION_USD)


def test_consumer_cpu_per_record_costs_the_same_at_any_memory_below_one_vcpu() -> None:
    # Lambda's CPU grows with memory up to one vCPU at 1,769 MB: below that, more memory runs the same
    # CPU-bound work for proportionally less Duration; above it, one thread gets no faster.
    assert _consumer_usd(512) == pytest.approx(_consumer_usd(1024))
    assert _consumer_usd(3538) == pytest.approx(2 * _consumer_usd(1769))
    assert _consumer_usd(512, pii_fields=["payload.email"]) > _consumer_usd(512)
    # A figure measured on Lambda (Duration per record) is taken as it is, at any memory.
    default_us = CONSUMER_CPU_US_PER_RECORD * LAMBDA_MB_PER_VCPU / 512
    measured = _consumer_usd(512, {"consumer_us_per_record": 100})
    assert measured == pytest.approx(_consumer_usd(512) * 100 / default_us)


# --- On-demand Advantage -------------------------------------------------------------------------------------------
# 1 MB/s of 1 KiB records for 730 h: 10^6 x 2,628,000 s / 2^30 = 2,447.53 GiB written and read once.
ONE_MB_S_MONTH_GIB = 1e6 * 2_628_000 / 1024**3


def _advantage_of(outside_mib_per_s: float, commitment_mib_per_s: float, **traffic: Any) -> Any:
    config = one_stream(mode="provisioned", shards=1, autoscaling={"min": 1, "max": 500})
    [(tenant, stream, settings)] = config.streams()
    t = StreamTraffic(**traffic)
    account = AdvantageAccount.for_stack([t], outside_mib_per_s, commitment_mib_per_s)
    return stream_cost(tenant, stream, settings, config, t, account)


def test_advantage_above_the_commitment_bills_only_cheaper_data() -> None:
    # 2,447.53 GiB x (0.032 ingest + 0.016 retrieval) = 117.48 USD, no stream-hour charge
    cost = _advantage_of(25, 25, mb_per_s=1)
    assert cost.advantage.total_usd == pytest.approx(117.4815, abs=1e-3)
    assert cost.advantage.stream_usd == 0


def test_an_account_below_the_commitment_pays_for_all_of_it() -> None:
    # alone in the account: 25 MiB/s committed = 64,160.16 GiB x 0.032 = 2,053.13 USD, plus 2,447.53 GiB x 0.016 read
    cost = _advantage_of(0, 25, mb_per_s=1)
    assert cost.advantage.total_usd == pytest.approx(2053.125 + 39.1605, abs=1e-3)
    assert cost.cheapest_mode == "provisioned"


def test_spiky_traffic_in_a_committed_account_is_cheapest_in_advantage() -> None:
    cost = _advantage_of(100, 25, mb_per_s=2, peak_to_average=60)
    usd = cost.mode_usd()
    assert usd["on_demand_advantage"] < usd["on_demand"] < usd["provisioned"]
    assert cost.cheapest_mode == "on_demand_advantage"


def test_break_even_aggregate_against_on_demand_standard() -> None:
    # (64,160.16 GiB x 0.032 - 3 streams x 730 h x 0.04) / (0.08 + 0.04 - 0.016) = 18,899.3 GiB a month = 7.364 MiB/s
    assert advantage_break_even_mib_per_s(3, 25) == pytest.approx(7.3644, abs=1e-3)
    assert advantage_break_even_mib_per_s(0, 25) == pytest.approx(25 * 0.032 / 0.104)
    assert advantage_break_even_mib_per_s(10_000, 25) == 0  # enough stream-hours: Advantage wins at any traffic


def test_account_plans_recompute_the_commitment_on_the_streams_left_on_demand() -> None:
    config = parse_config({"tenants": {"acme": {"streams": {"aa": {}, "bb": {}}}}}, stack="dev")
    traffic = {"acme/aa": StreamTraffic(mb_per_s=1), "acme/bb": StreamTraffic(mb_per_s=1)}
    costs = stack_costs(config, traffic, outside_mib_per_s=0, commitment_mib_per_s=25)
    account = AdvantageAccount.for_stack([c.traffic for c in costs], 0, 25)
    plans = {plan.name: plan for plan in account_plans(costs, account)}
    # Both streams in Advantage share the whole commitment plus their reads: 2,053.13 + 2 x 39.16
    assert plans["all On-demand Advantage"].usd == pytest.approx(2053.125 + 2 * 39.1605, abs=1e-2)
    assert plans["all provisioned + scaler"].usd == pytest.approx(sum(c.mode_usd()["provisioned"] for c in costs))
    # The commitment enabled with no on-demand stream is still billed, to the account.
    committed = plans["cheapest per stream, with commitment"]
    assert set(committed.modes.values()) == {"provisioned"}
    assert committed.unallocated_shortfall_usd == pytest.approx(2053.125)


def test_cost_command_prints_the_three_modes_and_the_break_even() -> None:
    args = ["--stack", "prod", "--mb-per-s", "2", "--account-mib-per-s", "40"]
    result = CliRunner().invoke(_cost_app(), args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for heading in ("provisioned + scaler", "On-demand Standard", "On-demand Advantage", "(cheapest)"):
        assert heading in result.output
    assert "Advantage beats On-demand Standard from 7.36 MiB/s" in result.output
    report = orjson.loads(CliRunner().invoke(_cost_app(), [*args, "--json"]).output)
    assert report["account"]["outside_mib_per_s"] == 40
    assert report["account"]["commitment_shortfall_gib"] == 0
    assert report["account"]["cheapest_plan"] in {plan["name"] for plan in report["account"]["plans"]}
    assert {s["cheapest_mode"] for s in report["streams"]} <= {"provisioned", "on_demand", "on_demand_advantage"}


def test_the_docs_three_mode_table_is_the_reports_output() -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "cost.md").read_text()
    block = re.search(r"<!-- three-modes:begin -->\n(.*?)\n<!-- three-modes:end -->", doc, re.S)
    assert block is not None
    assert block.group(1) == docs_three_mode_table()
