"""End-to-end consumer behaviour against moto: delivery, enrichment, checkpoints and retries."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from aws_kinesis_agg.aggregator import RecordAggregator
from botocore.exceptions import ClientError


def test_valid_records_land_in_the_lake_as_enriched_masked_ndjson(aws, make_consumer, build) -> None:
    result = make_consumer().process(build.event_of_envelopes(3))

    assert result.response() == {"batchItemFailures": []}
    lines = aws.lake_lines()
    assert [line["event_id"] for line in lines] == ["evt-0", "evt-1", "evt-2"]
    first = lines[0]
    assert first["payload"]["email"] == "***"
    assert first["payload"]["run_id"] == "run-1"
    assert first["ingested_at"] == "2026-11-26T12:00:00.250Z"
    assert first["arrival_lag_ms"] == 1500
    assert first["shard_id"] == build.shard
    assert first["sequence_number"] == str(build.base_sequence)
    assert first["sub_sequence_number"] == 0
    assert result.stats.delivered == 3
    assert result.stats.max_arrival_lag_ms == 1500


def test_checkpoint_records_last_delivered_position_under_tenant_prefixed_key(aws, make_consumer, build) -> None:
    make_consumer().process(build.event_of_envelopes(3))

    item = aws.checkpoint()
    assert item is not None
    assert item["pk"]["S"].startswith(f"{build.tenant}#")
    assert item["sequence_number"]["S"] == str(build.base_sequence + 2000)
    assert item["sub_sequence_number"]["N"] == "0"
    assert item["position"]["S"] == f"{build.base_sequence + 2000:064d}.{0:010d}"


def test_redelivered_batch_is_skipped_and_counted_not_duplicated(aws, make_consumer, build) -> None:
    consumer = make_consumer()
    consumer.process(build.event_of_envelopes(3))

    retry = consumer.process(build.event_of_envelopes(5))

    assert retry.stats.duplicates_skipped == 3
    assert retry.stats.delivered == 2
    # Two Firehose objects written in the same second list in any order; count each event once.
    assert sorted(line["event_id"] for line in aws.lake_lines()) == ["evt-0", "evt-1", "evt-2", "evt-3", "evt-4"]


def test_kpl_aggregated_records_are_split_with_sub_sequence_numbers(aws, make_consumer, build) -> None:
    aggregator = RecordAggregator()
    for index in range(3):
        aggregator.add_user_record(f"pk-{index}", orjson.dumps(build.envelope(index)))
    _, _, aggregate = aggregator.clear_and_get().get_contents()
    event = build.kinesis_event([aggregate, orjson.dumps(build.envelope(3))])

    result = make_consumer().process(event)

    assert result.response() == {"batchItemFailures": []}
    lines = aws.lake_lines()
    assert [(line["event_id"], line["sub_sequence_number"]) for line in lines] == [
        ("evt-0", 0),
        ("evt-1", 1),
        ("evt-2", 2),
        ("evt-3", 0),
    ]
    assert result.stats.records_in == 4


def test_retry_after_partial_aggregate_delivery_skips_delivered_sub_records(aws, make_consumer, build) -> None:
    aggregator = RecordAggregator()
    for index in range(4):
        aggregator.add_user_record("pk", orjson.dumps(build.envelope(index)))
    _, _, aggregate = aggregator.clear_and_get().get_contents()
    event = build.kinesis_event([aggregate])
    flaky = build.flaky_firehose(
        aws.firehose, lambda data, call: "ServiceUnavailableException" if b"evt-2" in data else None
    )

    first = make_consumer(firehose=flaky, firehose_record_bytes=1).process(event)
    assert first.failed_sequence_numbers == [str(build.base_sequence)]
    assert aws.checkpoint()["sub_sequence_number"]["N"] == "1"

    second = make_consumer().process(event)

    assert second.response() == {"batchItemFailures": []}
    assert second.stats.duplicates_skipped == 2
    event_ids = [line["event_id"] for line in aws.lake_lines()]
    assert event_ids.count("evt-0") == event_ids.count("evt-1") == 1  # behind the checkpoint: not re-sent
    assert set(event_ids) == {"evt-0", "evt-1", "evt-2", "evt-3"}


def test_partial_firehose_failure_retries_only_failed_entries(aws, make_consumer, build) -> None:
    failures_left = {"evt-1": 2}

    def fail(data: bytes, call: int) -> str | None:
        for event_id, remaining in failures_left.items():
            if event_id.encode() in data and remaining:
                failures_left[event_id] = remaining - 1
                return "ServiceUnavailableException"
        return None

    flaky = build.flaky_firehose(aws.firehose, fail)
    result = make_consumer(firehose=flaky, firehose_record_bytes=1).process(build.event_of_envelopes(3))

    assert result.response() == {"batchItemFailures": []}
    assert [len(call) for call in flaky.calls] == [3, 1, 1]
    assert result.stats.delivery_retries == 2
    assert sorted(line["event_id"] for line in aws.lake_lines()) == ["evt-0", "evt-1", "evt-2"]


def test_undeliverable_record_fails_batch_from_it_on_and_checkpoints_before_it(aws, make_consumer, build) -> None:
    flaky = build.flaky_firehose(aws.firehose, lambda data, call: "InternalFailure" if b"evt-2" in data else None)
    event = build.event_of_envelopes(5)

    result = make_consumer(firehose=flaky, firehose_record_bytes=1).process(event)

    expected = [str(build.base_sequence + 1000 * i) for i in (2, 3, 4)]
    assert result.response() == {"batchItemFailures": [{"itemIdentifier": seq} for seq in expected]}
    assert aws.checkpoint()["sequence_number"]["S"] == str(build.base_sequence + 1000)
    assert result.stats.left_for_retry == 3


class FailingFirehose:
    """Every call raises, as when Firehose is down past botocore's retries."""

    def __init__(self) -> None:
        self.calls = 0

    def put_record_batch(self, **_: Any) -> dict[str, Any]:
        self.calls += 1
        raise ClientError({"Error": {"Code": "ServiceUnavailableException", "Message": "down"}}, "PutRecordBatch")


def test_wholly_failed_firehose_call_loses_and_reorders_nothing(aws, make_consumer, build) -> None:
    event = build.event_of_envelopes(4)

    down = make_consumer(firehose=FailingFirehose()).process(event)

    assert down.failed_sequence_numbers == [record["kinesis"]["sequenceNumber"] for record in event["Records"]]
    assert aws.checkpoint() is None
    assert aws.lake_lines() == []

    recovered = make_consumer().process(event)

    assert recovered.response() == {"batchItemFailures": []}
    assert [line["event_id"] for line in aws.lake_lines()] == ["evt-0", "evt-1", "evt-2", "evt-3"]


class CrashingCheckpoints:
    """DynamoDB that reads fine but dies on the checkpoint write: a crash between delivery and checkpoint."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def get_item(self, **kwargs: Any) -> Any:
        return self._inner.get_item(**kwargs)

    def update_item(self, **kwargs: Any) -> Any:
        raise RuntimeError("Lambda timed out")


def test_crash_between_delivery_and_checkpoint_loses_nothing_on_retry(aws, make_consumer, build) -> None:
    event = build.event_of_envelopes(4)
    try:
        make_consumer(dynamodb=CrashingCheckpoints(aws.dynamodb)).process(event)
    except RuntimeError:
        pass
    else:  # pragma: no cover - the fake always crashes
        raise AssertionError("the crash did not happen")

    retry = make_consumer().process(event)

    assert retry.response() == {"batchItemFailures": []}
    event_ids = [line["event_id"] for line in aws.lake_lines()]
    assert set(event_ids) == {"evt-0", "evt-1", "evt-2", "evt-3"}  # at least once: duplicates allowed
    assert aws.checkpoint()["sequence_number"]["S"] == str(build.base_sequence + 3000)


def test_checkpoint_never_moves_backwards_when_an_older_batch_finishes_late(aws, make_consumer, build) -> None:
    consumer = make_consumer()
    consumer.process(build.event_of_envelopes(2, first_sequence=build.base_sequence + 10_000))
    newer = aws.checkpoint()["position"]["S"]

    consumer._checkpoints.advance(build.shard, str(build.base_sequence), 0, updated_at="late")

    assert aws.checkpoint()["position"]["S"] == newer


def test_sequence_numbers_beyond_dynamodb_precision_compare_correctly(aws, make_consumer, build) -> None:
    # Differ only in the last digit of 56: a DynamoDB number (38 digits) could not tell them apart.
    low = 10**55 + 1
    consumer = make_consumer()
    consumer.process(build.event_of_envelopes(1, first_sequence=low))

    result = consumer.process(build.kinesis_event([orjson.dumps(build.envelope(9))], first_sequence=low + 1))

    assert result.stats.duplicates_skipped == 0
    assert aws.checkpoint()["sequence_number"]["S"] == str(low + 1)


def test_lines_are_packed_into_few_firehose_records_each_ending_in_newline(aws, make_consumer, build) -> None:
    recorder = build.flaky_firehose(aws.firehose, lambda data, call: None)

    make_consumer(firehose=recorder).process(build.event_of_envelopes(50))

    assert len(recorder.calls) == 1 and len(recorder.calls[0]) == 1
    assert recorder.calls[0][0].count(b"\n") == 50
    assert len(aws.lake_lines()) == 50


def test_base64_in_lake_is_never_needed_payload_is_plain_json(aws, make_consumer, build) -> None:
    make_consumer().process(build.event_of_envelopes(1))

    raw = base64.b64encode(orjson.dumps(build.envelope(0))).decode()
    assert raw not in orjson.dumps(aws.lake_lines()).decode()


def _fail_second_call(data: bytes, call: int) -> str | None:
    return "ServiceUnavailableException" if call >= 1 else None


def test_checkpoint_advances_after_each_delivered_call_and_failures_start_at_the_next(
    aws, make_consumer, build
) -> None:
    event = build.event_of_envelopes(502)  # one line per record: calls of 500 and 2
    flaky = build.flaky_firehose(aws.firehose, _fail_second_call)

    result = make_consumer(firehose=flaky, firehose_record_bytes=1, delivery_attempts=1).process(event)

    sequences = [record["kinesis"]["sequenceNumber"] for record in event["Records"]]
    assert aws.checkpoint()["sequence_number"]["S"] == sequences[499]
    assert result.failed_sequence_numbers == sequences[500:]


def test_intermediate_checkpoint_never_passes_an_unwritten_quarantine_entry(aws, make_consumer, build) -> None:
    payloads = [orjson.dumps(build.envelope(index)) for index in range(502)]
    payloads[10] = b"poison"
    event = build.kinesis_event(payloads)
    flaky = build.flaky_firehose(aws.firehose, _fail_second_call)

    class BrokenS3:
        def put_object(self, **_: Any) -> None:
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "later"}}, "PutObject")

    result = make_consumer(firehose=flaky, s3=BrokenS3(), firehose_record_bytes=1, delivery_attempts=1).process(event)

    sequences = [record["kinesis"]["sequenceNumber"] for record in event["Records"]]
    assert aws.checkpoint()["sequence_number"]["S"] == sequences[9]
    assert result.failed_sequence_numbers == sequences[10:]


def test_plain_records_around_poison_and_an_aggregate_keep_their_positions(aws, make_consumer, build) -> None:
    """The fast run over plain records hands over to the general loop at the first other record; every
    position after that must still map to the right Kinesis record."""
    aggregator = RecordAggregator()
    for index in (3, 4):
        aggregator.add_user_record("pk", orjson.dumps(build.envelope(index)))
    _, _, aggregate = aggregator.clear_and_get().get_contents()
    payloads = [orjson.dumps(build.envelope(i)) for i in (0, 1)] + [b"{broken", aggregate]
    payloads += [orjson.dumps(build.envelope(i)) for i in (5, 6)]
    event = build.kinesis_event(payloads)
    sequence = [str(build.base_sequence + 1000 * i) for i in range(len(payloads))]
    flaky = build.flaky_firehose(aws.firehose, lambda data, call: "InternalFailure" if b"evt-6" in data else None)

    result = make_consumer(firehose=flaky, firehose_record_bytes=1).process(event)

    assert result.failed_sequence_numbers == [sequence[5]]
    assert [(line["event_id"], line["sequence_number"], line["sub_sequence_number"]) for line in aws.lake_lines()] == [
        ("evt-0", sequence[0], 0),
        ("evt-1", sequence[1], 0),
        ("evt-3", sequence[3], 0),
        ("evt-4", sequence[3], 1),
        ("evt-5", sequence[4], 0),
    ]
    assert [entry["sequence_number"] for entry in aws.quarantine_entries()] == [sequence[2]]
    assert aws.checkpoint()["sequence_number"]["S"] == sequence[4]
    assert (result.stats.delivered, result.stats.quarantined, result.stats.left_for_retry) == (5, 1, 1)


def test_a_later_batch_is_not_polluted_by_an_earlier_longer_one(aws, make_consumer, build) -> None:
    """The consumer rewrites one line buffer and one set of Firehose record buffers per batch: nothing
    of an earlier, longer batch may show through, whichever path encoded a line."""
    recorder = build.flaky_firehose(aws.firehose, lambda data, call: None)
    consumer = make_consumer(firehose=recorder, firehose_record_bytes=4_000)
    blob = {"blob": "x" * 3_000}
    consumer.process(build.kinesis_event([orjson.dumps(build.envelope(i, payload=blob)) for i in range(6)]))
    aggregator = RecordAggregator()
    aggregator.add_user_record("pk", orjson.dumps(build.envelope(12, payload={"n": 12})))
    _, _, aggregate = aggregator.clear_and_get().get_contents()
    # Spliced (no email to mask), re-encoded (masked), poison, an aggregate, spliced again.
    later = [orjson.dumps(build.envelope(10, payload={"n": 10})), orjson.dumps(build.envelope(11)), b"{broken"]
    later += [aggregate, orjson.dumps(build.envelope(13, payload={"n": 13}))]
    first_later_call = len(recorder.calls)

    result = consumer.process(build.kinesis_event(later, first_sequence=build.base_sequence + 10_000))

    assert result.response() == {"batchItemFailures": []}
    sent = b"".join(data for call in recorder.calls[first_later_call:] for data in call)
    assert b"xxx" not in sent
    lines = [orjson.loads(line) for line in sent.splitlines()]
    assert [(line["event_id"], line["payload"]) for line in lines] == [
        ("evt-10", {"n": 10}),
        ("evt-11", build.envelope(11)["payload"] | {"email": "***"}),
        ("evt-12", {"n": 12}),
        ("evt-13", {"n": 13}),
    ]
    assert [line["sequence_number"] for line in lines] == [
        str(build.base_sequence + 10_000 + 1000 * i) for i in (0, 1, 3, 4)
    ]
