"""Consumer configuration, read once from environment variables and validated with clear errors.

The variable names below are the contract with infra/components/stream_consumer.py, which imports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from functions.aws_limits import (
    FIREHOSE_MAX_RECORD_BYTES,
    LAMBDA_MAX_PARALLELIZATION_FACTOR,
    LAMBDA_MIN_PARALLELIZATION_FACTOR,
)
from functions.consumer.pii import parse_pii_path

ENV_TENANT: Final = "TENANT"
ENV_STREAM_NAME: Final = "STREAM_NAME"
ENV_CONSUMER_NAME: Final = "CONSUMER_NAME"
ENV_CHECKPOINT_TABLE: Final = "CHECKPOINT_TABLE"
ENV_DELIVERY_STREAM: Final = "DELIVERY_STREAM"
ENV_QUARANTINE_BUCKET: Final = "QUARANTINE_BUCKET"
ENV_QUARANTINE_PREFIX: Final = "QUARANTINE_PREFIX"
ENV_PII_FIELDS: Final = "PII_FIELDS"  # comma-separated; optional
# The event source mapping's ParallelizationFactor: at 1 the consumer moves the shard checkpoint, above 1 it must
# not (shard_checkpoint.py says why), so it is required rather than defaulted.
ENV_PARALLELIZATION_FACTOR: Final = "PARALLELIZATION_FACTOR"
# Optional tuning the program does not set (tests and benchmarks do).
ENV_MAX_EVENT_BYTES: Final = "MAX_EVENT_BYTES"
ENV_FIREHOSE_RECORD_BYTES: Final = "FIREHOSE_RECORD_BYTES"
ENV_DELIVERY_ATTEMPTS: Final = "DELIVERY_ATTEMPTS"
SERVICE_NAME: Final = "consumer"  # Powertools service: the metrics' and logs' `service`

REQUIRED_VARIABLES = (
    ENV_TENANT,
    ENV_STREAM_NAME,
    ENV_CONSUMER_NAME,
    ENV_CHECKPOINT_TABLE,
    ENV_DELIVERY_STREAM,
    ENV_QUARANTINE_BUCKET,
    ENV_QUARANTINE_PREFIX,
    ENV_PARALLELIZATION_FACTOR,
)
DEFAULT_MAX_EVENT_BYTES = 1_000_000
DEFAULT_DELIVERY_ATTEMPTS = 4
MAX_DELIVERY_ATTEMPTS = 20


class ConsumerConfigError(ValueError):
    """The environment does not describe a usable consumer; the message names the variable."""


@dataclass(frozen=True, slots=True)
class ConsumerConfig:
    tenant: str
    stream_name: str
    consumer_name: str
    checkpoint_table: str
    delivery_stream: str
    quarantine_bucket: str
    quarantine_prefix: str
    pii_fields: tuple[str, ...] = ()
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    firehose_record_bytes: int = FIREHOSE_MAX_RECORD_BYTES
    delivery_attempts: int = DEFAULT_DELIVERY_ATTEMPTS
    parallelization_factor: int = 1

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ConsumerConfig:
        missing = [name for name in REQUIRED_VARIABLES if not env.get(name, "").strip()]
        if missing:
            raise ConsumerConfigError(f"missing environment variables for the consumer: {', '.join(missing)}")
        pii_fields = tuple(field.strip() for field in env.get(ENV_PII_FIELDS, "").split(",") if field.strip())
        for field in pii_fields:
            try:
                parse_pii_path(field)
            except ValueError as error:
                raise ConsumerConfigError(str(error)) from error
        prefix = env[ENV_QUARANTINE_PREFIX].strip().lstrip("/")
        return cls(
            tenant=env[ENV_TENANT].strip(),
            stream_name=env[ENV_STREAM_NAME].strip(),
            consumer_name=env[ENV_CONSUMER_NAME].strip(),
            checkpoint_table=env[ENV_CHECKPOINT_TABLE].strip(),
            delivery_stream=env[ENV_DELIVERY_STREAM].strip(),
            quarantine_bucket=env[ENV_QUARANTINE_BUCKET].strip(),
            quarantine_prefix=prefix if prefix.endswith("/") else prefix + "/",
            pii_fields=pii_fields,
            max_event_bytes=_positive_int(env, ENV_MAX_EVENT_BYTES, DEFAULT_MAX_EVENT_BYTES, FIREHOSE_MAX_RECORD_BYTES),
            firehose_record_bytes=_positive_int(
                env, ENV_FIREHOSE_RECORD_BYTES, FIREHOSE_MAX_RECORD_BYTES, FIREHOSE_MAX_RECORD_BYTES
            ),
            delivery_attempts=_positive_int(
                env, ENV_DELIVERY_ATTEMPTS, DEFAULT_DELIVERY_ATTEMPTS, MAX_DELIVERY_ATTEMPTS
            ),
            parallelization_factor=_positive_int(
                env, ENV_PARALLELIZATION_FACTOR, LAMBDA_MIN_PARALLELIZATION_FACTOR, LAMBDA_MAX_PARALLELIZATION_FACTOR
            ),
        )


def _positive_int(env: Mapping[str, str], name: str, default: int, maximum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConsumerConfigError(f"{name}={raw!r} is not an integer") from None
    if not 1 <= value <= maximum:
        raise ConsumerConfigError(f"{name}={value} must be between 1 and {maximum}")
    return value
