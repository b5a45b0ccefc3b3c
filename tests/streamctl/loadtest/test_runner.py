from __future__ import annotations

import threading
from typing import Any

import pytest

from streamctl.loadtest.partition_keys import PartitionKeyStrategyName
from streamctl.loadtest.producer import ProducerStats
from streamctl.loadtest.runner import LoadSpec, WriterOutcome, run_writer


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class AcceptingKinesis:
    def __init__(self) -> None:
        self.entries = 0

    def put_records(self, *, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        self.entries += len(Records)
        return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1", "ShardId": "s"} for _ in Records]}


@pytest.mark.parametrize("aggregate", [False, True])
def test_a_writer_sends_rate_times_duration_events(aggregate: bool) -> None:
    spec = LoadSpec(run_id="r", tenant="acme", stream_name="s", rate=1_000, duration_s=2.0, aggregate=aggregate)
    clock, kinesis = FakeClock(), AcceptingKinesis()
    outcome = WriterOutcome(writer=0, stats=ProducerStats())
    run_writer(spec, 0, kinesis, outcome, threading.Event(), clock=clock, sleep=clock.sleep)
    assert abs(outcome.events - 2_000) <= spec.batch_size
    assert outcome.stats.user_records_sent == outcome.events
    assert outcome.failed_event_ids == []
    if aggregate:
        assert kinesis.entries < outcome.events / 10


def test_a_record_size_below_the_envelope_is_refused_before_any_writer_starts() -> None:
    with pytest.raises(ValueError, match="--record-bytes 100"):
        LoadSpec(run_id="r", tenant="acme", stream_name="s", rate=10, duration_s=1, record_bytes=100)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"entities": 0, "key_strategy": "zipf"}, "--entities"),
        ({"aggregate": True, "aggregate_bytes": 10}, "aggregate size"),
        ({"writers": 0}, "--writers"),
    ],
)
def test_bad_options_are_refused_before_any_writer_starts(options: dict[str, Any], message: str) -> None:
    if "key_strategy" in options:
        options["key_strategy"] = PartitionKeyStrategyName(options["key_strategy"])
    with pytest.raises(ValueError, match=message):
        LoadSpec(run_id="r", tenant="acme", stream_name="s", rate=10, duration_s=1, **options)
