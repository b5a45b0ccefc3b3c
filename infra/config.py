"""The stack configuration schema: read once, validated into typed models, passed down.

Every range is a `Bound`, written once: AWS's own limits come from functions/aws_limits.py, the others
are the platform's sanity bounds; enums are AWS's own spellings (a test checks them against botocore's models).
Every physical name derived from prefix, stack, tenant and stream must fit its service (infra/naming.py), and
`platform` is no tenant name (its key alias is the platform key's). A bad value fails here with the key path and
the rule instead of half-way through `pulumi up`. Stack files keep keys in the project
namespace (`streaming-platform:tenants`), set the Pulumi way:
`pulumi config set --path 'tenants.acme.streams.clicks.shards' 4`.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from functions import aws_limits as aws
from infra import defaults
from infra.aws_api_models import enum_of
from infra.naming import RESERVED_TENANT_NAMES, PlatformNames

PROJECT_NAMESPACE = "streaming-platform"

TENANT_NAME = re.compile(r"^[a-z][a-z0-9]{1,19}$")
STREAM_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
NAME_PREFIX = re.compile(r"^[a-z][a-z0-9]{0,7}$")
PII_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
AWS_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Obvious placeholders in an alarm endpoint: an SNS subscription to one stays pending forever, so the stack would
# page nobody while `pulumi up` succeeds. Refused in every stack. Reserved example domains (example.com, RFC 2606)
# are not: they are the stand-in inboxes of the shipped stack files, which a fork replaces (docs/deploy.md).
PLACEHOLDER = re.compile(r"REPLACE[_-]?ME|CHANGE[_-]?ME|<[^<>]*>", re.IGNORECASE)


def _https_shown(value: str) -> str:
    """An endpoint as an error may show it: scheme and host only, since the path of a paging URL is its key."""
    scheme, _, rest = value.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/..." if rest else "(not a URL)"


class StackConfigError(ValueError):
    """Invalid stack configuration; `problems` holds one `key.path: rule` line per error."""

    def __init__(self, stack: str, problems: list[str]) -> None:
        self.stack = stack
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid configuration for stack {stack!r} ({len(problems)} problem(s)):\n{lines}")


@dataclass(frozen=True)
class Bound:
    """An inclusive integer range written once: it validates a field (the error names the authority, e.g.
    'below the Kinesis minimum of 24') and documents it (`minimum`/`maximum` in the JSON schema, hence in
    docs/configuration.md)."""

    low: int
    high: int
    authority: str

    def check(self, value: int) -> int:
        if value < self.low:
            raise PydanticCustomError(
                "below_minimum",
                "{value} is below the {authority} minimum of {low}",
                {"value": value, "authority": self.authority, "low": self.low},
            )
        if value > self.high:
            raise PydanticCustomError(
                "above_maximum",
                "{value} is above the {authority} maximum of {high}",
                {"value": value, "authority": self.authority, "high": self.high},
            )
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.update(minimum=self.low, maximum=self.high)
        return json_schema


RETRY_ATTEMPTS = Bound(0, aws.LAMBDA_MAX_RETRY_ATTEMPTS, "Lambda retry attempts")
RECORD_AGE_SECONDS = Bound(
    aws.LAMBDA_MIN_MAXIMUM_RECORD_AGE_SECONDS, aws.LAMBDA_MAX_MAXIMUM_RECORD_AGE_SECONDS, "Lambda maximum record age"
)


def _finite_retries(value: int) -> int:
    if value == aws.LAMBDA_RETRY_FOREVER:
        raise PydanticCustomError(
            "infinite_retries",
            "{value} (retry forever) is not allowed: a poison batch would block the shard until the records "
            "expire; use {low}-{high}",
            {"value": value, "low": RETRY_ATTEMPTS.low, "high": RETRY_ATTEMPTS.high},
        )
    return value


def _finite_age(value: int) -> int:
    if value == aws.LAMBDA_NO_MAXIMUM_RECORD_AGE:
        raise PydanticCustomError(
            "infinite_age",
            "{value} (no maximum record age) is not allowed: failed records must reach the on-failure queue; "
            "use {low}-{high}",
            {"value": value, "low": RECORD_AGE_SECONDS.low, "high": RECORD_AGE_SECONDS.high},
        )
    return value


# Every integer setting with a limit, named by what it is; AWS's own limits come from functions/aws_limits.py.
BatchingWindowSeconds = Annotated[
    int,
    Bound(aws.LAMBDA_MIN_BATCHING_WINDOW_SECONDS, aws.LAMBDA_MAX_BATCHING_WINDOW_SECONDS, "Lambda batching window"),
]
LifecycleDaysOrZero = Annotated[int, Bound(0, 3650, "S3 lifecycle")]
FirehoseBufferSeconds = Annotated[
    int, Bound(aws.FIREHOSE_MIN_BUFFER_SECONDS, aws.FIREHOSE_MAX_BUFFER_SECONDS, "Firehose")
]
ParallelizationFactor = Annotated[
    int,
    Bound(
        aws.LAMBDA_MIN_PARALLELIZATION_FACTOR, aws.LAMBDA_MAX_PARALLELIZATION_FACTOR, "Lambda parallelization factor"
    ),
]
LayerVersion = Annotated[int, Bound(1, 1000, "Powertools layer version")]
ShardCount = Annotated[int, Bound(1, 10_000, "Kinesis shard count")]
BatchSize = Annotated[
    int, Bound(aws.LAMBDA_KINESIS_MIN_BATCH_SIZE, aws.LAMBDA_KINESIS_MAX_BATCH_SIZE, "Lambda Kinesis batch size")
]
ThrottledRecords = Annotated[int, Bound(1, 10_000_000, "throttled records")]
FirehoseBufferMb = Annotated[int, Bound(aws.FIREHOSE_MIN_BUFFER_MB, aws.FIREHOSE_MAX_BUFFER_MB, "Firehose")]
LambdaErrorCount = Annotated[int, Bound(1, 1_000_000, "Lambda errors")]
LambdaThrottleCount = Annotated[int, Bound(1, 1_000_000, "Lambda throttles")]
QueueDepth = Annotated[int, Bound(1, 1_000_000, "queue depth")]
LifecycleDaysUpToYear = Annotated[int, Bound(1, 365, "S3 lifecycle")]
LifecycleDays = Annotated[int, Bound(1, 3650, "S3 lifecycle")]
IteratorAgeSeconds = Annotated[int, Bound(1, 604_800, "iterator age")]
LambdaTimeoutSeconds = Annotated[
    int, Bound(aws.LAMBDA_MIN_TIMEOUT_SECONDS, aws.LAMBDA_MAX_TIMEOUT_SECONDS, "Lambda timeout")
]
LambdaMemoryMb = Annotated[int, Bound(aws.LAMBDA_MIN_MEMORY_MB, aws.LAMBDA_MAX_MEMORY_MB, "Lambda memory")]
RetentionHours = Annotated[int, Bound(aws.KINESIS_MIN_RETENTION_HOURS, aws.KINESIS_MAX_RETENTION_HOURS, "Kinesis")]
FreshnessSeconds = Annotated[int, Bound(60, 86_400, "Firehose data freshness")]
# Finite only: the -1 AWS accepts ("forever", "no maximum") is refused with its own reason before the range check.
MaxRetryAttempts = Annotated[int, AfterValidator(_finite_retries), RETRY_ATTEMPTS]
MaxRecordAgeSeconds = Annotated[int, AfterValidator(_finite_age), RECORD_AGE_SECONDS]


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo must never silently fall back to a default."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, use_attribute_docstrings=True)


class AlarmSettings(StrictModel):
    """Where alarm notifications go; every alarm also acts on the stack's SNS topic."""

    emails: list[str] = Field(default_factory=list, description="Email addresses subscribed to the topic.")
    https_endpoints: list[str] = Field(
        default_factory=list, description="HTTPS endpoints (PagerDuty, Opsgenie...) subscribed to the topic."
    )

    @field_validator("emails")
    @classmethod
    def _emails(cls, values: list[str]) -> list[str]:
        for value in values:
            if not EMAIL.match(value):
                raise PydanticCustomError("email", "'{value}' is not an email address", {"value": value})
        return values

    @field_validator("https_endpoints")
    @classmethod
    def _https(cls, values: list[str]) -> list[str]:
        for value in values:
            if not value.startswith("https://"):
                raise PydanticCustomError(
                    "https",
                    "'{value}' is not an https:// URL (SNS sends alarms over TLS only)",
                    {"value": _https_shown(value)},
                )
        return values

    def placeholder_problems(self) -> list[str]:
        """`alarms.<list>[i]: ...` for each endpoint that is an obvious placeholder, with the command that sets it
        (the paging URL as a secret: its path is the integration key)."""
        problems = []
        for index, email in enumerate(self.emails):
            if marker := PLACEHOLDER.search(email):
                problems.append(
                    f"alarms.emails[{index}]: '{email}' is a placeholder ({marker.group(0)}): SNS would wait forever "
                    f"for its confirmation; set it with `pulumi config set --path 'alarms.emails[{index}]' <address>`"
                )
        for index, url in enumerate(self.https_endpoints):
            if marker := PLACEHOLDER.search(url):
                problems.append(
                    f"alarms.https_endpoints[{index}]: {_https_shown(url)} holds the placeholder {marker.group(0)}: "
                    "the subscription would stay pending and page nobody; set the integration URL as a secret with "
                    f"`pulumi config set --secret --path 'alarms.https_endpoints[{index}]' <url>`"
                )
        return problems


# AWS's own spellings: the CompressionFormat enum of botocore's firehose model
# (https://docs.aws.amazon.com/firehose/latest/APIReference/API_ExtendedS3DestinationConfiguration.html), less the
# two Athena cannot read from the lake's JSON table (TextInputFormat, codec chosen by the object's extension, as
# Trino's CompressionKind.forFile does): ZIP is no Hadoop codec, and `Snappy` is the snappy-java framing, which the
# `.snappy` reader does not decode; HADOOP_SNAPPY is Hadoop's block framing, delivered as `.snappy`, which it does.
# https://docs.aws.amazon.com/athena/latest/ug/compression-support-hive.html; Athena's list of what it reads
# (https://docs.aws.amazon.com/athena/latest/ug/compression-formats.html) has BZIP2, DEFLATE, GZIP, LZ4, LZO, SNAPPY,
# ZLIB and ZSTD, and no ZIP.
ATHENA_COMPRESSION_FORMATS_URL = "https://docs.aws.amazon.com/athena/latest/ug/compression-formats.html"
LakeCompression = Literal["UNCOMPRESSED", "GZIP", "HADOOP_SNAPPY"]
LAKE_COMPRESSIONS: tuple[str, ...] = get_args(LakeCompression)
FIREHOSE_COMPRESSION_MEMBER = (
    "firehose",
    "CreateDeliveryStream",
    "ExtendedS3DestinationConfiguration.CompressionFormat",
)


def _lake_compression(value: Any) -> Any:
    """A value outside AWS's enum is named as AWS would refuse it; one inside it but unreadable says why."""
    if not isinstance(value, str) or value in LAKE_COMPRESSIONS:
        return value
    aws_values = enum_of(*FIREHOSE_COMPRESSION_MEMBER)
    service, operation, _ = FIREHOSE_COMPRESSION_MEMBER
    if value not in aws_values:
        raise PydanticCustomError(
            "compression_not_aws",
            "'{value}' is not one of {aws_values} ({service} {operation} CompressionFormat); the lake takes {lake}",
            {
                "value": value,
                "aws_values": ", ".join(aws_values),
                "service": service,
                "operation": operation,
                "lake": ", ".join(LAKE_COMPRESSIONS),
            },
        )
    raise PydanticCustomError(
        "compression_unreadable",
        "'{value}' is a Firehose CompressionFormat Athena cannot read from the lake's JSON table ({url}); "
        "use one of {lake}",
        {"value": value, "lake": ", ".join(LAKE_COMPRESSIONS), "url": ATHENA_COMPRESSION_FORMATS_URL},
    )


Compression = Annotated[LakeCompression, BeforeValidator(_lake_compression)]


@dataclass(frozen=True)
class LakeDeliverySettings:
    """What one stream's Firehose delivery uses: its own overrides, else the stack's lake defaults."""

    buffer_mb: int
    buffer_seconds: int
    compression: Compression


class LakeSettings(StrictModel):
    """Stack-wide lake defaults: Firehose buffering and the bucket's lifecycle."""

    buffer_mb: FirehoseBufferMb = defaults.LAKE_BUFFER_MB
    """Firehose buffer size before it writes an object; larger objects are cheaper to query."""
    buffer_seconds: FirehoseBufferSeconds = defaults.LAKE_BUFFER_SECONDS
    """Firehose buffer interval: the longest an event waits before it is written to the lake."""
    compression: Compression = defaults.LAKE_COMPRESSION
    """Compression of lake objects, spelt as Firehose's API; ZIP and Snappy are refused (Athena cannot read them)."""
    tiering_after_days: LifecycleDaysOrZero = defaults.LAKE_TIERING_AFTER_DAYS
    """Days before event objects move to S3 Intelligent-Tiering."""
    noncurrent_expiry_days: LifecycleDays = defaults.LAKE_NONCURRENT_EXPIRY_DAYS
    """Days a replaced or deleted object version is kept (versioning undoes mistakes)."""
    abort_incomplete_upload_days: LifecycleDaysUpToYear = defaults.LAKE_ABORT_INCOMPLETE_DAYS
    """Days before incomplete multipart uploads are aborted (they are billed)."""
    access_log_expiry_days: LifecycleDays = defaults.ACCESS_LOG_EXPIRY_DAYS
    """Days S3 server access logs are kept."""
    access_log_noncurrent_expiry_days: LifecycleDays = defaults.ACCESS_LOG_NONCURRENT_EXPIRY_DAYS
    """Days a replaced or deleted access-log version is kept (the access-log bucket is versioned too)."""
    replica_region: str | None = None
    """Replicate the lake (objects, deletes, versions) to a bucket in this region for disaster recovery."""

    @field_validator("replica_region")
    @classmethod
    def _replica_region(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        if not AWS_REGION.match(value):
            raise PydanticCustomError("region", "'{value}' is not an AWS region name", {"value": value})
        if value == (info.context or {}).get("region"):
            raise PydanticCustomError(
                "same_region", "'{value}' is the stack's own region; a replica must be in another", {"value": value}
            )
        return value

    def for_stream(self, overrides: StreamLakeSettings) -> LakeDeliverySettings:
        """The delivery settings of a stream with these overrides."""
        return LakeDeliverySettings(
            buffer_mb=overrides.buffer_mb if overrides.buffer_mb is not None else self.buffer_mb,
            buffer_seconds=overrides.buffer_seconds if overrides.buffer_seconds is not None else self.buffer_seconds,
            compression=overrides.compression if overrides.compression is not None else self.compression,
        )


class StreamLakeSettings(StrictModel):
    """Per-stream overrides of the stack's Firehose buffering."""

    buffer_mb: FirehoseBufferMb | None = None
    """Overrides `lake.buffer_mb` for this stream."""
    buffer_seconds: FirehoseBufferSeconds | None = None
    """Overrides `lake.buffer_seconds` for this stream (lower it for fresher data)."""
    compression: Compression | None = None
    """Overrides `lake.compression` for this stream."""


class ConsumerSettings(StrictModel):
    """The Lambda event source mapping and function; ranges are the Kinesis ESM's own."""

    batch_size: BatchSize = defaults.CONSUMER_BATCH_SIZE
    """Records per consumer invocation (Lambda ESM BatchSize)."""
    batching_window_seconds: BatchingWindowSeconds = defaults.CONSUMER_BATCHING_WINDOW_SECONDS
    """Seconds the ESM waits to fill a batch (latency against invocations)."""
    parallelization: ParallelizationFactor = defaults.CONSUMER_PARALLELIZATION
    """Concurrent batches per shard; order is kept per partition key."""
    max_retries: MaxRetryAttempts = defaults.CONSUMER_MAX_RETRIES
    """Retries of a failing batch before it goes to the on-failure queue (finite only)."""
    max_record_age_seconds: MaxRecordAgeSeconds = defaults.CONSUMER_MAX_RECORD_AGE_SECONDS
    """Records older than this go to the on-failure queue instead of the consumer (finite only)."""
    starting_position: Literal["TRIM_HORIZON", "LATEST"] = defaults.CONSUMER_STARTING_POSITION
    """Where a new consumer starts reading."""
    memory_mb: LambdaMemoryMb = defaults.CONSUMER_MEMORY_MB
    """Consumer memory (and proportional CPU)."""
    timeout_seconds: LambdaTimeoutSeconds = defaults.CONSUMER_TIMEOUT_SECONDS
    """Consumer timeout."""


class AutoscalingSettings(StrictModel):
    """Shard autoscaler bounds for a provisioned stream."""

    enabled: bool = True
    """Run the shard autoscaler for this provisioned stream."""
    min: ShardCount = defaults.AUTOSCALING_MIN_SHARDS
    """Fewest shards the autoscaler may leave."""
    max: ShardCount = defaults.AUTOSCALING_MAX_SHARDS
    """Most shards the autoscaler may create (cost ceiling)."""
    allow_mode_switch: bool = Field(
        default=False,
        description="Let the autoscaler switch the stream to on-demand and back (at most twice per 24 h).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> AutoscalingSettings:
        if self.min > self.max:
            raise PydanticCustomError(
                "min_above_max", "min ({min}) is above max ({max})", {"min": self.min, "max": self.max}
            )
        return self


class AlarmThresholds(StrictModel):
    """Per-stream overrides of the alarm thresholds in `infra/defaults.py`."""

    iterator_age_seconds: IteratorAgeSeconds = defaults.ALARM_ITERATOR_AGE_SECONDS
    """Alarm when the consumer lags the stream by more than this."""
    write_throttled_records: ThrottledRecords = defaults.ALARM_WRITE_THROTTLED_RECORDS
    """Alarm when this many writes are throttled in a minute (3 of 5 minutes)."""
    read_throttled_records: ThrottledRecords = defaults.ALARM_READ_THROTTLED_RECORDS
    """Alarm when this many reads are throttled in a minute."""
    consumer_errors: LambdaErrorCount = defaults.ALARM_CONSUMER_ERRORS
    """Alarm on this many consumer errors in a minute."""
    consumer_throttles: LambdaThrottleCount = defaults.ALARM_CONSUMER_THROTTLES
    """Alarm on this many consumer throttles in a minute."""
    failure_queue_depth: QueueDepth = defaults.ALARM_FAILURE_QUEUE_DEPTH
    """Alarm when this many failed batches wait in the on-failure queue."""
    delivery_freshness_seconds: FreshnessSeconds | None = None
    """Alarm when the oldest undelivered record is older; default 2x buffer + 120 s."""


class StreamSettings(StrictModel):
    """One tenant stream: Kinesis, its consumer, its lake delivery and its alarms."""

    mode: Literal["provisioned", "on_demand"] = "provisioned"
    """Provisioned shards (cheaper at steady volume, autoscaled) or on-demand."""
    shards: ShardCount | None = None
    """Initial shard count of a provisioned stream (then the autoscaler owns it)."""
    autoscaling: AutoscalingSettings = Field(default_factory=lambda: AutoscalingSettings())
    retention_hours: RetentionHours = defaults.STREAM_RETENTION_HOURS
    """How long the stream keeps records (replay window); beyond 24 h costs extra."""
    consumer: ConsumerSettings = Field(default_factory=lambda: ConsumerSettings())
    lake: StreamLakeSettings = Field(default_factory=StreamLakeSettings)
    pii_fields: list[str] = Field(default_factory=list, description="Dotted JSON paths masked before the lake.")
    alarms: AlarmThresholds = Field(default_factory=AlarmThresholds)

    @field_validator("pii_fields")
    @classmethod
    def _pii_paths(cls, values: list[str]) -> list[str]:
        for value in values:
            if not PII_PATH.match(value):
                raise PydanticCustomError(
                    "pii_path",
                    "'{value}' is not a dotted JSON path such as 'payload.email'",
                    {"value": value},
                )
        if len(set(values)) != len(values):
            raise PydanticCustomError("pii_duplicate", "lists a path twice")
        return values

    @model_validator(mode="before")
    @classmethod
    def _mode_rules(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        if data.get("mode") == "on_demand":
            if data.get("shards") is not None:
                raise PydanticCustomError(
                    "shards_on_demand",
                    "shards is set but mode is on_demand (on-demand streams have no shard count)",
                )
            if isinstance(data.get("autoscaling"), Mapping) and data["autoscaling"].get("enabled", False):
                raise PydanticCustomError(
                    "autoscaling_on_demand",
                    "autoscaling.enabled is true but mode is on_demand (AWS scales it)",
                )
        return data

    @model_validator(mode="after")
    def _shards_within_autoscaling(self) -> StreamSettings:
        if self.mode == "on_demand":
            return self.model_copy(update={"autoscaling": self.autoscaling.model_copy(update={"enabled": False})})
        if self.shards is None:
            return self.model_copy(update={"shards": max(self.autoscaling.min, defaults.STREAM_SHARDS)})
        scaling = self.autoscaling
        if scaling.enabled and not scaling.min <= self.shards <= scaling.max:
            raise PydanticCustomError(
                "shards_outside_autoscaling",
                "shards ({shards}) is outside autoscaling min..max ({min}..{max})",
                {"shards": self.shards, "min": scaling.min, "max": scaling.max},
            )
        return self

    @property
    def autoscaled(self) -> bool:
        return self.mode == "provisioned" and self.autoscaling.enabled

    @property
    def shard_count(self) -> int:
        """The initial shard count of a provisioned stream (validated to be set)."""
        assert self.shards is not None
        return int(self.shards)


def _stream_name(name: str) -> str:
    if not STREAM_NAME.match(name):
        raise PydanticCustomError(
            "stream_name",
            "stream name '{name}' must be 2-32 characters of lowercase letters, digits and inner hyphens, "
            "starting with a letter (it becomes part of AWS resource names and S3 prefixes)",
            {"name": name},
        )
    return name


def _tenant_name(name: str) -> str:
    if not TENANT_NAME.match(name):
        raise PydanticCustomError(
            "tenant_name",
            "tenant name '{name}' must be 2-20 lowercase letters or digits, starting with a letter "
            "(no hyphens: they separate tenant and stream in resource names)",
            {"name": name},
        )
    if name in RESERVED_TENANT_NAMES:
        raise PydanticCustomError(
            "tenant_reserved", "'{name}' is reserved: {reason}", {"name": name, "reason": RESERVED_TENANT_NAMES[name]}
        )
    return name


StreamName = Annotated[str, AfterValidator(_stream_name)]
TenantName = Annotated[str, AfterValidator(_tenant_name)]


class TenantSettings(StrictModel):
    """A tenant: its streams, isolated in IAM, tagged `tenant=<name>` for cost allocation."""

    streams: dict[StreamName, StreamSettings] = Field(min_length=1)


class PlatformConfig(StrictModel):
    """Everything one stack (dev, staging, prod) configures."""

    name_prefix: str = Field(default=defaults.NAME_PREFIX, description="Short prefix of every physical resource name.")
    alarms: AlarmSettings = Field(default_factory=AlarmSettings)
    lake: LakeSettings = Field(default_factory=LakeSettings)
    log_retention_days: int = Field(
        default=defaults.LOG_RETENTION_DAYS,
        json_schema_extra={"enum": list(aws.CLOUDWATCH_LOGS_RETENTION_DAYS)},
    )
    """Retention of every log group the platform creates."""
    protect_stateful: bool = Field(
        default=False,
        description=(
            "Keep the data (set in prod): streams, keys, tables, buckets, failure queues and the Glue catalog are "
            "protected and retained on delete, tables have deletion protection, keys a 30-day deletion window. "
            "Off (dev, staging): the stack destroys cleanly, buckets are emptied of every version first "
            "(force_destroy), keys wait the minimum 7 days (infra/lifecycle.py)."
        ),
    )
    powertools_layer_version: LayerVersion = defaults.POWERTOOLS_LAYER_VERSION
    """Version of the public AWSLambdaPowertoolsPythonV3 layer."""
    architecture: Literal["arm64", "x86_64"] = defaults.ARCHITECTURE
    """Lambda architecture (arm64 is cheaper per GB-s)."""
    tenants: dict[TenantName, TenantSettings] = Field(min_length=1)

    @field_validator("name_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not NAME_PREFIX.match(value):
            raise PydanticCustomError(
                "name_prefix",
                "'{value}' must be 1-8 lowercase letters or digits, starting with a letter",
                {"value": value},
            )
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in aws.CLOUDWATCH_LOGS_RETENTION_DAYS:
            raise PydanticCustomError(
                "log_retention",
                "{value} is not a CloudWatch Logs retention period; use one of {allowed}",
                {"value": value, "allowed": ", ".join(map(str, aws.CLOUDWATCH_LOGS_RETENTION_DAYS))},
            )
        return value

    def name_problems(self, stack: str) -> list[str]:
        """Derived names too long for their service or taken twice (infra/naming.py), each naming its key."""
        names = PlatformNames(self.name_prefix, stack)
        return names.check_all({tenant: sorted(settings.streams) for tenant, settings in sorted(self.tenants.items())})

    def streams(self) -> list[tuple[str, str, StreamSettings]]:
        """Every (tenant, stream, settings), in a stable order."""
        return [
            (tenant, stream, settings)
            for tenant, tenant_settings in sorted(self.tenants.items())
            for stream, settings in sorted(tenant_settings.streams.items())
        ]


def _unknown_key_hint(model: Any, key: str) -> str:
    fields = sorted(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []
    close = difflib.get_close_matches(key, fields, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key{hint} (allowed: {', '.join(fields)})" if fields else "unknown key"


def _model_at(loc: tuple[Any, ...]) -> Any:
    """The model class that owns the last element of `loc`, for error hints."""
    current: Any = PlatformConfig
    for part in loc[:-1]:
        if isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = current.model_fields[part].annotation
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            return None
        while get_origin(current) is not None and get_origin(current) is not dict:
            args = [a for a in get_args(current) if a is not type(None)]
            current = args[0] if args else None
    return current


# Pydantic's own messages do not show the offending value; ours do.
PYDANTIC_TYPE_ERRORS = {
    "int_parsing", "int_type", "int_from_float", "bool_parsing", "bool_type", "string_type", "literal_error",
    "list_type", "dict_type", "model_type", "model_attributes_type",
}  # fmt: skip


def format_errors(error: ValidationError) -> list[str]:
    """`key.path: rule` lines, one per problem."""
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(part for part in item["loc"] if part != "[key]")
        path = ".".join(str(part) for part in loc) or "(root)"
        if item["type"] == "extra_forbidden":
            message = _unknown_key_hint(_model_at(loc), str(loc[-1]))
        elif item["type"] in {"missing"}:
            message = "is required"
        else:
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] in PYDANTIC_TYPE_ERRORS and "input" in item:
                shown = json.dumps(item["input"], default=str)
                if len(shown) <= 60 and not isinstance(item["input"], dict):
                    message = f"{message} (got {shown})"
        # Cross-field rules raised at the root already start with the key path they concern.
        problems.append(message if not loc and re.match(r"^[\w.-]+: ", message) else f"{path}: {message}")
    return problems


def parse_config(raw: Mapping[str, Any], *, stack: str, region: str | None = None) -> PlatformConfig:
    """Validate a stack's config (keys without the project namespace) or raise StackConfigError."""
    try:
        config = PlatformConfig.model_validate(dict(raw), context={"stack": stack, "region": region})
    except ValidationError as error:
        raise StackConfigError(stack, format_errors(error)) from None
    problems = config.alarms.placeholder_problems() + config.name_problems(stack)
    if problems:
        raise StackConfigError(stack, problems)
    return config


def config_from_pulumi_values(values: Mapping[str, Any], *, stack: str) -> PlatformConfig:
    """Validate Pulumi config values (`namespace:key` -> JSON string or value) of this project."""
    raw: dict[str, Any] = {}
    for key, value in values.items():
        namespace, _, name = key.partition(":")
        if namespace != PROJECT_NAMESPACE:
            continue
        if isinstance(value, str):
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        raw[name] = value
    region = values.get("aws:region")
    return parse_config(raw, stack=stack, region=str(region) if region else None)
