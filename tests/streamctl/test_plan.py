"""`streamctl plan` shows what `pulumi preview` would, and refuses bad stacks and bad config clearly."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

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
