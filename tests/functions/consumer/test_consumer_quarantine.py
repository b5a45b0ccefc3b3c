"""Poison records are quarantined with a reason and never fail the batch or block the shard."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import orjson
import pytest
from aws_kinesis_agg import MAGIC
from aws_kinesis_agg.aggregator import RecordAggregator
from botocore.exceptions import ClientError

FIXTURES = Path(__file__).parent / "fixtures"


def test_aws_sample_kinesis_event_is_quarantined_without_failing_the_batch(aws, make_consumer) -> None:
    event = orjson.loads((FIXTURES / "aws_sample_kinesis_event.json").read_bytes())

    result = make_consumer().process(event)

    assert result.response() == {"batchItemFailures": []}
    entries = aws.quarantine_entries()
    assert [base64.b64decode(entry["data"]) for entry in entries] == [
        b"Hello, this is a test.",
        b"This is only a test.",
    ]
    assert all(entry["reason"].startswith("not JSON") for entry in entries)
    assert aws.lake_lines() == []
    assert (
        aws.checkpoint("shardId-000000000006")["sequence_number"]["S"]
        == event["Records"][1]["kinesis"]["sequenceNumber"]
    )


POISON_CASES = {
    "not base64": ("!!not-base64!!", "not base64"),
    "not JSON": (b"{broken", "not JSON"),
    "not UTF-8": (b'{"event_id": "\xff"}', "not JSON"),
    "JSON array": (b"[1, 2]", "not an event envelope: record is a JSON array"),
    "missing property": (orjson.dumps({"event_id": "e", "tenant": "acme"}), "missing required property 'type'"),
    "producer field at top level": (None, "unexpected top-level properties: produced_at, run_id"),
    "event_id too long": (None, "'event_id' must be 1 to 128 characters"),
    "bad occurred_at": (None, "'occurred_at' must be an RFC 3339 date-time"),
    "other tenant": (None, "does not match this consumer's tenant 'acme'"),
    "too large": (None, "above MAX_EVENT_BYTES=2000"),
}


def _poison_payload(case: str, build: Any) -> bytes | str:
    data, _ = POISON_CASES[case]
    if data is not None:
        return data
    good = build.envelope(1)
    if case == "producer field at top level":
        return orjson.dumps(good | {"run_id": "r", "produced_at": 1})
    if case == "event_id too long":
        return orjson.dumps(good | {"event_id": "x" * 129})
    if case == "bad occurred_at":
        return orjson.dumps(good | {"occurred_at": "yesterday"})
    if case == "other tenant":
        return orjson.dumps(good | {"tenant": "globex"})
    return orjson.dumps(good | {"payload": {"filler": "x" * 3000}})


@pytest.mark.parametrize("case", sorted(POISON_CASES))
def test_poison_record_is_quarantined_with_reason_and_never_blocks_shard(aws, make_consumer, build, case) -> None:
    payloads = [orjson.dumps(build.envelope(0)), _poison_payload(case, build), orjson.dumps(build.envelope(2))]
    event = build.kinesis_event(payloads)

    result = make_consumer(max_event_bytes=2000).process(event)

    assert result.response() == {"batchItemFailures": []}
    assert [line["event_id"] for line in aws.lake_lines()] == ["evt-0", "evt-2"]
    [entry] = aws.quarantine_entries()
    assert POISON_CASES[case][1] in entry["reason"]
    assert entry["sequence_number"] == event["Records"][1]["kinesis"]["sequenceNumber"]
    assert entry["shard_id"] == build.shard
    assert entry["sub_sequence_number"] == 0
    assert result.stats.quarantined == 1


def test_quarantine_object_is_one_per_batch_keyed_by_date_shard_and_first_position(aws, make_consumer, build) -> None:
    event = build.kinesis_event([b"one", orjson.dumps(build.envelope(1)), b"two"])

    make_consumer().process(event)

    first_sequence = event["Records"][0]["kinesis"]["sequenceNumber"]
    assert aws.quarantine_keys() == [
        f"{build.quarantine_prefix}dt=2026-11-26/shard={build.shard}/{first_sequence}-0.jsonl"
    ]
    entries = aws.quarantine_entries()
    assert [base64.b64decode(entry["data"]) for entry in entries] == [b"one", b"two"]
    assert {entry["tenant"] for entry in entries} == {"acme"}
    assert {entry["quarantined_at"] for entry in entries} == {"2026-11-26T12:00:00.250Z"}


def test_retried_batch_rewrites_the_same_quarantine_object(aws, make_consumer, build) -> None:
    event = build.kinesis_event([b"poison", orjson.dumps(build.envelope(1))])
    consumer = make_consumer()
    consumer.process(event)
    aws.dynamodb.delete_item(TableName="checkpoints", Key={"pk": {"S": consumer._checkpoints.key(build.shard)}})

    consumer.process(event)

    assert len(aws.quarantine_keys()) == 1
    assert len(aws.quarantine_entries()) == 1


def _corrupt_aggregate(build: Any) -> bytes:
    aggregator = RecordAggregator()
    aggregator.add_user_record("pk", orjson.dumps(build.envelope(0)))
    _, _, aggregate = aggregator.clear_and_get().get_contents()
    return aggregate[:-1] + bytes([aggregate[-1] ^ 0xFF])


def _aggregate_with_bad_key_index() -> bytes:
    from aws_kinesis_agg import messages_pb2

    message = messages_pb2.AggregatedRecord()
    message.partition_key_table.append("pk")
    record = message.records.add()
    record.partition_key_index = 3
    record.data = b"{}"
    body = message.SerializeToString()
    return MAGIC + body + hashlib.md5(body).digest()


@pytest.mark.parametrize(
    ("make_aggregate", "reason"),
    [(_corrupt_aggregate, "MD5 digest mismatch"), (lambda build: _aggregate_with_bad_key_index(), "partition key 3")],
)
def test_corrupt_kpl_aggregate_is_one_poison_record(aws, make_consumer, build, make_aggregate, reason) -> None:
    event = build.kinesis_event([make_aggregate(build), orjson.dumps(build.envelope(1))])

    result = make_consumer().process(event)

    assert result.response() == {"batchItemFailures": []}
    [entry] = aws.quarantine_entries()
    assert "corrupt KPL aggregate" in entry["reason"] and reason in entry["reason"]
    assert base64.b64decode(entry["data"]) == make_aggregate(build)
    assert [line["event_id"] for line in aws.lake_lines()] == ["evt-1"]


def test_poison_sub_record_of_aggregate_keeps_its_sub_sequence_number(aws, make_consumer, build) -> None:
    aggregator = RecordAggregator()
    aggregator.add_user_record("pk", orjson.dumps(build.envelope(0)))
    aggregator.add_user_record("pk-bad", b"not json")
    _, _, aggregate = aggregator.clear_and_get().get_contents()

    make_consumer().process(build.kinesis_event([aggregate]))

    [entry] = aws.quarantine_entries()
    assert (entry["sub_sequence_number"], entry["partition_key"]) == (1, "pk-bad")
    assert base64.b64decode(entry["data"]) == b"not json"


class BrokenS3:
    def put_object(self, **_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutObject")


def test_quarantine_write_failure_retries_from_first_poison_record(aws, make_consumer, build) -> None:
    event = build.kinesis_event([orjson.dumps(build.envelope(0)), b"poison", orjson.dumps(build.envelope(2))])

    result = make_consumer(s3=BrokenS3()).process(event)

    sequences = [record["kinesis"]["sequenceNumber"] for record in event["Records"]]
    assert result.failed_sequence_numbers == sequences[1:]
    assert aws.checkpoint()["sequence_number"]["S"] == sequences[0]
    assert result.stats.quarantined == 0
