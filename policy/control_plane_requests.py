"""The control-plane catalogue: every request the deploy role makes to create, read, update (tag) and delete the
program's resources, derived from one stack's recorded graph.

pulumi-aws is a bridge of the Terraform AWS provider, so a resource's calls are those of its upstream resource
(https://github.com/hashicorp/terraform-provider-aws/tree/main/internal/service, `TF_SOURCE` below names each file).
Each call becomes the IAM request AWS authorizes for it: its action, the ARN of every resource type the Service
Authorization Reference lists for that action (`policy.deploy_role.SERVICE_REFERENCE`), or "*" where it lists none,
and the condition keys the deploy role's document tests. A type with no entry here fails the catalogue, so a new
kind of resource cannot be deployed with grants nobody checked.

Calls the provider makes without any permission are left out: sts:GetCallerIdentity ("No permissions are required",
https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html) and the provider's local region
check (`skipRegionValidation`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from infra import defaults
from infra.mock_runtime import RegisteredResource
from policy.deploy_role import STATE_KEY_ALIAS, DeployScope, state_bucket
from policy.iam_simulator import ContextValue

Operation = Literal["create", "read", "update", "delete"]
OPERATIONS: tuple[Operation, ...] = ("create", "read", "update", "delete")
TF = "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/"

# Why some calls need more than the resource's own action.
# Tags sent with a create are authorized as the service's tagging action too: IAM's CreateRole needs iam:TagRole
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags_roles.html), and CloudWatch Logs answers "not authorized
# to perform CreateLogGroup with Tags. An additional permission "logs:TagResource" is required". The catalogue
# models every taggable type so (the tagging action is granted for updates anyway, so this widens nothing).
TAG_ON_CREATE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags_roles.html"
# CreateFunction and UpdateFunctionConfiguration need lambda:GetLayerVersion on every layer version they add, and
# lambda:Layer holds those versions' ARNs; iam:PassRole of the execution role to lambda.amazonaws.com.
LAMBDA_PERMISSIONS = "https://docs.aws.amazon.com/lambda/latest/dg/permissions-user-layer.html"
# Powertools publishes its layers in AWS's account 017000801446 for everyone (`Principal: "*"`).
POWERTOOLS_LAYER = "https://docs.powertools.aws.dev/lambda/python/latest/#lambda-layer"
# A table with a customer managed key: DynamoDB calls kms:DescribeKey and kms:CreateGrant with the caller's
# credentials (kms:ViaService dynamodb.<region>).
DYNAMODB_KMS = "https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html"
# CUSTOMER_MANAGED_CMK: "Firehose invokes the Amazon KMS operation CreateGrant".
FIREHOSE_KMS = (
    "https://docs.aws.amazon.com/firehose/latest/APIReference/API_DeliveryStreamEncryptionConfigurationInput.html"
)
# Replication: PutBucketReplication passes the replication role to s3.amazonaws.com.
S3_REPLICATION_PASS_ROLE = (
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html"
)
# Subscribe, Unsubscribe, Get/SetSubscriptionAttributes: "Resource: arn:aws:sns:region:account-id:topic_name".
SNS_API_PERMISSIONS = (
    "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html"
)
# DescribeLogGroups, TF issue #8804 and the Service Authorization Reference: no resource type, "*".
LOGS_DESCRIBE = "https://github.com/hashicorp/terraform-provider-aws/issues/8804"
# The default key policy lets the account's IAM policies grant use of the key.
KMS_DEFAULT_KEY_POLICY = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"
# The DIY backend keeps `.pulumi/stacks/<project>/<stack>.json`, its history, backups and `.pulumi/locks/`.
STATE_BACKEND = "https://www.pulumi.com/docs/iac/concepts/state-and-backends/#aws-s3"

# Where each resource type's calls come from (the upstream Terraform resource that pulumi-aws bridges).
TF_SOURCE = {
    "aws:athena/workgroup:Workgroup": TF + "athena/workgroup.go",
    "aws:cloudwatch/dashboard:Dashboard": TF + "cloudwatch/dashboard.go",
    "aws:cloudwatch/eventRule:EventRule": TF + "events/rule.go",
    "aws:cloudwatch/eventTarget:EventTarget": TF + "events/target.go",
    "aws:cloudwatch/logGroup:LogGroup": TF + "logs/group.go",
    "aws:cloudwatch/logStream:LogStream": TF + "logs/stream.go",
    "aws:cloudwatch/metricAlarm:MetricAlarm": TF + "cloudwatch/metric_alarm.go",
    "aws:dynamodb/table:Table": TF + "dynamodb/table.go",
    "aws:glue/catalogDatabase:CatalogDatabase": TF + "glue/catalog_database.go",
    "aws:glue/catalogTable:CatalogTable": TF + "glue/catalog_table.go",
    "aws:iam/role:Role": TF + "iam/role.go",
    "aws:iam/rolePolicy:RolePolicy": TF + "iam/role_policy.go",
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": TF + "firehose/delivery_stream.go",
    "aws:kinesis/stream:Stream": TF + "kinesis/stream.go",
    "aws:kms/alias:Alias": TF + "kms/alias.go",
    "aws:kms/key:Key": TF + "kms/key.go",
    "aws:lambda/eventSourceMapping:EventSourceMapping": TF + "lambda/event_source_mapping.go",
    "aws:lambda/function:Function": TF + "lambda/function.go",
    "aws:lambda/layerVersion:LayerVersion": TF + "lambda/layer_version.go",
    "aws:lambda/permission:Permission": TF + "lambda/permission.go",
    "aws:s3/bucket:Bucket": TF + "s3/bucket.go",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": TF + "s3/bucket_lifecycle_configuration.go",
    "aws:s3/bucketLogging:BucketLogging": TF + "s3/bucket_logging.go",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": TF + "s3/bucket_ownership_controls.go",
    "aws:s3/bucketPolicy:BucketPolicy": TF + "s3/bucket_policy.go",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": TF + "s3/bucket_public_access_block.go",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": TF + "s3/bucket_replication_configuration.go",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        TF + "s3/bucket_server_side_encryption_configuration.go"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": TF + "s3/bucket_versioning.go",
    "aws:sns/topic:Topic": TF + "sns/topic.go",
    "aws:sns/topicPolicy:TopicPolicy": TF + "sns/topic_policy.go",
    "aws:sns/topicSubscription:TopicSubscription": TF + "sns/topic_subscription.go",
    "aws:sqs/queue:Queue": TF + "sqs/queue.go",
    "aws:sqs/queuePolicy:QueuePolicy": TF + "sqs/queue_policy.go",
}
# Registrations that are no AWS resource: the provider (its sts:GetCallerIdentity needs no permission).
NOT_AWS_RESOURCES = {"pulumi:providers:aws"}
STATE_BACKEND_TYPE = "state backend"


@dataclass(frozen=True)
class ControlPlaneRequest:
    """One request of a deploy as IAM authorizes it: the resource it serves, the call's action and resource ARN.

    `resource_account` and `resource_policy` are set only for a resource outside the stack's account and graph
    (the public Powertools layer); the proof reads every other resource policy from the graph.
    """

    name: str
    resource_type: str
    resource_name: str
    operation: Operation
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    resource_account: str | None = None
    resource_policy: Mapping[str, Any] | None = None

    @property
    def service(self) -> str:
        return self.action.split(":", 1)[0]


@dataclass(frozen=True)
class _Call:
    operation: Operation
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    resource_account: str | None = None
    resource_policy: Mapping[str, Any] | None = None


class _Stack:
    """Lookups across one stack's graph, and the ARNs it names, in the scope's partition."""

    def __init__(self, resources: Sequence[RegisteredResource], scope: DeployScope) -> None:
        self.resources = [r for r in resources if r.custom]
        self.scope = scope
        (provider,) = [r for r in self.resources if r.type == "pulumi:providers:aws"]
        default_tags = provider.inputs.get("defaultTags") or "{}"
        parsed = json.loads(default_tags) if isinstance(default_tags, str) else dict(default_tags)
        self.default_tags: dict[str, str] = dict(parsed.get("tags") or {})

    def of_type(self, typ: str) -> list[RegisteredResource]:
        return [r for r in self.resources if r.type == typ]

    def one(self, typ: str, where: Callable[[RegisteredResource], bool]) -> RegisteredResource:
        found = [r for r in self.of_type(typ) if where(r)]
        if len(found) != 1:
            raise KeyError(f"{len(found)} resources of type {typ} match")
        return found[0]

    def tags(self, resource: RegisteredResource) -> dict[str, str]:
        """The tags AWS stores: the provider's default tags and the resource's own (`tags_all`)."""
        return {**self.default_tags, **dict(resource.inputs.get("tags") or {})}

    def resource_tags(self, resource: RegisteredResource) -> dict[str, ContextValue]:
        return {f"aws:ResourceTag/{key}": value for key, value in sorted(self.tags(resource).items())}

    def request_tags(self, resource: RegisteredResource) -> dict[str, ContextValue]:
        tags = self.tags(resource)
        context: dict[str, ContextValue] = {f"aws:RequestTag/{k}": v for k, v in sorted(tags.items())}
        context["aws:TagKeys"] = tuple(sorted(tags))
        return context

    def key(self, arn_or_id: str) -> RegisteredResource:
        return self.one("aws:kms/key:Key", lambda k: arn_or_id in (k.outputs["arn"], k.outputs["keyId"]))

    def key_context(self, arn_or_id: str) -> tuple[str, dict[str, ContextValue]]:
        """A key's ARN and the tag keys AWS evaluates on it."""
        key = self.key(arn_or_id)
        return str(key.outputs["arn"]), self.resource_tags(key)

    def role_arn(self, role_id: str) -> str:
        return str(
            self.one("aws:iam/role:Role", lambda r: role_id in (r.outputs["id"], r.outputs["arn"])).outputs["arn"]
        )

    def function_arn(self, name_or_arn: str) -> str:
        function = self.one(
            "aws:lambda/function:Function", lambda f: name_or_arn in (f.outputs["name"], f.outputs["arn"])
        )
        return str(function.outputs["arn"])

    def bucket_arn(self, bucket: str) -> str:
        return f"arn:{self.scope.partition}:s3:::{bucket}"

    def glue_arns(self, database: str, table: str | None = None) -> list[str]:
        """Glue authorizes catalog, database and table actions on each of them (rootcatalog, database, table)."""
        arns = [self.scope.arn("glue", "catalog"), self.scope.arn("glue", f"database/{database}")]
        return arns + ([self.scope.arn("glue", f"table/{database}/{table}")] if table else [])


def _each(operation: Operation, actions: Sequence[str], resources: Sequence[str], **extra: Any) -> list[_Call]:
    return [_Call(operation, action, resource, **extra) for action in actions for resource in resources]


def _tagged(arn: str, tag: str, untag: str, list_tags: str) -> list[_Call]:
    """Tags sent with the create, read back, changed on update."""
    return [
        _Call("create", tag, arn),
        _Call("read", list_tags, arn),
        _Call("update", tag, arn),
        _Call("update", untag, arn),
    ]


# One function per resource type; the Service Authorization Reference page of each action's service is
# policy.deploy_role.SERVICE_REFERENCE[<service>], the provider source TF_SOURCE[<type>].


def kinesis_stream(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn = str(r.outputs["arn"])
    calls = [
        _Call("create", "kinesis:DescribeLimits", "*"),  # CustomizeDiff checks the shard limit at plan time
        _Call("create", "kinesis:CreateStream", arn),
        _Call("create", "kinesis:DescribeStreamSummary", arn),  # waits for ACTIVE, and every read
        _Call("create", "kinesis:IncreaseStreamRetentionPeriod", arn),
        *_tagged(arn, "kinesis:AddTagsToStream", "kinesis:RemoveTagsFromStream", "kinesis:ListTagsForStream"),
        _Call("update", "kinesis:UpdateShardCount", "*"),
        _Call("update", "kinesis:UpdateStreamMode", "*"),
        _Call("update", "kinesis:DecreaseStreamRetentionPeriod", arn),
        _Call("delete", "kinesis:DeleteStream", arn),
    ]
    if r.inputs.get("shardLevelMetrics"):
        calls += [
            _Call("create", "kinesis:EnableEnhancedMonitoring", "*"),
            _Call("update", "kinesis:DisableEnhancedMonitoring", "*"),
        ]
    if r.inputs.get("encryptionType") == "KMS":
        key_arn, key_tags = s.key_context(str(r.inputs["kmsKeyId"]))
        calls += [
            _Call("create", "kinesis:StartStreamEncryption", arn),
            _Call("create", "kinesis:StartStreamEncryption", key_arn, key_tags),
            _Call("update", "kinesis:StopStreamEncryption", arn),
            _Call("update", "kinesis:StopStreamEncryption", key_arn, key_tags),
        ]
    return calls


def kms_key(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn, tags = s.key_context(str(r.outputs["arn"]))
    return [
        _Call("create", "kms:CreateKey", "*", s.request_tags(r)),  # with its policy, tags and description
        *_each("create", ["kms:EnableKeyRotation"], [arn], context=tags),
        *_each(
            "read",
            ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
            [arn],
            context=tags,
        ),
        *_each(
            "update",
            [
                "kms:DisableKeyRotation",
                "kms:PutKeyPolicy",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:UpdateKeyDescription",
            ],
            [arn],
            context=tags,
        ),
        _Call("delete", "kms:ScheduleKeyDeletion", arn, tags),
    ]


def kms_alias(r: RegisteredResource, s: _Stack) -> list[_Call]:
    """CreateAlias, UpdateAlias and DeleteAlias are authorized on the alias and on the key."""
    alias_arn = str(r.outputs["arn"])
    key_arn, tags = s.key_context(str(r.inputs["targetKeyId"]))
    alias_calls: list[tuple[Operation, str]] = [
        ("create", "kms:CreateAlias"),
        ("update", "kms:UpdateAlias"),
        ("delete", "kms:DeleteAlias"),
    ]
    calls = [_Call("read", "kms:ListAliases", "*")]
    for operation, action in alias_calls:
        calls += [_Call(operation, action, alias_arn), _Call(operation, action, key_arn, tags)]
    return calls


def iam_role(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn = str(r.outputs["arn"])
    return [
        _Call("create", "iam:CreateRole", arn),
        _Call("create", "iam:TagRole", arn),
        *_each("read", ["iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"], [arn]),
        *_each(
            "update",
            ["iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription"],
            [arn],
        ),
        *_each("delete", ["iam:ListInstanceProfilesForRole", "iam:DeleteRole"], [arn]),
    ]


def iam_role_policy(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn = s.role_arn(str(r.inputs["role"]))
    return [
        _Call("create", "iam:PutRolePolicy", arn),
        _Call("read", "iam:GetRolePolicy", arn),
        _Call("delete", "iam:DeleteRolePolicy", arn),
    ]


def pass_role(operation: Operation, role_arn: str, service: str) -> _Call:
    """iam:PassRole of `role_arn` to `service` (policy.deploy_role.PASS_ROLE)."""
    return _Call(operation, "iam:PassRole", role_arn, {"iam:PassedToService": service})


def lambda_function(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn = str(r.outputs["arn"])
    layers = tuple(str(layer) for layer in r.inputs.get("layers") or ())
    layer_context: dict[str, ContextValue] = {"lambda:Layer": layers} if layers else {}
    role = s.role_arn(str(r.inputs["role"]))
    calls = [
        _Call("create", "lambda:CreateFunction", arn, layer_context),
        pass_role("create", role, "lambda.amazonaws.com"),
        *_tagged(arn, "lambda:TagResource", "lambda:UntagResource", "lambda:ListTags"),
        *_each(
            "read",
            ["lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:ListVersionsByFunction"],
            [arn],
        ),
        _Call("update", "lambda:UpdateFunctionCode", arn),
        _Call("update", "lambda:UpdateFunctionConfiguration", arn, layer_context),
        _Call("delete", "lambda:DeleteFunction", arn),
    ]
    for layer in layers:
        account = layer.split(":")[4]
        if account == defaults.POWERTOOLS_LAYER_ACCOUNT:
            public = {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "lambda:GetLayerVersion", "Resource": layer}
                ],
            }
            calls.append(
                _Call("create", "lambda:GetLayerVersion", layer, resource_account=account, resource_policy=public)
            )
        else:
            calls.append(_Call("create", "lambda:GetLayerVersion", layer))
    return calls


def lambda_layer_version(r: RegisteredResource, s: _Stack) -> list[_Call]:
    version_arn = str(r.outputs["arn"])
    return [
        _Call("create", "lambda:PublishLayerVersion", str(r.outputs["layerArn"])),
        _Call("read", "lambda:GetLayerVersion", version_arn),
        _Call("delete", "lambda:DeleteLayerVersion", version_arn),
    ]


def lambda_event_source_mapping(r: RegisteredResource, s: _Stack) -> list[_Call]:
    """A mapping is named by UUID; lambda:FunctionArn names the function it invokes."""
    arn = str(r.outputs["arn"])
    function = {"lambda:FunctionArn": s.function_arn(str(r.inputs["functionName"]))}
    return [
        _Call("create", "lambda:CreateEventSourceMapping", "*", function),
        *_tagged(arn, "lambda:TagResource", "lambda:UntagResource", "lambda:ListTags"),
        _Call("read", "lambda:GetEventSourceMapping", arn, function),
        _Call("update", "lambda:UpdateEventSourceMapping", arn, function),
        _Call("delete", "lambda:DeleteEventSourceMapping", arn, function),
    ]


def lambda_permission(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn = s.function_arn(str(r.inputs["function"]))
    return [
        _Call("create", "lambda:AddPermission", arn),
        _Call("read", "lambda:GetPolicy", arn),
        _Call("delete", "lambda:RemovePermission", arn),
    ]


S3_BUCKET_READS = (
    "s3:ListBucket",  # HeadBucket
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketLogging",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketPolicy",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketVersioning",
    "s3:GetBucketWebsite",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
)


def s3_bucket(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn = str(r.outputs["arn"])
    return [
        _Call("create", "s3:CreateBucket", arn),
        _Call("create", "s3:PutBucketTagging", arn),
        *_each("read", [*S3_BUCKET_READS, "s3:GetBucketTagging"], [arn]),
        # force_destroy: every version and delete marker is listed and deleted by version id before DeleteBucket
        # (one object of any key stands for them all).
        *(
            [
                _Call("delete", "s3:ListBucketVersions", arn),
                _Call("delete", "s3:DeleteObjectVersion", f"{arn}/any/object-key"),
            ]
            if r.inputs.get("forceDestroy")
            else []
        ),
        _Call("delete", "s3:DeleteBucket", arn),
    ]


def s3_bucket_setting(
    put: str, get: str, delete: str | None = None
) -> Callable[[RegisteredResource, _Stack], list[_Call]]:
    """A bucket sub-resource: Put on create and update, Get on read; its Delete API needs `delete`, else `put`
    (DeletePublicAccessBlock needs s3:PutBucketPublicAccessBlock, DeleteBucketLifecycle s3:PutLifecycleConfiguration).
    """

    def calls(r: RegisteredResource, s: _Stack) -> list[_Call]:
        arn = s.bucket_arn(str(r.inputs["bucket"]))
        return [_Call("create", put, arn), _Call("read", get, arn), _Call("delete", delete or put, arn)]

    return calls


def s3_replication(r: RegisteredResource, s: _Stack) -> list[_Call]:
    return [
        *s3_bucket_setting("s3:PutReplicationConfiguration", "s3:GetReplicationConfiguration")(r, s),
        pass_role("create", s.role_arn(str(r.inputs["role"])), "s3.amazonaws.com"),  # S3_REPLICATION_PASS_ROLE
    ]


def sqs_queue(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn = str(r.outputs["arn"])
    return [
        _Call("create", "sqs:CreateQueue", arn),
        *_tagged(arn, "sqs:TagQueue", "sqs:UntagQueue", "sqs:ListQueueTags"),
        _Call("read", "sqs:GetQueueAttributes", arn),
        _Call("update", "sqs:SetQueueAttributes", arn),
        _Call("delete", "sqs:DeleteQueue", arn),
    ]


def sqs_queue_policy(r: RegisteredResource, s: _Stack) -> list[_Call]:
    queue = s.one("aws:sqs/queue:Queue", lambda q: q.outputs["url"] == r.inputs["queueUrl"])
    arn = str(queue.outputs["arn"])
    return [
        _Call("create", "sqs:SetQueueAttributes", arn),
        _Call("read", "sqs:GetQueueAttributes", arn),
    ]


def sns_topic(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn = str(r.outputs["arn"])
    return [
        _Call("create", "sns:CreateTopic", arn),
        *_tagged(arn, "sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource"),
        _Call("read", "sns:GetTopicAttributes", arn),
        _Call("update", "sns:SetTopicAttributes", arn),
        _Call("delete", "sns:DeleteTopic", arn),
    ]


def sns_topic_policy(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn = str(r.inputs["arn"])
    return [_Call("create", "sns:SetTopicAttributes", arn), _Call("read", "sns:GetTopicAttributes", arn)]


def sns_subscription(r: RegisteredResource, s: _Stack) -> list[_Call]:
    """SNS authorizes every subscription call on the topic's ARN, not the subscription's (SNS_API_PERMISSIONS)."""
    topic = str(r.inputs["topic"])
    return [
        _Call("create", "sns:Subscribe", topic),
        _Call("read", "sns:GetSubscriptionAttributes", topic),
        _Call("update", "sns:SetSubscriptionAttributes", topic),
        _Call("delete", "sns:Unsubscribe", topic),
    ]


def dynamodb_table(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn = str(r.outputs["arn"])
    calls = [
        _Call("create", "dynamodb:CreateTable", arn),
        *_tagged(arn, "dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:ListTagsOfResource"),
        _Call("create", "dynamodb:UpdateContinuousBackups", arn),  # point-in-time recovery
        _Call("create", "dynamodb:UpdateTimeToLive", arn),
        *_each(
            "read",
            ["dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive"],
            [arn],
        ),
        _Call("update", "dynamodb:UpdateTable", arn),  # also lifts deletion protection before a delete
        _Call("delete", "dynamodb:DeleteTable", arn),
    ]
    sse = r.inputs.get("serverSideEncryption") or {}
    if sse.get("kmsKeyArn"):
        key_arn, tags = s.key_context(str(sse["kmsKeyArn"]))
        via = {"kms:ViaService": f"dynamodb.{s.scope.region}.amazonaws.com"}
        calls += [
            _Call("create", "kms:DescribeKey", key_arn, {**tags, **via}),
            _Call("create", "kms:CreateGrant", key_arn, {**tags, **via, "kms:GrantIsForAWSResource": "true"}),
        ]
    return calls


def firehose_delivery_stream(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn = str(r.outputs["arn"])
    calls = [
        _Call("create", "firehose:CreateDeliveryStream", arn),
        *_tagged(
            arn, "firehose:TagDeliveryStream", "firehose:UntagDeliveryStream", "firehose:ListTagsForDeliveryStream"
        ),
        _Call("read", "firehose:DescribeDeliveryStream", arn),
        _Call("update", "firehose:UpdateDestination", arn),
        _Call("delete", "firehose:DeleteDeliveryStream", arn),
    ]
    destination = r.inputs.get("extendedS3Configuration") or {}
    if destination.get("roleArn"):
        calls.append(pass_role("create", s.role_arn(str(destination["roleArn"])), "firehose.amazonaws.com"))
    sse = r.inputs.get("serverSideEncryption") or {}
    if sse.get("enabled"):
        calls += [
            _Call("update", "firehose:StartDeliveryStreamEncryption", arn),
            _Call("update", "firehose:StopDeliveryStreamEncryption", arn),
        ]
        if sse.get("keyType") == "CUSTOMER_MANAGED_CMK":
            key_arn, tags = s.key_context(str(sse["keyArn"]))
            via = {"kms:ViaService": f"firehose.{s.scope.region}.amazonaws.com"}
            calls += [
                _Call("create", "kms:DescribeKey", key_arn, {**tags, **via}),
                _Call("create", "kms:CreateGrant", key_arn, {**tags, **via, "kms:GrantIsForAWSResource": "true"}),
            ]
    return calls


def event_rule(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn = str(r.outputs["arn"])
    return [
        _Call("create", "events:PutRule", arn),
        *_tagged(arn, "events:TagResource", "events:UntagResource", "events:ListTagsForResource"),
        _Call("read", "events:DescribeRule", arn),
        *_each("update", ["events:DisableRule", "events:EnableRule"], [arn]),
        _Call("delete", "events:DeleteRule", arn),
    ]


def event_target(r: RegisteredResource, s: _Stack) -> list[_Call]:
    rule = s.one("aws:cloudwatch/eventRule:EventRule", lambda e: e.outputs["name"] == r.inputs["rule"])
    arn = str(rule.outputs["arn"])
    return [
        _Call("create", "events:PutTargets", arn),
        _Call("read", "events:ListTargetsByRule", arn),
        _Call("delete", "events:RemoveTargets", arn),
    ]


def log_group(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn = str(r.outputs["arn"])
    return [
        _Call("create", "logs:CreateLogGroup", arn),
        *_tagged(arn, "logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource"),
        _Call("create", "logs:PutRetentionPolicy", arn),
        _Call("read", "logs:DescribeLogGroups", "*"),  # LOGS_DESCRIBE
        _Call("update", "logs:DeleteRetentionPolicy", arn),
        _Call("delete", "logs:DeleteLogGroup", arn),
    ]


def log_stream(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn = str(r.outputs["arn"])
    group = s.scope.arn("logs", f"log-group:{r.inputs['logGroupName']}")
    return [
        _Call("create", "logs:CreateLogStream", arn),
        _Call("read", "logs:DescribeLogStreams", group),
        _Call("delete", "logs:DeleteLogStream", arn),
    ]


def metric_alarm(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn = str(r.outputs["arn"])
    return [
        _Call("create", "cloudwatch:PutMetricAlarm", arn),
        *_tagged(arn, "cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"),
        _Call("read", "cloudwatch:DescribeAlarms", arn),
        _Call("delete", "cloudwatch:DeleteAlarms", arn),
    ]


def dashboard(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn = s.scope.arn("cloudwatch", f"dashboard/{r.inputs['dashboardName']}", region="")
    return [
        _Call("create", "cloudwatch:PutDashboard", arn),
        _Call("read", "cloudwatch:GetDashboard", arn),
        _Call("delete", "cloudwatch:DeleteDashboards", arn),
    ]


def glue_database(r: RegisteredResource, s: _Stack) -> list[_Call]:
    name = str(r.outputs["name"])
    arns = s.glue_arns(name)
    database_arn = arns[1]
    tables = [
        s.glue_arns(name, str(t.outputs["name"]))[2]
        for t in s.of_type("aws:glue/catalogTable:CatalogTable")
        if t.inputs["databaseName"] == name
    ]
    return [
        *_each("create", ["glue:CreateDatabase"], arns),
        *_tagged(database_arn, "glue:TagResource", "glue:UntagResource", "glue:GetTags"),
        *_each("read", ["glue:GetDatabase"], arns),
        *_each("update", ["glue:UpdateDatabase"], arns),
        *_each("delete", ["glue:DeleteDatabase"], [*arns, *tables]),  # deleting a database deletes its tables
    ]


def glue_table(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arns = s.glue_arns(str(r.inputs["databaseName"]), str(r.outputs["name"]))
    return [
        *_each("create", ["glue:CreateTable"], arns),
        *_each("read", ["glue:GetTable", "glue:GetPartitionIndexes"], arns),
        *_each("update", ["glue:UpdateTable"], arns),
        *_each("delete", ["glue:DeleteTable"], arns),
    ]


def athena_workgroup(r: RegisteredResource, s: _Stack) -> list[_Call]:
    arn = str(r.outputs["arn"])
    return [
        _Call("create", "athena:CreateWorkGroup", arn),
        *_tagged(arn, "athena:TagResource", "athena:UntagResource", "athena:ListTagsForResource"),
        _Call("read", "athena:GetWorkGroup", arn),
        _Call("update", "athena:UpdateWorkGroup", arn),
        _Call("delete", "athena:DeleteWorkGroup", arn),
    ]


CATALOGUE: dict[str, Callable[[RegisteredResource, _Stack], list[_Call]]] = {
    "aws:athena/workgroup:Workgroup": athena_workgroup,
    "aws:cloudwatch/dashboard:Dashboard": dashboard,
    "aws:cloudwatch/eventRule:EventRule": event_rule,
    "aws:cloudwatch/eventTarget:EventTarget": event_target,
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:cloudwatch/logStream:LogStream": log_stream,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
    "aws:dynamodb/table:Table": dynamodb_table,
    "aws:glue/catalogDatabase:CatalogDatabase": glue_database,
    "aws:glue/catalogTable:CatalogTable": glue_table,
    "aws:iam/role:Role": iam_role,
    "aws:iam/rolePolicy:RolePolicy": iam_role_policy,
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": firehose_delivery_stream,
    "aws:kinesis/stream:Stream": kinesis_stream,
    "aws:kms/alias:Alias": kms_alias,
    "aws:kms/key:Key": kms_key,
    "aws:lambda/eventSourceMapping:EventSourceMapping": lambda_event_source_mapping,
    "aws:lambda/function:Function": lambda_function,
    "aws:lambda/layerVersion:LayerVersion": lambda_layer_version,
    "aws:lambda/permission:Permission": lambda_permission,
    "aws:s3/bucket:Bucket": s3_bucket,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": s3_bucket_setting(
        "s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"
    ),
    "aws:s3/bucketLogging:BucketLogging": s3_bucket_setting("s3:PutBucketLogging", "s3:GetBucketLogging"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": s3_bucket_setting(
        "s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"
    ),
    "aws:s3/bucketPolicy:BucketPolicy": s3_bucket_setting(
        "s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": s3_bucket_setting(
        "s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"
    ),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": s3_replication,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": s3_bucket_setting(
        "s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": s3_bucket_setting("s3:PutBucketVersioning", "s3:GetBucketVersioning"),
    "aws:sns/topic:Topic": sns_topic,
    "aws:sns/topicPolicy:TopicPolicy": sns_topic_policy,
    "aws:sns/topicSubscription:TopicSubscription": sns_subscription,
    "aws:sqs/queue:Queue": sqs_queue,
    "aws:sqs/queuePolicy:QueuePolicy": sqs_queue_policy,
}


class UncataloguedResourceError(ValueError):
    """The program creates a resource type whose deploy calls nobody listed."""


def _requests(resource_type: str, resource_name: str, calls: Sequence[_Call]) -> Iterator[ControlPlaneRequest]:
    """The calls of one resource, each (action, ARN) once, in the order first met."""
    seen: set[tuple[str, str]] = set()
    for call in calls:
        if (call.action, call.resource) in seen:
            continue
        seen.add((call.action, call.resource))
        kind = resource_type.rsplit(":", 1)[-1]
        yield ControlPlaneRequest(
            name=f"{resource_name} ({kind}): {call.operation} {call.action} {call.resource}",
            resource_type=resource_type,
            resource_name=resource_name,
            operation=call.operation,
            action=call.action,
            resource=call.resource,
            context=call.context,
            resource_account=call.resource_account,
            resource_policy=call.resource_policy,
        )


def state_backend_requests(scope: DeployScope) -> list[ControlPlaneRequest]:
    """What `pulumi up` reads and writes in the self-managed backend (STATE_BACKEND), and the secrets key."""
    bucket = f"arn:{scope.partition}:s3:::{state_bucket(scope)}"
    objects = [
        f"{bucket}/.pulumi/stacks/streaming-platform/{scope.stack}.json",
        f"{bucket}/.pulumi/history/streaming-platform/{scope.stack}/{scope.stack}-1.checkpoint.json",
        f"{bucket}/.pulumi/locks/organization/streaming-platform/{scope.stack}/lock.json",
    ]
    key = scope.arn("kms", "key/00000000-0000-4000-8000-000000000000")
    aliases: dict[str, ContextValue] = {"kms:ResourceAliases": (STATE_KEY_ALIAS,)}
    # `aws kms create-key` without --policy gives the default key policy: the account's IAM policies decide.
    default_key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{scope.partition}:iam::{scope.account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    calls = [
        _Call("read", "s3:ListBucket", bucket),
        *_each("read", ["s3:GetObject"], objects),
        *_each("update", ["s3:PutObject", "s3:DeleteObject"], objects),
        *_each(
            "update",
            ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
            [key],
            context=aliases,
            resource_policy=default_key_policy,
        ),
    ]
    return list(_requests(STATE_BACKEND_TYPE, "state", calls))


def control_plane_requests(resources: Sequence[RegisteredResource], scope: DeployScope) -> list[ControlPlaneRequest]:
    """Every request a deploy of the graph makes, sorted by name (the engine registers in no fixed order)."""
    stack = _Stack(resources, scope)
    requests: list[ControlPlaneRequest] = []
    for resource in stack.resources:
        if resource.type in NOT_AWS_RESOURCES:
            continue
        handler = CATALOGUE.get(resource.type)
        if handler is None:
            raise UncataloguedResourceError(
                f"{resource.name}: no control-plane calls are catalogued for {resource.type} "
                "(add them to policy/control_plane_requests.py and the grant to policy/deploy_role.py)"
            )
        requests += _requests(resource.type, resource.name, handler(resource, stack))
    requests += state_backend_requests(scope)
    names = [r.name for r in requests]
    if len(names) != len(set(names)):
        raise ValueError("two control-plane requests share a name")
    return sorted(requests, key=lambda r: r.name)
