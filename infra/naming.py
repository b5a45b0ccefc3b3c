"""Physical AWS names derived from prefix, stack, tenant and stream, with each service's name rule.

Prefix, stack and tenant have no hyphens, so `<prefix>-<stack>-<tenant>-<stream>` splits one way only: no two
tenant streams, in one stack or in two stacks of one account, derive the same name. `check_all` proves that every
derived name fits its service's limit and that no two names of one kind collide, the platform's own included,
and says which derived name breaks which rule, with the characters left for tenant and stream names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class NameRule:
    """What a service accepts as the name of one kind of resource (its API reference, cited)."""

    max_length: int
    reference: str


# Kinds of names AWS keeps unique per account and region (S3 bucket names globally, IAM role names per account).
KINESIS_STREAM = "Kinesis stream"
FIREHOSE_STREAM = "Firehose delivery stream"
LAMBDA_FUNCTION = "Lambda function"
LAMBDA_LAYER = "Lambda layer"
IAM_ROLE = "IAM role"
SQS_QUEUE = "SQS queue"
SNS_TOPIC = "SNS topic"
DYNAMODB_TABLE = "DynamoDB table"
KMS_ALIAS = "KMS alias"
CLOUDWATCH_ALARM = "CloudWatch alarm"
CLOUDWATCH_DASHBOARD = "CloudWatch dashboard"
LOG_GROUP = "CloudWatch log group"
EVENTBRIDGE_RULE = "EventBridge rule"
S3_BUCKET_PREFIX = "S3 bucket prefix"
GLUE_DATABASE = "Glue database"
ATHENA_WORKGROUP = "Athena workgroup"

# pulumi-aws names a bucket `bucket_prefix` + a 26-character unique suffix, and S3 names are at most 63 characters.
BUCKET_UNIQUE_SUFFIX_LENGTH = 26
S3_BUCKET_NAME_MAX_LENGTH = 63

NAME_RULES: dict[str, NameRule] = {
    KINESIS_STREAM: NameRule(128, "https://docs.aws.amazon.com/kinesis/latest/APIReference/API_CreateStream.html"),
    FIREHOSE_STREAM: NameRule(
        64, "https://docs.aws.amazon.com/firehose/latest/APIReference/API_CreateDeliveryStream.html"
    ),
    # The API takes 140 characters because it also takes an ARN; a plain function name is at most 64.
    LAMBDA_FUNCTION: NameRule(64, "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html"),
    LAMBDA_LAYER: NameRule(140, "https://docs.aws.amazon.com/lambda/latest/api/API_PublishLayerVersion.html"),
    IAM_ROLE: NameRule(64, "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html"),
    SQS_QUEUE: NameRule(
        80, "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html"
    ),
    SNS_TOPIC: NameRule(256, "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html"),
    DYNAMODB_TABLE: NameRule(
        255, "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html"
    ),
    KMS_ALIAS: NameRule(256, "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html"),
    CLOUDWATCH_ALARM: NameRule(
        255, "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html"
    ),
    CLOUDWATCH_DASHBOARD: NameRule(
        255, "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html"
    ),
    LOG_GROUP: NameRule(
        512, "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html"
    ),
    EVENTBRIDGE_RULE: NameRule(64, "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html"),
    S3_BUCKET_PREFIX: NameRule(
        S3_BUCKET_NAME_MAX_LENGTH - BUCKET_UNIQUE_SUFFIX_LENGTH,
        "https://www.pulumi.com/registry/packages/aws/api-docs/s3/bucket/ (bucketPrefix) and "
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
    ),
    GLUE_DATABASE: NameRule(255, "https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html"),
    ATHENA_WORKGROUP: NameRule(128, "https://docs.aws.amazon.com/athena/latest/APIReference/API_CreateWorkGroup.html"),
}

# The suffix of the platform key's alias: a tenant of this name would derive the same alias for its own key.
PLATFORM_KEY_ALIAS_SUFFIX = "platform"
RESERVED_TENANT_NAMES: dict[str, str] = {
    PLATFORM_KEY_ALIAS_SUFFIX: (
        "the platform's own KMS key has the alias alias/<name_prefix>-<stack>-platform, which this tenant's key "
        "alias would duplicate (KMS CreateAlias fails with AlreadyExistsException); choose another tenant name"
    ),
}

# Every alarm kind of a tenant stream (infra/alarm_specs.py and the autoscaler's errors alarm); a test checks
# that these are exactly the kinds the program creates.
STREAM_ALARM_KINDS = (
    "iterator-age",
    "stalled-consumer",
    "write-throttled",
    "read-throttled",
    "consumer-errors",
    "consumer-throttles",
    "failure-queue-depth",
    "failure-queue-age",
    "delivery-freshness",
    "scaler-errors",
)

# The lake replica's alarm kinds (infra/alarm_specs.py replication_alarm_specs), one each per stack with a replica.
REPLICATION_ALARM_KINDS = ("replication-failed", "replication-latency")

STACK_NAME = re.compile(r"^[a-z][a-z0-9]*$")


@dataclass(frozen=True)
class DerivedName:
    """One physical name, its kind, and the config key it is derived from."""

    kind: str
    name: str
    key: str

    @property
    def label(self) -> str:
        """How a message calls it: "IAM role name", "S3 bucket prefix"."""
        return self.kind if self.kind.endswith("prefix") else f"{self.kind} name"


@dataclass(frozen=True)
class StreamNames:
    """Physical names of one tenant stream's resources."""

    base: str

    @property
    def stream(self) -> str:
        return self.base

    @property
    def consumer_function(self) -> str:
        return f"{self.base}-consumer"

    @property
    def consumer_role(self) -> str:
        return f"{self.base}-consumer-role"

    @property
    def failure_queue(self) -> str:
        return f"{self.base}-consumer-failures"

    @property
    def delivery_stream(self) -> str:
        return f"{self.base}-lake"

    @property
    def delivery_role(self) -> str:
        return f"{self.base}-lake-role"

    @property
    def delivery_log_group(self) -> str:
        return f"/aws/kinesisfirehose/{self.delivery_stream}"

    @property
    def scaler_function(self) -> str:
        return f"{self.base}-scaler"

    @property
    def scaler_role(self) -> str:
        return f"{self.base}-scaler-role"

    @property
    def scaler_schedule(self) -> str:
        return f"{self.base}-scaler-tick"

    def alarm(self, what: str) -> str:
        return f"{self.base}-{what}"

    def derived(self, key: str) -> list[DerivedName]:
        """Every name this stream may create (the scaler's only when autoscaled), attributed to `key`."""
        names = [
            (KINESIS_STREAM, self.stream),
            (LAMBDA_FUNCTION, self.consumer_function),
            (LAMBDA_FUNCTION, self.scaler_function),
            (IAM_ROLE, self.consumer_role),
            (IAM_ROLE, self.delivery_role),
            (IAM_ROLE, self.scaler_role),
            (FIREHOSE_STREAM, self.delivery_stream),
            (SQS_QUEUE, self.failure_queue),
            (EVENTBRIDGE_RULE, self.scaler_schedule),
            (LOG_GROUP, function_log_group(self.consumer_function)),
            (LOG_GROUP, function_log_group(self.scaler_function)),
            (LOG_GROUP, self.delivery_log_group),
            *((CLOUDWATCH_ALARM, self.alarm(kind)) for kind in STREAM_ALARM_KINDS),
        ]
        return [DerivedName(kind, name, key) for kind, name in names]


def function_log_group(function_name: str) -> str:
    """The log group Lambda writes a function's logs to."""
    return f"/aws/lambda/{function_name}"


@dataclass(frozen=True)
class PlatformNames:
    """Names of one stack's resources: `<prefix>-<stack>[-<tenant>[-<stream>]]`."""

    prefix: str
    stack: str

    @property
    def base(self) -> str:
        return f"{self.prefix}-{self.stack}"

    @property
    def checkpoint_table(self) -> str:
        return f"{self.base}-checkpoints"

    @property
    def scaling_table(self) -> str:
        return f"{self.base}-scaling-history"

    @property
    def alarm_topic(self) -> str:
        return f"{self.base}-alarms"

    @property
    def glue_database(self) -> str:
        return f"{self.prefix}_{self.stack}_lake".replace("-", "_")

    @property
    def athena_workgroup(self) -> str:
        return f"{self.base}-lake"

    @property
    def platform_key_alias(self) -> str:
        return f"alias/{self.base}-{PLATFORM_KEY_ALIAS_SUFFIX}"

    @property
    def replica_key_alias(self) -> str:
        return f"alias/{self.base}-lake-replica"

    @property
    def dependency_layer(self) -> str:
        return f"{self.base}-dependencies"

    @property
    def lake_bucket_prefix(self) -> str:
        return f"{self.base}-lake-"

    @property
    def access_log_bucket_prefix(self) -> str:
        return f"{self.base}-access-logs-"

    @property
    def replica_bucket_prefix(self) -> str:
        return f"{self.base}-lake-replica-"

    @property
    def lake_replica_role(self) -> str:
        """S3 replication's role: inside the deploy role's `role/<prefix>-<stack>-*` scope (docs/deploy.md)."""
        return f"{self.base}-lake-replica-role"

    def replication_alarm(self, kind: str) -> str:
        return f"{self.base}-lake-{kind}"

    def tenant_base(self, tenant: str) -> str:
        return f"{self.base}-{tenant}"

    def tenant_dashboard(self, tenant: str) -> str:
        return f"{self.base}-{tenant}"

    def tenant_key_alias(self, tenant: str) -> str:
        return f"alias/{self.base}-{tenant}"

    def stream(self, tenant: str, stream: str) -> StreamNames:
        return StreamNames(f"{self.base}-{tenant}-{stream}")

    def platform_derived(self) -> list[DerivedName]:
        """The stack's own names, replica ones included (they depend on prefix and stack alone)."""
        names = [
            (DYNAMODB_TABLE, self.checkpoint_table),
            (DYNAMODB_TABLE, self.scaling_table),
            (SNS_TOPIC, self.alarm_topic),
            (GLUE_DATABASE, self.glue_database),
            (ATHENA_WORKGROUP, self.athena_workgroup),
            (KMS_ALIAS, self.platform_key_alias),
            (KMS_ALIAS, self.replica_key_alias),
            (LAMBDA_LAYER, self.dependency_layer),
            (S3_BUCKET_PREFIX, self.lake_bucket_prefix),
            (S3_BUCKET_PREFIX, self.access_log_bucket_prefix),
            (S3_BUCKET_PREFIX, self.replica_bucket_prefix),
            (IAM_ROLE, self.lake_replica_role),
            *((CLOUDWATCH_ALARM, self.replication_alarm(kind)) for kind in REPLICATION_ALARM_KINDS),
        ]
        return [DerivedName(kind, name, "stack") for kind, name in names]

    def tenant_derived(self, tenant: str) -> list[DerivedName]:
        key = f"tenants.{tenant}"
        return [
            DerivedName(KMS_ALIAS, self.tenant_key_alias(tenant), key),
            DerivedName(CLOUDWATCH_DASHBOARD, self.tenant_dashboard(tenant), key),
        ]

    def all_derived(self, streams_by_tenant: Mapping[str, Sequence[str]]) -> list[DerivedName]:
        """Every name the stack may create, the platform's first, then each tenant's and its streams'."""
        names = self.platform_derived()
        for tenant, streams in streams_by_tenant.items():
            names.extend(self.tenant_derived(tenant))
            for stream in streams:
                names.extend(self.stream(tenant, stream).derived(f"tenants.{tenant}.streams.{stream}"))
        return names

    def check_stack(self) -> list[str]:
        """The stack name's rules: its characters, and that every name derived from prefix and stack fits."""
        if not STACK_NAME.match(self.stack):
            return [
                f"stack: {self.stack!r} must be lowercase letters and digits, starting with a letter (it is part of "
                "S3 bucket names, which are lowercase, and no hyphens keep names derived from it splitting one way)"
            ]
        binding = self._tightest(self.platform_derived(), len(self.stack))
        if binding is None:
            return []
        derived, room = binding
        return [
            f"stack: {self._too_long(derived)}; with name_prefix {self.prefix!r}, the stack name may be at most "
            f"{room} characters"
        ]

    def check_all(self, streams_by_tenant: Mapping[str, Sequence[str]]) -> list[str]:
        """`key: rule` problems: a derived name too long for its service, or taken twice within a kind.

        A tenant or stream with several names too long is reported once, by the name that leaves the least room.
        """
        problems = self.check_stack()
        if problems:
            return problems
        by_key: dict[str, list[DerivedName]] = {}
        for derived in self.all_derived(streams_by_tenant):
            by_key.setdefault(derived.key, []).append(derived)
        seen: dict[tuple[str, str], str] = {}
        for key, names in by_key.items():
            tenant_and_stream = key.split(".")[1::2]  # tenants.<tenant>[.streams.<stream>]
            binding = self._tightest(names, sum(len(part) for part in tenant_and_stream))
            if binding is not None and key != "stack":
                derived, room = binding
                problems.append(
                    f"{key}: {self._too_long(derived)}; with name_prefix {self.prefix!r} and stack {self.stack!r}, "
                    f"tenant and stream names may total at most {room} characters here"
                )
                continue
            for derived in names:
                other = seen.setdefault((derived.kind, derived.name), key)
                if other != key:
                    problems.append(
                        f"{key}: derived {derived.label} {derived.name!r} is also the one derived for "
                        f"{other}; AWS keeps {derived.kind} names unique, so rename one"
                    )
                    break
        return problems

    @staticmethod
    def _tightest(names: Sequence[DerivedName], variable_length: int) -> tuple[DerivedName, int] | None:
        """The too-long name leaving the least room for the variable part (stack, or tenant + stream), if any."""
        too_long = [
            (derived, NAME_RULES[derived.kind].max_length - (len(derived.name) - variable_length))
            for derived in names
            if len(derived.name) > NAME_RULES[derived.kind].max_length
        ]
        return min(too_long, key=lambda pair: pair[1]) if too_long else None

    @staticmethod
    def _too_long(derived: DerivedName) -> str:
        rule = NAME_RULES[derived.kind]
        return (
            f"derived {derived.label} {derived.name!r} is {len(derived.name)} characters, above the "
            f"{derived.kind} limit of {rule.max_length} ({rule.reference})"
        )
