"""Every default the platform applies, in one place, apart from the wiring (the Solutions Constructs split).

docs/defaults.md lists each with its reason and the reference it improves on; a test checks the two agree.
"""

from __future__ import annotations

from typing import Final

NAME_PREFIX: Final = "sp"
LAMBDA_RUNTIME: Final = "python3.12"
ARCHITECTURE: Final = "arm64"  # Graviton: about 20% cheaper per GB-s than x86_64 for the same work
POWERTOOLS_LAYER_VERSION: Final = 27  # AWSLambdaPowertoolsPythonV3-python312-<arch>:27
POWERTOOLS_LAYER_ACCOUNT: Final = "017000801446"  # AWS's publishing account for the Powertools layer
LOG_RETENTION_DAYS: Final = 30

# Kinesis
STREAM_SHARDS: Final = 1
STREAM_RETENTION_HOURS: Final = 24  # beyond 24 h AWS bills extended retention per shard-hour
SHARD_LEVEL_METRICS: Final = (
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
)
AUTOSCALING_MIN_SHARDS: Final = 1
AUTOSCALING_MAX_SHARDS: Final = 64

# Consumer (Lambda Kinesis event source mapping)
CONSUMER_BATCH_SIZE: Final = 500
CONSUMER_BATCHING_WINDOW_SECONDS: Final = 1
CONSUMER_PARALLELIZATION: Final = 1
CONSUMER_MAX_RETRIES: Final = 10  # Solutions Constructs use 500: minutes of a blocked shard per poison batch
CONSUMER_MAX_RECORD_AGE_SECONDS: Final = 86_400
CONSUMER_STARTING_POSITION: Final = "TRIM_HORIZON"
CONSUMER_MEMORY_MB: Final = 512
CONSUMER_TIMEOUT_SECONDS: Final = 60
FAILURE_QUEUE_RETENTION_SECONDS: Final = 1_209_600  # 14 days, SQS's maximum: time to replay

# Shard autoscaler
SCALER_SCHEDULE: Final = "rate(1 minute)"
SCALER_MEMORY_MB: Final = 256
SCALER_TIMEOUT_SECONDS: Final = 30

# Lake
LAKE_BUFFER_MB: Final = 64  # large objects keep Athena scans and S3 request costs down
LAKE_BUFFER_SECONDS: Final = 300
LAKE_COMPRESSION: Final = "GZIP"
LAKE_TIERING_AFTER_DAYS: Final = 30
LAKE_NONCURRENT_EXPIRY_DAYS: Final = 30
LAKE_ABORT_INCOMPLETE_DAYS: Final = 7
ACCESS_LOG_EXPIRY_DAYS: Final = 365
ACCESS_LOG_NONCURRENT_EXPIRY_DAYS: Final = 30
LAKE_EVENTS_PREFIX: Final = "events/"
LAKE_ERRORS_PREFIX: Final = "errors/"
LAKE_QUARANTINE_PREFIX: Final = "quarantine/"
ATHENA_RESULTS_PREFIX: Final = "athena-results/"
ATHENA_BYTES_SCANNED_CUTOFF: Final = 10 * 1024**3  # a runaway query stops at 10 GiB (~$0.05)

# Alarms (the AWS Streaming Data Solution uses 60 s iterator age and 900 s freshness)
ALARM_PERIOD_SECONDS: Final = 60
ALARM_EVALUATION_PERIODS: Final = 5
ALARM_DATAPOINTS_TO_ALARM: Final = 3
ALARM_ITERATOR_AGE_SECONDS: Final = 60
ALARM_WRITE_THROTTLED_RECORDS: Final = 1
ALARM_READ_THROTTLED_RECORDS: Final = 1
ALARM_CONSUMER_ERRORS: Final = 1
ALARM_CONSUMER_THROTTLES: Final = 1
ALARM_FAILURE_QUEUE_DEPTH: Final = 1
ALARM_SCALER_ERRORS: Final = 1
# The oldest failed batch has used up half of the failure queue's retention: replay before SQS deletes it.
ALARM_FAILURE_QUEUE_AGE_SECONDS: Final = FAILURE_QUEUE_RETENTION_SECONDS // 2
# Records arrive while the consumer is not invoked in this many consecutive periods (each at least the batching
# window long, so a batch that waits for its window never looks stalled).
ALARM_STALLED_CONSUMER_PERIODS: Final = 3
# S3 replication of the lake: any failed operation, or the replica lagging by more than an hour (no S3 RTC, so
# AWS promises no replication time).
ALARM_REPLICATION_PERIOD_SECONDS: Final = 300
ALARM_REPLICATION_FAILED_OPERATIONS: Final = 1
ALARM_REPLICATION_LATENCY_SECONDS: Final = 3_600


def delivery_freshness_threshold(buffer_seconds: int) -> int:
    """Firehose freshness alarm: twice the buffer interval plus delivery slack, never below 5 minutes."""
    return max(300, 2 * buffer_seconds + 120)
