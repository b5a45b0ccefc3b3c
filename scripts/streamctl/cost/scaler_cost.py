"""What the shard scaler itself costs to run, per stream: the line a comparison with on-demand must add.

A round (`functions/shard_scaler/handler.py`) is one Lambda run that reads the state item (GetItem,
strongly consistent), the stream (DescribeStreamSummary, free), its CloudWatch minutes (one GetMetricData
call of 3-4 metrics, billed per metric requested whatever the number of points) and writes the state
item back (PutItem). A skipped round (an on-demand stream between its rounds, `policy.round_due`) stops
after DescribeStreamSummary. The scaler also adds one alarm, on its own errors. At one round a minute
GetMetricData is about four fifths of the bill: about 2.15 USD a month per stream, a fifth of one
shard's 10.95 USD.

Not counted: the action item written on each call (at most 10 a day), and the alarm on write throttling,
which the stream has with or without a scaler.
"""

from __future__ import annotations

import math

from functions import pricing
from functions.shard_scaler.metrics_reader import metric_queries
from infra import defaults
from infra.alarm_specs import scaler_alarm_spec

STATE_ITEM_BYTES = 8_000
"""The state item of a stream watched for a month (simulated on nyc_taxi and Twitter_volume_AMZN: 7.9 and
7.3 KB of JSON; the weekly profile's 672 numbers are three quarters of it)."""
ROUND_SECONDS = 0.2
"""Assumed Lambda Duration of a round: four API calls and the policy (the call plan is cached)."""
SKIPPED_ROUND_SECONDS = 0.05
LOG_BYTES_PER_ROUND = 1_500
"""The round's JSON log line with Powertools' context and metrics, and Lambda's START/END/REPORT lines."""
LOG_BYTES_PER_SKIPPED_ROUND = 400
SCALER_ALARMS = scaler_alarm_spec().billed_metrics
DYNAMODB_WRITE_UNIT_BYTES = 1024
DYNAMODB_STRONG_READ_UNIT_BYTES = 4096
STATE_READ_UNITS = math.ceil(STATE_ITEM_BYTES / DYNAMODB_STRONG_READ_UNIT_BYTES)
"""Read request units of the state item's strongly consistent GetItem."""
STATE_WRITE_UNITS = math.ceil(STATE_ITEM_BYTES / DYNAMODB_WRITE_UNIT_BYTES)


def metrics_per_round(consumer_function: bool = True) -> int:
    """Metrics one GetMetricData call requests: IteratorAge only when the stream has a consumer."""
    return len(metric_queries("stream", "consumer" if consumer_function else None))


def lambda_run_usd(seconds: float, architecture: str = defaults.ARCHITECTURE) -> float:
    """One scaler run of `seconds`: GB-seconds at the scaler's memory, plus the request."""
    gb_seconds = seconds * defaults.SCALER_MEMORY_MB / 1024
    return gb_seconds * pricing.lambda_gb_second_usd(architecture) + pricing.LAMBDA_REQUESTS_PER_MILLION_USD / 1e6


def get_metric_data_usd(consumer_function: bool = True) -> float:
    return metrics_per_round(consumer_function) * pricing.CLOUDWATCH_GET_METRIC_DATA_PER_THOUSAND_METRICS_USD / 1000


def logs_usd(log_bytes: float) -> float:
    return log_bytes / pricing.GIB * pricing.CLOUDWATCH_LOGS_INGEST_PER_GIB_USD


def _state_read_usd() -> float:
    return STATE_READ_UNITS * pricing.DYNAMODB_READS_PER_MILLION_USD / 1e6


def round_usd(consumer_function: bool = True) -> float:
    """One round: Lambda, GetMetricData, the state item read and written, its logs."""
    return (
        lambda_run_usd(ROUND_SECONDS)
        + get_metric_data_usd(consumer_function)
        + _state_read_usd()
        + STATE_WRITE_UNITS * pricing.DYNAMODB_WRITES_PER_MILLION_USD / 1e6
        + logs_usd(LOG_BYTES_PER_ROUND)
    )


def skipped_round_usd() -> float:
    """A scheduled run that stops at the stream's mode: Lambda, the state item read, a little log."""
    return lambda_run_usd(SKIPPED_ROUND_SECONDS) + _state_read_usd() + logs_usd(LOG_BYTES_PER_SKIPPED_ROUND)


def alarms_usd_per_hour() -> float:
    return SCALER_ALARMS * pricing.CLOUDWATCH_ALARM_METRIC_MONTH_USD / pricing.HOURS_PER_MONTH


def scaler_usd(rounds: int, skipped_rounds: int, hours: float, consumer_function: bool = True) -> float:
    """The scaler's bill for a run of `hours` with this many rounds and skipped rounds."""
    return rounds * round_usd(consumer_function) + skipped_rounds * skipped_round_usd() + hours * alarms_usd_per_hour()
