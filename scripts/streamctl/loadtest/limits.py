"""Kinesis Data Streams limits and billing units the producer packs against (AWS documentation)."""

from __future__ import annotations

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 5 * 1024 * 1024
# Data blob plus partition key of one record.
MAX_BYTES_PER_RECORD = 1024 * 1024
MAX_PARTITION_KEY_CHARS = 256
# PutRecords bills each record in 25 KB "PUT payload units", rounded up.
PUT_PAYLOAD_UNIT_BYTES = 25 * 1024
THROTTLED_ERROR_CODE = "ProvisionedThroughputExceededException"
