"""Fixtures for the load-test suite: an in-process moto Kinesis stream and a reader that drains it."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from aws_kinesis_agg.deaggregator import iter_deaggregate_records
from moto import mock_aws

STREAM_NAME = "acme-orders"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def kinesis(aws: None) -> Any:
    client = boto3.client("kinesis", region_name="us-east-1")
    client.create_stream(StreamName=STREAM_NAME, ShardCount=2)
    return client


@pytest.fixture
def stream_name() -> str:
    return STREAM_NAME


@pytest.fixture
def drain(kinesis: Any) -> Callable[[], list[dict[str, Any]]]:
    """Reads back the whole test stream; a fixture so test modules need not import this one."""
    return lambda: drain_stream(kinesis)


def drain_stream(client: Any, stream_name: str = STREAM_NAME) -> list[dict[str, Any]]:
    """Every user record on the stream (aggregates expanded), each with its shard id."""
    records: list[dict[str, Any]] = []
    for shard in client.list_shards(StreamName=stream_name)["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=stream_name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            response = client.get_records(ShardIterator=iterator, Limit=10_000)
            for record in iter_deaggregate_records(response["Records"], data_format="Boto3"):
                fields = record["kinesis"]
                # Sub-records come back base64-encoded (Lambda's shape); unaggregated ones as sent.
                data = base64.b64decode(fields["data"]) if fields.get("aggregated") else fields["data"]
                records.append({"PartitionKey": fields["partitionKey"], "Data": data, "ShardId": shard["ShardId"]})
            if not response["Records"]:
                break
            iterator = response.get("NextShardIterator")
    return records
