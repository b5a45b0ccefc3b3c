"""Pure pieces of local mode: API parameter shapes, schedule expressions, the on-failure record."""

from __future__ import annotations

import pytest

from emulator.api_shapes import api_value, pascal
from emulator.lambda_events import StreamRecord, on_failure_record
from emulator.runtime import schedule_interval_s
from emulator.workload import plan_load, poison_record, split_evenly


def test_engine_inputs_become_api_parameters() -> None:
    inputs = {"rules": [{"id": "r", "expiration": {"days": 30.0}, "serDeInfo": {"name": "x"}}], "ratio": 0.5}
    assert pascal(inputs) == {
        "Rules": [{"Id": "r", "Expiration": {"Days": 30}, "SerdeInfo": {"Name": "x"}}],
        "Ratio": 0.5,
    }
    assert api_value([1.0, 2.5, "3"]) == [1, 2.5, "3"]


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(2 hours)", 7200), ("cron(0 * * * ? *)", None)],
)
def test_only_rate_schedules_have_a_local_interval(expression: str, seconds: int | None) -> None:
    assert schedule_interval_s(expression) == seconds


def test_on_failure_record_describes_the_discarded_batch() -> None:
    records = [StreamRecord("shardId-000000000001", seq, "k", b"x", 1_700_000_000.25) for seq in ("7", "9")]
    message = on_failure_record(
        records,
        stream_arn="arn:aws:kinesis:us-east-1:123456789012:stream/s",
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
        condition="RetryAttemptsExhausted",
        invoke_count=3,
        function_error=None,
        now=1_700_000_001.0,
    )
    assert message["KinesisBatchInfo"] == {
        "shardId": "shardId-000000000001",
        "startSequenceNumber": "7",
        "endSequenceNumber": "9",
        "approximateArrivalOfFirstRecord": "2023-11-14T22:13:20.250Z",
        "approximateArrivalOfLastRecord": "2023-11-14T22:13:20.250Z",
        "batchSize": 2,
        "streamArn": "arn:aws:kinesis:us-east-1:123456789012:stream/s",
    }
    assert message["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert message["timestamp"] == "2023-11-14T22:13:21.000Z" and message["version"] == "1.0"


def test_load_is_split_across_every_stream_with_the_requested_poison() -> None:
    from streamctl.stack_outputs import StackOutputs

    stream = {
        "stream_arn": "a",
        "mode": "provisioned",
        "consumer_function": "f",
        "failure_queue_url": "u",
        "failure_queue_arn": "q",
        "delivery_stream": "d",
        "lake_prefix": "l/",
        "quarantine_prefix": "q/",
    }
    outputs = StackOutputs.model_validate(
        {
            "region": "us-east-1",
            "lake_bucket": "b",
            "lake_events_prefix": "events/",
            "quarantine_prefix": "quarantine/",
            "glue_database": "g",
            "athena_workgroup": "w",
            "checkpoint_table": "c",
            "scaling_table": "s",
            "alarm_topic_arn": "t",
            "tenants": {
                "acme": {"streams": {"clicks": stream | {"stream_name": "c"}, "orders": stream | {"stream_name": "o"}}},
                "globex": {"streams": {"telemetry": stream | {"stream_name": "t"}}},
            },
        }
    )
    loads = plan_load(outputs, 1000, poison_per_stream=2)
    assert [(load.tenant, load.stream) for load in loads] == [
        ("acme", "clicks"),
        ("acme", "orders"),
        ("globex", "telemetry"),
    ]
    assert sum(load.events + load.poison for load in loads) == 1000
    assert [load.poison for load in loads] == [2, 2, 2]
    assert split_evenly(10, [2.0, 1.0, 1.0]) == [6, 2, 2]  # rounding goes to the first stream


def test_every_poison_kind_is_distinct_and_names_its_run() -> None:
    kinds = [poison_record("run1", "acme", index) for index in range(4)]
    assert len(set(kinds)) == 4 and all(b"run1" in kind for kind in kinds)
