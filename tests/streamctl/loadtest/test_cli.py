"""`streamctl loadtest run` then `verify` against moto, with a stand-in consumer filling the lake."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import orjson
import pytest
from typer.testing import CliRunner

from streamctl.loadtest import cli
from streamctl.loadtest.envelope import rfc3339_millis
from streamctl.loadtest.targets import LoadTarget
from streamctl.stack_outputs import StackOutputs

BUCKET = "lake"
LAKE_PREFIX = "events/tenant=acme/stream=orders/"
Drain = Callable[[], list[dict[str, Any]]]


def stack_outputs(stream_name: str) -> StackOutputs:
    stream = {
        "stream_name": stream_name,
        "stream_arn": f"arn:aws:kinesis:us-east-1:123456789012:stream/{stream_name}",
        "mode": "PROVISIONED",
        "consumer_function": "acme-orders-consumer",
        "failure_queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/acme-orders-failures",
        "failure_queue_arn": "arn:aws:sqs:us-east-1:123456789012:acme-orders-failures",
        "delivery_stream": "acme-orders-lake",
        "lake_prefix": LAKE_PREFIX,
        "quarantine_prefix": "quarantine/tenant=acme/stream=orders/",
    }
    return StackOutputs.model_validate(
        {
            "region": "us-east-1",
            "lake_bucket": BUCKET,
            "lake_events_prefix": "events/",
            "quarantine_prefix": "quarantine/",
            "glue_database": "lake",
            "athena_workgroup": "lake",
            "checkpoint_table": "checkpoints",
            "scaling_table": "scaling",
            "alarm_topic_arn": "arn:aws:sns:us-east-1:123456789012:alarms",
            "tenants": {"acme": {"streams": {"orders": stream}}},
        }
    )


@pytest.fixture
def target(kinesis: Any, stream_name: str, monkeypatch: pytest.MonkeyPatch) -> LoadTarget:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    resolved = LoadTarget("staging", "acme", "orders", stack_outputs(stream_name), endpoint_url=None)
    monkeypatch.setattr(cli, "resolve_target", lambda _stack, _tenant, _stream: resolved)
    return resolved


def deliver_to_lake(drain: Drain, skip: int = 0) -> None:
    """What consumer and Firehose do, reduced: every user record as a lake line, `skip` of them lost."""
    lines = []
    for record in drain()[skip:]:
        event = orjson.loads(record["Data"])
        event |= {"ingested_at": rfc3339_millis(event["payload"]["produced_at"] + 250), "shard_id": record["ShardId"]}
        lines.append(orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE))
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=BUCKET, Key=f"{LAKE_PREFIX}2026/11/26/part-0", Body=b"".join(lines)
    )


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli.app, list(args), catch_exceptions=False)


def run_args(tmp_path: Path, *extra: str) -> list[str]:
    return [
        "run",
        "--stack",
        "staging",
        "--tenant",
        "acme",
        "--stream",
        "orders",
        "--rate",
        "2000",
        "--duration",
        "0.5",
        "--record-bytes",
        "512",
        "--run-id",
        "run-cli",
        "--manifest",
        str(tmp_path / "run-cli.json"),
        "--report-json",
        str(tmp_path / "run.json"),
        *extra,
    ]


def verify_args(tmp_path: Path) -> list[str]:
    manifest = str(tmp_path / "run-cli.json")
    report = str(tmp_path / "verify.json")
    return ["verify", "--stack", "staging", "--run-id", "run-cli", "--manifest", manifest, "--report-json", report]


@pytest.mark.parametrize("aggregate", ["--no-aggregate", "--aggregate"])
def test_run_then_verify_finds_every_event(target: LoadTarget, drain: Drain, tmp_path: Path, aggregate: str) -> None:
    ran = invoke(*run_args(tmp_path, aggregate))
    assert ran.exit_code == 0, ran.output
    summary = orjson.loads((tmp_path / "run.json").read_bytes())
    assert summary["sent"] > 0 and summary["failed"] == 0
    if aggregate == "--aggregate":
        assert summary["kinesis_records"] < summary["sent"]
    deliver_to_lake(drain)
    verified = invoke(*verify_args(tmp_path))
    assert verified.exit_code == 0, verified.output
    report = orjson.loads((tmp_path / "verify.json").read_bytes())
    assert (report["expected"], report["found"], report["missing"]) == (summary["sent"], summary["sent"], 0)
    assert report["latency_p50_ms"] == pytest.approx(250)
    assert report["iterator_age_max_ms"] is None


def test_verify_exits_non_zero_when_events_are_missing(target: LoadTarget, drain: Drain, tmp_path: Path) -> None:
    assert invoke(*run_args(tmp_path)).exit_code == 0
    deliver_to_lake(drain, skip=3)
    verified = invoke(*verify_args(tmp_path))
    assert verified.exit_code == 1
    assert orjson.loads((tmp_path / "verify.json").read_bytes())["missing"] == 3


def test_verify_without_a_manifest_says_where_it_looked(tmp_path: Path) -> None:
    result = invoke(*verify_args(tmp_path))
    assert result.exit_code == 2
    assert "no manifest for run 'run-cli'" in result.output


def test_local_mode_refuses_several_writers(
    target: LoadTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = LoadTarget("dev", "acme", "orders", target.outputs, endpoint_url="http://127.0.0.1:1")
    monkeypatch.setattr(cli, "resolve_target", lambda _stack, _tenant, _stream: local)
    result = invoke(*run_args(tmp_path, "--writers", "2"))
    assert result.exit_code == 2
    assert "one writer per stream" in result.output


class AlwaysThrottled:
    """Kinesis with every shard over its limit: each entry of each call is rejected."""

    def put_records(self, *, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        rejected = {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded"}
        return {"FailedRecordCount": len(Records), "Records": [rejected for _ in Records]}


class ThrottledTarget(LoadTarget):
    def client(self, service: str, **config: Any) -> Any:
        return AlwaysThrottled() if service == "kinesis" else super().client(service, **config)


def test_events_rejected_after_all_retries_fail_the_run_and_are_not_expected_by_verify(
    target: LoadTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    throttled = ThrottledTarget("staging", "acme", "orders", target.outputs, endpoint_url=None)
    monkeypatch.setattr(cli, "resolve_target", lambda _stack, _tenant, _stream: throttled)
    ran = invoke(*run_args(tmp_path, "--max-attempts", "2", "--duration", "0.2"))
    assert ran.exit_code == 1
    summary = orjson.loads((tmp_path / "run.json").read_bytes())
    assert summary["sent"] == 0 and summary["failed"] > 0 and summary["throttled"] == 2 * summary["failed"]
    manifest = orjson.loads((tmp_path / "run-cli.json").read_bytes())
    assert len(manifest["writers"][0]["failed_event_ids"]) == summary["failed"]
    verified = invoke(*verify_args(tmp_path))
    assert verified.exit_code == 0
    assert orjson.loads((tmp_path / "verify.json").read_bytes())["expected"] == 0
