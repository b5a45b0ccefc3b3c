"""The stack configuration schema: read once, validated into typed models, passed down.

Every limit below is AWS's own (or CloudWatch's, IAM's...), so a bad value fails here with the key
path and the rule instead of half-way through `pulumi up`. Stack files keep keys in the project
namespace (`streaming-platform:tenants`), set the Pulumi way:
`pulumi config set --path 'tenants.acme.streams.clicks.shards' 4`.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from infra import defaults
from infra.naming import NameLimitError, PlatformNames

PROJECT_NAMESPACE = "streaming-platform"

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
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

TENANT_NAME = re.compile(r"^[a-z][a-z0-9]{1,19}$")
STREAM_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
NAME_PREFIX = re.compile(r"^[a-z][a-z0-9]{0,7}$")
PII_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
AWS_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ConfigError(ValueError):
    """Invalid stack configuration; `problems` holds one `key.path: rule` line per error."""

    def __init__(self, stack: str, problems: list[str]) -> None:
        self.stack = stack
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid configuration for stack {stack!r} ({len(problems)} problem(s)):\n{lines}")


def within(low: int, high: int, authority: str) -> Any:
    """An inclusive range check whose error names the authority, e.g. 'below the Kinesis minimum of 24'."""

    def check(value: int) -> int:
        if value < low:
            raise PydanticCustomError(
                "below_minimum",
                "{value} is below the {authority} minimum of {low}",
                {"value": value, "authority": authority, "low": low},
            )
        if value > high:
            raise PydanticCustomError(
                "above_maximum",
                "{value} is above the {authority} maximum of {high}",
                {"value": value, "authority": authority, "high": high},
            )
        return value

    return AfterValidator(check)


def _range_schema(low: int, high: int) -> Any:
    return Field(json_schema_extra={"minimum": low, "maximum": high})


# Every integer setting with AWS limits, named by what it is.
BatchingWindowSeconds = Annotated[int, within(0, 300, "Lambda batching window"), _range_schema(0, 300)]
LifecycleDaysOrZero = Annotated[int, within(0, 3650, "S3 lifecycle"), _range_schema(0, 3650)]
FirehoseBufferSeconds = Annotated[int, within(0, 900, "Firehose"), _range_schema(0, 900)]
ParallelizationFactor = Annotated[int, within(1, 10, "Lambda parallelization factor"), _range_schema(1, 10)]
LayerVersion = Annotated[int, within(1, 1000, "Powertools layer version"), _range_schema(1, 1000)]
ShardCount = Annotated[int, within(1, 10_000, "Kinesis shard count"), _range_schema(1, 10_000)]
BatchSize = Annotated[int, within(1, 10_000, "Lambda Kinesis batch size"), _range_schema(1, 10_000)]
ThrottledRecords = Annotated[int, within(1, 10_000_000, "throttled records"), _range_schema(1, 10_000_000)]
FirehoseBufferMb = Annotated[int, within(1, 128, "Firehose"), _range_schema(1, 128)]
LambdaErrorCount = Annotated[int, within(1, 1_000_000, "Lambda errors"), _range_schema(1, 1_000_000)]
LambdaThrottleCount = Annotated[int, within(1, 1_000_000, "Lambda throttles"), _range_schema(1, 1_000_000)]
QueueDepth = Annotated[int, within(1, 1_000_000, "queue depth"), _range_schema(1, 1_000_000)]
LifecycleDaysUpToYear = Annotated[int, within(1, 365, "S3 lifecycle"), _range_schema(1, 365)]
LifecycleDays = Annotated[int, within(1, 3650, "S3 lifecycle"), _range_schema(1, 3650)]
IteratorAgeSeconds = Annotated[int, within(1, 604_800, "iterator age"), _range_schema(1, 604_800)]
LambdaTimeoutSeconds = Annotated[int, within(1, 900, "Lambda timeout"), _range_schema(1, 900)]
LambdaMemoryMb = Annotated[int, within(128, 10_240, "Lambda memory"), _range_schema(128, 10_240)]
RetentionHours = Annotated[int, within(24, 8760, "Kinesis"), _range_schema(24, 8760)]
FreshnessSeconds = Annotated[int, within(60, 86_400, "Firehose data freshness"), _range_schema(60, 86_400)]


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
                    {"value": value},
                )
        return values


Compression = Literal["GZIP", "SNAPPY", "ZIP", "HADOOP_SNAPPY", "UNCOMPRESSED"]


class LakeSettings(StrictModel):
    """Stack-wide lake defaults: Firehose buffering and the bucket's lifecycle."""

    buffer_mb: FirehoseBufferMb = defaults.LAKE_BUFFER_MB
    """Firehose buffer size before it writes an object; larger objects are cheaper to query."""
    buffer_seconds: FirehoseBufferSeconds = defaults.LAKE_BUFFER_SECONDS
    """Firehose buffer interval: the longest an event waits before it is written to the lake."""
    compression: Compression = defaults.LAKE_COMPRESSION
    """Compression of lake objects."""
    tiering_after_days: LifecycleDaysOrZero = defaults.LAKE_TIERING_AFTER_DAYS
    """Days before event objects move to S3 Intelligent-Tiering."""
    noncurrent_expiry_days: LifecycleDays = defaults.LAKE_NONCURRENT_EXPIRY_DAYS
    """Days a replaced or deleted object version is kept (versioning undoes mistakes)."""
    abort_incomplete_upload_days: LifecycleDaysUpToYear = defaults.LAKE_ABORT_INCOMPLETE_DAYS
    """Days before incomplete multipart uploads are aborted (they are billed)."""
    access_log_expiry_days: LifecycleDays = defaults.ACCESS_LOG_EXPIRY_DAYS
    """Days S3 server access logs are kept."""
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
    max_retries: int = Field(default=defaults.CONSUMER_MAX_RETRIES, json_schema_extra={"minimum": 0, "maximum": 10_000})
    """Retries of a failing batch before it goes to the on-failure queue (finite only)."""
    max_record_age_seconds: int = Field(
        default=defaults.CONSUMER_MAX_RECORD_AGE_SECONDS, json_schema_extra={"minimum": 60, "maximum": 604_800}
    )
    """Records older than this go to the on-failure queue instead of the consumer (finite only)."""
    starting_position: Literal["TRIM_HORIZON", "LATEST"] = defaults.CONSUMER_STARTING_POSITION
    """Where a new consumer starts reading."""
    memory_mb: LambdaMemoryMb = defaults.CONSUMER_MEMORY_MB
    """Consumer memory (and proportional CPU)."""
    timeout_seconds: LambdaTimeoutSeconds = defaults.CONSUMER_TIMEOUT_SECONDS
    """Consumer timeout."""

    @field_validator("max_retries")
    @classmethod
    def _finite_retries(cls, value: int) -> int:
        if value == -1:
            raise PydanticCustomError(
                "infinite_retries",
                "-1 (retry forever) is not allowed: a poison batch would block the shard until the records "
                "expire; use 0-10000",
            )
        return within(0, 10_000, "Lambda retry attempts").func(value)

    @field_validator("max_record_age_seconds")
    @classmethod
    def _finite_age(cls, value: int) -> int:
        if value == -1:
            raise PydanticCustomError(
                "infinite_age",
                "-1 (no maximum record age) is not allowed: failed records must reach the on-failure queue; "
                "use 60-604800",
            )
        return within(60, 604_800, "Lambda maximum record age").func(value)


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
        default=defaults.LOG_RETENTION_DAYS, json_schema_extra={"enum": list(LOG_RETENTION_DAYS)}
    )
    """Retention of every log group the platform creates."""
    protect_stateful: bool = Field(
        default=False, description="Protect streams, tables, buckets and keys from deletion (set in prod)."
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
        if value not in LOG_RETENTION_DAYS:
            raise PydanticCustomError(
                "log_retention",
                "{value} is not a CloudWatch Logs retention period; use one of {allowed}",
                {"value": value, "allowed": ", ".join(map(str, LOG_RETENTION_DAYS))},
            )
        return value

    @model_validator(mode="after")
    def _derived_names_fit(self, info: ValidationInfo) -> PlatformConfig:
        stack = (info.context or {}).get("stack", "dev")
        try:
            PlatformNames(self.name_prefix, stack).check_all(
                {tenant: list(settings.streams) for tenant, settings in self.tenants.items()}
            )
        except NameLimitError as error:
            raise ValueError(str(error)) from None
        return self

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
    """Validate a stack's config (keys without the project namespace) or raise ConfigError."""
    try:
        return PlatformConfig.model_validate(dict(raw), context={"stack": stack, "region": region})
    except ValidationError as error:
        raise ConfigError(stack, format_errors(error)) from None


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
