"""Consumer CPU per record: decode floors vs this handler vs a Powertools BatchProcessor handler.

One 10,000-record Kinesis batch of ~1 KB envelope events; the AWS clients are in-memory fakes at the
boto3 client boundary, so only our CPU is measured. Goal (docs/consumer.md): handler <= 2.0x the
floor (base64 + JSON parse) and faster than the Powertools baseline.

Two floors: the goal's, base64 the standard library's way (`binascii.a2b_base64`) + orjson; and the
same with pybase64, the decoder the handler uses. The handler is reported against both: against the
first it gains everything pybase64 saves; against the second only our own overhead counts.

Times are process CPU time (not wall clock) so other processes on a shared machine do not distort
them; the four variants take turns within each repeat.

Run: .venv/bin/python scripts/research/benchmarks/consumer.py [--records 10000] [--repeats 9]
     [--pii-fields payload.email] [--parallelization 4]
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import gc
import io
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pybase64
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from functions.aws_limits import FIREHOSE_MAX_RECORDS_PER_CALL
from functions.consumer import handler as consumer_handler
from functions.consumer.envelope import envelope_violation
from functions.consumer.pii import PiiMasker
from functions.consumer.processor import utc_timestamp

TENANT = "acme"
SHARD = "shardId-000000000000"
FIRST_SEQUENCE = 49590338271490256608559692538361571095921575989136588898
ENVIRONMENT = {
    "TENANT": TENANT,
    "STREAM_NAME": "clicks",
    "CONSUMER_NAME": "acme-clicks-consumer",
    "CHECKPOINT_TABLE": "checkpoints",
    "DELIVERY_STREAM": "acme-clicks-lake",
    "QUARANTINE_BUCKET": "lake",
    "QUARANTINE_PREFIX": "quarantine/tenant=acme/stream=clicks/",
    "PARALLELIZATION_FACTOR": "1",
    "POWERTOOLS_SERVICE_NAME": "consumer",
    "POWERTOOLS_METRICS_NAMESPACE": "Bench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


class FakeFirehose:
    def __init__(self) -> None:
        self.bytes_sent = 0

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:
        self.bytes_sent += sum(len(entry["Data"]) for entry in Records)
        return {"FailedPutCount": 0, "Encrypted": False, "RequestResponses": [{"RecordId": "r"}] * len(Records)}


class FakeDynamoDB:
    def get_item(self, **_: Any) -> dict[str, Any]:
        return {}

    def update_item(self, **_: Any) -> dict[str, Any]:
        return {}


class FakeS3:
    def put_object(self, **_: Any) -> dict[str, Any]:
        return {}


@dataclass
class FakeLambdaContext:
    function_name: str = "acme-clicks-consumer"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:acme-clicks-consumer"
    aws_request_id: str = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def build_event(records: int, record_bytes: int = 1000) -> dict[str, Any]:
    """A Kinesis event of valid ~`record_bytes` envelopes with realistic 56-digit sequence numbers."""
    arrival = time.time() - 2.0
    occurred = datetime(2026, 11, 26, 11, 59, 48, 120_000, tzinfo=UTC)
    batch = []
    for index in range(records):
        envelope = {
            "event_id": f"0f8e2c1a-7d3b-4a51-9a55-{index:012d}",
            "tenant": TENANT,
            "type": "page_view",
            # One event per millisecond: a batch spans seconds, as real ones do.
            "occurred_at": utc_timestamp(occurred + timedelta(milliseconds=index)),
            "schema_version": 1,
            "payload": {
                "run_id": "bench",
                "produced_at": 1795694398120 + index,
                "email": f"user{index}@example.com",
                "path": "/pricing",
                "items": [{"sku": f"sku-{index % 97}", "qty": index % 5 + 1, "price": 19.99}],
                "filler": "",
            },
        }
        size = len(orjson.dumps(envelope))
        envelope["payload"]["filler"] = "x" * max(0, record_bytes - size)  # type: ignore[index]
        sequence = FIRST_SEQUENCE + index * 1000
        batch.append(
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": f"user-{index % 1000}",
                    "sequenceNumber": str(sequence),
                    "data": base64.b64encode(orjson.dumps(envelope)).decode(),
                    "approximateArrivalTimestamp": arrival,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{SHARD}:{sequence}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::123456789012:role/consumer",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/clicks",
            }
        )
    return {"Records": batch}


def decode_floor(event: dict[str, Any]) -> None:
    """The least any consumer must do: base64-decode and parse every record (the goal's floor)."""
    loads, a2b = orjson.loads, binascii.a2b_base64
    for record in event["Records"]:
        loads(a2b(record["kinesis"]["data"]))


def decode_floor_pybase64(event: dict[str, Any]) -> None:
    """The same with the handler's decoder: pybase64's validating decode, called as the handler calls it."""
    loads, b64decode = orjson.loads, pybase64.b64decode
    for record in event["Records"]:
        loads(b64decode(record["kinesis"]["data"], None, True))


def our_handler(pii_fields: str, parallelization: int = 1) -> Callable[[dict[str, Any]], Any]:
    os.environ.update(ENVIRONMENT, PII_FIELDS=pii_fields, PARALLELIZATION_FACTOR=str(parallelization))
    consumer_handler.reset()
    consumer_handler.CLIENT_CACHE.clients.update(firehose=FakeFirehose(), dynamodb=FakeDynamoDB(), s3=FakeS3())
    consumer_handler.logger.setLevel("WARNING")  # the Logger read LOG_LEVEL at import
    context = FakeLambdaContext()

    def run(event: dict[str, Any]) -> Any:
        response = consumer_handler.lambda_handler(event, context)
        assert response == {"batchItemFailures": []}, response
        return response

    return run


def powertools_baseline(pii_fields: str) -> Callable[[dict[str, Any]], Any]:
    """A straightforward BatchProcessor handler doing the same work, one Firehose record per line."""
    processor = BatchProcessor(event_type=EventType.KinesisDataStreams)
    masker = PiiMasker([field for field in pii_fields.split(",") if field])
    firehose, dynamodb = FakeFirehose(), FakeDynamoDB()
    lines: list[bytes] = []
    context = FakeLambdaContext()
    now: dict[str, Any] = {}

    def record_handler(record: KinesisStreamRecord) -> None:
        envelope = orjson.loads(record.kinesis.data_as_bytes())
        problem = envelope_violation(envelope)
        if problem:
            raise ValueError(problem)
        if envelope["tenant"] != TENANT:
            raise ValueError("wrong tenant")
        masker.mask(envelope)
        envelope["ingested_at"] = now["text"]
        envelope["arrival_lag_ms"] = int((now["epoch"] - record.kinesis.approximate_arrival_timestamp) * 1000)
        envelope["shard_id"] = record.event_id.split(":", 1)[0]
        envelope["sequence_number"] = record.kinesis.sequence_number
        envelope["sub_sequence_number"] = 0
        lines.append(orjson.dumps(envelope, option=orjson.OPT_APPEND_NEWLINE))

    def run(event: dict[str, Any]) -> Any:
        moment = datetime.now(UTC)
        now.update(text=utc_timestamp(moment), epoch=moment.timestamp())
        lines.clear()
        response = process_partial_response(
            event=event,
            record_handler=record_handler,
            processor=processor,
            context=context,  # type: ignore[arg-type]
        )
        for start in range(0, len(lines), FIREHOSE_MAX_RECORDS_PER_CALL):
            chunk = lines[start : start + FIREHOSE_MAX_RECORDS_PER_CALL]
            firehose.put_record_batch(DeliveryStreamName="lake", Records=[{"Data": line} for line in chunk])
        dynamodb.update_item(TableName="checkpoints", Key={"pk": {"S": f"{TENANT}#{SHARD}"}})
        return response

    return run


def measure(
    variants: dict[str, Callable[[dict[str, Any]], Any]], event: dict[str, Any], repeats: int
) -> dict[str, list[float]]:
    """Microseconds per record of each variant, per repeat; variants take turns within a repeat so
    that load from other processes on the machine hits them alike."""
    records = len(event["Records"])
    samples: dict[str, list[float]] = {name: [] for name in variants}
    with contextlib.redirect_stdout(io.StringIO()):  # EMF and log output
        for run in variants.values():
            run(event)  # warm-up
        for _ in range(repeats):
            for name, run in variants.items():
                gc.collect()
                started = time.process_time()
                run(event)
                samples[name].append((time.process_time() - started) / records * 1e6)
    return samples


def median_ratio(numerator: list[float], denominator: list[float]) -> float:
    return statistics.median(a / b for a, b in zip(numerator, denominator, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument(
        "--pii-fields", default="", help="PII_FIELDS for both handlers, e.g. payload.email (default: none)"
    )
    parser.add_argument(
        "--parallelization", type=int, default=1, help="the consumer's PARALLELIZATION_FACTOR (1-10; default 1)"
    )
    args = parser.parse_args()

    event = build_event(args.records)
    mean_bytes = statistics.mean(len(base64.b64decode(r["kinesis"]["data"])) for r in event["Records"])
    samples = measure(
        {
            "floor": decode_floor,
            "floor_pybase64": decode_floor_pybase64,
            "ours": our_handler(args.pii_fields, args.parallelization),
            "baseline": powertools_baseline(args.pii_fields),
        },
        event,
        args.repeats,
    )
    floor, floor_pybase64, ours, baseline = (samples[name] for name in ("floor", "floor_pybase64", "ours", "baseline"))

    print(
        f"batch: {args.records} records of {mean_bytes:.0f} bytes; PII_FIELDS={args.pii_fields!r};"
        f" PARALLELIZATION_FACTOR={args.parallelization};"
        f" CPU time, {args.repeats} interleaved repeats"
    )
    print("                                     median      best  (us/record)")
    for label, values in (
        ("decode floor (binascii + orjson)", floor),
        ("decode floor (pybase64 + orjson)", floor_pybase64),
        ("this handler (pybase64)", ours),
        ("Powertools BatchProcessor handler", baseline),
    ):
        print(f"{label:36s} {statistics.median(values):7.2f}   {min(values):7.2f}")
    print(
        f"handler / floor (binascii) = {median_ratio(ours, floor):.2f}x median of repeats,"
        f" {min(ours) / min(floor):.2f}x best runs  (goal <= 2.0x; the handler's decoder is faster than this floor's)"
    )
    print(
        f"handler / floor (pybase64) = {median_ratio(ours, floor_pybase64):.2f}x median of repeats,"
        f" {min(ours) / min(floor_pybase64):.2f}x best runs  (goal <= 2.0x; like for like: same decoder)"
    )
    print(
        f"handler / baseline         = {median_ratio(ours, baseline):.2f}x median of repeats,"
        f" {min(ours) / min(baseline):.2f}x best runs  (goal < 1.0x)"
    )


if __name__ == "__main__":
    main()
