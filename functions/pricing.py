"""The one dated price list for every cost model (autoscaler simulator, platform cost model).

Prices are AWS's published us-east-1 list prices as of `PRICES_CHECKED` (`PRICES_SOURCE` names the pages); they
were not re-read from the AWS price list API (no network here), so check them before quoting a figure in public.
Plain typed constants and small functions only: Lambda imports this without numpy.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Final

from functions.aws_limits import KINESIS_PUT_PAYLOAD_UNIT_BYTES

PRICES_CHECKED: Final = date(2026, 11, 26)
PRICES_REGION: Final = "us-east-1"
PRICES_SOURCE: Final = (
    "AWS list prices, us-east-1: aws.amazon.com/kinesis/data-streams/pricing, /firehose/pricing, /lambda/pricing, "
    "/dynamodb/pricing/on-demand, /s3/pricing, /cloudwatch/pricing, /athena/pricing"
)

GIB: Final = 1024**3
"""AWS bills data in binary gigabytes."""

# Kinesis Data Streams, provisioned mode.
KINESIS_SHARD_HOUR_USD: Final = 0.015
KINESIS_PUT_UNITS_PER_MILLION_USD: Final = 0.014
KINESIS_EXTENDED_RETENTION_SHARD_HOUR_USD: Final = 0.02

# Kinesis Data Streams, on-demand mode.
KINESIS_ON_DEMAND_STREAM_HOUR_USD: Final = 0.04
KINESIS_ON_DEMAND_INGEST_PER_GIB_USD: Final = 0.08
KINESIS_ON_DEMAND_RETRIEVAL_PER_GIB_USD: Final = 0.04
KINESIS_ON_DEMAND_RECORD_ROUNDING_BYTES: Final = 1024
"""On-demand bills each record's payload rounded up to the next KiB."""

# Firehose, Lambda (arm64), DynamoDB on-demand.
FIREHOSE_INGEST_PER_GIB_USD: Final = 0.029
FIREHOSE_RECORD_ROUNDING_BYTES: Final = 5 * 1024
LAMBDA_REQUESTS_PER_MILLION_USD: Final = 0.20
LAMBDA_ARM64_GB_SECOND_USD: Final = 0.0000133334
LAMBDA_X86_64_GB_SECOND_USD: Final = 0.0000166667
DYNAMODB_WRITES_PER_MILLION_USD: Final = 0.625
DYNAMODB_READS_PER_MILLION_USD: Final = 0.125

# CloudWatch (AWS's published us-east-1 list prices). GetMetricData is billed per
# metric requested in a call, however many points it returns; an alarm per metric it watches, per month.
CLOUDWATCH_GET_METRIC_DATA_PER_THOUSAND_METRICS_USD: Final = 0.01
CLOUDWATCH_ALARM_METRIC_MONTH_USD: Final = 0.10
CLOUDWATCH_LOGS_INGEST_PER_GIB_USD: Final = 0.50
HOURS_PER_MONTH: Final = 730
"""AWS's monthly-estimate convention, for prices quoted per month."""

# S3 Standard (AWS's published us-east-1 list prices, first 50 TB tier).
S3_STANDARD_GB_MONTH_USD: Final = 0.023
S3_PUT_PER_THOUSAND_USD: Final = 0.005
"""PUT, COPY, POST and LIST requests to S3 Standard (aws.amazon.com/s3/pricing, "Requests & data retrievals")."""
S3_LIST_PER_THOUSAND_USD: Final = S3_PUT_PER_THOUSAND_USD
"""S3 bills LIST at the PUT/COPY/POST/LIST price."""
S3_GET_PER_THOUSAND_USD: Final = 0.0004
"""GET, SELECT and all other requests to S3 Standard (aws.amazon.com/s3/pricing)."""

# Athena SQL queries (aws.amazon.com/athena/pricing): per TB scanned, at least 10 MB per query.
ATHENA_PER_TB_SCANNED_USD: Final = 5.0
ATHENA_MIN_BYTES_PER_QUERY: Final = 10 * 1024**2
TB: Final = 1024**4
"""Taken as 2^40 bytes, like GIB: the pricing page does not say whether its TB and MB are binary."""


def lambda_gb_second_usd(architecture: str) -> float:
    """Lambda's Duration price for `architecture` ("arm64" or "x86_64")."""
    return LAMBDA_ARM64_GB_SECOND_USD if architecture == "arm64" else LAMBDA_X86_64_GB_SECOND_USD


def put_payload_units(record_bytes: int) -> int:
    """PUT payload units one record costs in provisioned mode (each started 25 KiB counts)."""
    if record_bytes <= 0:
        raise ValueError(f"record_bytes must be positive, got {record_bytes}")
    return math.ceil(record_bytes / KINESIS_PUT_PAYLOAD_UNIT_BYTES)


def on_demand_billed_bytes(record_bytes: int) -> int:
    """Bytes one record is billed for in on-demand mode (rounded up to the next KiB)."""
    if record_bytes <= 0:
        raise ValueError(f"record_bytes must be positive, got {record_bytes}")
    rounding = KINESIS_ON_DEMAND_RECORD_ROUNDING_BYTES
    return math.ceil(record_bytes / rounding) * rounding


def provisioned_cost_usd(shard_hours: float, records: float, record_bytes: int) -> float:
    """Provisioned-mode ingest cost: shard-hours plus PUT payload units of the accepted records."""
    put_units = records * put_payload_units(record_bytes)
    return shard_hours * KINESIS_SHARD_HOUR_USD + put_units / 1e6 * KINESIS_PUT_UNITS_PER_MILLION_USD


def on_demand_cost_usd(stream_hours: float, records: float, record_bytes: int) -> float:
    """On-demand ingest cost: the per-stream hourly charge plus data written (per-record rounding)."""
    ingested_gib = records * on_demand_billed_bytes(record_bytes) / GIB
    return stream_hours * KINESIS_ON_DEMAND_STREAM_HOUR_USD + ingested_gib * KINESIS_ON_DEMAND_INGEST_PER_GIB_USD
