"""Locust load test for a tenant stream: each user sends PutRecords batches of envelope events.

Every PutRecords call is reported to Locust's statistics (request type `PutRecords`, named after the
stream), so headless CSV/HTML reports and master/worker runs work as for HTTP tests:

    locust -f scripts/streamctl/loadtest/locustfile.py --headless -u 10 -r 10 -t 5m --stack staging --tenant acme \
        --stream orders --csv out/loadtest --html out/loadtest.html
    locust -f scripts/streamctl/loadtest/locustfile.py --master ...   # and on each load machine:
    locust -f scripts/streamctl/loadtest/locustfile.py --worker --master-host <master> ...

Throughput is users x --batch-size x --batches-per-second records per second.
"""

from __future__ import annotations

import random
from typing import Any

from locust import User, constant_throughput, events, task

from streamctl.aws_clients import aws_client
from streamctl.loadtest.aggregation import KplAggregator
from streamctl.loadtest.batching import UserRecord
from streamctl.loadtest.envelope import EventFactory
from streamctl.loadtest.partition_keys import PartitionKeys, PartitionKeyStrategyName, partition_keys
from streamctl.loadtest.producer import KinesisProducer, PutCallResult
from streamctl.loadtest.targets import resolve_target


class PartialFailure(Exception):
    """A PutRecords call that succeeded with some entries rejected (reported as a Locust failure)."""


@events.init_command_line_parser.add_listener
def add_kinesis_arguments(parser: Any, **_kwargs: Any) -> None:
    group = parser.add_argument_group("kinesis producer")
    group.add_argument("--stack", default="", help="Stack whose outputs name the stream")
    group.add_argument("--tenant", default="", help="Tenant that owns the stream")
    group.add_argument("--stream", default="", help="Stream name within the tenant")
    group.add_argument("--stream-name", default="", help="Kinesis stream name, instead of --stack/--tenant/--stream")
    group.add_argument("--run-id", default="locust", help="Run id carried in every event's payload")
    group.add_argument("--batch-size", type=int, default=100, help="Events per PutRecords batch (max 500)")
    group.add_argument("--batches-per-second", type=float, default=1.0, help="Batches per second per user")
    group.add_argument("--record-bytes", type=int, default=1024, help="Encoded size of each event")
    group.add_argument("--aggregate", action="store_true", help="KPL-aggregate each batch (aws-kinesis-agg)")
    group.add_argument(
        "--keys",
        choices=[strategy.value for strategy in PartitionKeyStrategyName],
        default=PartitionKeyStrategyName.RANDOM.value,
        help="Partition-key strategy",
    )
    group.add_argument("--entities", type=int, default=10_000, help="Entities for per-entity and zipf keys")


class KinesisProducerUser(User):
    """One producer per Locust user; its PutRecords calls are Locust's requests."""

    producer: KinesisProducer
    factory: EventFactory
    keys: PartitionKeys
    batch_size: int

    def wait_time(self) -> float:
        return float(self._pacing(self))

    def on_start(self) -> None:
        options = self.environment.parsed_options
        if not options.tenant:
            raise ValueError("--tenant is required: the consumer quarantines events of any other tenant")
        if options.stream_name:
            stream_name, client = options.stream_name, aws_client("kinesis")
        else:
            target = resolve_target(options.stack, options.tenant, options.stream)
            stream_name, client = target.stream_outputs.stream_name, target.client("kinesis")
        if not 1 <= options.batch_size <= 500:
            raise ValueError(f"--batch-size must be between 1 and 500, got {options.batch_size}")
        self._pacing = constant_throughput(options.batches_per_second)
        self.batch_size = options.batch_size
        # Random writer ids keep event ids unique across users and worker machines without coordination.
        writer = random.getrandbits(31)
        self.factory = EventFactory(options.run_id, options.tenant, writer=writer, record_bytes=options.record_bytes)
        self.keys = partition_keys(PartitionKeyStrategyName(options.keys), entities=options.entities)
        aggregator = KplAggregator() if options.aggregate else None
        self.producer = KinesisProducer(client, stream_name, aggregator=aggregator, on_call=self._report_call)

    @task
    def put_batch(self) -> None:
        records = []
        for _ in range(self.batch_size):
            event_id, data = self.factory.next_event()
            records.append(UserRecord(self.keys.next_key(), data, event_id))
        self.producer.send(records, flush=True)

    def _report_call(self, result: PutCallResult) -> None:
        exception: Exception | None = result.error
        if exception is None and result.failed_entries:
            # A stable message, so Locust's failure table groups calls by cause rather than by count.
            exception = PartialFailure("entries throttled" if result.throttled_entries else "entries rejected")
        self.environment.events.request.fire(
            request_type="PutRecords",
            name=self.producer.stream_name,
            response_time=result.latency_ms,
            response_length=result.request_bytes,
            exception=exception,
            context={"entries": result.entries, "failed_entries": result.failed_entries},
        )
