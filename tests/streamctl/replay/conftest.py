"""A deployed tenant stream in moto (stream, consumer function and mapping, tables, queue, lake) for replay tests."""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import orjson
import pytest
from moto import mock_aws

from functions.consumer.config import ConsumerConfig
from functions.consumer.processor import KinesisConsumer
from streamctl.replay.shard_reader import ShardRecord, read_from, shard_ids
from streamctl.replay.target import ReplayClients, ReplayTarget

REGION = "us-east-1"
TENANT = "acme"
STREAM = "clicks"
STREAM_NAME = "sp-dev-acme-clicks"
CONSUMER = "sp-dev-acme-clicks-consumer"
DELIVERY_STREAM = "sp-dev-acme-clicks-lake"
CHECKPOINT_TABLE = "sp-dev-checkpoints"
LAKE_BUCKET = "sp-dev-lake"
LAKE_PREFIX = "events/tenant=acme/stream=clicks/"
QUARANTINE_PREFIX = "quarantine/tenant=acme/stream=clicks/"


# One session for every test: its loader caches the service models, which moto resets with each mock.
SESSION = boto3.session.Session(region_name=REGION)


def envelope(index: int, **overrides: Any) -> bytes:
    doc = {
        "event_id": f"evt-{index}",
        "tenant": TENANT,
        "type": "page_view",
        "occurred_at": "2026-11-26T06:00:00Z",
        "payload": {"n": index},
    }
    return orjson.dumps(doc | overrides)


class DeployedStream:
    """What `pulumi up` would have created for acme/clicks, and helpers that play the Lambda service."""

    def __init__(self, shards: int = 2) -> None:
        self.clients = ReplayClients(
            kinesis=SESSION.client("kinesis", region_name=REGION),
            dynamodb=SESSION.client("dynamodb", region_name=REGION),
            lambda_=SESSION.client("lambda", region_name=REGION),
            sqs=SESSION.client("sqs", region_name=REGION),
            s3=SESSION.client("s3", region_name=REGION),
        )
        self.firehose = SESSION.client("firehose", region_name=REGION)
        c = self.clients
        c.kinesis.create_stream(StreamName=STREAM_NAME, ShardCount=shards)
        stream_arn = c.kinesis.describe_stream_summary(StreamName=STREAM_NAME)["StreamDescriptionSummary"]["StreamARN"]
        c.dynamodb.create_table(
            TableName=CHECKPOINT_TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        c.s3.create_bucket(Bucket=LAKE_BUCKET)
        queue_url = c.sqs.create_queue(QueueName=f"{STREAM_NAME}-consumer-failures")["QueueUrl"]
        queue_arn = c.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.firehose.create_delivery_stream(
            DeliveryStreamName=DELIVERY_STREAM,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/firehose",
                "BucketARN": f"arn:aws:s3:::{LAKE_BUCKET}",
                "Prefix": LAKE_PREFIX,
            },
        )
        role = SESSION.client("iam", region_name=REGION).create_role(
            RoleName="consumer-role", AssumeRolePolicyDocument="{}"
        )["Role"]["Arn"]
        c.lambda_.create_function(
            FunctionName=CONSUMER,
            Runtime="python3.12",
            Role=role,
            Handler="functions.consumer.handler.lambda_handler",
            Code={"ZipFile": _empty_zip()},
        )
        self.mapping = c.lambda_.create_event_source_mapping(
            EventSourceArn=stream_arn,
            FunctionName=CONSUMER,
            StartingPosition="TRIM_HORIZON",
            BatchSize=500,
            MaximumBatchingWindowInSeconds=1,
            ParallelizationFactor=2,
            MaximumRetryAttempts=10,
            MaximumRecordAgeInSeconds=86_400,
            BisectBatchOnFunctionError=True,
            FunctionResponseTypes=["ReportBatchItemFailures"],
            DestinationConfig={"OnFailure": {"Destination": queue_arn}},
        )
        self.target = ReplayTarget(
            stack="dev",
            tenant=TENANT,
            stream=STREAM,
            stream_name=STREAM_NAME,
            stream_arn=stream_arn,
            consumer_function=CONSUMER,
            checkpoint_table=CHECKPOINT_TABLE,
            failure_queue_url=queue_url,
            lake_bucket=LAKE_BUCKET,
            quarantine_prefix=QUARANTINE_PREFIX,
        )
        self.consumer = KinesisConsumer(
            ConsumerConfig(
                tenant=TENANT,
                stream_name=STREAM_NAME,
                consumer_name=CONSUMER,
                checkpoint_table=CHECKPOINT_TABLE,
                delivery_stream=DELIVERY_STREAM,
                quarantine_bucket=LAKE_BUCKET,
                quarantine_prefix=QUARANTINE_PREFIX,
            ),
            firehose_client=self.firehose,
            dynamodb_client=c.dynamodb,
            s3_client=c.s3,
            sleep=lambda seconds: None,
        )

    def put(self, payloads: list[bytes], key_prefix: str = "pk") -> list[dict[str, Any]]:
        """Put records one by one (keys spread over the shards); returns PutRecord responses."""
        return [
            self.clients.kinesis.put_record(StreamName=STREAM_NAME, Data=data, PartitionKey=f"{key_prefix}-{index}")
            for index, data in enumerate(payloads)
        ]

    def shard_records(self, **iterator: Any) -> dict[str, list[ShardRecord]]:
        position = iterator or {"ShardIteratorType": "TRIM_HORIZON"}
        return {
            shard: list(read_from(self.clients.kinesis, STREAM_NAME, shard, **position))
            for shard in shard_ids(self.clients.kinesis, STREAM_NAME)
        }

    def deliver(self, **iterator: Any) -> list[str]:
        """Play the event source mapping: hand every shard's records from `iterator` to the consumer."""
        failures: list[str] = []
        for shard, records in self.shard_records(**iterator).items():
            if records:
                failures.extend(
                    self.consumer.process(lambda_event(shard, records, self.target.stream_arn)).failed_sequence_numbers
                )
        return failures

    def lake_event_ids(self) -> list[str]:
        s3 = self.clients.s3
        listing = s3.list_objects_v2(Bucket=LAKE_BUCKET, Prefix=LAKE_PREFIX).get("Contents", [])
        body = b"".join(s3.get_object(Bucket=LAKE_BUCKET, Key=item["Key"])["Body"].read() for item in listing)
        return [orjson.loads(line)["event_id"] for line in body.splitlines()]

    def checkpoint(self, shard_id: str) -> str | None:
        key = f"{TENANT}#{CONSUMER}#{STREAM_NAME}#{shard_id}"
        item = self.clients.dynamodb.get_item(TableName=CHECKPOINT_TABLE, Key={"pk": {"S": key}}).get("Item")
        return item["sequence_number"]["S"] if item else None

    def mappings(self) -> list[dict[str, Any]]:
        return self.clients.lambda_.list_event_source_mappings(EventSourceArn=self.target.stream_arn)[
            "EventSourceMappings"
        ]


def lambda_event(shard_id: str, records: list[ShardRecord], stream_arn: str) -> dict[str, Any]:
    """The Lambda Kinesis event the mapping would build from these records."""
    return {
        "Records": [
            {
                "kinesis": {
                    "partitionKey": r.partition_key,
                    "sequenceNumber": r.sequence_number,
                    "data": base64.b64encode(r.data).decode(),
                    "approximateArrivalTimestamp": r.arrival.timestamp(),
                },
                "eventSource": "aws:kinesis",
                "eventID": f"{shard_id}:{r.sequence_number}",
                "eventSourceARN": stream_arn,
            }
            for r in records
        ]
    }


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("functions/__init__.py", "")
    return buffer.getvalue()


class Builders:
    """Helpers for test modules (they cannot import conftest under importlib mode)."""

    envelope = staticmethod(envelope)
    lambda_event = staticmethod(lambda_event)


@pytest.fixture
def deployed() -> Iterator[DeployedStream]:
    with mock_aws():
        yield DeployedStream()


@pytest.fixture
def build() -> type[Builders]:
    return Builders
