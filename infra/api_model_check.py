"""Check the program's resource inputs against AWS's own API models, as AWS would on `pulumi up`.

The mocks accept any value, so a value AWS refuses (`SNAPPY` for a Firehose CompressionFormat whose enum is
`UNCOMPRESSED | GZIP | ZIP | Snappy | HADOOP_SNAPPY`) passes every local proof. Here each Pulumi input the program
sets is mapped, by a small explicit table per resource type (`REQUEST_MEMBERS`), to the member of the create or
update request the provider sends, and checked against that member's shape in botocore's service model
(infra/aws_api_models.py): enums, patterns, minimum and maximum lengths and item counts, numeric ranges. Where the
model is looser than the service (it takes an ARN where a name is meant, or leaves a rule to the documentation),
the rule AWS documents is added, with its page (`DOCUMENTED` rules). A second check (`check_unique_names`) proves
that no two resources of the stack take a name AWS keeps unique per account and region (per account for IAM roles
and dashboards, globally for S3 buckets).

Covered: every input the config can influence (physical names, and names inside descriptions, prefixes, tags,
log groups and Glue parameters; shard count, stream mode and retention; Firehose compression and buffering; the
consumer's batch size, window, parallelization, retries, record age and starting position; Lambda memory, timeout
and architecture; log retention; S3 lifecycle days; alarm email and https subscriptions' protocol; metric-math
alarms' queries; the replica's replication metrics), and the enums and constants the program writes (runtimes,
billing modes, encryption types, storage classes, comparison
operators, statistics, ...); `REQUEST_MEMBERS` lists each. Not covered: ARNs, ids and URLs other resources compute
(the mocks fabricate them, so checking them would check the mocks; an unknown value of a real preview is skipped
too), policy documents beyond their size and characters, the dashboard body, cross-member rules (datapoints to
alarm at most evaluation periods), account quotas, and what no model or page states. A violation names the
resource, the input, the rule and its source, and, when the value came from the config, the config key first:
`tenants.acme.streams.clicks.lake.compression: 'SNAPPY' is not one of UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY
(firehose CreateDeliveryStream CompressionFormat)`.

`check_program` is what `streamctl plan` and `streamctl local up` both call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc

from functions import aws_limits as aws
from infra import naming
from infra.aws_api_models import MemberRules, member_rules
from infra.config import PlatformConfig, config_from_pulumi_values
from infra.mock_runtime import DEFAULT_REGION, ProgramRun, RegisteredResource

PATH_PART = re.compile(r"\[\]|\{key\}|\{value\}|[^.\[{]+")


@dataclass(frozen=True)
class InputContext:
    """Where one input value sits: its resource, its concrete path, and the tenant and stream it belongs to."""

    resource: RegisteredResource
    path: tuple[str | int, ...]
    tenant: str | None
    stream: str | None
    in_consumer: bool

    @property
    def display_path(self) -> str:
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text


# A config key template (`{stream}.lake.compression`: {tenant} -> tenants.<t>, {stream} -> tenants.<t>.streams.<s>,
# {consumer} -> {stream}.consumer for the consumer's resources only), or a function for what a template cannot say.
ConfigSource = str | Callable[[InputContext], str | None]


@dataclass(frozen=True)
class RequestMember:
    """Where one Pulumi input goes in an AWS request, and the config keys that set it (the first one set wins)."""

    input: str
    operation: str
    member: str | None
    config: tuple[ConfigSource, ...] = ()
    documented: MemberRules | None = None


@dataclass(frozen=True)
class ResourceModel:
    service: str
    members: tuple[RequestMember, ...]


@dataclass(frozen=True)
class ModelViolation:
    """One input AWS would refuse."""

    resource_type: str
    resource_name: str
    input: str
    value: Any
    rule: str
    source: str
    config_key: str | None = None

    def __str__(self) -> str:
        shown = _shown(self.value)
        where = f"{self.resource_type} {self.resource_name} input {self.input}"
        if self.config_key:
            return f"{self.config_key}: {shown} {self.rule} ({self.source}); {where}"
        return f"{where}: {shown} {self.rule} ({self.source})"


class ApiModelError(ValueError):
    """Inputs AWS's API models refuse; `violations` holds each."""

    def __init__(self, stack: str, violations: Sequence[ModelViolation]) -> None:
        self.stack = stack
        self.violations = list(violations)
        lines = "\n".join(f"  - {violation}" for violation in self.violations)
        super().__init__(
            f"stack {stack!r}: {len(self.violations)} input(s) AWS's API models refuse "
            f"(AWS would answer ValidationException or AlreadyExists):\n{lines}"
        )


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return repr(value) if len(value) <= 120 else repr(value[:117] + "...")
    if isinstance(value, dict | list):
        return f"{type(value).__name__} of {len(value)}"
    return repr(value)


def documented(source: str, type_name: str = "string", **rules: Any) -> MemberRules:
    """A rule AWS documents (cited in `source`) that botocore's shape does not carry."""
    return MemberRules(type_name=type_name, source=source, **rules)


NAME_KEYS: tuple[ConfigSource, ...] = ("{stream}", "{tenant}", "name_prefix")
TAGS_KEYS: tuple[ConfigSource, ...] = ("{stream}", "{tenant}")
CONSUMER = "{consumer}"
BUCKET_NAMING = "S3 bucket naming rules, https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"
# IAM counts a policy's characters without white space (IAM quotas, "IAM and AWS STS quotas").
IAM_QUOTAS = "IAM quotas, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
LIFECYCLE_DAYS = (
    "S3 lifecycle, https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html (a positive integer)"
)
# Lifecycle rule ids -> the config key of each days value the rule carries.
LIFECYCLE_RULE_KEYS = {
    ("expire-access-logs", "expiration"): "lake.access_log_expiry_days",
    ("expire-noncurrent-versions", "noncurrentVersionExpiration"): "lake.noncurrent_expiry_days",
    ("tier-events", "transitions"): "lake.tiering_after_days",
}


def lifecycle_days_key(context: InputContext) -> str | None:
    """Which lake setting a lifecycle rule's days come from, by the rule's id."""
    _, rule_index, *rest = context.path
    if rest and rest[0] == "abortIncompleteMultipartUpload":
        return "lake.abort_incomplete_upload_days"
    rule = context.resource.inputs["rules"][rule_index]
    return LIFECYCLE_RULE_KEYS.get((str(rule.get("id")), str(rest[0]) if rest else ""))


def _tags(operation: str, keys: str, values: str) -> tuple[RequestMember, ...]:
    """A resource's `tags` map: the request's tag keys and values (a map or a list of pairs, by service)."""
    return (
        RequestMember("tags{key}", operation, keys),
        RequestMember("tags{value}", operation, values, TAGS_KEYS),
    )


def _tag_map(operation: str, member: str = "Tags") -> tuple[RequestMember, ...]:
    return (RequestMember("tags", operation, member), *_tags(operation, f"{member}{{key}}", f"{member}{{value}}"))


def _tag_list(
    operation: str, member: str = "Tags", key: str = "Key", value: str = "Value"
) -> tuple[RequestMember, ...]:
    return (RequestMember("tags", operation, member), *_tags(operation, f"{member}[].{key}", f"{member}[].{value}"))


S3_CONFIGURATION = "ExtendedS3DestinationConfiguration"
LAMBDA_NAME_RULE = documented(
    "Lambda CreateFunction FunctionName, https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html "
    "(64 characters unless an ARN)",
    maximum=naming.NAME_RULES[naming.LAMBDA_FUNCTION].max_length,
)

# Pulumi input -> request member, per resource type. Inputs are the engine's (camelCase) names, request members
# the API's; `{stream}`-style config keys are resolved per resource (see ConfigSource).
REQUEST_MEMBERS: dict[str, ResourceModel] = {
    "aws:kinesis/stream:Stream": ResourceModel(
        "kinesis",
        (
            RequestMember("name", "CreateStream", "StreamName", NAME_KEYS),
            RequestMember("shardCount", "CreateStream", "ShardCount", ("{stream}.shards",)),
            RequestMember(
                "streamModeDetails.streamMode", "CreateStream", "StreamModeDetails.StreamMode", ("{stream}.mode",)
            ),
            RequestMember(
                "retentionPeriod",
                "IncreaseStreamRetentionPeriod",
                "RetentionPeriodHours",
                ("{stream}.retention_hours",),
                documented(
                    "Kinesis retention, https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html",
                    "integer",
                    minimum=aws.KINESIS_MIN_RETENTION_HOURS,
                    maximum=aws.KINESIS_MAX_RETENTION_HOURS,
                ),
            ),
            RequestMember("encryptionType", "StartStreamEncryption", "EncryptionType"),
            RequestMember("shardLevelMetrics", "EnableEnhancedMonitoring", "ShardLevelMetrics"),
            RequestMember("shardLevelMetrics[]", "EnableEnhancedMonitoring", "ShardLevelMetrics[]"),
            *_tag_map("CreateStream"),
        ),
    ),
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": ResourceModel(
        "firehose",
        (
            RequestMember("name", "CreateDeliveryStream", "DeliveryStreamName", NAME_KEYS),
            RequestMember(
                "serverSideEncryption.keyType",
                "CreateDeliveryStream",
                "DeliveryStreamEncryptionConfigurationInput.KeyType",
            ),
            RequestMember(
                "extendedS3Configuration.compressionFormat",
                "CreateDeliveryStream",
                f"{S3_CONFIGURATION}.CompressionFormat",
                ("{stream}.lake.compression", "lake.compression"),
            ),
            RequestMember(
                "extendedS3Configuration.bufferingSize",
                "CreateDeliveryStream",
                f"{S3_CONFIGURATION}.BufferingHints.SizeInMBs",
                ("{stream}.lake.buffer_mb", "lake.buffer_mb"),
            ),
            RequestMember(
                "extendedS3Configuration.bufferingInterval",
                "CreateDeliveryStream",
                f"{S3_CONFIGURATION}.BufferingHints.IntervalInSeconds",
                ("{stream}.lake.buffer_seconds", "lake.buffer_seconds"),
            ),
            RequestMember(
                "extendedS3Configuration.prefix", "CreateDeliveryStream", f"{S3_CONFIGURATION}.Prefix", ("{stream}",)
            ),
            RequestMember(
                "extendedS3Configuration.errorOutputPrefix",
                "CreateDeliveryStream",
                f"{S3_CONFIGURATION}.ErrorOutputPrefix",
                ("{stream}",),
            ),
            RequestMember(
                "extendedS3Configuration.cloudwatchLoggingOptions.logGroupName",
                "CreateDeliveryStream",
                f"{S3_CONFIGURATION}.CloudWatchLoggingOptions.LogGroupName",
                NAME_KEYS,
            ),
            RequestMember(
                "extendedS3Configuration.cloudwatchLoggingOptions.logStreamName",
                "CreateDeliveryStream",
                f"{S3_CONFIGURATION}.CloudWatchLoggingOptions.LogStreamName",
            ),
            *_tag_list("CreateDeliveryStream"),
        ),
    ),
    "aws:lambda/function:Function": ResourceModel(
        "lambda",
        (
            RequestMember("name", "CreateFunction", "FunctionName", NAME_KEYS, LAMBDA_NAME_RULE),
            RequestMember("runtime", "CreateFunction", "Runtime"),
            RequestMember("architectures", "CreateFunction", "Architectures", ("architecture",)),
            RequestMember("architectures[]", "CreateFunction", "Architectures[]", ("architecture",)),
            RequestMember("handler", "CreateFunction", "Handler"),
            RequestMember("memorySize", "CreateFunction", "MemorySize", (f"{CONSUMER}.memory_mb",)),
            RequestMember("timeout", "CreateFunction", "Timeout", (f"{CONSUMER}.timeout_seconds",)),
            RequestMember("description", "CreateFunction", "Description", NAME_KEYS),
            RequestMember("environment.variables{key}", "CreateFunction", "Environment.Variables{key}"),
            RequestMember(
                "environment.variables",
                "CreateFunction",
                None,
                ("{stream}.pii_fields",),
                documented(
                    "Lambda quotas, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html "
                    "(environment variables: 4 KB in aggregate)",
                    "aggregate-bytes",
                    maximum=4 * aws.KIB,
                ),
            ),
            RequestMember("tracingConfig.mode", "CreateFunction", "TracingConfig.Mode"),
            RequestMember("loggingConfig.logFormat", "CreateFunction", "LoggingConfig.LogFormat"),
            RequestMember("loggingConfig.logGroup", "CreateFunction", "LoggingConfig.LogGroup", NAME_KEYS),
            RequestMember("layers[]", "CreateFunction", "Layers[]"),
            *_tag_map("CreateFunction"),
        ),
    ),
    "aws:lambda/eventSourceMapping:EventSourceMapping": ResourceModel(
        "lambda",
        (
            RequestMember(
                "startingPosition", "CreateEventSourceMapping", "StartingPosition", (f"{CONSUMER}.starting_position",)
            ),
            RequestMember("batchSize", "CreateEventSourceMapping", "BatchSize", (f"{CONSUMER}.batch_size",)),
            RequestMember(
                "maximumBatchingWindowInSeconds",
                "CreateEventSourceMapping",
                "MaximumBatchingWindowInSeconds",
                (f"{CONSUMER}.batching_window_seconds",),
            ),
            RequestMember(
                "parallelizationFactor",
                "CreateEventSourceMapping",
                "ParallelizationFactor",
                (f"{CONSUMER}.parallelization",),
            ),
            RequestMember(
                "maximumRetryAttempts",
                "CreateEventSourceMapping",
                "MaximumRetryAttempts",
                (f"{CONSUMER}.max_retries",),
            ),
            RequestMember(
                "maximumRecordAgeInSeconds",
                "CreateEventSourceMapping",
                "MaximumRecordAgeInSeconds",
                (f"{CONSUMER}.max_record_age_seconds",),
            ),
            RequestMember("functionResponseTypes", "CreateEventSourceMapping", "FunctionResponseTypes"),
            RequestMember("functionResponseTypes[]", "CreateEventSourceMapping", "FunctionResponseTypes[]"),
            *_tag_map("CreateEventSourceMapping"),
        ),
    ),
    "aws:lambda/permission:Permission": ResourceModel(
        "lambda",
        (
            RequestMember("action", "AddPermission", "Action"),
            RequestMember("principal", "AddPermission", "Principal"),
        ),
    ),
    "aws:lambda/layerVersion:LayerVersion": ResourceModel(
        "lambda",
        (
            RequestMember(
                "layerName",
                "PublishLayerVersion",
                "LayerName",
                NAME_KEYS,
                documented(
                    "Lambda PublishLayerVersion LayerName, "
                    "https://docs.aws.amazon.com/lambda/latest/api/API_PublishLayerVersion.html",
                    pattern=r"[a-zA-Z0-9-_]+",
                    maximum=naming.NAME_RULES[naming.LAMBDA_LAYER].max_length,
                ),
            ),
            RequestMember("description", "PublishLayerVersion", "Description"),
            RequestMember("compatibleRuntimes", "PublishLayerVersion", "CompatibleRuntimes"),
            RequestMember("compatibleRuntimes[]", "PublishLayerVersion", "CompatibleRuntimes[]"),
            RequestMember("compatibleArchitectures", "PublishLayerVersion", "CompatibleArchitectures"),
            RequestMember(
                "compatibleArchitectures[]", "PublishLayerVersion", "CompatibleArchitectures[]", ("architecture",)
            ),
        ),
    ),
    "aws:dynamodb/table:Table": ResourceModel(
        "dynamodb",
        (
            RequestMember(
                "name",
                "CreateTable",
                "TableName",
                NAME_KEYS,
                # The model takes a table ARN here (1-1024); a table name is 3-255 of these characters.
                documented(
                    "DynamoDB naming rules, "
                    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html",
                    pattern=r"[a-zA-Z0-9_.-]+",
                    minimum=3,
                    maximum=255,
                ),
            ),
            RequestMember("billingMode", "CreateTable", "BillingMode"),
            RequestMember("attributes[].name", "CreateTable", "AttributeDefinitions[].AttributeName"),
            RequestMember("attributes[].type", "CreateTable", "AttributeDefinitions[].AttributeType"),
            RequestMember("hashKey", "CreateTable", "KeySchema[].AttributeName"),
            RequestMember("rangeKey", "CreateTable", "KeySchema[].AttributeName"),
            RequestMember("ttl.attributeName", "UpdateTimeToLive", "TimeToLiveSpecification.AttributeName"),
            *_tag_list("CreateTable"),
        ),
    ),
    "aws:sqs/queue:Queue": ResourceModel(
        "sqs",
        (
            RequestMember(
                "name",
                "CreateQueue",
                "QueueName",
                NAME_KEYS,
                documented(
                    "SQS CreateQueue QueueName, "
                    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
                    pattern=r"[A-Za-z0-9_-]+",
                    maximum=naming.NAME_RULES[naming.SQS_QUEUE].max_length,
                ),
            ),
            # Queue attributes are strings in the model; their ranges are in the CreateQueue reference.
            RequestMember(
                "messageRetentionSeconds",
                "CreateQueue",
                None,
                documented=documented(
                    "SQS CreateQueue MessageRetentionPeriod, "
                    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
                    "integer",
                    minimum=60,
                    maximum=1_209_600,
                ),
            ),
            RequestMember(
                "kmsDataKeyReusePeriodSeconds",
                "CreateQueue",
                None,
                documented=documented(
                    "SQS CreateQueue KmsDataKeyReusePeriodSeconds, "
                    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
                    "integer",
                    minimum=60,
                    maximum=86_400,
                ),
            ),
            *_tag_map("CreateQueue", "tags"),
        ),
    ),
    "aws:sns/topic:Topic": ResourceModel(
        "sns",
        (
            RequestMember(
                "name",
                "CreateTopic",
                "Name",
                NAME_KEYS,
                documented(
                    "SNS CreateTopic Name, https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html",
                    pattern=r"[A-Za-z0-9_-]+",
                    maximum=naming.NAME_RULES[naming.SNS_TOPIC].max_length,
                ),
            ),
            *_tag_list("CreateTopic"),
        ),
    ),
    "aws:sns/topicSubscription:TopicSubscription": ResourceModel(
        "sns",
        (
            RequestMember(
                "protocol",
                "Subscribe",
                "Protocol",
                documented=documented(
                    "SNS Subscribe Protocol, https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html",
                    enum=("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"),
                ),
            ),
            RequestMember(
                "filterPolicyScope",
                "Subscribe",
                None,
                documented=documented(
                    "SNS subscription FilterPolicyScope, "
                    "https://docs.aws.amazon.com/sns/latest/api/API_SetSubscriptionAttributes.html",
                    enum=("MessageAttributes", "MessageBody"),
                ),
            ),
        ),
    ),
    "aws:s3/bucket:Bucket": ResourceModel(
        "s3",
        (
            RequestMember(
                "bucket",
                "CreateBucket",
                "Bucket",
                NAME_KEYS,
                documented(BUCKET_NAMING, pattern=r"[a-z0-9][a-z0-9.-]*[a-z0-9]", minimum=3, maximum=63),
            ),
            RequestMember(
                "bucketPrefix",
                "CreateBucket",
                None,
                NAME_KEYS,
                documented(
                    f"{BUCKET_NAMING}; pulumi-aws appends a 26-character unique suffix",
                    pattern=r"[a-z0-9][a-z0-9.-]*",
                    maximum=naming.NAME_RULES[naming.S3_BUCKET_PREFIX].max_length,
                ),
            ),
        ),
    ),
    "aws:s3/bucketVersioning:BucketVersioning": ResourceModel(
        "s3",
        (RequestMember("versioningConfiguration.status", "PutBucketVersioning", "VersioningConfiguration.Status"),),
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ResourceModel(
        "s3",
        (
            RequestMember(
                "rules[].applyServerSideEncryptionByDefault.sseAlgorithm",
                "PutBucketEncryption",
                "ServerSideEncryptionConfiguration.Rules[].ApplyServerSideEncryptionByDefault.SSEAlgorithm",
            ),
        ),
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ResourceModel(
        "s3",
        (
            RequestMember("rules[].status", "PutBucketLifecycleConfiguration", "LifecycleConfiguration.Rules[].Status"),
            RequestMember(
                "rules[].id",
                "PutBucketLifecycleConfiguration",
                "LifecycleConfiguration.Rules[].ID",
                documented=documented(
                    "S3 LifecycleRule ID, https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleRule.html",
                    maximum=255,
                ),
            ),
            RequestMember(
                "rules[].transitions[].storageClass",
                "PutBucketLifecycleConfiguration",
                "LifecycleConfiguration.Rules[].Transitions[].StorageClass",
            ),
            RequestMember(
                "rules[].transitions[].days",
                "PutBucketLifecycleConfiguration",
                "LifecycleConfiguration.Rules[].Transitions[].Days",
                (lifecycle_days_key,),
                documented(
                    "S3 lifecycle, https://docs.aws.amazon.com/AmazonS3/latest/API/API_Transition.html",
                    "integer",
                    minimum=0,
                ),
            ),
            RequestMember(
                "rules[].expiration.days",
                "PutBucketLifecycleConfiguration",
                "LifecycleConfiguration.Rules[].Expiration.Days",
                (lifecycle_days_key,),
                documented(LIFECYCLE_DAYS, "integer", minimum=1),
            ),
            RequestMember(
                "rules[].noncurrentVersionExpiration.noncurrentDays",
                "PutBucketLifecycleConfiguration",
                "LifecycleConfiguration.Rules[].NoncurrentVersionExpiration.NoncurrentDays",
                (lifecycle_days_key,),
                documented(LIFECYCLE_DAYS, "integer", minimum=1),
            ),
            RequestMember(
                "rules[].abortIncompleteMultipartUpload.daysAfterInitiation",
                "PutBucketLifecycleConfiguration",
                "LifecycleConfiguration.Rules[].AbortIncompleteMultipartUpload.DaysAfterInitiation",
                (lifecycle_days_key,),
                documented(LIFECYCLE_DAYS, "integer", minimum=1),
            ),
        ),
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ResourceModel(
        "s3",
        (
            RequestMember(
                "rule.objectOwnership", "PutBucketOwnershipControls", "OwnershipControls.Rules[].ObjectOwnership"
            ),
        ),
    ),
    "aws:s3/bucketPolicy:BucketPolicy": ResourceModel(
        "s3",
        (
            RequestMember(
                "policy",
                "PutBucketPolicy",
                "Policy",
                documented=documented(
                    "S3 bucket policy size, https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html "
                    "(20 KB)",
                    maximum=20 * aws.KIB,
                ),
            ),
        ),
    ),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": ResourceModel(
        "s3",
        (
            RequestMember("rules[].status", "PutBucketReplication", "ReplicationConfiguration.Rules[].Status"),
            RequestMember(
                "rules[].id",
                "PutBucketReplication",
                "ReplicationConfiguration.Rules[].ID",
                documented=documented(
                    "S3 ReplicationRule ID, https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationRule.html",
                    maximum=255,
                ),
            ),
            RequestMember(
                "rules[].destination.storageClass",
                "PutBucketReplication",
                "ReplicationConfiguration.Rules[].Destination.StorageClass",
            ),
            RequestMember(
                "rules[].deleteMarkerReplication.status",
                "PutBucketReplication",
                "ReplicationConfiguration.Rules[].DeleteMarkerReplication.Status",
            ),
            RequestMember(
                "rules[].sourceSelectionCriteria.sseKmsEncryptedObjects.status",
                "PutBucketReplication",
                "ReplicationConfiguration.Rules[].SourceSelectionCriteria.SseKmsEncryptedObjects.Status",
            ),
            RequestMember(
                "rules[].destination.metrics.status",
                "PutBucketReplication",
                "ReplicationConfiguration.Rules[].Destination.Metrics.Status",
            ),
        ),
    ),
    "aws:kms/key:Key": ResourceModel(
        "kms",
        (
            RequestMember("description", "CreateKey", "Description", NAME_KEYS),
            RequestMember("policy", "CreateKey", "Policy"),
            RequestMember(
                "deletionWindowInDays",
                "ScheduleKeyDeletion",
                "PendingWindowInDays",
                documented=documented(
                    "KMS ScheduleKeyDeletion PendingWindowInDays, "
                    "https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html",
                    "integer",
                    minimum=7,
                    maximum=30,
                ),
            ),
            *_tag_list("CreateKey", key="TagKey", value="TagValue"),
        ),
    ),
    "aws:kms/alias:Alias": ResourceModel(
        "kms",
        (
            RequestMember(
                "name",
                "CreateAlias",
                "AliasName",
                NAME_KEYS,
                documented(
                    "KMS CreateAlias AliasName, "
                    "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html "
                    "(begins with alias/, and alias/aws/ is AWS's own)",
                    pattern=r"alias/(?!aws/).+",
                ),
            ),
        ),
    ),
    "aws:iam/role:Role": ResourceModel(
        "iam",
        (
            RequestMember("name", "CreateRole", "RoleName", NAME_KEYS),
            RequestMember("description", "CreateRole", "Description", NAME_KEYS),
            RequestMember(
                "assumeRolePolicy",
                "CreateRole",
                "AssumeRolePolicyDocument",
                documented=documented(f"{IAM_QUOTAS} (role trust policy: 2,048 characters)", "policy", maximum=2048),
            ),
            *_tag_list("CreateRole"),
        ),
    ),
    "aws:iam/rolePolicy:RolePolicy": ResourceModel(
        "iam",
        (
            RequestMember("name", "PutRolePolicy", "PolicyName"),
            RequestMember(
                "policy",
                "PutRolePolicy",
                "PolicyDocument",
                documented=documented(
                    f"{IAM_QUOTAS} (inline policies of a role: 10,240 characters)", "policy", maximum=10_240
                ),
            ),
        ),
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ResourceModel(
        "cloudwatch",
        (
            RequestMember("name", "PutMetricAlarm", "AlarmName", NAME_KEYS),
            RequestMember("alarmDescription", "PutMetricAlarm", "AlarmDescription", NAME_KEYS),
            RequestMember("namespace", "PutMetricAlarm", "Namespace"),
            RequestMember("metricName", "PutMetricAlarm", "MetricName"),
            RequestMember("statistic", "PutMetricAlarm", "Statistic"),
            RequestMember("period", "PutMetricAlarm", "Period"),
            RequestMember("evaluationPeriods", "PutMetricAlarm", "EvaluationPeriods"),
            RequestMember("datapointsToAlarm", "PutMetricAlarm", "DatapointsToAlarm"),
            RequestMember("comparisonOperator", "PutMetricAlarm", "ComparisonOperator"),
            RequestMember(
                "treatMissingData",
                "PutMetricAlarm",
                "TreatMissingData",
                documented=documented(
                    "CloudWatch PutMetricAlarm TreatMissingData, "
                    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
                    enum=("breaching", "notBreaching", "ignore", "missing"),
                ),
            ),
            RequestMember("alarmActions", "PutMetricAlarm", "AlarmActions"),
            RequestMember("okActions", "PutMetricAlarm", "OKActions"),
            RequestMember("dimensions", "PutMetricAlarm", "Dimensions"),
            RequestMember("dimensions{key}", "PutMetricAlarm", "Dimensions[].Name"),
            RequestMember("dimensions{value}", "PutMetricAlarm", "Dimensions[].Value", NAME_KEYS),
            # Metric-math alarms (stalled-consumer): each query and the metric it reads, as PutMetricAlarm's Metrics.
            RequestMember("metricQueries", "PutMetricAlarm", "Metrics"),
            RequestMember("metricQueries[].id", "PutMetricAlarm", "Metrics[].Id"),
            RequestMember("metricQueries[].expression", "PutMetricAlarm", "Metrics[].Expression"),
            RequestMember("metricQueries[].label", "PutMetricAlarm", "Metrics[].Label"),
            RequestMember("metricQueries[].returnData", "PutMetricAlarm", "Metrics[].ReturnData"),
            RequestMember(
                "metricQueries[].metric.namespace", "PutMetricAlarm", "Metrics[].MetricStat.Metric.Namespace"
            ),
            RequestMember(
                "metricQueries[].metric.metricName", "PutMetricAlarm", "Metrics[].MetricStat.Metric.MetricName"
            ),
            RequestMember("metricQueries[].metric.stat", "PutMetricAlarm", "Metrics[].MetricStat.Stat"),
            RequestMember("metricQueries[].metric.period", "PutMetricAlarm", "Metrics[].MetricStat.Period"),
            RequestMember(
                "metricQueries[].metric.dimensions{key}",
                "PutMetricAlarm",
                "Metrics[].MetricStat.Metric.Dimensions[].Name",
            ),
            RequestMember(
                "metricQueries[].metric.dimensions{value}",
                "PutMetricAlarm",
                "Metrics[].MetricStat.Metric.Dimensions[].Value",
                NAME_KEYS,
            ),
            *_tag_list("PutMetricAlarm"),
        ),
    ),
    "aws:cloudwatch/dashboard:Dashboard": ResourceModel(
        "cloudwatch",
        (
            RequestMember(
                "dashboardName",
                "PutDashboard",
                "DashboardName",
                NAME_KEYS,
                documented(
                    "CloudWatch PutDashboard DashboardName, "
                    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
                    pattern=r"[A-Za-z0-9_-]+",
                    maximum=naming.NAME_RULES[naming.CLOUDWATCH_DASHBOARD].max_length,
                ),
            ),
        ),
    ),
    "aws:cloudwatch/logGroup:LogGroup": ResourceModel(
        "logs",
        (
            RequestMember("name", "CreateLogGroup", "logGroupName", NAME_KEYS),
            RequestMember(
                "retentionInDays",
                "PutRetentionPolicy",
                "retentionInDays",
                ("log_retention_days",),
                documented(
                    "CloudWatch Logs PutRetentionPolicy retentionInDays, "
                    "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html",
                    "retention",
                ),
            ),
            *_tag_map("CreateLogGroup", "tags"),
        ),
    ),
    "aws:cloudwatch/logStream:LogStream": ResourceModel(
        "logs",
        (
            RequestMember("name", "CreateLogStream", "logStreamName"),
            RequestMember("logGroupName", "CreateLogStream", "logGroupName", NAME_KEYS),
        ),
    ),
    "aws:cloudwatch/eventRule:EventRule": ResourceModel(
        "events",
        (
            RequestMember("name", "PutRule", "Name", NAME_KEYS),
            RequestMember(
                "scheduleExpression",
                "PutRule",
                "ScheduleExpression",
                documented=documented(
                    "EventBridge schedule expressions, "
                    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html",
                    pattern=r"rate\(1 (minute|hour|day)\)|rate\([1-9][0-9]* (minutes|hours|days)\)|cron\(.+\)",
                ),
            ),
            RequestMember("description", "PutRule", "Description", NAME_KEYS),
            *_tag_list("PutRule"),
        ),
    ),
    "aws:cloudwatch/eventTarget:EventTarget": ResourceModel(
        "events",
        (
            RequestMember("rule", "PutTargets", "Rule", NAME_KEYS),
            RequestMember("targetId", "PutTargets", "Targets[].Id"),
        ),
    ),
    "aws:glue/catalogDatabase:CatalogDatabase": ResourceModel(
        "glue",
        (
            RequestMember(
                "name",
                "CreateDatabase",
                "DatabaseInput.Name",
                NAME_KEYS,
                documented(
                    "Athena names, https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html",
                    pattern=r"[a-z0-9_]+",
                    maximum=255,
                ),
            ),
            RequestMember("description", "CreateDatabase", "DatabaseInput.Description"),
        ),
    ),
    "aws:glue/catalogTable:CatalogTable": ResourceModel(
        "glue",
        (
            RequestMember("name", "CreateTable", "TableInput.Name"),
            RequestMember("tableType", "CreateTable", "TableInput.TableType"),
            RequestMember("parameters{key}", "CreateTable", "TableInput.Parameters{key}"),
            RequestMember("parameters{value}", "CreateTable", "TableInput.Parameters{value}"),
            RequestMember("storageDescriptor.location", "CreateTable", "TableInput.StorageDescriptor.Location"),
            RequestMember("storageDescriptor.inputFormat", "CreateTable", "TableInput.StorageDescriptor.InputFormat"),
            RequestMember("storageDescriptor.outputFormat", "CreateTable", "TableInput.StorageDescriptor.OutputFormat"),
            RequestMember(
                "storageDescriptor.serDeInfo.serializationLibrary",
                "CreateTable",
                "TableInput.StorageDescriptor.SerdeInfo.SerializationLibrary",
            ),
            RequestMember(
                "storageDescriptor.columns[].name", "CreateTable", "TableInput.StorageDescriptor.Columns[].Name"
            ),
            RequestMember(
                "storageDescriptor.columns[].type", "CreateTable", "TableInput.StorageDescriptor.Columns[].Type"
            ),
            RequestMember("partitionKeys[].name", "CreateTable", "TableInput.PartitionKeys[].Name"),
            RequestMember("partitionKeys[].type", "CreateTable", "TableInput.PartitionKeys[].Type"),
        ),
    ),
    "aws:athena/workgroup:Workgroup": ResourceModel(
        "athena",
        (
            RequestMember("name", "CreateWorkGroup", "Name", NAME_KEYS),
            RequestMember(
                "configuration.bytesScannedCutoffPerQuery",
                "CreateWorkGroup",
                "Configuration.BytesScannedCutoffPerQuery",
            ),
            RequestMember(
                "configuration.resultConfiguration.encryptionConfiguration.encryptionOption",
                "CreateWorkGroup",
                "Configuration.ResultConfiguration.EncryptionConfiguration.EncryptionOption",
            ),
            *_tag_list("CreateWorkGroup"),
        ),
    ),
}

# Types the program creates that have no member worth checking, and why (a test keeps this and the table complete).
UNCHECKED_TYPES: dict[str, str] = {
    "pulumi:providers:aws": "the provider itself: no AWS request",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "four booleans",
    "aws:s3/bucketLogging:BucketLogging": "a bucket reference and a constant prefix the model does not constrain",
    "aws:sqs/queuePolicy:QueuePolicy": "a queue URL the mocks compute and a policy document",
    "aws:sns/topicPolicy:TopicPolicy": "a topic ARN the mocks compute and a policy document",
}

# Names AWS keeps unique, per type: (kind, input holding the name, scope of uniqueness).
UNIQUE_NAMES: dict[str, tuple[str, str, str]] = {
    "aws:kms/alias:Alias": (naming.KMS_ALIAS, "name", "region"),
    "aws:iam/role:Role": (naming.IAM_ROLE, "name", "account"),
    "aws:lambda/function:Function": (naming.LAMBDA_FUNCTION, "name", "region"),
    "aws:kinesis/stream:Stream": (naming.KINESIS_STREAM, "name", "region"),
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": (naming.FIREHOSE_STREAM, "name", "region"),
    "aws:dynamodb/table:Table": (naming.DYNAMODB_TABLE, "name", "region"),
    "aws:sqs/queue:Queue": (naming.SQS_QUEUE, "name", "region"),
    "aws:sns/topic:Topic": (naming.SNS_TOPIC, "name", "region"),
    "aws:cloudwatch/logGroup:LogGroup": (naming.LOG_GROUP, "name", "region"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (naming.CLOUDWATCH_ALARM, "name", "region"),
    "aws:cloudwatch/dashboard:Dashboard": (naming.CLOUDWATCH_DASHBOARD, "dashboardName", "account"),
    "aws:cloudwatch/eventRule:EventRule": (naming.EVENTBRIDGE_RULE, "name", "region"),
    "aws:glue/catalogDatabase:CatalogDatabase": (naming.GLUE_DATABASE, "name", "region"),
    "aws:athena/workgroup:Workgroup": (naming.ATHENA_WORKGROUP, "name", "region"),
    # A bucket named outright; one named by `bucketPrefix` gets a unique suffix from the provider.
    "aws:s3/bucket:Bucket": ("S3 bucket", "bucket", "global"),
}


@dataclass
class _Ancestry:
    """Tenant, stream and consumer of each resource, from the components above it (infra/components)."""

    by_urn: dict[str, RegisteredResource] = field(default_factory=dict)

    def of(self, resource: RegisteredResource) -> tuple[str | None, str | None, bool]:
        tenant = stream_component = None
        in_consumer = False
        parent = self.by_urn.get(resource.parent)
        while parent is not None:
            if parent.type == "streaming:platform:TenantPipeline":
                tenant = parent.name
            elif parent.type == "streaming:platform:StreamPipeline":
                stream_component = parent.name
            elif parent.type == "streaming:platform:StreamConsumer":
                in_consumer = True
            parent = self.by_urn.get(parent.parent)
        stream = stream_component.removeprefix(f"{tenant}-") if stream_component and tenant else None
        return tenant, stream, in_consumer


def _is_unknown(value: Any) -> bool:
    return value == rpc.UNKNOWN or isinstance(value, Unknown)


def values_at(
    node: Any, parts: Sequence[str], path: tuple[str | int, ...] = ()
) -> Iterator[tuple[Any, tuple[str | int, ...]]]:
    """(value, concrete path) for each value the input path reaches (`rules[].status` -> each rule's status)."""
    if not parts:
        yield node, path
        return
    part, rest = parts[0], parts[1:]
    if part == "[]" and isinstance(node, list):
        for index, item in enumerate(node):
            yield from values_at(item, rest, (*path, index))
    elif part == "{key}" and isinstance(node, dict):
        for key in node:
            yield key, (*path, str(key))
    elif part == "{value}" and isinstance(node, dict):
        for key, item in node.items():
            yield from values_at(item, rest, (*path, str(key)))
    elif isinstance(node, dict) and part in node:
        yield from values_at(node[part], rest, (*path, part))


def config_value(config: PlatformConfig, key: str) -> Any:
    """The value at a dotted config key, or None where nothing is set."""
    node: Any = config
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else getattr(node, part, None)
        if node is None:
            return None
    return node


def config_key(context: InputContext, sources: Sequence[ConfigSource], config: PlatformConfig) -> str | None:
    """The first of `sources` that resolves for this resource and is set in the config."""
    stream_key = f"tenants.{context.tenant}.streams.{context.stream}" if context.tenant and context.stream else None
    placeholders = {
        "{tenant}": f"tenants.{context.tenant}" if context.tenant else None,
        "{stream}": stream_key,
        "{consumer}": f"{stream_key}.consumer" if stream_key and context.in_consumer else None,
    }
    for source in sources:
        key = source(context) if callable(source) else source
        if key is None:
            continue
        for placeholder, replacement in placeholders.items():
            if placeholder in key:
                key = key.replace(placeholder, replacement) if replacement else None
                if key is None:
                    break
        if key is not None and config_value(config, key) is not None:
            return key
    return None


def _rules_of(model: ResourceModel, member: RequestMember) -> list[MemberRules]:
    rules = [member_rules(model.service, member.operation, member.member)] if member.member else []
    return [*rules, member.documented] if member.documented else rules


def _documented_problems(rules: MemberRules, value: Any) -> list[str]:
    """The rules botocore's shapes have no type for: aggregate sizes, policy lengths, the retention set."""
    if rules.type_name == "aggregate-bytes" and isinstance(value, dict):
        size = sum(len(str(key).encode()) + len(str(item).encode()) for key, item in value.items())
        if rules.maximum is not None and size > rules.maximum:
            return [f"is {size} bytes in aggregate, above the maximum of {rules.maximum:g}"]
        return []
    if rules.type_name == "policy" and isinstance(value, str):
        size = len(re.sub(r"\s", "", value))
        if rules.maximum is not None and size > rules.maximum:
            return [f"is {size} characters without white space, above the maximum of {rules.maximum:g}"]
        return []
    if rules.type_name == "retention" and isinstance(value, int | float):
        if value not in aws.CLOUDWATCH_LOGS_RETENTION_DAYS:
            return [f"is not one of {', '.join(map(str, aws.CLOUDWATCH_LOGS_RETENTION_DAYS))}"]
        return []
    return rules.problems(value)


def check_inputs(run: ProgramRun, config: PlatformConfig) -> list[ModelViolation]:
    """Every mapped input of every resource, checked against its request member's rules."""
    ancestry = _Ancestry({resource.urn: resource for resource in run.resources})
    violations = []
    for resource in run.resources:
        model = REQUEST_MEMBERS.get(resource.type)
        if model is None:
            continue
        tenant, stream, in_consumer = ancestry.of(resource)
        for member in model.members:
            for value, path in values_at(resource.inputs, PATH_PART.findall(member.input)):
                if value is None or _is_unknown(value):
                    continue
                for rules in _rules_of(model, member):
                    for problem in _documented_problems(rules, value):
                        context = InputContext(resource, path, tenant, stream, in_consumer)
                        violations.append(
                            ModelViolation(
                                resource.type,
                                resource.name,
                                context.display_path,
                                value,
                                problem,
                                rules.source,
                                config_key(context, member.config, config),
                            )
                        )
    return violations


def check_unique_names(run: ProgramRun, config: PlatformConfig, region: str) -> list[ModelViolation]:
    """No two resources of the stack take a name AWS keeps unique in the same scope."""
    ancestry = _Ancestry({resource.urn: resource for resource in run.resources})
    seen: dict[tuple[str, ...], RegisteredResource] = {}
    violations = []
    for resource in run.resources:
        if resource.type not in UNIQUE_NAMES:
            continue
        kind, name_input, scope = UNIQUE_NAMES[resource.type]
        name = resource.inputs.get(name_input)
        if not isinstance(name, str) or _is_unknown(name):
            continue  # autonamed: the provider adds a unique suffix
        where = {"region": (str(resource.inputs.get("region") or region),), "account": (), "global": ()}[scope]
        if resource.type == "aws:cloudwatch/eventRule:EventRule":
            where = (*where, str(resource.inputs.get("eventBusName") or "default"))
        other = seen.setdefault((kind, *where, name), resource)
        if other is not resource:
            tenant, stream, in_consumer = ancestry.of(resource)
            context = InputContext(resource, (name_input,), tenant, stream, in_consumer)
            violations.append(
                ModelViolation(
                    resource.type,
                    resource.name,
                    name_input,
                    name,
                    f"is also the {kind} name of {other.name}",
                    f"AWS keeps {kind} names unique per {'account and region' if scope == 'region' else scope}; "
                    "pulumi up would fail with AlreadyExists",
                    config_key(context, NAME_KEYS, config),
                )
            )
    return violations


def check_program(run: ProgramRun, config_values: Mapping[str, Any]) -> list[ModelViolation]:
    """Every input against AWS's API models, and every unique name once: what plan and local up refuse."""
    config = config_from_pulumi_values(config_values, stack=run.stack)
    region = str(config_values.get("aws:region") or DEFAULT_REGION)
    return check_inputs(run, config) + check_unique_names(run, config, region)


def require_api_models(run: ProgramRun, config_values: Mapping[str, Any]) -> None:
    """Raise ApiModelError when AWS would refuse any input of the run."""
    violations = check_program(run, config_values)
    if violations:
        raise ApiModelError(run.stack, violations)
