"""Resource rules: one guardrail per function over a resource's type and engine properties.

Each rule is the equivalent of a cdk-nag AwsSolutions check (named in `cdk_nag`) or one of our
defaults. The checks are pure functions of the property bag pulumi_policy hands a policy as
`args.props` (camelCase, as the engine sees inputs), so tests run them on the mock runtime's graph
without starting the policy server; `policy.pack` wraps them as ResourceValidationPolicy objects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from policy.properties import (
    PolicyDocumentError,
    PropertyMap,
    as_list,
    is_set,
    nested,
    policy_document,
    statements,
)

Check = Callable[[PropertyMap], list[str]]

KINESIS_STREAM = "aws:kinesis/stream:Stream"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
DYNAMODB_TABLE = "aws:dynamodb/table:Table"
SQS_QUEUE = "aws:sqs/queue:Queue"
SNS_TOPIC = "aws:sns/topic:Topic"
S3_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
IAM_IDENTITY_POLICIES = frozenset(
    {
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/policy:Policy",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy",
    }
)

# Actions that AWS only authorizes on Resource "*" (no required resource type in the Service Authorization
# Reference; tests/policy/test_resource_types.py holds this list to the iam-data the proof's simulator uses).
ACTIONS_REQUIRING_ANY_RESOURCE = frozenset(
    {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "cloudwatch:GetMetricData",
        "cloudwatch:PutMetricData",
        "kinesis:UpdateShardCount",
        "kinesis:UpdateStreamMode",
    }
)
# Only AWS may create aliases under alias/aws/ (aws/kinesis, aws/s3, ...): they name AWS managed keys.
AWS_MANAGED_ALIAS_PREFIX = "alias/aws/"
PUBLIC_ACCESS_BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
# Event sources whose mappings retry a shard in order: the ones a poison record can block.
ORDERED_STREAM_SERVICES = (":kinesis:", ":dynamodb:")


@dataclass(frozen=True)
class ResourceRule:
    """A policy over single resources of the listed types; `check` returns one message per violation."""

    name: str
    description: str
    resource_types: frozenset[str]
    check: Check
    cdk_nag: str | None = None

    def validate(self, resource_type: str, props: PropertyMap) -> list[str]:
        if resource_type not in self.resource_types:
            return []
        return self.check(props)


def _customer_key(key: object, field: str) -> list[str]:
    if not is_set(key):
        return [f"{field} is not set: name the customer managed KMS key"]
    if AWS_MANAGED_ALIAS_PREFIX in str(key):
        return [f"{field} is the AWS managed key {key}: use a customer managed key (rotation, key policy, audit)"]
    return []


def kinesis_stream_kms(props: PropertyMap) -> list[str]:
    encryption = props.get("encryptionType")
    if encryption != "KMS":
        return [f"encryptionType is {encryption!r}: set 'KMS' with kmsKeyId so records are encrypted at rest"]
    return _customer_key(props.get("kmsKeyId"), "kmsKeyId")


def dynamodb_table_kms(props: PropertyMap) -> list[str]:
    if nested(props, "serverSideEncryption", "enabled") is not True:
        return ["serverSideEncryption.enabled is not true: the table uses an AWS owned key"]
    return _customer_key(nested(props, "serverSideEncryption", "kmsKeyArn"), "serverSideEncryption.kmsKeyArn")


def dynamodb_table_pitr(props: PropertyMap) -> list[str]:
    if nested(props, "pointInTimeRecovery", "enabled") is not True:
        return ["pointInTimeRecovery.enabled is not true: a bad write cannot be rolled back"]
    return []


def sqs_queue_kms(props: PropertyMap) -> list[str]:
    return _customer_key(props.get("kmsMasterKeyId"), "kmsMasterKeyId")


def sns_topic_kms(props: PropertyMap) -> list[str]:
    return _customer_key(props.get("kmsMasterKeyId"), "kmsMasterKeyId")


def firehose_kms(props: PropertyMap) -> list[str]:
    violations: list[str] = []
    # A Kinesis-sourced delivery stream takes the source stream's encryption; SSE applies to Direct PUT only.
    if not is_set(props.get("kinesisSourceConfiguration")):
        if nested(props, "serverSideEncryption", "enabled") is not True:
            violations.append("serverSideEncryption.enabled is not true: buffered records are not encrypted")
        elif nested(props, "serverSideEncryption", "keyType") != "CUSTOMER_MANAGED_CMK":
            violations.append(
                f"serverSideEncryption.keyType is {nested(props, 'serverSideEncryption', 'keyType')!r}: "
                "use CUSTOMER_MANAGED_CMK with keyArn"
            )
        else:
            violations += _customer_key(nested(props, "serverSideEncryption", "keyArn"), "serverSideEncryption.keyArn")
    if props.get("destination") == "extended_s3" or is_set(props.get("extendedS3Configuration")):
        violations += _customer_key(
            nested(props, "extendedS3Configuration", "kmsKeyArn"), "extendedS3Configuration.kmsKeyArn"
        )
    return violations


def s3_public_access_block_complete(props: PropertyMap) -> list[str]:
    off = [flag for flag in PUBLIC_ACCESS_BLOCK_FLAGS if props.get(flag) is not True]
    return [f"{', '.join(off)} must be true: all four public access block settings are required"] if off else []


def _denies_insecure_transport(statement: dict[str, object]) -> bool:
    secure_transport = nested(statement, "Condition", "Bool", "aws:SecureTransport")
    actions = as_list(statement.get("Action"))
    return (
        statement.get("Effect") == "Deny"
        and statement.get("Principal") in ("*", {"AWS": "*"})
        and str(secure_transport).lower() == "false"
        and any(action in ("*", "s3:*") for action in actions)
    )


def _covers_bucket_and_objects(statement: dict[str, object]) -> bool:
    """A deny on the bucket ARN alone leaves GetObject/PutObject on its objects allowed over HTTP."""
    resources = [str(resource) for resource in as_list(statement.get("Resource"))]
    return any(r.endswith("/*") for r in resources) and any(not r.endswith("*") for r in resources)


def s3_bucket_policy_tls_only(props: PropertyMap) -> list[str]:
    try:
        document = policy_document(props.get("policy"), where="policy")
    except PolicyDocumentError as error:
        return [str(error)]
    denials = [(label, s) for label, s in statements(document) if _denies_insecure_transport(s)]
    if not denials:
        return [
            "policy has no statement denying s3:* to Principal '*' when aws:SecureTransport is false: "
            "requests over plain HTTP are allowed"
        ]
    if not any(_covers_bucket_and_objects(statement) for _, statement in denials):
        labels = ", ".join(label for label, _ in denials)
        return [f"{labels}: the TLS deny must name both the bucket ARN and its objects (<bucket ARN>/*)"]
    return []


def _ordered_stream_source(props: PropertyMap) -> bool:
    source = str(props.get("eventSourceArn") or "")
    return any(service in source for service in ORDERED_STREAM_SERVICES)


def esm_on_failure_destination(props: PropertyMap) -> list[str]:
    if not _ordered_stream_source(props):
        return []
    if not is_set(nested(props, "destinationConfig", "onFailure", "destinationArn")):
        return ["destinationConfig.onFailure.destinationArn is not set: records that exhaust retries are lost"]
    return []


def esm_bisect_on_error(props: PropertyMap) -> list[str]:
    if _ordered_stream_source(props) and props.get("bisectBatchOnFunctionError") is not True:
        return ["bisectBatchOnFunctionError is not true: one poison record fails its whole batch until it expires"]
    return []


def esm_finite_retries(props: PropertyMap) -> list[str]:
    if not _ordered_stream_source(props):
        return []
    retries = props.get("maximumRetryAttempts")
    if retries is None or float(retries) < 0:
        return [f"maximumRetryAttempts is {retries!r} (unset means -1, infinite): a poison record blocks its shard"]
    return []


def esm_max_record_age(props: PropertyMap) -> list[str]:
    if not _ordered_stream_source(props):
        return []
    age = props.get("maximumRecordAgeInSeconds")
    if age is None or float(age) < 0:
        return [f"maximumRecordAgeInSeconds is {age!r} (unset means -1, until the record expires): set 60-604800"]
    return []


def _iam_statements(props: PropertyMap) -> tuple[list[tuple[str, dict[str, object]]], list[str]]:
    try:
        document = policy_document(props.get("policy"), where="policy")
    except PolicyDocumentError as error:
        return [], [str(error)]
    return [(label, s) for label, s in statements(document) if s.get("Effect") == "Allow"], []


def _is_wildcard_action(action: str) -> bool:
    return action == "*" or action.endswith(":*")


def iam_no_wildcard_actions(props: PropertyMap) -> list[str]:
    allowed, violations = _iam_statements(props)
    for label, statement in allowed:
        if "NotAction" in statement:
            violations.append(f"{label}: Allow with NotAction grants every other action; list the actions")
        wildcards = sorted(str(a) for a in as_list(statement.get("Action")) if _is_wildcard_action(str(a)))
        if wildcards:
            violations.append(f"{label}: wildcard action {', '.join(wildcards)}; list the actions the code calls")
    return violations


def iam_no_wildcard_resources(props: PropertyMap) -> list[str]:
    allowed, violations = _iam_statements(props)
    for label, statement in allowed:
        if "NotResource" in statement:
            violations.append(f"{label}: Allow with NotResource grants every other resource; list the ARNs")
        if "*" not in as_list(statement.get("Resource")):
            continue
        scoped = sorted(str(a) for a in as_list(statement.get("Action")) if a not in ACTIONS_REQUIRING_ANY_RESOURCE)
        if scoped:
            violations.append(
                f"{label}: Resource '*' for {', '.join(scoped)}, which support resource-level permissions; "
                f"only {', '.join(sorted(ACTIONS_REQUIRING_ANY_RESOURCE))} may use '*'"
            )
    return violations


def alarm_has_actions(props: PropertyMap) -> list[str]:
    if props.get("actionsEnabled") is False:
        return ["actionsEnabled is false: the alarm notifies nobody"]
    if not as_list(props.get("alarmActions")):
        return ["alarmActions is empty: the alarm notifies nobody (point it at the alarm topic)"]
    return []


def log_group_retention(props: PropertyMap) -> list[str]:
    retention = props.get("retentionInDays")
    if retention is None or float(retention) <= 0:
        return [f"retentionInDays is {retention!r}: logs are kept (and billed) forever"]
    return []


RESOURCE_RULES: Sequence[ResourceRule] = (
    ResourceRule(
        "kinesis-stream-kms-encrypted",
        "Kinesis streams are encrypted with a customer managed KMS key.",
        frozenset({KINESIS_STREAM}),
        kinesis_stream_kms,
        "AwsSolutions-KDS1, AwsSolutions-KDS3",
    ),
    ResourceRule(
        "dynamodb-table-kms-encrypted",
        "DynamoDB tables are encrypted with a customer managed KMS key.",
        frozenset({DYNAMODB_TABLE}),
        dynamodb_table_kms,
    ),
    ResourceRule(
        "dynamodb-table-point-in-time-recovery",
        "DynamoDB tables have point-in-time recovery.",
        frozenset({DYNAMODB_TABLE}),
        dynamodb_table_pitr,
        "AwsSolutions-DDB3",
    ),
    ResourceRule(
        "sqs-queue-kms-encrypted",
        "SQS queues are encrypted with a customer managed KMS key.",
        frozenset({SQS_QUEUE}),
        sqs_queue_kms,
        "AwsSolutions-SQS2",
    ),
    ResourceRule(
        "sns-topic-kms-encrypted",
        "SNS topics are encrypted with a customer managed KMS key.",
        frozenset({SNS_TOPIC}),
        sns_topic_kms,
        "AwsSolutions-SNS2",
    ),
    ResourceRule(
        "firehose-kms-encrypted",
        "Firehose delivery streams encrypt buffered records and their S3 objects with customer managed keys.",
        frozenset({FIREHOSE}),
        firehose_kms,
        "AwsSolutions-KDF1",
    ),
    ResourceRule(
        "s3-public-access-block-complete",
        "S3 public access blocks turn on all four settings.",
        frozenset({S3_PUBLIC_ACCESS_BLOCK}),
        s3_public_access_block_complete,
        "AwsSolutions-S2",
    ),
    ResourceRule(
        "s3-bucket-policy-tls-only",
        "S3 bucket policies deny requests that do not use TLS.",
        frozenset({S3_BUCKET_POLICY}),
        s3_bucket_policy_tls_only,
        "AwsSolutions-S10",
    ),
    ResourceRule(
        "event-source-mapping-on-failure-destination",
        "Stream event source mappings send records that exhaust retries to an on-failure destination.",
        frozenset({EVENT_SOURCE_MAPPING}),
        esm_on_failure_destination,
    ),
    ResourceRule(
        "event-source-mapping-bisect-on-error",
        "Stream event source mappings bisect a failing batch.",
        frozenset({EVENT_SOURCE_MAPPING}),
        esm_bisect_on_error,
    ),
    ResourceRule(
        "event-source-mapping-finite-retries",
        "Stream event source mappings retry a finite number of times.",
        frozenset({EVENT_SOURCE_MAPPING}),
        esm_finite_retries,
    ),
    ResourceRule(
        "event-source-mapping-max-record-age",
        "Stream event source mappings give up on records older than a maximum age.",
        frozenset({EVENT_SOURCE_MAPPING}),
        esm_max_record_age,
    ),
    ResourceRule(
        "iam-no-wildcard-actions",
        "IAM identity policies name their actions (no '*' or 'service:*', no NotAction).",
        IAM_IDENTITY_POLICIES,
        iam_no_wildcard_actions,
        "AwsSolutions-IAM5",
    ),
    ResourceRule(
        "iam-no-wildcard-resources",
        "IAM identity policies name their resources, except for actions AWS only grants on '*'.",
        IAM_IDENTITY_POLICIES,
        iam_no_wildcard_resources,
        "AwsSolutions-IAM5",
    ),
    ResourceRule(
        "cloudwatch-alarm-has-actions",
        "CloudWatch alarms notify someone when they fire.",
        frozenset({METRIC_ALARM}),
        alarm_has_actions,
    ),
    ResourceRule(
        "log-group-retention",
        "CloudWatch log groups have a retention period.",
        frozenset({LOG_GROUP}),
        log_group_retention,
    ),
)
