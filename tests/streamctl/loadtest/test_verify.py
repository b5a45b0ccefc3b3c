from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import orjson
import pytest

from functions.consumer.quarantine import entry_for_bytes, quarantine_object_body
from streamctl.loadtest.envelope import EventFactory, event_id_for, rfc3339_millis
from streamctl.loadtest.manifest import RunManifest, WriterManifest
from streamctl.loadtest.verify import verify_run

BUCKET = "lake"
LAKE_PREFIX = "events/tenant=acme/stream=orders/"
QUARANTINE_PREFIX = "quarantine/tenant=acme/stream=orders/"
RUN_ID = "run-7"
STARTED = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


@pytest.fixture
def s3(aws: None) -> Any:
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def cloudwatch(aws: None) -> Any:
    return boto3.client("cloudwatch", region_name="us-east-1")


def manifest(events: int, failed: list[str] | None = None) -> RunManifest:
    return RunManifest(
        run_id=RUN_ID,
        stack="staging",
        tenant="acme",
        stream="orders",
        stream_name="acme-orders",
        started_at=datetime.now(UTC) - timedelta(minutes=1),
        ended_at=datetime.now(UTC),
        record_bytes=400,
        aggregate=False,
        writers=[WriterManifest(writer=0, events=events, failed_event_ids=failed or [])],
    )


def lake_lines(events: int, *, lag_ms: int = 1_500, run_id: str = RUN_ID) -> list[bytes]:
    """Lines as the consumer writes them: the envelope plus its enrichment, each ending in a newline."""
    produced = int(STARTED.timestamp() * 1000)
    factory = EventFactory(run_id, "acme", record_bytes=400, clock_ms=lambda: produced)
    lines = []
    for sequence in range(events):
        _event_id, data = factory.next_event()
        line = orjson.loads(data) | {
            "ingested_at": rfc3339_millis(produced + lag_ms + sequence),
            "arrival_lag_ms": 20,
            "shard_id": "shardId-000000000000",
            "sequence_number": str(10**50 + sequence),
            "sub_sequence_number": 0,
        }
        lines.append(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))
    return lines


def put(s3: Any, key: str, lines: list[bytes], *, compress: bool) -> None:
    body = b"".join(lines)
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(body) if compress else body)


def verify(s3: Any, cloudwatch: Any, run: RunManifest) -> Any:
    return verify_run(
        run, s3=s3, cloudwatch=cloudwatch, bucket=BUCKET, lake_prefix=LAKE_PREFIX, quarantine_prefix=QUARANTINE_PREFIX
    )


def test_a_complete_run_across_gzip_and_plain_objects_passes(s3: Any, cloudwatch: Any) -> None:
    lines = lake_lines(100)
    put(s3, f"{LAKE_PREFIX}2026/11/26/07/part-1.gz", lines[:60], compress=True)
    put(s3, f"{LAKE_PREFIX}2026/11/26/07/part-2", lines[60:], compress=False)
    result = verify(s3, cloudwatch, manifest(100))
    assert (result.expected, result.found, result.missing, result.duplicated_events) == (100, 100, 0, 0)
    assert result.passed


def test_missing_events_fail_verification_and_are_named(s3: Any, cloudwatch: Any) -> None:
    lines = lake_lines(10)
    put(s3, f"{LAKE_PREFIX}part-1", lines[:3] + lines[5:], compress=False)
    result = verify(s3, cloudwatch, manifest(10))
    assert result.missing == 2
    assert result.missing_sample == [event_id_for(RUN_ID, 0, 3), event_id_for(RUN_ID, 0, 4)]
    assert not result.passed


def test_duplicate_deliveries_are_counted_but_not_as_missing(s3: Any, cloudwatch: Any) -> None:
    lines = lake_lines(10)
    put(s3, f"{LAKE_PREFIX}part-1.gz", lines, compress=True)
    put(s3, f"{LAKE_PREFIX}part-2.gz", lines[:4], compress=True)
    result = verify(s3, cloudwatch, manifest(10))
    assert (result.found, result.missing, result.duplicated_events, result.duplicate_copies) == (10, 0, 4, 4)


def test_end_to_end_latency_runs_from_produced_at_to_ingested_at(s3: Any, cloudwatch: Any) -> None:
    put(s3, f"{LAKE_PREFIX}part-1", lake_lines(100, lag_ms=2_000), compress=False)
    result = verify(s3, cloudwatch, manifest(100))
    assert result.latencies_ms[0] == pytest.approx(2_000)
    assert result.latencies_ms[-1] == pytest.approx(2_099)


def test_other_runs_and_unreadable_lines_do_not_count_or_crash(s3: Any, cloudwatch: Any) -> None:
    noise = [*lake_lines(5, run_id="run-other"), f'{{"broken": "{RUN_ID}"\n'.encode(), b"\x00\xff garbage\n"]
    put(s3, f"{LAKE_PREFIX}part-1", noise + lake_lines(5), compress=False)
    s3.put_object(Bucket=BUCKET, Key=f"{LAKE_PREFIX}part-2.gz", Body=b"\x1f\x8b truncated gzip")
    result = verify(s3, cloudwatch, manifest(5))
    assert (result.found, result.missing, result.unexpected) == (5, 0, 0)
    assert result.unreadable_lines == 2


def test_events_that_failed_at_the_producer_are_not_expected_in_the_lake(s3: Any, cloudwatch: Any) -> None:
    lines = lake_lines(5)
    put(s3, f"{LAKE_PREFIX}part-1", lines[:4], compress=False)
    result = verify(s3, cloudwatch, manifest(5, failed=[event_id_for(RUN_ID, 0, 4)]))
    assert (result.expected, result.missing) == (4, 0)


def test_quarantined_events_of_the_run_are_counted_and_not_missing(s3: Any, cloudwatch: Any) -> None:
    produced = int(STARTED.timestamp() * 1000)
    factory = EventFactory(RUN_ID, "acme", record_bytes=400, clock_ms=lambda: produced)
    events = [factory.next_event()[1] for _ in range(4)]
    put(s3, f"{LAKE_PREFIX}part-1", lake_lines(2), compress=False)
    entries = [
        entry_for_bytes(data, "shardId-000000000001", str(index), 0, "k", produced / 1000, "tenant mismatch")
        for index, data in enumerate(events[2:], start=2)
    ]
    body = quarantine_object_body(entries, {"tenant": "acme", "stream": "orders"})
    s3.put_object(Bucket=BUCKET, Key=f"{QUARANTINE_PREFIX}dt=2026-11-26/shard=1/2-0.jsonl", Body=body)
    s3.put_object(Bucket=BUCKET, Key=f"{QUARANTINE_PREFIX}dt=2026-11-26/shard=1/odd.jsonl", Body=b"not json\n")
    result = verify(s3, cloudwatch, manifest(4))
    assert (result.found, result.quarantined, result.missing) == (2, 2, 0)


def test_iterator_age_is_not_available_rather_than_zero_without_datapoints(s3: Any, cloudwatch: Any) -> None:
    put(s3, f"{LAKE_PREFIX}part-1", lake_lines(1), compress=False)
    assert verify(s3, cloudwatch, manifest(1)).iterator_age_max_ms is None


def test_iterator_age_is_the_maximum_over_the_run(s3: Any, cloudwatch: Any) -> None:
    now = datetime.now(UTC)
    for age in (1_000.0, 45_000.0, 3_000.0):
        cloudwatch.put_metric_data(
            Namespace="AWS/Kinesis",
            MetricData=[
                {
                    "MetricName": "GetRecords.IteratorAgeMilliseconds",
                    "Dimensions": [{"Name": "StreamName", "Value": "acme-orders"}],
                    "Timestamp": now,
                    "Value": age,
                }
            ],
        )
    put(s3, f"{LAKE_PREFIX}part-1", lake_lines(1), compress=False)
    assert verify(s3, cloudwatch, manifest(1)).iterator_age_max_ms == 45_000.0
