"""The scaler Lambda end to end against moto: Kinesis, CloudWatch GetMetricData, DynamoDB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.shard_scaler import handler
from functions.shard_scaler.config import ScalerConfig, ScalerConfigError

STREAM = "orders"
TENANT = "acme"
TABLE = "scaling-history"
SCHEDULED_EVENT = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
ALARM_EVENT = {
    "Records": [
        {
            "EventSource": "aws:sns",
            "Sns": {"Message": json.dumps({"AlarmName": "orders-write-throttled", "NewStateValue": "ALARM"})},
        }
    ]
}


@dataclass
class FakeContext:
    function_name: str = "shard-scaler"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:shard-scaler"
    aws_request_id: str = "req-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    with mock_aws():
        handler.forget_clients()
        kinesis = boto3.client("kinesis", region_name="us-east-1")
        kinesis.create_stream(StreamName=STREAM, ShardCount=2, StreamModeDetails={"StreamMode": "PROVISIONED"})
        arn = kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]["StreamARN"]
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for name, value in {
            "STREAM_NAME": STREAM,
            "STREAM_ARN": arn,
            "SCALING_TABLE": TABLE,
            "TENANT": TENANT,
            "MIN_SHARDS": "1",
            "MAX_SHARDS": "16",
            "CONSUMER_FUNCTION": "orders-consumer",
            "ALLOW_MODE_SWITCH": "false",
            "POWERTOOLS_SERVICE_NAME": "shard-scaler",
            "POWERTOOLS_METRICS_NAMESPACE": "StreamingPlatform",
            "LOG_LEVEL": "INFO",
        }.items():
            monkeypatch.setenv(name, value)
        yield {"kinesis": kinesis, "dynamodb": dynamodb, "cloudwatch": boto3.client("cloudwatch", "us-east-1")}
        handler.forget_clients()


def publish_traffic(cloudwatch: Any, shards_worth: float, minutes: int = 60) -> None:
    """What local mode's runtime does: per-minute IncomingBytes/IncomingRecords sums for the stream."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    records = shards_worth * 60_000
    dimensions = [{"Name": "StreamName", "Value": STREAM}]
    for offset in range(1, minutes + 1):
        stamp = now - timedelta(minutes=offset)
        cloudwatch.put_metric_data(
            Namespace="AWS/Kinesis",
            MetricData=[
                {
                    "MetricName": "IncomingRecords",
                    "Dimensions": dimensions,
                    "Timestamp": stamp,
                    "Value": records,
                    "Unit": "Count",
                },
                {
                    "MetricName": "IncomingBytes",
                    "Dimensions": dimensions,
                    "Timestamp": stamp,
                    "Value": records * 1024,
                    "Unit": "Bytes",
                },
            ],
        )


def open_shards(kinesis: Any) -> int:
    return int(kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]["OpenShardCount"])


def test_scheduled_run_scales_out_a_stream_carrying_more_than_its_shards(aws: dict[str, Any]) -> None:
    publish_traffic(aws["cloudwatch"], shards_worth=3.0)
    result = handler.lambda_handler(SCHEDULED_EVENT, FakeContext())
    assert result["action"] == "update_shard_count"
    assert open_shards(aws["kinesis"]) == result["target_shards"] == 4


def test_decision_and_history_are_kept_under_the_tenant_partition(aws: dict[str, Any]) -> None:
    publish_traffic(aws["cloudwatch"], shards_worth=3.0)
    handler.lambda_handler(SCHEDULED_EVENT, FakeContext())
    items = aws["dynamodb"].query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"{TENANT}#{STREAM}"}},
    )["Items"]
    keys = sorted(item["sk"]["S"] for item in items)
    assert keys[-1] == "state" and keys[0].startswith("action#")
    state = next(item for item in items if item["sk"]["S"] == "state")
    assert len(state["reshard_minutes"]["L"]) == 1 and state["version"]["N"] == "1"


def test_alarm_notification_through_sns_runs_a_round(aws: dict[str, Any]) -> None:
    publish_traffic(aws["cloudwatch"], shards_worth=3.0)
    assert handler.lambda_handler(ALARM_EVENT, FakeContext())["trigger"] == "alarm"
    assert open_shards(aws["kinesis"]) == 4


def test_quiet_stream_is_left_alone(aws: dict[str, Any]) -> None:
    publish_traffic(aws["cloudwatch"], shards_worth=0.5)
    result = handler.lambda_handler(SCHEDULED_EVENT, FakeContext())
    assert result["action"] == "none"
    assert open_shards(aws["kinesis"]) == 2


def test_second_round_sees_the_first_rounds_history(aws: dict[str, Any]) -> None:
    publish_traffic(aws["cloudwatch"], shards_worth=3.0)
    handler.lambda_handler(SCHEDULED_EVENT, FakeContext())
    handler.lambda_handler(SCHEDULED_EVENT, FakeContext())
    state = aws["dynamodb"].get_item(TableName=TABLE, Key={"pk": {"S": f"{TENANT}#{STREAM}"}, "sk": {"S": "state"}})[
        "Item"
    ]
    assert state["version"]["N"] == "2"


def state_version(dynamodb: Any) -> int:
    key = {"pk": {"S": f"{TENANT}#{STREAM}"}, "sk": {"S": "state"}}
    return int(dynamodb.get_item(TableName=TABLE, Key=key)["Item"]["version"]["N"])


def test_on_demand_stream_reads_cloudwatch_once_per_quarter_hour_but_always_on_alarm(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = aws["kinesis"].describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]["StreamARN"]
    aws["kinesis"].update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    publish_traffic(aws["cloudwatch"], shards_worth=0.5)
    reads: list[datetime] = []
    real_read = handler.read_minutes

    def counting_read(*args: Any, **kwargs: Any) -> Any:
        reads.append(args[3])
        return real_read(*args, **kwargs)

    monkeypatch.setattr(handler, "read_minutes", counting_read)
    settings = ScalerConfig.from_env()
    start = datetime.now(UTC)
    assert handler.scale_stream(settings, start, "schedule")["action"] == "none"  # no state yet: a round
    for minute in range(1, 15):
        skipped = handler.scale_stream(settings, start + timedelta(minutes=minute), "schedule")
        assert skipped["action"] == "skipped"
    assert handler.scale_stream(settings, start + timedelta(minutes=7), "alarm")["action"] == "none"
    assert len(reads) == 2 and state_version(aws["dynamodb"]) == 2
    # 15 minutes after the last round that wrote the state (the alarm's), the schedule reads again.
    assert handler.scale_stream(settings, start + timedelta(minutes=21), "schedule")["action"] == "skipped"
    assert handler.scale_stream(settings, start + timedelta(minutes=22), "schedule")["action"] == "none"
    assert len(reads) == 3 and state_version(aws["dynamodb"]) == 3


def test_provisioned_stream_reads_cloudwatch_every_minute(aws: dict[str, Any]) -> None:
    publish_traffic(aws["cloudwatch"], shards_worth=0.5)
    settings = ScalerConfig.from_env()
    start = datetime.now(UTC)
    for minute in range(3):
        assert handler.scale_stream(settings, start + timedelta(minutes=minute), "schedule")["action"] == "none"
    assert state_version(aws["dynamodb"]) == 3


@pytest.mark.parametrize("event", [{}, {"Records": [{"eventSource": "aws:kinesis"}]}, "text", None])
def test_unknown_event_is_rejected_without_raising(aws: dict[str, Any], event: Any) -> None:
    assert handler.lambda_handler(event, FakeContext())["action"] == "rejected"
    assert open_shards(aws["kinesis"]) == 2


def test_missing_environment_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREAM_ARN", raising=False)
    with pytest.raises(ScalerConfigError, match="STREAM_ARN"):
        ScalerConfig.from_env({"STREAM_NAME": "s", "SCALING_TABLE": "t", "TENANT": "x"})


def test_malformed_shard_limits_are_rejected() -> None:
    env = {"STREAM_NAME": "s", "STREAM_ARN": "a", "SCALING_TABLE": "t", "TENANT": "x", "MAX_SHARDS": "ten"}
    with pytest.raises(ScalerConfigError, match="MAX_SHARDS"):
        ScalerConfig.from_env(env)


def test_handler_scales_a_stream_on_a_moto_server_like_local_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Local mode's setup: a ThreadedMotoServer on loopback, clients pointed at it by AWS_ENDPOINT_URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
        handler.forget_clients()
        kinesis = boto3.client("kinesis", region_name="us-east-1")
        kinesis.create_stream(StreamName=STREAM, ShardCount=1, StreamModeDetails={"StreamMode": "PROVISIONED"})
        arn = kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]["StreamARN"]
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for name, value in {"STREAM_NAME": STREAM, "STREAM_ARN": arn, "SCALING_TABLE": TABLE, "TENANT": TENANT}.items():
            monkeypatch.setenv(name, value)
        publish_traffic(boto3.client("cloudwatch", region_name="us-east-1"), shards_worth=1.5)
        result = handler.lambda_handler(SCHEDULED_EVENT, FakeContext())
        assert result["action"] == "update_shard_count"
        assert open_shards(kinesis) == 2
    finally:
        handler.forget_clients()
        server.stop()
