"""Split KPL-aggregated records into user records, treating a damaged aggregate as poison.

aws-kinesis-agg's own `iter_deaggregate_records` passes a record with a bad MD5 through as if it were
plain data and, on a bad table index, logs to stderr and silently drops the rest of the aggregate. We
use the library's wire format (magic, digest size, protobuf message) and raise instead, so nothing is
dropped without a quarantine reason. It also avoids re-base64-encoding every sub-record.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from types import ModuleType

import aws_kinesis_agg
from google.protobuf.message import DecodeError

from functions.consumer.quarantine_reasons import corrupt_aggregate

KPL_MAGIC = aws_kinesis_agg.MAGIC
_DIGEST_SIZE = aws_kinesis_agg.DIGEST_SIZE


def _import_messages_pb2() -> ModuleType:
    # messages_pb2 does `import config_pb2` as a top-level module; the library's own modules put their
    # directory on sys.path for that (and need the undeclared `six`). Alias the packaged module instead.
    if "config_pb2" not in sys.modules:
        sys.modules["config_pb2"] = importlib.import_module("aws_kinesis_agg.config_pb2")
    return importlib.import_module("aws_kinesis_agg.messages_pb2")


messages_pb2 = _import_messages_pb2()


class CorruptAggregateError(ValueError):
    """The record starts with the KPL magic but is not a valid aggregate."""


def deaggregate(data: bytes) -> list[tuple[bytes, str]]:
    """(data, partition key) of each user record in an aggregate, in sub-sequence order."""
    body = data[len(KPL_MAGIC) : -_DIGEST_SIZE]
    digest = data[-_DIGEST_SIZE:]
    if len(data) <= len(KPL_MAGIC) + _DIGEST_SIZE:
        raise CorruptAggregateError(corrupt_aggregate("shorter than magic and MD5 digest"))
    if hashlib.md5(body, usedforsecurity=False).digest() != digest:
        raise CorruptAggregateError(corrupt_aggregate("MD5 digest mismatch"))
    message = messages_pb2.AggregatedRecord()
    try:
        message.ParseFromString(body)
    except DecodeError as error:
        raise CorruptAggregateError(corrupt_aggregate(f"protobuf decode failed ({error})")) from None
    partition_keys = message.partition_key_table
    user_records: list[tuple[bytes, str]] = []
    for index, record in enumerate(message.records):
        if record.partition_key_index >= len(partition_keys):
            raise CorruptAggregateError(
                corrupt_aggregate(
                    f"sub-record {index} points at partition key {record.partition_key_index} of {len(partition_keys)}"
                )
            )
        user_records.append((record.data, partition_keys[record.partition_key_index]))
    if not user_records:
        raise CorruptAggregateError(corrupt_aggregate("no user records"))
    return user_records
