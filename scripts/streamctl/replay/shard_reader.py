"""Read records back from a shard: the first record at a time or position, or a closed sequence range."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

# An iterator can land in a gap of an open shard and return nothing while data lies further on.
MAX_EMPTY_READS = 20
RECORDS_PER_READ = 1000


@dataclass(frozen=True)
class ShardRecord:
    """A Kinesis record as GetRecords returns it (a KPL aggregate stays one record)."""

    shard_id: str
    sequence_number: str
    partition_key: str
    data: bytes
    arrival: datetime


def shard_ids(kinesis: Any, stream_name: str) -> list[str]:
    """Every shard of the stream, open or closed (closed parents still hold records within retention)."""
    shards: list[str] = []
    kwargs: dict[str, Any] = {"StreamName": stream_name}
    while True:
        response = kinesis.list_shards(**kwargs)
        shards.extend(shard["ShardId"] for shard in response["Shards"])
        token = response.get("NextToken")
        if not token:
            return shards
        kwargs = {"NextToken": token}


def read_from(kinesis: Any, stream_name: str, shard_id: str, **iterator_args: Any) -> Iterator[ShardRecord]:
    """Records from an iterator position (`ShardIteratorType=...`) until the shard's tip or end."""
    iterator = kinesis.get_shard_iterator(StreamName=stream_name, ShardId=shard_id, **iterator_args)["ShardIterator"]
    empty_reads = 0
    while iterator:
        response = kinesis.get_records(ShardIterator=iterator, Limit=RECORDS_PER_READ)
        for record in response["Records"]:
            yield ShardRecord(
                shard_id=shard_id,
                sequence_number=record["SequenceNumber"],
                partition_key=record["PartitionKey"],
                data=record["Data"],
                arrival=record["ApproximateArrivalTimestamp"],
            )
        if response["Records"]:
            empty_reads = 0
        else:
            empty_reads += 1
            if response.get("MillisBehindLatest", 0) == 0 or empty_reads >= MAX_EMPTY_READS:
                return
        iterator = response.get("NextShardIterator")


def first_record(kinesis: Any, stream_name: str, shard_id: str, **iterator_args: Any) -> ShardRecord | None:
    return next(read_from(kinesis, stream_name, shard_id, **iterator_args), None)


@dataclass(frozen=True)
class RangeRead:
    """The records of [start, end] still in the stream; `expired` when the start is past retention."""

    records: list[ShardRecord]
    expired: bool


def read_range(kinesis: Any, stream_name: str, shard_id: str, start: str, end: str) -> RangeRead:
    """Re-read the records between two sequence numbers of one shard, both included."""
    last = int(end)
    try:
        reader = read_from(
            kinesis, stream_name, shard_id, ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=start
        )
        records = []
        for record in reader:
            if int(record.sequence_number) > last:
                break
            records.append(record)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"InvalidArgumentException", "ResourceNotFoundException"}:
            return RangeRead([], expired=True)
        raise
    expired = not records or records[0].sequence_number != start
    return RangeRead(records, expired=expired)
