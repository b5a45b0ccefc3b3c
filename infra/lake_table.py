"""The lake's `events` table, written once: what the Glue table declares and what `streamctl lake query` reads.

The Pulumi program (`infra/components/data_lake.py`) turns this into the Glue table; the local engine
(`scripts/streamctl/lake`) reads the same definition back from the Glue catalog the program deployed, so both
agree on columns, SerDe, partition projection and the location template. Pure Python: no Pulumi import.
"""

from __future__ import annotations

from typing import Final

TABLE_NAME: Final = "events"

# Columns of a lake line: the event envelope plus the consumer's enrichment (docs/events.md).
# `tenant` and `stream` are partition columns taken from the S3 path (the line's own `tenant` is not a column).
EVENT_COLUMNS: Final = [
    ("event_id", "string"),
    ("type", "string"),
    ("occurred_at", "string"),
    ("schema_version", "string"),
    ("payload", "string"),
    ("ingested_at", "string"),
    ("arrival_lag_ms", "bigint"),
    ("shard_id", "string"),
    ("sequence_number", "string"),
    ("sub_sequence_number", "bigint"),
]
PARTITION_COLUMNS: Final = [("tenant", "string"), ("stream", "string"), ("dt", "string"), ("hour", "string")]

# The OpenX JSON SerDe, one JSON object per line; a malformed line reads as a row of NULLs instead of failing
# the query (https://docs.aws.amazon.com/athena/latest/ug/openx-json-serde.html, "Optional properties").
SERDE_LIBRARY: Final = "org.openx.data.jsonserde.JsonSerDe"
SERDE_PARAMETERS: Final = {"ignore.malformed.json": "true"}
INPUT_FORMAT: Final = "org.apache.hadoop.mapred.TextInputFormat"
OUTPUT_FORMAT: Final = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

# Partition projection (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html):
# tenants and streams are enums of the stack's own, `dt` a date from the first day the platform could have
# written to now, `hour` two-digit integers. Firehose's Prefix writes exactly these paths (lake_delivery.py).
DT_FORMAT: Final = "yyyy-MM-dd"
DT_RANGE: Final = "2024-01-01,NOW"
HOUR_RANGE: Final = (0, 23)
HOUR_DIGITS: Final = 2
LOCATION_TEMPLATE_SUFFIX: Final = "tenant=${tenant}/stream=${stream}/dt=${dt}/hour=${hour}/"
# The same dt/hour path as Firehose's Prefix expressions write it, at the record's arrival in UTC
# (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html): `HH` is the two-digit hour projected above.
FIREHOSE_DT: Final = f"!{{timestamp:{DT_FORMAT}}}"
FIREHOSE_PARTITION_SUFFIX: Final = f"dt={FIREHOSE_DT}/hour=!{{timestamp:HH}}/"


def projection_parameters(tenants: list[str], streams: list[str]) -> dict[str, str]:
    """The table parameters of partition projection, less `storage.location.template` (it needs the bucket)."""
    return {
        "classification": "json",
        "projection.enabled": "true",
        "projection.tenant.type": "enum",
        "projection.tenant.values": ",".join(tenants),
        "projection.stream.type": "enum",
        "projection.stream.values": ",".join(streams),
        "projection.dt.type": "date",
        "projection.dt.format": DT_FORMAT,
        "projection.dt.range": DT_RANGE,
        "projection.hour.type": "integer",
        "projection.hour.range": f"{HOUR_RANGE[0]},{HOUR_RANGE[1]}",
        "projection.hour.digits": str(HOUR_DIGITS),
    }


def duplicate_delay_bound_seconds(max_record_age_seconds: int, timeout_seconds: int) -> int:
    """The longest an automatic duplicate can reach Firehose after its first copy, for one consumer.

    A retried batch re-sends lines that already reached Firehose (an attempt that failed after its PutRecordBatch).
    Lambda stops retrying records older than MaximumRecordAgeInSeconds (they go to the on-failure queue), and an
    attempt that starts just before that runs for at most the function timeout, so the re-sent copy arrives
    within record age + timeout of the record's arrival in Kinesis, and the first copy did not arrive before it.
    Replays (`streamctl replay`) are not automatic and have no such bound.
    """
    return max_record_age_seconds + timeout_seconds
