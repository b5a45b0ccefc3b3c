"""Kinesis records as the producer sends them, and their packing into PutRecords calls within the limits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from functions.aws_limits import (
    KINESIS_MAX_BYTES_PER_CALL,
    KINESIS_MAX_PARTITION_KEY_CHARS,
    KINESIS_MAX_RECORD_BYTES,
    KINESIS_MAX_RECORDS_PER_CALL,
    KINESIS_PUT_PAYLOAD_UNIT_BYTES,
)


class RecordTooLargeError(ValueError):
    """A record that no PutRecords call can carry."""


@dataclass(frozen=True, slots=True)
class UserRecord:
    """One event as the application sees it; `record_id` names it in failure reports."""

    partition_key: str
    data: bytes
    record_id: str = ""


@dataclass(frozen=True, slots=True)
class KinesisEntry:
    """One entry of a PutRecords call: a single user record, or a KPL aggregate of several."""

    partition_key: str
    data: bytes
    record_ids: tuple[str, ...]
    user_bytes: int

    @property
    def user_records(self) -> int:
        return len(self.record_ids)

    @property
    def size_bytes(self) -> int:
        """What counts against the 1 MiB record and 5 MiB call limits: data blob plus partition key."""
        return len(self.data) + len(self.partition_key.encode())

    @property
    def payload_units(self) -> int:
        """25 KB PUT payload units billed for this entry (partition key counted, to stay on the safe side)."""
        return -(-self.size_bytes // KINESIS_PUT_PAYLOAD_UNIT_BYTES)

    def as_request_entry(self) -> dict[str, object]:
        return {"Data": self.data, "PartitionKey": self.partition_key}


def validate_partition_key(partition_key: str) -> None:
    if not 1 <= len(partition_key) <= KINESIS_MAX_PARTITION_KEY_CHARS:
        raise ValueError(
            f"partition key {partition_key[:40]!r} has {len(partition_key)} characters; "
            f"Kinesis allows 1 to {KINESIS_MAX_PARTITION_KEY_CHARS}"
        )


def single_entry(record: UserRecord) -> KinesisEntry:
    """An unaggregated entry, checked against the per-record limits."""
    validate_partition_key(record.partition_key)
    entry = KinesisEntry(record.partition_key, record.data, (record.record_id,), len(record.data))
    if entry.size_bytes > KINESIS_MAX_RECORD_BYTES:
        raise RecordTooLargeError(
            f"record {record.record_id or '(no id)'} with partition key {record.partition_key[:40]!r} is "
            f"{entry.size_bytes} bytes with its key; Kinesis accepts at most {KINESIS_MAX_RECORD_BYTES}"
        )
    return entry


def chunk_entries(entries: Iterable[KinesisEntry]) -> Iterator[list[KinesisEntry]]:
    """Consecutive PutRecords batches of at most 500 entries and 5 MiB, in the order given."""
    batch: list[KinesisEntry] = []
    batch_bytes = 0
    for entry in entries:
        size = entry.size_bytes
        if size > KINESIS_MAX_RECORD_BYTES:
            raise RecordTooLargeError(
                f"entry with partition key {entry.partition_key[:40]!r} is {size} bytes; "
                f"Kinesis accepts at most {KINESIS_MAX_RECORD_BYTES} per record"
            )
        if batch and (len(batch) == KINESIS_MAX_RECORDS_PER_CALL or batch_bytes + size > KINESIS_MAX_BYTES_PER_CALL):
            yield batch
            batch, batch_bytes = [], 0
        batch.append(entry)
        batch_bytes += size
    if batch:
        yield batch
