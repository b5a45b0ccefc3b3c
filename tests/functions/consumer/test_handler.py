"""The Lambda entry point: env wiring, the batch-failure response, one EMF flush, log context."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from functions.consumer import handler


@dataclass
class FakeLambdaContext:
    function_name: str = "acme-clicks-consumer"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:acme-clicks-consumer"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@pytest.fixture
def lambda_env(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "TENANT": "acme",
        "STREAM_NAME": "clicks",
        "CONSUMER_NAME": "acme-clicks-consumer",
        "CHECKPOINT_TABLE": "checkpoints",
        "DELIVERY_STREAM": "acme-clicks-lake",
        "QUARANTINE_BUCKET": "lake",
        "QUARANTINE_PREFIX": "quarantine/tenant=acme/stream=clicks/",
        "PARALLELIZATION_FACTOR": "1",
        "PII_FIELDS": "payload.email",
        "POWERTOOLS_SERVICE_NAME": "consumer",
        "POWERTOOLS_METRICS_NAMESPACE": "StreamingPlatform",
        "LOG_LEVEL": "INFO",
    }.items():
        monkeypatch.setenv(name, value)
    handler.reset()
    yield aws
    handler.reset()


def _stdout_json(output: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_handler_delivers_and_returns_empty_failure_list(lambda_env, build, capfd) -> None:
    event = build.kinesis_event([orjson.dumps(build.envelope(0)), b"poison"])

    response = handler.lambda_handler(event, FakeLambdaContext())

    assert response == {"batchItemFailures": []}
    lines = lambda_env.lake_lines()
    assert [line["event_id"] for line in lines] == ["evt-0"]
    assert lines[0]["payload"]["email"] == "***"
    assert len(lambda_env.quarantine_entries()) == 1


def test_handler_flushes_all_metrics_once_as_emf(lambda_env, build, capfd) -> None:
    handler.lambda_handler(build.event_of_envelopes(3), FakeLambdaContext())

    blobs = [doc for doc in _stdout_json(capfd.readouterr().out) if "_aws" in doc]
    assert len(blobs) == 1
    [directive] = blobs[0]["_aws"]["CloudWatchMetrics"]
    names = {metric["Name"] for metric in directive["Metrics"]}
    assert names >= {
        "RecordsIn",
        "RecordsDelivered",
        "RecordsQuarantined",
        "DuplicatesSkipped",
        "DeliveryRetries",
        "MaxArrivalLag",
    }
    assert blobs[0]["RecordsDelivered"] == [3.0]
    assert blobs[0]["tenant"] == "acme" and blobs[0]["stream"] == "clicks"


def test_every_log_line_names_shard_and_sequence_range(lambda_env, build) -> None:
    event = build.kinesis_event([b"poison", orjson.dumps(build.envelope(1))])
    stream = io.StringIO()
    previous = handler.logger.registered_handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        handler.lambda_handler(event, FakeLambdaContext())
    finally:
        handler.logger.registered_handler.setStream(previous)  # type: ignore[attr-defined]

    logs = [doc for doc in _stdout_json(stream.getvalue()) if "level" in doc]
    assert logs, "expected structured log lines"
    first, last = (record["kinesis"]["sequenceNumber"] for record in event["Records"])
    for line in logs:
        assert line["shard_id"] == build.shard
        assert line["sequence_range"] == {"first": first, "last": last}


def test_handler_rejects_a_non_kinesis_event_with_a_clear_error(lambda_env) -> None:
    with pytest.raises(ValueError, match="no 'Records' list"):
        handler.lambda_handler({"detail-type": "Scheduled Event"}, FakeLambdaContext())


def test_handler_names_the_malformed_record(lambda_env, build) -> None:
    event = build.event_of_envelopes(2)
    del event["Records"][1]["kinesis"]["data"]

    with pytest.raises(ValueError, match="record 1: not a Kinesis record"):
        handler.lambda_handler(event, FakeLambdaContext())
