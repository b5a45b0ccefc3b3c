"""The payloads AWS Lambda builds: Kinesis batch events, on-failure destination records, scheduled events.

Shapes follow the Lambda developer guide ("Using Lambda with Kinesis", "Retain discarded batch
records for a Kinesis Data Streams event source") and EventBridge's "Scheduled Event".
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """One Kinesis record as read with GetRecords."""

    shard_id: str
    sequence_number: str
    partition_key: str
    data: bytes
    arrival: float  # epoch seconds

    @classmethod
    def from_get_records(cls, shard_id: str, record: dict[str, Any]) -> StreamRecord:
        arrival = record["ApproximateArrivalTimestamp"]
        return cls(
            shard_id=shard_id,
            sequence_number=str(record["SequenceNumber"]),
            partition_key=str(record["PartitionKey"]),
            data=bytes(record["Data"]),
            arrival=arrival.timestamp() if isinstance(arrival, datetime) else float(arrival),
        )


def kinesis_event(records: Sequence[StreamRecord], stream_arn: str, role_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda passes to a function for a batch of one shard's records."""
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record.partition_key,
                    "sequenceNumber": record.sequence_number,
                    "data": base64.b64encode(record.data).decode("ascii"),
                    "approximateArrivalTimestamp": record.arrival,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{record.shard_id}:{record.sequence_number}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": role_arn,
                "awsRegion": region,
                "eventSourceARN": stream_arn,
            }
            for record in records
        ]
    }


def iso_millis(epoch_s: float) -> str:
    """An epoch time as AWS writes it in on-failure destination records ("2019-11-14T00:38:04.835Z").

    AWS's format, not the lake's: the consumer's `utc_timestamp` formats the lake's `ingested_at` alike
    today, but each follows its own contract.
    """
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def on_failure_record(
    records: Sequence[StreamRecord],
    *,
    stream_arn: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    function_error: str | None,
    now: float,
) -> dict[str, Any]:
    """What Lambda sends to the on-failure destination for a discarded batch (records not included)."""
    response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if function_error is not None:
        response_context["functionError"] = function_error
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response_context,
        "version": "1.0",
        "timestamp": iso_millis(now),
        "KinesisBatchInfo": {
            "shardId": records[0].shard_id,
            "startSequenceNumber": records[0].sequence_number,
            "endSequenceNumber": records[-1].sequence_number,
            "approximateArrivalOfFirstRecord": iso_millis(records[0].arrival),
            "approximateArrivalOfLastRecord": iso_millis(records[-1].arrival),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


def scheduled_event(rule_arn: str, account: str, region: str, now: float) -> dict[str, Any]:
    """The EventBridge event a schedule rule delivers to its Lambda target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }
