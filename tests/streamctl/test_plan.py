"""`streamctl plan` shows what `pulumi preview` would, and refuses bad stacks, bad config and inputs AWS refuses."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from infra.mock_runtime import load_stack_config as real_load_stack_config
from streamctl import plan
from streamctl.cli import app

runner = CliRunner()


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_plan_prints_the_resource_tree_and_outputs(stack: str) -> None:
    result = runner.invoke(app, ["plan", "--stack", stack])
    assert result.exit_code == 0, result.output
    assert f"stack {stack}:" in result.output
    assert f"sp-{stack}-acme-clicks" in result.output
    assert "aws:lambda/eventSourceMapping:EventSourceMapping" in result.output
    assert '"checkpoint_table"' in result.output


def test_plan_json_lists_protection_and_ignored_changes() -> None:
    result = runner.invoke(app, ["plan", "--stack", "prod", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    streams = [r for r in document["resources"] if r["type"] == "aws:kinesis/stream:Stream"]
    assert streams and all(r["protect"] for r in streams)
    assert any("shardCount" in r["ignoreChanges"] for r in streams)


def test_plan_names_an_unknown_stack() -> None:
    result = runner.invoke(app, ["plan", "--stack", "qa"])
    assert result.exit_code == 2
    assert "no Pulumi.qa.yaml" in result.output


def test_plan_reports_invalid_config_with_its_key_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def bad_config(stack: str) -> dict[str, object]:
        return {"streaming-platform:tenants": {"acme": {"streams": {"clicks": {"retention_hours": 12}}}}}

    monkeypatch.setattr("infra.mock_runtime.load_stack_config", bad_config)
    result = runner.invoke(app, ["plan", "--stack", "dev"])
    assert result.exit_code == 2
    assert "tenants.acme.streams.clicks.retention_hours: 12 is below the Kinesis minimum of 24" in result.output


def test_plan_fails_when_the_policy_pack_would_stop_the_deploy(monkeypatch: pytest.MonkeyPatch) -> None:
    real_run_program = plan.run_program

    def unencrypted_streams(stack: str) -> plan.ProgramRun:
        run = real_run_program(stack)
        for resource in run.of_type("aws:kinesis/stream:Stream"):
            resource.inputs["encryptionType"] = "NONE"
        return run

    monkeypatch.setattr(plan, "run_program", unencrypted_streams)
    result = runner.invoke(app, ["plan", "--stack", "dev"])
    assert result.exit_code == 3
    assert "Policy violations (3)" in result.output
    assert "sp-dev-acme-clicks" in result.output or "acme-clicks-events-stream" in result.output


def stack_config_with(**overrides: object) -> Callable[[str], dict[str, Any]]:
    """The stack file's config with `tenants` replaced or extended, as `load_stack_config` would return it."""

    def config(stack: str) -> dict[str, Any]:
        values = copy.deepcopy(real_load_stack_config(stack))
        for key, value in overrides.items():
            values[f"streaming-platform:{key}"] = value
        return values

    return config


def test_plan_refuses_a_compression_aws_does_not_spell_with_awss_enum(monkeypatch: pytest.MonkeyPatch) -> None:
    tenants = {"acme": {"streams": {"clicks": {"lake": {"compression": "SNAPPY"}}}}}
    monkeypatch.setattr("infra.mock_runtime.load_stack_config", stack_config_with(tenants=tenants))
    result = runner.invoke(app, ["plan", "--stack", "dev"])
    assert result.exit_code == 2, result.output
    assert (
        "tenants.acme.streams.clicks.lake.compression: 'SNAPPY' is not one of UNCOMPRESSED, GZIP, ZIP, Snappy, "
        "HADOOP_SNAPPY (firehose CreateDeliveryStream CompressionFormat)"
    ) in result.output


def test_plan_refuses_a_tenant_named_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    tenants = {"platform": {"streams": {"clicks": {}}}}
    monkeypatch.setattr("infra.mock_runtime.load_stack_config", stack_config_with(tenants=tenants))
    result = runner.invoke(app, ["plan", "--stack", "dev"])
    assert result.exit_code == 2, result.output
    assert "tenants.platform: 'platform' is reserved: the platform's own KMS key has the alias" in result.output


def test_plan_refuses_tenant_and_stream_names_too_long_for_a_derived_name(monkeypatch: pytest.MonkeyPatch) -> None:
    tenants = {"acmecorporation12345": {"streams": {"clickstream-events-from-web-app": {}}}}
    monkeypatch.setattr("infra.mock_runtime.load_stack_config", stack_config_with(tenants=tenants))
    result = runner.invoke(app, ["plan", "--stack", "dev"])
    assert result.exit_code == 2, result.output
    assert (
        "tenants.acmecorporation12345.streams.clickstream-events-from-web-app: derived IAM role name "
        "'sp-dev-acmecorporation12345-clickstream-events-from-web-app-consumer-role' is 73 characters, above the "
        "IAM role limit of 64"
    ) in result.output


def test_plan_fails_when_an_input_breaks_awss_api_models(monkeypatch: pytest.MonkeyPatch) -> None:
    real_run_program = plan.run_program

    def retention_out_of_range(stack: str) -> plan.ProgramRun:
        run = real_run_program(stack)
        run.named("acme-clicks-events-stream").inputs["retentionPeriod"] = 9000.0
        return run

    monkeypatch.setattr(plan, "run_program", retention_out_of_range)
    result = runner.invoke(app, ["plan", "--stack", "dev"])
    assert result.exit_code == 2, result.output
    assert "AWS API model violations (1)" in result.output
    assert (
        "tenants.acme.streams.clicks.retention_hours: 9000 is above the maximum of 8760 (Kinesis retention, "
        "https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html); "
        "aws:kinesis/stream:Stream acme-clicks-events-stream input retentionPeriod"
    ) in result.output


def test_plan_json_lists_no_api_model_violation_for_a_shipped_stack() -> None:
    result = runner.invoke(app, ["plan", "--stack", "staging", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["api_model_violations"] == []
