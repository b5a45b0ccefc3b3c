"""`streamctl replay redrive` and `quarantine`: failed batches and poison records go back on the stream, once."""

from __future__ import annotations

import base64
import time
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from streamctl.replay import cli
from streamctl.replay.quarantine_replay import REPLAYED_TAG, parse_object, replay_quarantine
from streamctl.replay.redrive import redrive_failures


def on_failure_message(shard: str, start: str, end: str, stream_arn: str, batch_size: int = 2) -> str:
    """The body AWS sends to an on-failure destination for a Kinesis batch (Lambda developer guide)."""
    return orjson.dumps(
        {
            "requestContext": {
                "requestId": "c9b8fa9f-5a7f-4e3b-9a1e-8d1f0c3e3a21",
                "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:sp-dev-acme-clicks-consumer",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": 11,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": "2026-11-26T06:38:06.021Z",
            "KinesisBatchInfo": {
                "shardId": shard,
                "startSequenceNumber": start,
                "endSequenceNumber": end,
                "approximateArrivalOfFirstRecord": "2026-11-26T06:38:04.835Z",
                "approximateArrivalOfLastRecord": "2026-11-26T06:38:05.580Z",
                "batchSize": batch_size,
                "streamArn": stream_arn,
            },
        }
    ).decode()


def _failed_batch(deployed: Any, build: Any) -> tuple[str, list[Any]]:
    """Ten records on the stream and an on-failure message naming records 2..3 of the fullest shard."""
    deployed.put([build.envelope(i) for i in range(10)])
    shard, records = max(deployed.shard_records().items(), key=lambda item: len(item[1]))
    failed = records[1:3]
    body = on_failure_message(shard, failed[0].sequence_number, failed[-1].sequence_number, deployed.target.stream_arn)
    deployed.clients.sqs.send_message(QueueUrl=deployed.target.failure_queue_url, MessageBody=body)
    return shard, failed


def _queue_depth(deployed: Any) -> int:
    attributes = deployed.clients.sqs.get_queue_attributes(
        QueueUrl=deployed.target.failure_queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def _all_records(deployed: Any) -> list[Any]:
    return [record for records in deployed.shard_records().values() for record in records]


def test_redrive_puts_the_failed_range_back_and_then_deletes_its_message(deployed: Any, build: Any) -> None:
    _, failed = _failed_batch(deployed, build)
    before = {r.sequence_number for r in _all_records(deployed)}

    report = redrive_failures(deployed.clients, deployed.target, dry_run=False)

    [batch] = report.batches
    assert (batch.problem, batch.sent, batch.deleted) == ("", 2, True)
    re_put = [r for r in _all_records(deployed) if r.sequence_number not in before]
    assert sorted((r.partition_key, r.data) for r in re_put) == sorted((f.partition_key, f.data) for f in failed)
    assert _queue_depth(deployed) == 0


def test_redrive_dry_run_reads_the_range_but_changes_nothing(deployed: Any, build: Any) -> None:
    shard, _ = _failed_batch(deployed, build)

    report = redrive_failures(deployed.clients, deployed.target, dry_run=True)

    assert [line for line in report.describe() if line.startswith(f"re-drive {shard}")], report.describe()
    assert report.batches[0].read is not None and len(report.batches[0].read.records) == 2
    assert len(_all_records(deployed)) == 10
    assert _queue_depth(deployed) == 1


def test_redrive_keeps_messages_it_cannot_use_and_says_why(deployed: Any, build: Any) -> None:
    deployed.put([build.envelope(0)])
    shard = next(s for s, records in deployed.shard_records().items() if records)
    queue = deployed.target.failure_queue_url
    deployed.clients.sqs.send_message(QueueUrl=queue, MessageBody='{"KinesisBatchInfo": {"shardId": "x"}}')
    other = "arn:aws:kinesis:us-east-1:123456789012:stream/someone-else"
    deployed.clients.sqs.send_message(QueueUrl=queue, MessageBody=on_failure_message(shard, "1", "2", other))

    report = redrive_failures(deployed.clients, deployed.target, dry_run=False)

    problems = " | ".join(report.describe())
    assert "KinesisBatchInfo.startSequenceNumber" in problems
    assert "someone-else" in problems
    assert not any(batch.deleted for batch in report.batches)
    assert _queue_depth(deployed) == 2


def test_redrive_of_a_range_past_retention_keeps_the_message_unless_accepted(deployed: Any, build: Any) -> None:
    deployed.put([build.envelope(i) for i in range(4)])
    shard, records = max(deployed.shard_records().items(), key=lambda item: len(item[1]))
    trimmed_start = str(int(records[0].sequence_number) - 1)  # no longer (or never) in the shard
    body = on_failure_message(shard, trimmed_start, records[0].sequence_number, deployed.target.stream_arn)
    deployed.clients.sqs.send_message(QueueUrl=deployed.target.failure_queue_url, MessageBody=body)

    kept = redrive_failures(deployed.clients, deployed.target, dry_run=False)
    assert "retention" in kept.batches[0].problem and not kept.batches[0].deleted
    assert len(_all_records(deployed)) == 4

    time.sleep(0.01)  # moto makes a message visible strictly after the millisecond its visibility ends
    accepted = redrive_failures(deployed.clients, deployed.target, dry_run=False, accept_expired=True)
    assert accepted.batches[0].deleted and accepted.batches[0].sent == 1


def _quarantine(deployed: Any, build: Any, key: str, entries: list[tuple[bytes, str]]) -> None:
    lines = [
        orjson.dumps(
            {
                "data": base64.b64encode(data).decode(),
                "shard_id": "shardId-000000000000",
                "sequence_number": str(100 + index),
                "sub_sequence_number": 0,
                "partition_key": f"pk-{index}",
                "approximate_arrival_timestamp": 1795700000.0,
                "reason": reason,
                "tenant": "acme",
                "stream_name": "sp-dev-acme-clicks",
                "consumer_name": "sp-dev-acme-clicks-consumer",
                "quarantined_at": "2026-11-26T06:00:00.000Z",
            }
        )
        for index, (data, reason) in enumerate(entries)
    ]
    deployed.clients.s3.put_object(Bucket=deployed.target.lake_bucket, Key=key, Body=b"\n".join(lines) + b"\n")


def test_quarantine_replay_puts_back_what_the_fixed_consumer_accepts_once(deployed: Any, build: Any) -> None:
    key = f"{deployed.target.quarantine_prefix}dt=2026-11-26/shard=shardId-000000000000/100-0.jsonl"
    accepted_now = build.envelope(1)
    _quarantine(
        deployed,
        build,
        key,
        [
            (accepted_now, "not an event envelope: (a bug fixed since)"),
            (b"{not json", "not JSON: unexpected character"),
        ],
    )

    dry = replay_quarantine(deployed.clients, deployed.target, dry_run=True)
    assert len(dry.objects[0].selected) == 1 and sum(dry.objects[0].still_poison.values()) == 1
    assert _all_records(deployed) == []

    report = replay_quarantine(deployed.clients, deployed.target, dry_run=False)

    assert [(r.partition_key, r.data) for r in _all_records(deployed)] == [("pk-0", accepted_now)]
    tags = deployed.clients.s3.get_object_tagging(Bucket=deployed.target.lake_bucket, Key=key)["TagSet"]
    assert [tag["Key"] for tag in tags] == [REPLAYED_TAG] and report.objects[0].tagged
    again = replay_quarantine(deployed.clients, deployed.target, dry_run=False)
    assert again.objects == [] and again.skipped_replayed == 1
    assert len(_all_records(deployed)) == 1


def test_quarantine_replay_filters_by_reason_and_day(deployed: Any, build: Any) -> None:
    prefix = deployed.target.quarantine_prefix
    _quarantine(deployed, build, f"{prefix}dt=2026-11-25/shard=s/1-0.jsonl", [(build.envelope(1), "old day")])
    _quarantine(
        deployed,
        build,
        f"{prefix}dt=2026-11-26/shard=s/2-0.jsonl",
        [(build.envelope(2), "schema bug"), (build.envelope(3), "other")],
    )

    report = replay_quarantine(
        deployed.clients, deployed.target, dry_run=True, day="2026-11-26", reason_contains="schema"
    )

    [item] = report.objects
    assert item.key.endswith("2-0.jsonl") and len(item.selected) == 1 and item.filtered_out == 1
    with pytest.raises(ValueError):
        replay_quarantine(deployed.clients, deployed.target, dry_run=True, day="26/11/2026")


def test_a_malformed_quarantine_object_is_named_with_its_line() -> None:
    with pytest.raises(ValueError, match=r"s3 object q/x\.jsonl line 2"):
        parse_object(
            "q/x.jsonl",
            b'{"data": "", "partition_key": "k", "shard_id": "s", "sequence_number": "1", '
            b'"sub_sequence_number": 0, "reason": "r"}\n{"data": 1}\n',
        )


def test_redrive_command_dry_run_prints_each_batch(deployed: Any, build: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    shard, _ = _failed_batch(deployed, build)
    monkeypatch.setattr(cli.ReplayTarget, "load", classmethod(lambda cls, stack, tenant, stream: deployed.target))
    monkeypatch.setattr(cli.ReplayClients, "for_stack", classmethod(lambda cls, stack: deployed.clients))

    result = CliRunner().invoke(
        cli.app, ["redrive", "--stack", "dev", "--tenant", "acme", "--stream", "clicks", "--dry-run"]
    )

    assert result.exit_code == 0, result.output
    assert "dry run" in result.output and f"re-drive {shard}" in result.output
    assert _queue_depth(deployed) == 1
