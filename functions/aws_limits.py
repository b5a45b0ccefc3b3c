"""AWS service limits the platform is built against, each defined once, with the page it comes from.

Plain constants, importable without Pulumi or boto3: the consumer (Lambda), the config schema (infra/config.py),
the load test, the cost model and local mode's emulator all read them here, so a limit AWS changes is changed
in one place. Sizes are bytes; AWS's "MB" in Kinesis and Lambda quotas is a MiB.
"""

from __future__ import annotations

from typing import Final

KIB: Final = 1024
MIB: Final = 1024 * KIB

# --- Kinesis Data Streams -------------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html (Quotas and limits)
KINESIS_SHARD_WRITE_BYTES_PER_S: Final = 1 * MIB
KINESIS_SHARD_WRITE_RECORDS_PER_S: Final = 1_000
KINESIS_SHARD_READ_BYTES_PER_S: Final = 2 * MIB
KINESIS_SHARD_READ_CALLS_PER_S: Final = 5  # GetRecords transactions per second per shard
KINESIS_MIN_RETENTION_HOURS: Final = 24
KINESIS_MAX_RETENTION_HOURS: Final = 8_760  # 365 days
# https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetRecords.html (Limit: 1-10,000)
KINESIS_MAX_RECORDS_PER_READ: Final = 10_000
# https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html
KINESIS_MAX_RECORDS_PER_CALL: Final = 500
KINESIS_MAX_BYTES_PER_CALL: Final = 5 * MIB  # the whole request, partition keys included
KINESIS_MAX_RECORD_BYTES: Final = 1 * MIB  # data blob (before base64) plus partition key
KINESIS_MAX_PARTITION_KEY_CHARS: Final = 256
# https://aws.amazon.com/kinesis/data-streams/pricing/ : PutRecords bills each record in 25 KB "PUT payload units",
# rounded up.
KINESIS_PUT_PAYLOAD_UNIT_BYTES: Final = 25 * KIB
# Sequence numbers Kinesis assigns have 56 digits (the example events in
# https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html); the API's pattern
# (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_Record.html, `0|([1-9]\d{0,128})`) allows up to 129.
KINESIS_SEQUENCE_NUMBER_DIGITS: Final = 56
# https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateShardCount.html
KINESIS_RESHARD_MAX_GROWTH: Final = 2  # at most double the open shards in one call
KINESIS_RESHARD_MAX_SHRINK: Final = 2  # at least half the open shards in one call
KINESIS_RESHARD_CALLS_PER_24H: Final = 10  # per stream, over a rolling 24 hours
# https://docs.aws.amazon.com/streams/latest/dev/how-do-i-size-a-stream.html (switching capacity modes)
KINESIS_MODE_SWITCHES_PER_24H: Final = 2
# The same page, "On-demand Standard mode features and use cases": a new on-demand stream takes 4 MB/s
# (4,000 records/s) of writes, and accommodates up to double the peak write throughput of the previous
# 30 days; traffic above twice that peak within 15 minutes may be throttled.
KINESIS_ON_DEMAND_MIN_WRITE_SHARDS: Final = 4.0  # shards' worth: 4 MiB/s and 4,000 records/s
KINESIS_ON_DEMAND_PEAK_FACTOR: Final = 2.0
KINESIS_ON_DEMAND_PEAK_DAYS: Final = 30
KINESIS_ON_DEMAND_SCALE_LAG_MINUTES: Final = 15
# On-demand Advantage (an account-level MinimumThroughputBillingCommitment; warm throughput on on-demand streams).
# https://docs.aws.amazon.com/kinesis/latest/APIReference/API_MinimumThroughputBillingCommitmentInput.html: "Commitments
# have a minimum duration of 24 hours that must be honored before they can be disabled"; disabling earlier schedules it
# for the earliest allowed end (status ENABLED_UNTIL_EARLIEST_ALLOWED_END,
# https://docs.aws.amazon.com/kinesis/latest/APIReference/API_MinimumThroughputBillingCommitmentOutput.html).
KINESIS_COMMITMENT_MIN_HOURS: Final = 24
KINESIS_COMMITMENT_INPUT_STATUSES: Final = ("ENABLED", "DISABLED")
KINESIS_COMMITMENT_STATUSES: Final = ("ENABLED", "DISABLED", "ENABLED_UNTIL_EARLIEST_ALLOWED_END")
# https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateAccountSettings.html (API limits: 5 TPS per account)
KINESIS_UPDATE_ACCOUNT_SETTINGS_PER_S: Final = 5
# https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateStreamWarmThroughput.html: only for on-demand
# streams of an account with the commitment enabled; by default at most 10 GiBps per stream and 5 calls per second per
# account; "To release excess capacity, call the API again and set the warm throughput to the same or a lower value."
# WarmThroughputMiBps is a whole number of MiB/s (botocore's model: NaturalIntegerObject, minimum 0).
KINESIS_WARM_THROUGHPUT_MAX_MIB_PER_S: Final = 10 * 1024
KINESIS_UPDATE_WARM_THROUGHPUT_PER_S: Final = 5

# --- Lambda ---------------------------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html (Kinesis sources)
LAMBDA_KINESIS_MIN_BATCH_SIZE: Final = 1
LAMBDA_KINESIS_MAX_BATCH_SIZE: Final = 10_000
LAMBDA_MIN_BATCHING_WINDOW_SECONDS: Final = 0
LAMBDA_MAX_BATCHING_WINDOW_SECONDS: Final = 300
LAMBDA_MIN_PARALLELIZATION_FACTOR: Final = 1
LAMBDA_MAX_PARALLELIZATION_FACTOR: Final = 10
LAMBDA_RETRY_FOREVER: Final = -1  # MaximumRetryAttempts -1: retry until the record expires
LAMBDA_MAX_RETRY_ATTEMPTS: Final = 10_000
LAMBDA_NO_MAXIMUM_RECORD_AGE: Final = -1  # MaximumRecordAgeInSeconds -1: no maximum
LAMBDA_MIN_MAXIMUM_RECORD_AGE_SECONDS: Final = 60
LAMBDA_MAX_MAXIMUM_RECORD_AGE_SECONDS: Final = 604_800  # 7 days
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (Lambda quotas)
LAMBDA_MAX_PAYLOAD_BYTES: Final = 6 * MIB  # a synchronous invocation's event, so a Kinesis batch
LAMBDA_MIN_MEMORY_MB: Final = 128
LAMBDA_MAX_MEMORY_MB: Final = 10_240
LAMBDA_MIN_TIMEOUT_SECONDS: Final = 1
LAMBDA_MAX_TIMEOUT_SECONDS: Final = 900

# --- Amazon Data Firehose -------------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html
FIREHOSE_MAX_RECORDS_PER_CALL: Final = 500
FIREHOSE_MAX_BYTES_PER_CALL: Final = 4 * MIB
FIREHOSE_MAX_RECORD_BYTES: Final = 1_000 * KIB  # before base64
# https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html (0 s: zero buffering)
FIREHOSE_MIN_BUFFER_MB: Final = 1
FIREHOSE_MAX_BUFFER_MB: Final = 128
FIREHOSE_MIN_BUFFER_SECONDS: Final = 0
FIREHOSE_MAX_BUFFER_SECONDS: Final = 900

# --- CloudWatch Logs ------------------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html (retentionInDays)
CLOUDWATCH_LOGS_RETENTION_DAYS: Final = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# --- KMS ------------------------------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html (PendingWindowInDays: 7-30)
KMS_MIN_PENDING_WINDOW_DAYS: Final = 7
KMS_MAX_PENDING_WINDOW_DAYS: Final = 30

# --- S3 -------------------------------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html
# (Minimum storage duration charges): an S3 Standard-IA object deleted, overwritten or expired earlier is billed
# 30 days anyway.
S3_STANDARD_IA_MIN_STORAGE_DAYS: Final = 30
