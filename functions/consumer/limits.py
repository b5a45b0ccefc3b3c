"""AWS service limits the consumer must respect (AWS documentation: Firehose PutRecordBatch quotas)."""

from __future__ import annotations

FIREHOSE_MAX_RECORDS_PER_CALL = 500
FIREHOSE_MAX_BYTES_PER_CALL = 4 * 1024 * 1024
FIREHOSE_MAX_RECORD_BYTES = 1_000 * 1024
# Positions are zero-padded to this width so string order equals numeric order (Kinesis uses up to 56 digits).
POSITION_SEQUENCE_WIDTH = 64
POSITION_SUB_SEQUENCE_WIDTH = 10
