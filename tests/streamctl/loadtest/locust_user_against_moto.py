"""Run one task of the Locust user against in-process moto and print what Locust recorded, as JSON.

A separate process because importing Locust monkey-patches the interpreter with gevent, which the
rest of the test session must not inherit (test_locustfile.py runs this script).
"""

from __future__ import annotations

# Locust first, as `locust -f` does: gevent must patch ssl before boto3 imports it.
from locust.argument_parser import get_parser  # isort: skip
from locust.env import Environment  # isort: skip

import sys

import boto3
import orjson
from moto import mock_aws

from streamctl.loadtest.locustfile import KinesisProducerUser

STREAM_NAME = "acme-orders"


def main(extra_args: list[str]) -> None:
    with mock_aws():
        kinesis = boto3.client("kinesis", region_name="us-east-1")
        kinesis.create_stream(StreamName=STREAM_NAME, ShardCount=1)
        options = get_parser().parse_args(
            [
                "-f",
                "scripts/streamctl/loadtest/locustfile.py",
                "--stream-name",
                STREAM_NAME,
                "--tenant",
                "acme",
                *extra_args,
            ]
        )
        environment = Environment(user_classes=[KinesisProducerUser], parsed_options=options)
        environment.create_local_runner()  # the runner is what feeds request events into the statistics
        user = KinesisProducerUser(environment)
        user.on_start()
        user.put_batch()
        entry = environment.stats.get(STREAM_NAME, "PutRecords")
        shard_id = kinesis.list_shards(StreamName=STREAM_NAME)["Shards"][0]["ShardId"]
        iterator = kinesis.get_shard_iterator(
            StreamName=STREAM_NAME, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        stored = kinesis.get_records(ShardIterator=iterator)["Records"]
        report = {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "bytes": entry.total_content_length,
            "kinesis_records": len(stored),
            "wait_s": user.wait_time(),
        }
        sys.stdout.write(orjson.dumps(report).decode())


if __name__ == "__main__":
    main(sys.argv[1:])
