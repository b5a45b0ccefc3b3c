"""The one dated price list for every cost model (autoscaler simulator, platform cost model).

Prices are AWS's published us-east-1 list prices as of `PRICES_CHECKED` (`PRICES_SOURCE` names the pages); they
were not re-read from the AWS price list API (no network here), so check them before quoting a figure in public.
Plain typed constants and small functions only: Lambda imports this without numpy.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Final

from functions.aws_limits import KINESIS_PUT_PAYLOAD_UNIT_BYTES, MIB

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

# Kinesis Data Streams, On-demand Advantage: an account-level setting (the minimum throughput commitment of
# UpdateAccountSettings) that reprices every on-demand stream of the account in the region. AWS's page
# https://docs.aws.amazon.com/streams/latest/dev/how-do-i-size-a-stream.html ("What are the different modes"):
# "there's no longer a fixed, per-stream level charge, and the data ingest, data retrieval, and extended retention
# usage across all on-demand streams are at least 60% lower than that of On-demand Standard"; the launch post
# (aws.amazon.com/blogs/big-data/amazon-kinesis-data-streams-launches-on-demand-advantage-...) positions it for
# "use cases that ingest at least 10 MiB/s in aggregate or have hundreds of data streams in an AWS Region".
# The copy of aws.amazon.com/kinesis/data-streams/pricing read for this list still showed two modes, so the per-GB
# Advantage prices below are DERIVED: Standard's price x (1 - 60%), the most AWS's "at least 60% lower" allows (an
# upper bound; one third-party compilation lists 0.032 USD/GB ingest, the same figure). Check the pricing page.
KINESIS_ADVANTAGE_DISCOUNT: Final = 0.60
KINESIS_ADVANTAGE_STREAM_HOUR_USD: Final = 0.0
KINESIS_ADVANTAGE_INGEST_PER_GIB_USD: Final = KINESIS_ON_DEMAND_INGEST_PER_GIB_USD * (1 - KINESIS_ADVANTAGE_DISCOUNT)
KINESIS_ADVANTAGE_RETRIEVAL_PER_GIB_USD: Final = KINESIS_ON_DEMAND_RETRIEVAL_PER_GIB_USD * (
    1 - KINESIS_ADVANTAGE_DISCOUNT
)
KINESIS_ADVANTAGE_COMMITMENT_MIB_PER_S: Final = 25.0
"""PARAMETER, not an AWS figure found here: the size of the minimum throughput commitment. The API pages say only
"committing to a minimum level of throughput usage" (API_MinimumThroughputBillingCommitmentInput); 25 MiB/s is what a
third-party price compilation gives. Every cost function takes it as an argument and `streamctl cost` has
`--commitment-mib-per-s`. How usage below it is billed is not stated either: the model bills the account's ingest
as max(ingest, commitment) at the Advantage ingest price (the shortfall), per period priced (see below)."""

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


def commitment_gib(hours: float, commitment_mib_per_s: float = KINESIS_ADVANTAGE_COMMITMENT_MIB_PER_S) -> float:
    """Data ingest the minimum throughput commitment covers over `hours`, in the GiB the price is quoted in."""
    return commitment_mib_per_s * MIB * 3600 * hours / GIB


def commitment_shortfall_gib(
    hours: float, account_ingested_gib: float, commitment_mib_per_s: float = KINESIS_ADVANTAGE_COMMITMENT_MIB_PER_S
) -> float:
    """Committed ingest the account did not use over the period: billed as if it had been ingested.

    The account's ingest is every on-demand stream of the account in the region (the commitment is account-level),
    not only this stack's. The period is the caller's: AWS does not say over what interval usage is compared with
    the commitment, and a month's average hides hours below it (a trace priced hour by hour does not)."""
    return max(0.0, commitment_gib(hours, commitment_mib_per_s) - account_ingested_gib)


def on_demand_advantage_cost_usd(
    records: float,
    record_bytes: int,
    *,
    hours: float,
    account_ingested_gib: float,
    commitment_mib_per_s: float = KINESIS_ADVANTAGE_COMMITMENT_MIB_PER_S,
) -> float:
    """One On-demand Advantage stream's ingest cost: data written at the Advantage price (no stream-hour charge) plus
    its share of the commitment's shortfall.

    AWS's pages do not say how a commitment is allocated to streams, so the shortfall is shared by ingest: a stream
    that wrote a tenth of the account's bytes carries a tenth of it. An account that wrote nothing leaves the whole
    shortfall unallocated (`commitment_shortfall_gib`): the account pays it, no stream does. `account_ingested_gib`
    includes this stream's own ingest. Like `on_demand_cost_usd`, retrieval is priced by the caller."""
    ingested_gib = records * on_demand_billed_bytes(record_bytes) / GIB
    if ingested_gib > account_ingested_gib * (1 + 1e-9):
        raise ValueError(f"account_ingested_gib ({account_ingested_gib}) must include the stream's {ingested_gib} GiB")
    shortfall = commitment_shortfall_gib(hours, account_ingested_gib, commitment_mib_per_s)
    share = ingested_gib / account_ingested_gib if account_ingested_gib > 0 else 0.0
    billed_gib = ingested_gib + shortfall * share
    return hours * KINESIS_ADVANTAGE_STREAM_HOUR_USD + billed_gib * KINESIS_ADVANTAGE_INGEST_PER_GIB_USD
