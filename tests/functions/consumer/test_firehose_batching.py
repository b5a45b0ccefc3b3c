"""Lines are packed and chunked within PutRecordBatch limits, in order, without losing a byte."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.aws_limits import (
    FIREHOSE_MAX_BYTES_PER_CALL,
    FIREHOSE_MAX_RECORD_BYTES,
    FIREHOSE_MAX_RECORDS_PER_CALL,
)
from functions.consumer.firehose_delivery import FirehoseDelivery, LineBuffer, pack_lines, plan_calls

line_sizes = st.lists(st.integers(min_value=1, max_value=FIREHOSE_MAX_RECORD_BYTES), max_size=40)


def _lines(sizes: list[int]) -> list[bytes]:
    return [bytes([65 + index % 26]) * (size - 1) + b"\n" for index, size in enumerate(sizes)]


@settings(max_examples=60, deadline=None)
@given(line_sizes, st.sampled_from([1, 5_000, 300_000, FIREHOSE_MAX_RECORD_BYTES]))
def test_packed_calls_respect_firehose_limits_and_keep_order(sizes: list[int], target: int) -> None:
    lines = _lines(sizes)
    records = pack_lines(LineBuffer.of(lines), target)
    calls = plan_calls(records)

    assert b"".join(record.data for call in calls for record in call) == b"".join(lines)
    for call in calls:
        assert 1 <= len(call) <= FIREHOSE_MAX_RECORDS_PER_CALL
        assert sum(len(record.data) for record in call) <= FIREHOSE_MAX_BYTES_PER_CALL
    for record in records:
        assert len(record.data) <= FIREHOSE_MAX_RECORD_BYTES
        assert record.data == b"".join(lines[record.first_line : record.end_line])
        assert record.end_line - record.first_line == 1 or len(record.data) <= target
    boundaries = [0] + [record.end_line for record in records]
    assert [record.first_line for record in records] == boundaries[:-1]
    assert boundaries[-1] == len(lines)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=40), max_size=200), st.integers(min_value=1, max_value=200))
def test_packing_fills_each_record_before_starting_the_next(sizes: list[int], target: int) -> None:
    """Fewest Firehose records (each billed rounded up to 5 KB): a record ends only when the next line
    would not fit."""
    lines = _lines(sizes)
    records = pack_lines(LineBuffer.of(lines), target)

    for record, following in pairwise(records):
        assert len(record.data) + len(lines[following.first_line]) > target


@given(st.lists(st.integers(min_value=1, max_value=3000), min_size=501, max_size=1200))
@settings(max_examples=15, deadline=None)
def test_one_line_per_record_splits_at_500_records(sizes: list[int]) -> None:
    calls = plan_calls(pack_lines(LineBuffer.of(_lines(sizes)), 1))

    assert [len(call) for call in calls[:-1]] == [FIREHOSE_MAX_RECORDS_PER_CALL] * (len(calls) - 1)
    assert sum(len(call) for call in calls) == len(sizes)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=3000), max_size=30),
    st.lists(st.integers(min_value=1, max_value=5000), max_size=8),
    st.sampled_from([1, 2_000, 6_000]),
)
def test_reused_record_buffers_hold_exactly_each_records_lines(
    sizes: list[int], earlier_sizes: list[int], target: int
) -> None:
    """Buffers left by an earlier batch, longer or shorter, never leak bytes into a record."""
    lines = _lines(sizes)
    pool = [bytearray(b"#" * size) for size in earlier_sizes]

    reused = pack_lines(LineBuffer.of(lines), target, pool)

    assert [(r.first_line, r.end_line, bytes(r.data)) for r in reused] == [
        (r.first_line, r.end_line, r.data) for r in pack_lines(LineBuffer.of(lines), target)
    ]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(min_value=1, max_value=4000), max_size=25), min_size=2, max_size=4))
def test_successive_deliveries_each_send_exactly_their_own_lines(batches: list[list[int]]) -> None:
    firehose = ScriptedFirehose(set(), times=0)
    delivery = FirehoseDelivery(firehose, "stream", max_record_bytes=5_000, sleep=lambda s: None)
    buffer = LineBuffer()
    for batch, sizes in enumerate(batches):
        lines = [bytes([97 + batch]) * (size - 1) + b"\n" for size in sizes]
        sent_before = len(firehose.sent)
        # One BytesIO for every batch, as the consumer does, rewritten from the start.
        buffer.data.seek(0)
        buffer.ends.clear()
        for line in lines:
            buffer.append(line)

        outcome = delivery.deliver(buffer)

        assert outcome.delivered_lines == len(lines)
        assert b"".join(data for call in firehose.sent[sent_before:] for data in call) == b"".join(lines)


class ScriptedFirehose:
    """Fails the entries whose data is in `failing` on the first `times` calls that include them."""

    def __init__(self, failing: set[bytes], times: int) -> None:
        self.failing = failing
        self.remaining = dict.fromkeys(failing, times)
        self.sent: list[list[bytes]] = []

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:
        # Copies: the data are only valid during the call (FirehoseDelivery refills its buffers).
        sent = [bytes(entry["Data"]) for entry in Records]
        self.sent.append(sent)
        responses: list[dict[str, str]] = []
        for data in sent:
            if self.remaining.get(data, 0) > 0:
                self.remaining[data] -= 1
                responses.append({"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "slow down"})
            else:
                responses.append({"RecordId": "id"})
        return {"FailedPutCount": sum("ErrorCode" in r for r in responses), "RequestResponses": responses}


def test_retries_resend_only_failed_entries_with_growing_jittered_backoff() -> None:
    lines = [b"a\n", b"b\n", b"c\n"]
    firehose = ScriptedFirehose({b"b\n"}, times=2)
    sleeps: list[float] = []
    delivery = FirehoseDelivery(
        firehose, "stream", max_record_bytes=1, sleep=sleeps.append, jitter=lambda low, high: high
    )

    outcome = delivery.deliver(LineBuffer.of(lines))

    assert firehose.sent == [[b"a\n", b"b\n", b"c\n"], [b"b\n"], [b"b\n"]]
    assert outcome.delivered_lines == 3 and outcome.retried_calls == 2
    assert sleeps == [0.2, 0.4]


def test_delivery_stops_at_first_undelivered_line_after_attempts_run_out() -> None:
    lines = [b"a\n", b"b\n", b"c\n"]
    firehose = ScriptedFirehose({b"b\n"}, times=99)
    delivery = FirehoseDelivery(firehose, "stream", max_record_bytes=1, max_attempts=3, sleep=lambda s: None)

    outcome = delivery.deliver(LineBuffer.of(lines))

    assert outcome.delivered_lines == 1
    assert len(firehose.sent) == 3
    assert "ServiceUnavailableException" in (outcome.error or "")


def test_no_retry_when_the_invocation_is_about_to_time_out() -> None:
    firehose = ScriptedFirehose({b"a\n"}, times=1)
    delivery = FirehoseDelivery(firehose, "stream", max_record_bytes=1, sleep=lambda s: None)

    outcome = delivery.deliver(LineBuffer.of([b"a\n"]), time_left_ms=lambda: 1_000)

    assert outcome.delivered_lines == 0 and len(firehose.sent) == 1


def test_later_calls_are_not_sent_after_a_call_fails() -> None:
    big = b"x" * (FIREHOSE_MAX_RECORD_BYTES - 1) + b"\n"
    lines = [big] * 6  # two calls: four records, then two
    firehose = ScriptedFirehose({big}, times=99)
    delivery = FirehoseDelivery(firehose, "stream", max_attempts=1, sleep=lambda s: None)

    outcome = delivery.deliver(LineBuffer.of(lines))

    assert outcome.delivered_lines == 0 and len(firehose.sent) == 1
