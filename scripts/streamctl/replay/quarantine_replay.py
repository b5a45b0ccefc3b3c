"""Re-process quarantined records after a fix: put them back on the stream, then mark their objects.

Each quarantine object (functions/consumer/quarantine.py) is JSON lines of entries with the record's
bytes (base64) and partition key. By default only entries that the consumer now accepts are put back
(the rest would only be quarantined again; see scripts/streamctl/replay/consumer_code.py); replayed objects get
the S3 tag `replayed-at`, so a second run does not put them back twice.
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from streamctl.loadtest.batching import UserRecord
from streamctl.loadtest.producer import KinesisProducer
from streamctl.replay.consumer_code import rejection
from streamctl.replay.target import ReplayClients, ReplayTarget

REPLAYED_TAG = "replayed-at"


class QuarantinedRecord(BaseModel):
    """One line of a quarantine object (the fields a replay needs; the rest is ignored)."""

    model_config = ConfigDict(extra="ignore")

    data: str
    partition_key: str
    shard_id: str
    sequence_number: str
    sub_sequence_number: int
    reason: str

    def record_bytes(self) -> bytes:
        return base64.b64decode(self.data, validate=True)


@dataclass
class ObjectReplay:
    key: str
    selected: list[QuarantinedRecord] = field(default_factory=list)
    still_poison: Counter[str] = field(default_factory=Counter)
    filtered_out: int = 0
    sent: int = 0
    tagged: bool = False


@dataclass
class QuarantineReport:
    objects: list[ObjectReplay] = field(default_factory=list)
    skipped_replayed: int = 0

    def describe(self) -> list[str]:
        lines = []
        for item in self.objects:
            done = f", put back {item.sent}, tagged {REPLAYED_TAG}" if item.tagged else ""
            lines.append(
                f"{item.key}: {len(item.selected)} to put back, {sum(item.still_poison.values())} still rejected, "
                f"{item.filtered_out} filtered out{done}"
            )
            lines.extend(f"  still rejected ({count}): {reason}" for reason, count in item.still_poison.most_common(3))
        if self.skipped_replayed:
            lines.append(
                f"{self.skipped_replayed} objects already replayed (tag {REPLAYED_TAG}); "
                "--include-replayed re-reads them"
            )
        return lines or ["no quarantine objects under the prefix"]


def quarantine_keys(s3: Any, bucket: str, prefix: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"]


def parse_object(key: str, body: bytes) -> list[QuarantinedRecord]:
    """The object's entries, or ValueError naming the object and line that is not a quarantine entry."""
    records = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = QuarantinedRecord.model_validate(orjson.loads(line))
            record.record_bytes()
        except (orjson.JSONDecodeError, ValidationError, binascii.Error, ValueError) as error:
            raise ValueError(f"s3 object {key} line {number} is not a quarantine entry: {error}") from None
        records.append(record)
    return records


def _already_replayed(s3: Any, bucket: str, key: str) -> bool:
    tags = s3.get_object_tagging(Bucket=bucket, Key=key).get("TagSet", [])
    return any(tag["Key"] == REPLAYED_TAG for tag in tags)


def replay_quarantine(
    clients: ReplayClients,
    target: ReplayTarget,
    *,
    dry_run: bool,
    day: str | None = None,
    reason_contains: str | None = None,
    include_still_rejected: bool = False,
    include_replayed: bool = False,
    producer: KinesisProducer | None = None,
) -> QuarantineReport:
    """Put quarantined records of one stream back on it; `day` (YYYY-MM-DD) narrows to one arrival day."""
    if day is not None:
        datetime.strptime(day, "%Y-%m-%d")  # ValueError names the bad day
    prefix = target.quarantine_prefix + (f"dt={day}/" if day else "")
    now = datetime.now(UTC)
    producer = producer or KinesisProducer(clients.kinesis, target.stream_name)
    report = QuarantineReport()
    for key in quarantine_keys(clients.s3, target.lake_bucket, prefix):
        if not include_replayed and _already_replayed(clients.s3, target.lake_bucket, key):
            report.skipped_replayed += 1
            continue
        body = clients.s3.get_object(Bucket=target.lake_bucket, Key=key)["Body"].read()
        item = ObjectReplay(key)
        report.objects.append(item)
        for record in parse_object(key, body):
            if reason_contains and reason_contains not in record.reason:
                item.filtered_out += 1
                continue
            reason = rejection(record.record_bytes(), target.tenant)
            if reason is not None:
                item.still_poison[reason] += 1
                if not include_still_rejected:
                    continue
            item.selected.append(record)
        if dry_run or not item.selected:
            continue
        failed = producer.send(
            UserRecord(r.partition_key, r.record_bytes(), f"{r.shard_id}:{r.sequence_number}:{r.sub_sequence_number}")
            for r in item.selected
        )
        item.sent = len(item.selected) - sum(entry.user_records for entry in failed)
        if failed:
            raise RuntimeError(f"{len(failed)} records of {key} could not be put back on {target.stream_name}; re-run")
        clients.s3.put_object_tagging(
            Bucket=target.lake_bucket,
            Key=key,
            Tagging={"TagSet": [{"Key": REPLAYED_TAG, "Value": now.strftime("%Y-%m-%dT%H:%M:%SZ")}]},
        )
        item.tagged = True
    return report
