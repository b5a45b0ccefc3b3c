from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from streamctl.loadtest.batching import UserRecord
from streamctl.loadtest.envelope import EventFactory
from streamctl.loadtest.producer import THROTTLED_ERROR_CODE, KinesisProducer, PutCallResult, RetryPolicy


class FlakyKinesis:
    """A moto client whose PutRecords rejects chosen entries, as Kinesis does when a shard is throttled.

    moto never throttles, so `reject(call_number, partition_key)` decides which entries of which call fail.
    """

    def __init__(self, client: Any, reject: Callable[[int, str], bool]) -> None:
        self._client = client
        self._reject = reject
        self.calls: list[list[str]] = []

    def put_records(self, *, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        call_number = len(self.calls)
        self.calls.append([record["PartitionKey"] for record in Records])
        rejected = [self._reject(call_number, record["PartitionKey"]) for record in Records]
        accepted = [record for record, is_rejected in zip(Records, rejected, strict=True) if not is_rejected]
        written = iter(self._client.put_records(StreamName=StreamName, Records=accepted)["Records"] if accepted else [])
        results = [
            {"ErrorCode": THROTTLED_ERROR_CODE, "ErrorMessage": "Rate exceeded for shard"}
            if is_rejected
            else next(written)
            for is_rejected in rejected
        ]
        return {"FailedRecordCount": sum(rejected), "Records": results}


Drain = Callable[[], list[dict[str, Any]]]


def records(count: int, factory: EventFactory | None = None) -> list[UserRecord]:
    factory = factory or EventFactory("run-1", "acme", record_bytes=300)
    out = []
    for index in range(count):
        event_id, data = factory.next_event()
        out.append(UserRecord(f"key-{index}", data, event_id))
    return out


def key_index(partition_key: str) -> int:
    return int(partition_key.removeprefix("key-"))


def no_sleep(_seconds: float) -> None:
    return None


def test_every_record_reaches_the_stream_across_several_calls(kinesis: Any, stream_name: str, drain: Drain) -> None:
    producer = KinesisProducer(kinesis, stream_name, sleep=no_sleep)
    failed = producer.send(records(1_200))
    assert failed == []
    assert producer.stats.calls == 3
    assert producer.stats.user_records_sent == 1_200
    assert len(drain()) == 1_200


def test_only_the_throttled_entries_are_resent(kinesis: Any, stream_name: str, drain: Drain) -> None:
    flaky = FlakyKinesis(kinesis, reject=lambda call, key: call == 0 and key_index(key) % 3 == 0)
    sleeps: list[float] = []
    producer = KinesisProducer(flaky, stream_name, sleep=sleeps.append)
    failed = producer.send(records(30))
    assert failed == []
    assert flaky.calls[1] == [f"key-{index}" for index in range(0, 30, 3)]
    assert len(flaky.calls) == 2
    assert producer.stats.throttled_entries == 10
    assert producer.stats.retried_entries == 10
    assert len(sleeps) == 1
    stored = drain()
    assert sorted(record["PartitionKey"] for record in stored) == sorted(f"key-{index}" for index in range(30))


def test_backoff_grows_exponentially_within_the_jitter_bounds(kinesis: Any, stream_name: str, drain: Drain) -> None:
    flaky = FlakyKinesis(kinesis, reject=lambda call, _key: call < 4)
    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=8, base_delay_s=0.1, max_delay_s=0.3)
    producer = KinesisProducer(flaky, stream_name, retry=policy, sleep=sleeps.append)
    assert producer.send(records(5)) == []
    assert len(sleeps) == 4
    for retry, pause in enumerate(sleeps):
        assert 0.0 <= pause <= min(0.3, 0.1 * 2**retry)


def test_entries_still_failing_after_the_last_attempt_are_returned_with_their_event_ids(
    kinesis: Any, stream_name: str, drain: Drain
) -> None:
    flaky = FlakyKinesis(kinesis, reject=lambda _call, key: key == "key-2")
    producer = KinesisProducer(flaky, stream_name, retry=RetryPolicy(max_attempts=3), sleep=no_sleep)
    batch = records(5)
    failed = producer.send(batch)
    assert [entry.record_ids for entry in failed] == [(batch[2].record_id,)]
    assert len(flaky.calls) == 3
    assert producer.stats.user_records_failed == 1
    assert producer.stats.user_records_sent == 4


def test_each_call_is_reported_to_the_observer(kinesis: Any, stream_name: str, drain: Drain) -> None:
    flaky = FlakyKinesis(kinesis, reject=lambda call, key: call == 0 and key_index(key) < 2)
    observed: list[PutCallResult] = []
    producer = KinesisProducer(flaky, stream_name, on_call=observed.append, sleep=no_sleep)
    producer.send(records(10))
    assert [(r.entries, r.failed_entries, r.throttled_entries) for r in observed] == [(10, 2, 2), (2, 0, 0)]
    assert all(r.latency_ms >= 0 for r in observed)


class MissingStream:
    def put_records(self, **_kwargs: Any) -> dict[str, Any]:
        raise ClientError(
            {"Error": {"Code": "ResourceNotFoundException", "Message": "Stream nope not found"}}, "PutRecords"
        )


def test_a_missing_stream_fails_at_once_instead_of_retrying() -> None:
    producer = KinesisProducer(MissingStream(), "nope", sleep=no_sleep)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        producer.send(records(3))
    assert producer.stats.retried_entries == 0


def test_unaggregated_one_kilobyte_records_use_one_payload_unit_each(
    kinesis: Any, stream_name: str, drain: Drain
) -> None:
    producer = KinesisProducer(kinesis, stream_name, sleep=no_sleep)
    producer.send(records(100, EventFactory("run-1", "acme", record_bytes=1024)))
    assert producer.stats.payload_units == 100
