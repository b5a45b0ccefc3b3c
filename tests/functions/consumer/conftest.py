"""Fixtures for the consumer suite: moto DynamoDB/Firehose/S3, event builders and fault-injecting clients."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import orjson
import pytest
from moto import mock_aws

from functions.consumer.config import ConsumerConfig
from functions.consumer.processor import KinesisConsumer

TENANT = "acme"
STREAM = "clicks"
SHARD = "shardId-000000000006"
LAKE_BUCKET = "lake"
LAKE_PREFIX = "events/tenant=acme/stream=clicks/"
QUARANTINE_PREFIX = "quarantine/tenant=acme/stream=clicks/"
TABLE = "checkpoints"
DELIVERY_STREAM = "acme-clicks-lake"
BASE_SEQUENCE = 49590338271490256608559692538361571095921575989136588898  # 56 digits
NOW = datetime(2026, 11, 26, 12, 0, 0, 250000, tzinfo=UTC)
ARRIVAL = NOW.timestamp() - 1.5


def consumer_config(**overrides: Any) -> ConsumerConfig:
    values: dict[str, Any] = {
        "tenant": TENANT,
        "stream_name": STREAM,
        "consumer_name": "acme-clicks-consumer",
        "checkpoint_table": TABLE,
        "delivery_stream": DELIVERY_STREAM,
        "quarantine_bucket": LAKE_BUCKET,
        "quarantine_prefix": QUARANTINE_PREFIX,
        "pii_fields": ("payload.email",),
    }
    return ConsumerConfig(**(values | overrides))


def envelope(index: int = 0, **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "event_id": f"evt-{index}",
        "tenant": TENANT,
        "type": "page_view",
        "occurred_at": "2026-11-26T11:59:58.000Z",
        "payload": {"run_id": "run-1", "produced_at": 1795694398000 + index, "email": f"u{index}@example.com"},
    }
    return doc | overrides


def kinesis_record(data: bytes | str, sequence: int, shard_id: str = SHARD, arrival: float = ARRIVAL) -> dict[str, Any]:
    """A record as the Lambda Kinesis event source mapping delivers it."""
    encoded = data if isinstance(data, str) else base64.b64encode(data).decode()
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": f"pk-{sequence % 7}",
            "sequenceNumber": str(sequence),
            "data": encoded,
            "approximateArrivalTimestamp": arrival,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/consumer",
        "awsRegion": "us-east-1",
        "eventSourceARN": f"arn:aws:kinesis:us-east-1:123456789012:stream/{STREAM}",
    }


def kinesis_event(payloads: list[bytes | str], first_sequence: int = BASE_SEQUENCE) -> dict[str, Any]:
    """Records with increasing sequence numbers (gaps of 1000, like real shards)."""
    return {"Records": [kinesis_record(p, first_sequence + 1000 * i) for i, p in enumerate(payloads)]}


def event_of_envelopes(count: int, first_sequence: int = BASE_SEQUENCE) -> dict[str, Any]:
    return kinesis_event([orjson.dumps(envelope(i)) for i in range(count)], first_sequence)


class AwsResources:
    """The moto resources a consumer writes to, plus readers for assertions."""

    def __init__(self) -> None:
        self.s3 = boto3.client("s3", region_name="us-east-1")
        self.dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        self.firehose = boto3.client("firehose", region_name="us-east-1")
        self.s3.create_bucket(Bucket=LAKE_BUCKET)
        self.dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.firehose.create_delivery_stream(
            DeliveryStreamName=DELIVERY_STREAM,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/firehose",
                "BucketARN": f"arn:aws:s3:::{LAKE_BUCKET}",
                "Prefix": LAKE_PREFIX,
            },
        )

    def _bodies(self, prefix: str) -> list[bytes]:
        listing = self.s3.list_objects_v2(Bucket=LAKE_BUCKET, Prefix=prefix)
        return [
            self.s3.get_object(Bucket=LAKE_BUCKET, Key=item["Key"])["Body"].read()
            for item in sorted(listing.get("Contents", []), key=lambda item: item["LastModified"])
        ]

    def lake_lines(self) -> list[dict[str, Any]]:
        """Lines of all lake objects; order is kept within an object, not across objects."""
        data = b"".join(self._bodies(LAKE_PREFIX))
        assert data == b"" or data.endswith(b"\n"), "every lake record must end with a newline"
        return [orjson.loads(line) for line in data.splitlines()]

    def quarantine_keys(self) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=LAKE_BUCKET, Prefix=QUARANTINE_PREFIX)
        return [item["Key"] for item in listing.get("Contents", [])]

    def quarantine_entries(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for body in self._bodies(QUARANTINE_PREFIX) for line in body.splitlines()]

    def checkpoint(self, shard_id: str = SHARD) -> dict[str, Any] | None:
        key = f"{TENANT}#acme-clicks-consumer#{STREAM}#{shard_id}"
        item = self.dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": key}}, ConsistentRead=True).get("Item")
        return item

    def reset(self) -> None:
        """Empty the bucket and the checkpoint table so each test starts clean on shared resources."""
        for item in self.s3.list_objects_v2(Bucket=LAKE_BUCKET).get("Contents", []):
            self.s3.delete_object(Bucket=LAKE_BUCKET, Key=item["Key"])
        for item in self.dynamodb.scan(TableName=TABLE).get("Items", []):
            self.dynamodb.delete_item(TableName=TABLE, Key={"pk": item["pk"]})


class FlakyFirehose:
    """Wraps the moto Firehose client; `fail(data) -> error code | None` decides per entry, per call."""

    def __init__(self, inner: Any, fail: Callable[[bytes, int], str | None]) -> None:
        self._inner = inner
        self._fail = fail
        self.calls: list[list[bytes]] = []

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:
        call_number = len(self.calls)
        # Copies: the data are only valid during the call (FirehoseDelivery refills its buffers).
        self.calls.append([bytes(entry["Data"]) for entry in Records])
        verdicts = [self._fail(entry["Data"], call_number) for entry in Records]
        passing = [entry for entry, verdict in zip(Records, verdicts, strict=True) if verdict is None]
        if passing:
            self._inner.put_record_batch(DeliveryStreamName=DeliveryStreamName, Records=passing)
        responses = [
            {"RecordId": "ok"} if verdict is None else {"ErrorCode": verdict, "ErrorMessage": "injected"}
            for verdict in verdicts
        ]
        failed = sum(verdict is not None for verdict in verdicts)
        return {"FailedPutCount": failed, "Encrypted": False, "RequestResponses": responses}


@pytest.fixture(scope="module")
def _module_aws() -> Iterator[AwsResources]:
    # One moto backend per module: creating clients and resources per test dominated the suite's time.
    with mock_aws():
        yield AwsResources()


@pytest.fixture
def aws(_module_aws: AwsResources) -> Iterator[AwsResources]:
    _module_aws.reset()
    yield _module_aws
    _module_aws.reset()


@pytest.fixture
def make_consumer(aws: AwsResources) -> Callable[..., KinesisConsumer]:
    def build(firehose: Any = None, dynamodb: Any = None, s3: Any = None, **overrides: Any) -> KinesisConsumer:
        return KinesisConsumer(
            consumer_config(**overrides),
            firehose_client=firehose or aws.firehose,
            dynamodb_client=dynamodb or aws.dynamodb,
            s3_client=s3 or aws.s3,
            clock=lambda: NOW,
            sleep=lambda seconds: None,
        )

    return build


class EventBuilders:
    """Builders the test modules use (test modules cannot import conftest under importlib mode)."""

    tenant = TENANT
    shard = SHARD
    base_sequence = BASE_SEQUENCE
    now = NOW
    quarantine_prefix = QUARANTINE_PREFIX
    envelope = staticmethod(envelope)
    kinesis_record = staticmethod(kinesis_record)
    kinesis_event = staticmethod(kinesis_event)
    event_of_envelopes = staticmethod(event_of_envelopes)
    consumer_config = staticmethod(consumer_config)
    flaky_firehose = FlakyFirehose


@pytest.fixture
def build() -> type[EventBuilders]:
    return EventBuilders
