"""Consumer configuration, read once from environment variables and validated with clear errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from functions.aws_limits import FIREHOSE_MAX_RECORD_BYTES
from functions.consumer.pii import parse_pii_path

REQUIRED_VARIABLES = (
    "TENANT",
    "STREAM_NAME",
    "CONSUMER_NAME",
    "CHECKPOINT_TABLE",
    "DELIVERY_STREAM",
    "QUARANTINE_BUCKET",
    "QUARANTINE_PREFIX",
)
DEFAULT_MAX_EVENT_BYTES = 1_000_000
DEFAULT_DELIVERY_ATTEMPTS = 4


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

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ConsumerConfig:
        missing = [name for name in REQUIRED_VARIABLES if not env.get(name, "").strip()]
        if missing:
            raise ConsumerConfigError(f"missing environment variables for the consumer: {', '.join(missing)}")
        pii_fields = tuple(field.strip() for field in env.get("PII_FIELDS", "").split(",") if field.strip())
        for field in pii_fields:
            try:
                parse_pii_path(field)
            except ValueError as error:
                raise ConsumerConfigError(str(error)) from error
        prefix = env["QUARANTINE_PREFIX"].strip().lstrip("/")
        return cls(
            tenant=env["TENANT"].strip(),
            stream_name=env["STREAM_NAME"].strip(),
            consumer_name=env["CONSUMER_NAME"].strip(),
            checkpoint_table=env["CHECKPOINT_TABLE"].strip(),
            delivery_stream=env["DELIVERY_STREAM"].strip(),
            quarantine_bucket=env["QUARANTINE_BUCKET"].strip(),
            quarantine_prefix=prefix if prefix.endswith("/") else prefix + "/",
            pii_fields=pii_fields,
            max_event_bytes=_positive_int(env, "MAX_EVENT_BYTES", DEFAULT_MAX_EVENT_BYTES, FIREHOSE_MAX_RECORD_BYTES),
            firehose_record_bytes=_positive_int(
                env, "FIREHOSE_RECORD_BYTES", FIREHOSE_MAX_RECORD_BYTES, FIREHOSE_MAX_RECORD_BYTES
            ),
            delivery_attempts=_positive_int(env, "DELIVERY_ATTEMPTS", DEFAULT_DELIVERY_ATTEMPTS, 20),
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
