"""Check a run against the lake: every accepted event found once, and how long it took to get there.

Lake objects are NDJSON written by the consumer through Firehose, which concatenates records as they are (the
consumer ends each one with a newline) and compresses by the stream's CompressionFormat (`streamctl.lake_objects`,
read by extension as Athena does).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from botocore.exceptions import BotoCoreError, ClientError

from streamctl.lake_objects import decompress
from streamctl.loadtest.envelope import SEQUENCE_DIGITS
from streamctl.loadtest.manifest import RunManifest

# Objects modified this long before the run started cannot hold its events (clock skew allowance).
LISTING_SLACK = timedelta(minutes=5)
ITERATOR_AGE_METRIC = "GetRecords.IteratorAgeMilliseconds"
_BASE64_VALUE = re.compile(r"^[A-Za-z0-9+/]{16,}={0,2}$")


def object_lines(body: bytes, key: str = "") -> Iterator[bytes]:
    """The non-empty lines of a lake object, decoded by its key's extension (gzip also by its magic)."""
    for line in decompress(key, body).split(b"\n"):
        line = line.strip()
        if line:
            yield line


def list_objects_since(s3: Any, bucket: str, prefix: str, since: datetime | None) -> Iterator[str]:
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if since is None or item["LastModified"] >= since - LISTING_SLACK:
                yield item["Key"]


@dataclass
class LakeScan:
    """What the lake holds of one run: copies per event id and the fastest end-to-end latency of each."""

    copies: dict[str, int] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)
    objects_read: int = 0
    unreadable_lines: int = 0

    def add_line(self, line: bytes, run_marker: bytes) -> None:
        if run_marker not in line:  # cheap skip of other runs' events before parsing
            return
        try:
            event = orjson.loads(line)
            payload = event["payload"]
            if payload.get("run_id") != run_marker.decode():
                return
            event_id = event["event_id"]
            produced_at_ms = int(payload["produced_at"])
            ingested = datetime.fromisoformat(event["ingested_at"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            self.unreadable_lines += 1
            return
        self.copies[event_id] = self.copies.get(event_id, 0) + 1
        latency = ingested.timestamp() * 1000 - produced_at_ms
        previous = self.latency_ms.get(event_id)
        if previous is None or latency < previous:
            self.latency_ms[event_id] = latency


def scan_lake(s3: Any, bucket: str, prefix: str, run_id: str, since: datetime | None = None) -> LakeScan:
    scan = LakeScan()
    marker = run_id.encode()
    for key in list_objects_since(s3, bucket, prefix, since):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        scan.objects_read += 1
        try:
            for line in object_lines(body, key):
                scan.add_line(line, marker)
        except (OSError, EOFError, ValueError):  # a truncated or corrupt compressed object
            scan.unreadable_lines += 1
    return scan


def _event_ids_in(text: str, pattern: re.Pattern[str]) -> set[str]:
    return set(pattern.findall(text))


def _quarantined_ids_in_line(line: bytes, pattern: re.Pattern[str]) -> set[str]:
    """Event ids of the run in a quarantine line, whatever its layout: plain text, or base64 values in JSON.

    The quarantine format belongs to the consumer; searching for the run's event-id pattern keeps
    verify independent of it and never fails on a line it does not understand.
    """
    text = line.decode("utf-8", errors="replace")
    found = _event_ids_in(text, pattern)
    try:
        document = orjson.loads(line)
    except orjson.JSONDecodeError:
        return found
    stack: list[Any] = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and _BASE64_VALUE.match(value):
            try:
                decoded = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                continue
            found |= _event_ids_in(decoded.decode("utf-8", errors="replace"), pattern)
    return found


def scan_quarantine(
    s3: Any, bucket: str, prefix: str, run_id: str, since: datetime | None = None
) -> tuple[set[str], int]:
    """Event ids of the run found under the quarantine prefix, and the number of objects read."""
    # The lookbehind keeps run "a-1" from matching inside the ids of run "xa-1".
    pattern = re.compile(r"(?<![\w.-])" + re.escape(run_id) + r":\d+:\d{" + str(SEQUENCE_DIGITS) + "}")
    found: set[str] = set()
    objects = 0
    for key in list_objects_since(s3, bucket, prefix, since):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        objects += 1
        try:
            for line in object_lines(body, key):
                found |= _quarantined_ids_in_line(line, pattern)
        except (OSError, EOFError, ValueError):
            continue
    return found, objects


def max_iterator_age_ms(cloudwatch: Any, stream_name: str, start: datetime, end: datetime) -> float | None:
    """The stream's maximum iterator age over the window, or None when CloudWatch has no datapoints."""
    response = cloudwatch.get_metric_statistics(
        Namespace="AWS/Kinesis",
        MetricName=ITERATOR_AGE_METRIC,
        Dimensions=[{"Name": "StreamName", "Value": stream_name}],
        StartTime=start,
        EndTime=end,
        Period=60,
        Statistics=["Maximum"],
    )
    points = [point["Maximum"] for point in response.get("Datapoints", [])]
    return max(points) if points else None


@dataclass
class Verification:
    """The outcome of `verify`: counts, latencies in milliseconds, and a few missing ids to look up."""

    run_id: str
    expected: int
    found: int
    missing: int
    duplicated_events: int
    duplicate_copies: int
    quarantined: int
    unexpected: int
    unreadable_lines: int
    objects_read: int
    latencies_ms: list[float]
    iterator_age_max_ms: float | None
    missing_sample: list[str]

    @property
    def passed(self) -> bool:
        return self.missing == 0


def verify_run(
    manifest: RunManifest,
    *,
    s3: Any,
    cloudwatch: Any,
    bucket: str,
    lake_prefix: str,
    quarantine_prefix: str,
    sample_size: int = 10,
) -> Verification:
    """Compare what the run's manifest says Kinesis accepted with what the lake and quarantine hold."""
    scan = scan_lake(s3, bucket, lake_prefix, manifest.run_id, since=manifest.started_at)
    quarantined, quarantine_objects = scan_quarantine(
        s3, bucket, quarantine_prefix, manifest.run_id, since=manifest.started_at
    )
    expected_ids = set(manifest.expected_event_ids())
    missing = sorted(expected_ids.difference(scan.copies).difference(quarantined))
    window_end = max(manifest.ended_at, manifest.started_at) + timedelta(minutes=15)
    try:
        iterator_age = max_iterator_age_ms(
            cloudwatch, manifest.stream_name, manifest.started_at - timedelta(minutes=1), window_end
        )
    except (ClientError, BotoCoreError):  # the metric informs; its absence must not fail verification
        iterator_age = None
    return Verification(
        run_id=manifest.run_id,
        expected=len(expected_ids),
        found=len(expected_ids.intersection(scan.copies)),
        missing=len(missing),
        duplicated_events=sum(1 for copies in scan.copies.values() if copies > 1),
        duplicate_copies=sum(copies - 1 for copies in scan.copies.values()),
        quarantined=len(quarantined),
        unexpected=sum(1 for event_id in scan.copies if event_id not in expected_ids),
        unreadable_lines=scan.unreadable_lines,
        objects_read=scan.objects_read + quarantine_objects,
        latencies_ms=sorted(scan.latency_ms.values()),
        iterator_age_max_ms=iterator_age,
        missing_sample=missing[:sample_size],
    )
