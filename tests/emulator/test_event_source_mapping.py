"""The local runtime polls event source mappings the way Lambda does (scripted handler, no Pulumi)."""

from __future__ import annotations

import base64
import io
import json
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from emulator.function_host import FunctionConfig, FunctionHost
from emulator.runtime import LocalRuntime, lane_of
from emulator.server import Emulator
from streamctl.aws_clients import aws_client

ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
TIMEOUT_S = 60.0


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("scripted_handler.py", "")
    return buffer.getvalue()


@dataclass
class Pipeline:
    stream_name: str
    stream_arn: str
    queue_url: str
    module: dict[str, ModuleType]


@pytest.fixture
def make_pipeline(emulator: Emulator) -> Callable[..., Pipeline]:
    """A stream, a function running the scripted handler, a failure queue and a mapping between them."""

    def make(shards: int = 1, **mapping: Any) -> Pipeline:
        suffix = uuid.uuid4().hex[:8]
        kinesis, lam, sqs, iam = (aws_client(s) for s in ("kinesis", "lambda", "sqs", "iam"))
        name = f"esm-{suffix}"
        kinesis.create_stream(StreamName=name, ShardCount=shards)
        stream_arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="scripted_handler.lambda_handler",
            Code={"ZipFile": _zip()},
            Environment={"Variables": {"SCRIPTED": "yes"}},
        )
        queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        settings = {
            "BatchSize": 10,
            "MaximumBatchingWindowInSeconds": 0,
            "StartingPosition": "TRIM_HORIZON",
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 1,
            "DestinationConfig": {"OnFailure": {"Destination": queue_arn}},
        } | mapping
        lam.create_event_source_mapping(EventSourceArn=stream_arn, FunctionName=name, **settings)
        return Pipeline(name, stream_arn, queue_url, {})

    return make


@pytest.fixture
def run_runtime(emulator: Emulator, tmp_path: Path) -> Iterator[Callable[..., LocalRuntime]]:
    """Start a runtime whose scripted handler copies get `script`; stop it at the end of the test."""
    started: list[LocalRuntime] = []

    def run(pipeline: Pipeline, script: dict[str, Any] | None = None, **options: Any) -> LocalRuntime:
        def on_load(config: FunctionConfig, module: ModuleType) -> None:
            module.SCRIPT.update(script or {})
            pipeline.module[config.name] = module

        host = FunctionHost(emulator.endpoint_url, tmp_path / "logs", on_load=on_load)
        runtime = LocalRuntime(host, **options)
        runtime.start()
        started.append(runtime)
        return runtime

    yield run
    for runtime in started:
        runtime.stop()
        runtime.host.close()


MakePipeline = Callable[..., Pipeline]
RunRuntime = Callable[..., LocalRuntime]


def put(stream_name: str, datas: list[str]) -> None:
    kinesis = aws_client("kinesis")
    for data in datas:
        kinesis.put_record(StreamName=stream_name, Data=data.encode(), PartitionKey=data)


def wait_completed(runtime: LocalRuntime, stream_name: str, count: int) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while runtime.stats_by_stream()[stream_name].completed < count:
        assert time.monotonic() < deadline, f"runtime stats: {runtime.stats_by_stream()[stream_name]}"
        time.sleep(0.05)


def invoked_datas(pipeline: Pipeline) -> list[list[str]]:
    import base64

    module = pipeline.module[pipeline.stream_name]
    return [[base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]] for event in module.EVENTS]


def test_handler_receives_the_exact_lambda_kinesis_event(make_pipeline: MakePipeline, run_runtime: RunRuntime) -> None:
    pipeline = make_pipeline()
    put(pipeline.stream_name, ["a", "b"])
    runtime = run_runtime(pipeline)
    wait_completed(runtime, pipeline.stream_name, 2)
    record = pipeline.module[pipeline.stream_name].EVENTS[0]["Records"][0]
    assert set(record) == {
        "kinesis",
        "eventSource",
        "eventVersion",
        "eventID",
        "eventName",
        "invokeIdentityArn",
        "awsRegion",
        "eventSourceARN",
    }
    assert set(record["kinesis"]) == {
        "kinesisSchemaVersion",
        "partitionKey",
        "sequenceNumber",
        "data",
        "approximateArrivalTimestamp",
    }
    assert record["eventSource"] == "aws:kinesis" and record["eventName"] == "aws:kinesis:record"
    assert record["eventVersion"] == "1.0" and record["kinesis"]["kinesisSchemaVersion"] == "1.0"
    assert record["eventID"] == f"shardId-000000000000:{record['kinesis']['sequenceNumber']}"
    assert record["eventSourceARN"] == pipeline.stream_arn
    assert record["invokeIdentityArn"].endswith(f":role/{pipeline.stream_name}")
    assert isinstance(record["kinesis"]["approximateArrivalTimestamp"], float)


def test_partial_batch_failure_resumes_from_the_lowest_failed_record(
    make_pipeline: MakePipeline, run_runtime: RunRuntime
) -> None:
    pipeline = make_pipeline(MaximumRetryAttempts=5)
    put(pipeline.stream_name, ["r0", "r1", "r2", "r3", "r4"])
    runtime = run_runtime(pipeline, {"report_failure_once": {"r3", "r1"}})
    wait_completed(runtime, pipeline.stream_name, 5)
    batches = invoked_datas(pipeline)
    # r1 and r3 failed: the retry starts at r1 (the lowest), r0 is never sent again
    assert batches == [["r0", "r1", "r2", "r3", "r4"], ["r1", "r2", "r3", "r4"]]
    assert runtime.stats_by_stream()[pipeline.stream_name].discarded == 0


def test_function_error_bisects_until_the_bad_record_alone_goes_to_the_failure_queue(
    make_pipeline: MakePipeline, run_runtime: RunRuntime
) -> None:
    pipeline = make_pipeline(MaximumRetryAttempts=1)
    datas = [f"ok{i}" for i in range(7)] + ["bad"]
    put(pipeline.stream_name, datas)
    runtime = run_runtime(pipeline, {"raise_on": {"bad"}})
    wait_completed(runtime, pipeline.stream_name, len(datas))
    stats = runtime.stats_by_stream()[pipeline.stream_name]
    assert stats.discarded == 1 and stats.bisections >= 3
    succeeded = [data for batch in invoked_datas(pipeline) if "bad" not in batch for data in batch]
    assert sorted(set(succeeded)) == sorted(datas[:-1])
    message = aws_client("sqs").receive_message(QueueUrl=pipeline.queue_url, WaitTimeSeconds=1)["Messages"][0]
    body = json.loads(message["Body"])
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
    # invocations that carried the record: batches of 8, 4, 2, then 1 and its one retry
    assert body["requestContext"]["approximateInvokeCount"] == 5
    assert body["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert body["version"] == "1.0"
    info = body["KinesisBatchInfo"]
    assert set(info) == {
        "shardId",
        "startSequenceNumber",
        "endSequenceNumber",
        "approximateArrivalOfFirstRecord",
        "approximateArrivalOfLastRecord",
        "batchSize",
        "streamArn",
    }
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["streamArn"] == pipeline.stream_arn and info["shardId"] == "shardId-000000000000"


def test_records_older_than_the_maximum_age_are_discarded_with_record_age_condition(
    make_pipeline: MakePipeline, run_runtime: RunRuntime
) -> None:
    pipeline = make_pipeline(MaximumRecordAgeInSeconds=60)
    put(pipeline.stream_name, ["old"])
    runtime = run_runtime(pipeline, clock=lambda: time.time() + 120)
    wait_completed(runtime, pipeline.stream_name, 1)
    assert pipeline.stream_name not in pipeline.module  # never invoked
    body = json.loads(
        aws_client("sqs").receive_message(QueueUrl=pipeline.queue_url, WaitTimeSeconds=1)["Messages"][0]["Body"]
    )
    assert body["requestContext"]["condition"] == "RecordAgeExceeded"
    assert "functionError" not in body["responseContext"]


def test_child_shards_are_read_only_after_their_parent_is_drained(
    make_pipeline: MakePipeline, run_runtime: RunRuntime
) -> None:
    pipeline = make_pipeline(BatchSize=3)
    before = [f"p{i}" for i in range(6)]
    after = [f"c{i}" for i in range(6)]
    put(pipeline.stream_name, before)
    aws_client("kinesis").update_shard_count(
        StreamName=pipeline.stream_name, TargetShardCount=2, ScalingType="UNIFORM_SCALING"
    )
    put(pipeline.stream_name, after)
    runtime = run_runtime(pipeline)
    wait_completed(runtime, pipeline.stream_name, len(before) + len(after))
    order = [data for batch in invoked_datas(pipeline) for data in batch]
    assert sorted(order) == sorted(before + after)  # each record exactly once: the parent keeps its records
    assert max(order.index(p) for p in before) < min(order.index(c) for c in after)


def _metric_sum(stream_name: str, metric: str, statistic: str = "Sum") -> float:
    now = datetime.now(UTC)
    statistics = aws_client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Kinesis",
        MetricName=metric,
        Dimensions=[{"Name": "StreamName", "Value": stream_name}],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1),
        Period=3600,
        Statistics=[statistic],
    )
    return float(sum(dict(point)[statistic] for point in statistics["Datapoints"]))


def test_kinesis_metrics_count_each_record_once_for_the_shard_autoscaler(
    make_pipeline: MakePipeline, run_runtime: RunRuntime
) -> None:
    pipeline = make_pipeline()
    put(pipeline.stream_name, ["m1", "m2", "m3"])
    runtime = run_runtime(pipeline)
    wait_completed(runtime, pipeline.stream_name, 3)
    runtime.metrics.flush()
    # IncomingRecords comes from the emulator on put, or from the runtime when the emulator does not publish it
    assert _metric_sum(pipeline.stream_name, "IncomingRecords") == 3
    assert _metric_sum(pipeline.stream_name, "OutgoingRecords") == 3
    assert _metric_sum(pipeline.stream_name, "GetRecords.IteratorAgeMilliseconds", "Maximum") >= 0


def test_rate_schedules_invoke_their_lambda_target_with_a_scheduled_event(
    make_pipeline: MakePipeline, run_runtime: RunRuntime
) -> None:
    pipeline = make_pipeline()
    events = aws_client("events")
    rule_arn = events.put_rule(Name=pipeline.stream_name, ScheduleExpression="rate(1 minute)")["RuleArn"]
    function_arn = aws_client("lambda").get_function(FunctionName=pipeline.stream_name)["Configuration"]["FunctionArn"]
    events.put_targets(Rule=pipeline.stream_name, Targets=[{"Id": "target", "Arn": function_arn}])
    runtime = run_runtime(pipeline, schedule_speedup=120.0, functions={pipeline.stream_name})
    deadline = time.monotonic() + TIMEOUT_S
    while not runtime.schedule_stats.get(function_arn) or runtime.schedule_stats[function_arn].invocations < 2:
        assert time.monotonic() < deadline, runtime.schedule_stats
        time.sleep(0.05)
    event = pipeline.module[pipeline.stream_name].EVENTS[0]
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["resources"] == [rule_arn] and event["detail"] == {}


def test_batching_window_gathers_records_that_arrive_after_the_first(
    make_pipeline: MakePipeline, run_runtime: RunRuntime
) -> None:
    pipeline = make_pipeline(MaximumBatchingWindowInSeconds=3)
    put(pipeline.stream_name, ["w0"])
    runtime = run_runtime(pipeline)
    put(pipeline.stream_name, ["w1", "w2"])  # well within the window that w0 opened
    wait_completed(runtime, pipeline.stream_name, 3)
    assert invoked_datas(pipeline) == [["w0", "w1", "w2"]]


def test_a_full_batch_is_sent_without_waiting_for_the_window(
    make_pipeline: MakePipeline, run_runtime: RunRuntime
) -> None:
    pipeline = make_pipeline(BatchSize=2, MaximumBatchingWindowInSeconds=300)
    put(pipeline.stream_name, ["f0", "f1", "f2", "f3"])
    runtime = run_runtime(pipeline)
    wait_completed(runtime, pipeline.stream_name, 4)
    assert invoked_datas(pipeline) == [["f0", "f1"], ["f2", "f3"]]


def put_keyed(stream_name: str, records: list[tuple[str, str]]) -> None:
    kinesis = aws_client("kinesis")
    for data, key in records:
        kinesis.put_record(StreamName=stream_name, Data=data.encode(), PartitionKey=key)


def invoked_records(pipeline: Pipeline) -> list[list[dict[str, Any]]]:
    """Each invocation's Kinesis records, in invocation order (the host runs one invocation at a time)."""
    return [event["Records"] for event in pipeline.module[pipeline.stream_name].EVENTS]


def test_parallelization_keeps_each_key_in_one_lane_in_order_while_lanes_finish_in_any_order(
    make_pipeline: MakePipeline, run_runtime: RunRuntime
) -> None:
    """Lambda at ParallelizationFactor N: order per partition key only; batches of a shard interleave."""
    factor, keys = 4, [f"key-{k}" for k in range(12)]
    pipeline = make_pipeline(ParallelizationFactor=factor, BatchSize=4)
    put_keyed(pipeline.stream_name, [(f"{key}/{i}", key) for i in range(5) for key in keys])
    held_back: set[int] = set()

    def hold_back_lane_zero_once(config: Any, records: list[Any]) -> None:
        lane = lane_of(records[0].partition_key, factor)
        if lane == 0 and lane not in held_back:
            held_back.add(lane)
            time.sleep(1.0)  # the other lanes' later records finish first

    runtime = run_runtime(pipeline, invoke_hook=hold_back_lane_zero_once)
    wait_completed(runtime, pipeline.stream_name, len(keys) * 5)
    batches = invoked_records(pipeline)
    assert all(len({lane_of(r["kinesis"]["partitionKey"], factor) for r in batch}) == 1 for batch in batches)
    assert len({lane_of(r["kinesis"]["partitionKey"], factor) for batch in batches for r in batch}) == factor
    for key in keys:
        datas = [
            base64.b64decode(r["kinesis"]["data"]).decode()
            for batch in batches
            for r in batch
            if r["kinesis"]["partitionKey"] == key
        ]
        assert datas == [f"{key}/{i}" for i in range(5)], key
    sequences = [[int(r["kinesis"]["sequenceNumber"]) for r in batch] for batch in batches]
    assert any(min(later) < max(earlier) for i, earlier in enumerate(sequences) for later in sequences[i + 1 :]), (
        "no batch of lower sequence numbers finished after one of higher: the lanes did not interleave"
    )


def test_a_failing_lane_retries_its_own_records_while_the_other_lanes_go_on(
    make_pipeline: MakePipeline, run_runtime: RunRuntime
) -> None:
    factor = 2
    keys = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]
    assert len({lane_of(key, factor) for key in keys}) == factor
    pipeline = make_pipeline(ParallelizationFactor=factor, BatchSize=10, MaximumRetryAttempts=5)
    put_keyed(pipeline.stream_name, [(f"{key}/{i}", key) for i in range(3) for key in keys])
    failing = next(key for key in keys if lane_of(key, factor) == 0)
    runtime = run_runtime(pipeline, {"report_failure_once": {f"{failing}/1"}})
    wait_completed(runtime, pipeline.stream_name, len(keys) * 3)
    batches = invoked_records(pipeline)
    retried = [batch for batch in batches if any(r["kinesis"]["partitionKey"] == failing for r in batch)]
    assert len(retried) == 2  # the first try and the retry from the failed record on
    assert all(lane_of(r["kinesis"]["partitionKey"], factor) == 0 for batch in retried for r in batch)
    lane_one = [r for batch in batches for r in batch if lane_of(r["kinesis"]["partitionKey"], factor) == 1]
    assert len(lane_one) == len([k for k in keys if lane_of(k, factor) == 1]) * 3  # each exactly once
    assert runtime.stats_by_stream()[pipeline.stream_name].partial_failures == 1
