"""The consumer at every ParallelizationFactor: random lanes, batch cuts, interleavings and failures lose nothing.

Lambda at factor N runs up to N batches of one shard at once; it keeps records of one partition key in order
and in one batch at a time, and nothing else (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html).
The model below is exactly that, and adversarial beyond it: keys are assigned to lanes at random, batches are
cut at random sizes, the next lane to run is drawn at random, Firehose rejects entries and calls fail at random
points, and an invocation may crash after delivering (Lambda then sends the whole batch again).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SHARD = "shardId-000000000003"
FIRST_SEQUENCE = 49590338271490256608559692538361571095921575989136588898


class Crash(RuntimeError):
    """The function died mid-invocation (timeout, out of memory): Lambda retries the whole batch."""


@dataclass
class Lane:
    pending: deque[dict[str, Any]] = field(default_factory=deque)
    retry: list[dict[str, Any]] | None = None  # a batch Lambda sends again before anything newer


class RecordingFirehose:
    """Firehose that fails what the test draws and remembers every entry it accepted."""

    def __init__(self, inner: Any, rejects: set[int], crashes: set[int]) -> None:
        self._inner = inner
        self._rejects = rejects  # global entry counter values whose entry fails (ServiceUnavailable)
        self._crashes = crashes  # call numbers on which the function dies after this call's delivery
        self.entries = 0
        self.calls = 0
        self.accepted: list[bytes] = []

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:
        call = self.calls
        self.calls += 1
        responses = []
        passing = []
        for entry in Records:
            self.entries += 1
            if self.entries in self._rejects:
                responses.append({"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "injected"})
            else:
                passing.append(entry)
                responses.append({"RecordId": "ok"})
        if passing:
            self._inner.put_record_batch(DeliveryStreamName=DeliveryStreamName, Records=passing)
            self.accepted.extend(bytes(entry["Data"]) for entry in passing)
        if call in self._crashes:
            raise Crash(f"died after Firehose call {call}")
        failed = len(Records) - len(passing)
        return {"FailedPutCount": failed, "Encrypted": False, "RequestResponses": responses}


def _record(sequence: int, key: str, data: bytes, build: Any) -> dict[str, Any]:
    record = build.kinesis_record(data, sequence, shard_id=SHARD)
    record["kinesis"]["partitionKey"] = key
    return record


def _event_ids(entries: list[bytes]) -> set[str]:
    """Event ids of Firehose entries (an entry packs several NDJSON lake lines)."""
    return {str(orjson.loads(line)["event_id"]) for entry in entries for line in entry.splitlines()}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    factor=st.sampled_from([1, 2, 4, 10]),
    keys=st.integers(min_value=1, max_value=12),
    count=st.integers(min_value=1, max_value=60),
    data=st.data(),
)
def test_no_interleaving_of_lanes_batches_and_failures_loses_a_record(
    factor: int, keys: int, count: int, data: st.DataObject, make_consumer: Any, aws: Any, build: Any
) -> None:
    aws.reset()
    key_of = [f"user-{data.draw(st.integers(0, keys - 1))}" for _ in range(count)]
    poison = set(data.draw(st.sets(st.integers(0, count - 1), max_size=max(1, count // 20))))
    records = []
    for index in range(count):
        body = b"{not json" if index in poison else orjson.dumps(build.envelope(index))
        records.append(_record(FIRST_SEQUENCE + 1000 * index, key_of[index], body, build))
    lane_of = {key: data.draw(st.integers(0, factor - 1)) for key in sorted(set(key_of))}
    lanes = [Lane() for _ in range(factor)]
    for record in records:
        lanes[lane_of[record["kinesis"]["partitionKey"]]].pending.append(record)
    rejects = set(data.draw(st.sets(st.integers(1, 3 * count), max_size=5)))
    crashes = set(data.draw(st.sets(st.integers(0, 3 * count), max_size=2)))
    firehose = RecordingFirehose(aws.firehose, rejects, crashes)
    consumer = make_consumer(firehose=firehose, parallelization_factor=factor, pii_fields=())

    invocations = 0
    while any(lane.pending or lane.retry for lane in lanes):
        invocations += 1
        assert invocations < 40 * count + 40, "the shard never drained"
        ready = [lane for lane in lanes if lane.pending or lane.retry]
        lane = ready[data.draw(st.integers(0, len(ready) - 1))]
        if lane.retry is not None:
            batch, lane.retry = lane.retry, None
        else:
            size = data.draw(st.integers(1, 12))
            batch = [lane.pending.popleft() for _ in range(min(size, len(lane.pending)))]
        delivered_before = _event_ids(firehose.accepted)
        try:
            result = consumer.process({"Records": batch})
        except Crash:
            lane.retry = batch  # Lambda retries the whole batch: nothing of it is checkpointed
            continue
        failed = {f["itemIdentifier"] for f in result.response()["batchItemFailures"]}
        retry_from = next((i for i, r in enumerate(batch) if r["kinesis"]["sequenceNumber"] in failed), len(batch))
        delivered_now = _event_ids(firehose.accepted) - delivered_before
        # Every record before the retry point is in the lake (now or before) or quarantined: none was skipped
        # as a duplicate without having been delivered.
        for record in batch[:retry_from]:
            index = (int(record["kinesis"]["sequenceNumber"]) - FIRST_SEQUENCE) // 1000
            if index in poison:
                continue
            event_id = f"evt-{index}"
            assert event_id in delivered_before | delivered_now, f"{event_id} skipped but never delivered"
        if retry_from < len(batch):
            lane.retry = batch[retry_from:]

    lake = {str(line["event_id"]) for line in aws.lake_lines()}
    assert lake == {f"evt-{i}" for i in range(count) if i not in poison}
    quarantined = {str(entry["sequence_number"]) for entry in aws.quarantine_entries()}
    assert quarantined == {str(FIRST_SEQUENCE + 1000 * i) for i in poison}
