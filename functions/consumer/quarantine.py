"""Poison records go to S3, one JSON-lines object per batch, so they never block the shard.

Key: `{QUARANTINE_PREFIX}dt=YYYY-MM-DD/shard={shard_id}/{sequence}-{sub_sequence}.jsonl`, named after
the first quarantined record and dated by its arrival, so a retried batch overwrites its own object
instead of adding a second copy. Line format: see docs/consumer.md.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """One rejected user record: everything needed to inspect it or put it back on the stream."""

    data: str  # base64 of the record bytes exactly as received (the sub-record's bytes for KPL)
    shard_id: str
    sequence_number: str
    sub_sequence_number: int
    partition_key: str
    approximate_arrival_timestamp: float
    reason: str


def entry_for_bytes(
    data: bytes,
    shard_id: str,
    sequence_number: str,
    sub_sequence_number: int,
    partition_key: str,
    approximate_arrival_timestamp: float,
    reason: str,
) -> QuarantineEntry:
    return QuarantineEntry(
        data=base64.b64encode(data).decode("ascii"),
        shard_id=shard_id,
        sequence_number=sequence_number,
        sub_sequence_number=sub_sequence_number,
        partition_key=partition_key,
        approximate_arrival_timestamp=approximate_arrival_timestamp,
        reason=reason,
    )


def quarantine_object_key(prefix: str, first: QuarantineEntry) -> str:
    arrival_day = datetime.fromtimestamp(first.approximate_arrival_timestamp, UTC).strftime("%Y-%m-%d")
    return f"{prefix}dt={arrival_day}/shard={first.shard_id}/{first.sequence_number}-{first.sub_sequence_number}.jsonl"


def quarantine_object_body(entries: list[QuarantineEntry], context: dict[str, str]) -> bytes:
    """JSON lines: each entry plus `context` (tenant, stream, consumer, quarantined_at)."""
    return b"".join(orjson.dumps(asdict(entry) | context, option=orjson.OPT_APPEND_NEWLINE) for entry in entries)


class QuarantineWriter:
    """Writes a batch's poison records to the quarantine bucket (client: boto3 S3)."""

    def __init__(self, s3_client: Any, bucket: str, prefix: str, context: dict[str, str]) -> None:
        self._s3 = s3_client
        self._bucket = bucket
        self._prefix = prefix
        self._context = context

    def write(self, entries: list[QuarantineEntry], quarantined_at: str) -> str:
        """Store the entries as one object and return its key; boto errors propagate to the caller."""
        key = quarantine_object_key(self._prefix, entries[0])
        body = quarantine_object_body(entries, self._context | {"quarantined_at": quarantined_at})
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/x-ndjson")
        return key
