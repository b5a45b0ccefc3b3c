"""Small files, measured: the lake objects each stack's Firehose buffering writes, and what they cost to write and read.

    .venv/bin/python scripts/research/lake_small_files.py        # the table docs/cost.md shows

Per stack (Pulumi.<stack>.yaml through the program's own config parser) and per distinct lake setting of its
streams, at 1, 10 and 50 MB/s (10^6 bytes) into one stream: Firehose writes an object when its buffer holds
`buffer_mb` MiB or `buffer_seconds` have passed, whichever first (`firehose_seconds_per_object`, the cost model's
rule). The prefix has no dynamic partitioning, so one buffer per delivery stream, and an object's dt/hour is its
oldest record's arrival: objects do not split at the hour. Object size after compression assumes the cost model's
`lake_compression_ratio` (GZIP'd / raw, 0.2: JSON lines compress 4-6x; 1.0 for UNCOMPRESSED).

Costs, from functions/pricing.py: Firehose's PUTs for a month (730 h); and reading one stream's hour with Athena,
which lists the hour partition partition projection names (one LIST per 1,000 keys) and GETs each object at least
once (gzip is not splittable); beside it, the bytes and the scan price of that hour, and how many such hours one
query may read before the workgroup's bytes-scanned cutoff (infra/defaults.py) stops it.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from functions import pricing
from infra.config import config_from_pulumi_values
from infra.defaults import ATHENA_BYTES_SCANNED_CUTOFF
from infra.mock_runtime import load_stack_config
from streamctl.cost.model import firehose_seconds_per_object
from streamctl.cost.traffic import StreamTraffic

STACKS = ("dev", "staging", "prod")
MB_PER_S = (1.0, 10.0, 50.0)
KEYS_PER_LIST = 1_000  # ListObjectsV2 returns at most 1,000 keys per request
GZIP_RATIO = StreamTraffic().lake_compression_ratio


@dataclass(frozen=True)
class SmallFiles:
    stack: str
    streams: int
    buffer_mb: int
    buffer_seconds: int
    compression: str
    mb_per_s: float

    @property
    def seconds_per_object(self) -> float:
        return firehose_seconds_per_object(self.buffer_mb, self.buffer_seconds, self.mb_per_s * 1e6)

    @property
    def flushed_by(self) -> str:
        return "interval" if self.seconds_per_object >= self.buffer_seconds else "size"

    @property
    def objects_per_hour(self) -> float:
        return 3600 / self.seconds_per_object

    @property
    def object_mb(self) -> float:
        ratio = 1.0 if self.compression == "UNCOMPRESSED" else GZIP_RATIO
        return self.mb_per_s * self.seconds_per_object * ratio

    @property
    def put_usd_per_month(self) -> float:
        return self.objects_per_hour * pricing.HOURS_PER_MONTH / 1000 * pricing.S3_PUT_PER_THOUSAND_USD

    @property
    def hour_query_requests(self) -> tuple[int, int]:
        """(LIST, GET) requests of one query over one stream's hour (one partition)."""
        per_hour = math.ceil(self.objects_per_hour)
        return max(1, math.ceil(per_hour / KEYS_PER_LIST)), per_hour

    @property
    def hour_query_request_usd(self) -> float:
        lists, gets = self.hour_query_requests
        return lists / 1000 * pricing.S3_LIST_PER_THOUSAND_USD + gets / 1000 * pricing.S3_GET_PER_THOUSAND_USD

    @property
    def hour_scanned_bytes(self) -> float:
        """What a query of one stream's hour scans: all its objects, as stored."""
        return self.object_mb * 1e6 * self.objects_per_hour

    @property
    def hours_under_cutoff(self) -> float:
        """How many hours of the stream one query may read before the workgroup's bytes-scanned cutoff stops it."""
        return ATHENA_BYTES_SCANNED_CUTOFF / self.hour_scanned_bytes

    @property
    def hour_query_scan_usd(self) -> float:
        scanned = max(self.hour_scanned_bytes, pricing.ATHENA_MIN_BYTES_PER_QUERY)
        return scanned / pricing.TB * pricing.ATHENA_PER_TB_SCANNED_USD


def stack_rows(stack: str) -> list[SmallFiles]:
    config = config_from_pulumi_values(load_stack_config(stack), stack=stack)
    settings: dict[tuple[int, int, str], int] = {}
    for _, _, stream in config.streams():
        delivery = config.lake.for_stream(stream.lake)
        key = (delivery.buffer_mb, delivery.buffer_seconds, delivery.compression)
        settings[key] = settings.get(key, 0) + 1
    return [
        SmallFiles(stack, count, buffer_mb, buffer_seconds, compression, rate)
        for (buffer_mb, buffer_seconds, compression), count in sorted(settings.items())
        for rate in MB_PER_S
    ]


def render(rows: list[SmallFiles]) -> str:
    header = (
        "| stack (streams) | buffer | MB/s | flushed by | objects/hour | object MB | PUT $/month "
        "| LIST + GET per hour-query | requests $/hour-query | GB scanned per hour | scan $/hour-query "
        "| hours per query under the cutoff |"
    )
    lines = [header, "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        lists, gets = row.hour_query_requests
        lines.append(
            f"| {row.stack} ({row.streams}) | {row.buffer_mb} MiB / {row.buffer_seconds} s {row.compression} "
            f"| {row.mb_per_s:g} | {row.flushed_by} | {row.objects_per_hour:,.0f} | {row.object_mb:,.1f} "
            f"| ${row.put_usd_per_month:,.2f} | {lists:,} + {gets:,} | ${row.hour_query_request_usd:,.5f} "
            f"| {row.hour_scanned_bytes / 1e9:,.2f} | ${row.hour_query_scan_usd:,.4f} | {row.hours_under_cutoff:,.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    print(render([row for stack in STACKS for row in stack_rows(stack)]))


if __name__ == "__main__":
    main()
