"""The CI deploy role's permissions policy, as code: one document per stack, scoped to that stack's names.

`pulumi up` runs with the deploy role of its GitHub environment (docs/deploy.md, 1.3). This module is that role's
inline policy: every control-plane action the Pulumi AWS provider calls for the program's resources, each granted
on the ARNs the program names (`<prefix>-<stack>-*`), never on another stack's. `policy.control_plane_requests`
lists the requests a deploy makes and `policy.deploy_role_proof` decides each one against this document with
iam-simulate, so a grant can neither be missing nor stray outside the stack.

Where no name can scope a grant, something else does: KMS key ids are random, so key management is limited to keys
tagged `environment = <stack>` (the provider's default tag) and CreateKey to requests that set that tag
(https://docs.aws.amazon.com/kms/latest/developerguide/abac.html); event source mappings have UUIDs, so their
grants test `lambda:FunctionArn`; iam:PassRole names the roles and `iam:PassedToService`.

    .venv/bin/python -m policy.deploy_role --render                    # rewrite the template in docs/deploy.md
    .venv/bin/python -m policy.deploy_role --stack prod --account 111122223333   # one stack's document
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from infra import defaults
from infra.naming import PlatformNames, StreamNames

REPO_ROOT = Path(__file__).resolve().parent.parent
DEPLOY_DOC = REPO_ROOT / "docs" / "deploy.md"
BEGIN = "<!-- deploy-role-policy: written by `python -m policy.deploy_role --render` -->"
END = "<!-- /deploy-role-policy -->"
# The tag every resource of a stack carries (infra/platform.py: the provider's default_tags).
STACK_TAG = "environment"
# The self-managed state backend of docs/deploy.md 1.1: bucket `<prefix>-pulumi-state-<account>`, key alias.
STATE_KEY_ALIAS = "alias/sp-pulumi"
PLACEHOLDERS = ("<stack>", "<account>", "<region>", "<partition>")
# The statement only a stack whose lake replicates has.
REPLICATION_PASS_ROLE = "PassReplicationRoleToS3"
# The statement only a disposable stack (`protect_stateful: false`) has: its buckets are force_destroy, so a destroy
# empties them first; a stack that keeps its data never deletes object versions.
EMPTY_BUCKETS_ON_DESTROY = "EmptyBucketsOnDestroy"

Statement = dict[str, Any]

# The Service Authorization Reference page of each service the document grants, where every action, its resource
# types and its condition keys are listed ("If there is no value for the Resource types column, you must specify
# all resources ("*")").
SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/"
SERVICE_REFERENCE = {
    "athena": SAR + "list_amazonathena.html",
    "cloudwatch": SAR + "list_amazoncloudwatch.html",
    "dynamodb": SAR + "list_amazondynamodb.html",
    "events": SAR + "list_amazoneventbridge.html",
    "firehose": SAR + "list_amazondatafirehose.html",
    "glue": SAR + "list_awsglue.html",
    "iam": SAR + "list_awsidentityandaccessmanagementiam.html",
    "kinesis": SAR + "list_amazonkinesisdatastreams.html",
    "kms": SAR + "list_awskeymanagementservice.html",
    "lambda": SAR + "list_awslambda.html",
    "logs": SAR + "list_amazoncloudwatchlogs.html",
    "s3": SAR + "list_amazons3.html",
    "sns": SAR + "list_amazonsns.html",
    "sqs": SAR + "list_amazonsqs.html",
}
# iam:PassRole is authorized on the role passed, and iam:PassedToService names the service that receives it.
PASS_ROLE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html"
PASSED_TO_SERVICE = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService"
)


@dataclass(frozen=True)
class DeployScope:
    """What one stack's deploy role may touch: names `<prefix>-<stack>-*` in one account, region and partition."""

    stack: str
    account: str
    region: str
    partition: str = "aws"
    prefix: str = defaults.NAME_PREFIX
    # The lake replicates to another region (`lake.replica_region`): only then may a role be passed to S3.
    replicates: bool = False
    # Nothing is kept (`protect_stateful: false`): buckets are force_destroy (infra/lifecycle.py).
    disposable: bool = False

    @classmethod
    def for_stack(cls, stack: str, account: str, partition: str = "aws") -> DeployScope:
        """The scope of a stack as Pulumi.<stack>.yaml configures it (region and name prefix)."""
        from infra.config import config_from_pulumi_values
        from infra.mock_runtime import DEFAULT_REGION, load_stack_config

        values = load_stack_config(stack)
        config = config_from_pulumi_values(values, stack=stack)
        region = str(values.get("aws:region") or DEFAULT_REGION)
        return cls(
            stack=stack,
            account=account,
            region=region,
            partition=partition,
            prefix=config.name_prefix,
            replicates=config.lake.replica_region is not None,
            disposable=not config.protect_stateful,
        )

    @property
    def names(self) -> PlatformNames:
        return PlatformNames(self.prefix, self.stack)

    @property
    def base(self) -> str:
        return self.names.base

    def arn(self, service: str, resource: str, *, region: str | None = None, account: str | None = None) -> str:
        """An ARN of this partition; `region=""` for services whose ARNs carry none (IAM, S3, dashboards)."""
        where = self.region if region is None else region
        return f"arn:{self.partition}:{service}:{where}:{self.account if account is None else account}:{resource}"


def allow(sid: str, actions: Sequence[str], resources: Sequence[str], condition: Statement | None = None) -> Statement:
    statement: Statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": list(resources)}
    if condition:
        statement["Condition"] = condition
    return statement


def _stack_tag(scope: DeployScope, key: str = "aws:ResourceTag") -> Statement:
    return {"StringEquals": {f"{key}/{STACK_TAG}": scope.stack}}


def statements(scope: DeployScope) -> list[Statement]:
    """Every statement of the stack's deploy-role policy, each the grant of one kind of resource."""
    base, arn = scope.base, scope.arn
    any_region_key = arn("kms", "key/*", region="*")
    stream_roles = StreamNames(f"{base}-*")
    glue = scope.names.glue_database.removesuffix("lake")  # `<prefix>_<stack>_`: Glue names take no hyphens
    document = [
        # Kinesis (SERVICE_REFERENCE["kinesis"]); StartStreamEncryption and StopStreamEncryption also name the key.
        allow(
            "KinesisStreams",
            [
                "kinesis:AddTagsToStream",
                "kinesis:CreateStream",
                "kinesis:DecreaseStreamRetentionPeriod",
                "kinesis:DeleteStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:IncreaseStreamRetentionPeriod",
                "kinesis:ListTagsForStream",
                "kinesis:RemoveTagsFromStream",
                "kinesis:StartStreamEncryption",
                "kinesis:StopStreamEncryption",
            ],
            [arn("kinesis", f"stream/{base}-*")],
        ),
        allow(
            "KinesisStreamEncryptionKeys",
            ["kinesis:StartStreamEncryption", "kinesis:StopStreamEncryption"],
            [any_region_key],
            _stack_tag(scope),
        ),
        # Actions whose Resource types column is empty: AWS authorizes them against "*" only.
        allow(
            "ActionsWithoutResourceTypes",
            [
                "kinesis:DescribeLimits",
                "kinesis:DisableEnhancedMonitoring",
                "kinesis:EnableEnhancedMonitoring",
                "kinesis:UpdateShardCount",
                "kinesis:UpdateStreamMode",
                "kms:ListAliases",
                "logs:DescribeLogGroups",
            ],
            ["*"],
        ),
        # Lambda (SERVICE_REFERENCE["lambda"]); lambda:Layer keeps functions to the stack's and Powertools' layers.
        allow(
            "LambdaFunctions",
            [
                "lambda:AddPermission",
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:GetFunction",
                "lambda:GetFunctionCodeSigningConfig",
                "lambda:GetPolicy",
                "lambda:ListTags",
                "lambda:ListVersionsByFunction",
                "lambda:RemovePermission",
                "lambda:TagResource",
                "lambda:UntagResource",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
            ],
            [arn("lambda", f"function:{base}-*")],
            {"ForAllValues:ArnLike": {"lambda:Layer": [arn("lambda", f"layer:{base}-*"), powertools_layers(scope)]}},
        ),
        allow(
            "LambdaLayers",
            ["lambda:DeleteLayerVersion", "lambda:GetLayerVersion", "lambda:PublishLayerVersion"],
            [arn("lambda", f"layer:{base}-*")],
        ),
        # The public Powertools layer, published by AWS in its own account (infra/function_code.py).
        allow("PowertoolsLayer", ["lambda:GetLayerVersion"], [powertools_layers(scope)]),
        # Mappings are named by UUID: lambda:FunctionArn is the function they invoke.
        allow(
            "CreateEventSourceMappingsOfStackFunctions",
            ["lambda:CreateEventSourceMapping"],
            ["*"],
            {"ArnLike": {"lambda:FunctionArn": arn("lambda", f"function:{base}-*")}},
        ),
        allow(
            "EventSourceMappingsOfStackFunctions",
            ["lambda:DeleteEventSourceMapping", "lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping"],
            [arn("lambda", "event-source-mapping:*")],
            {"ArnLike": {"lambda:FunctionArn": arn("lambda", f"function:{base}-*")}},
        ),
        # No condition key names a mapping's function or tags for its tagging actions, and tags sent with
        # CreateEventSourceMapping are authorized before the mapping has any: the region's mappings, by UUID.
        allow(
            "EventSourceMappingTags",
            ["lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"],
            [arn("lambda", "event-source-mapping:*")],
        ),
        # IAM (SERVICE_REFERENCE["iam"]): the stack's roles and their inline policies, nothing else.
        allow(
            "IamRoles",
            [
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:DeleteRolePolicy",
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
                "iam:ListRolePolicies",
                "iam:PutRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
            ],
            [arn("iam", f"role/{base}-*", region="")],
        ),
        # PASS_ROLE, PASSED_TO_SERVICE: each role only to the service that assumes it.
        allow(
            "PassFunctionRolesToLambda",
            ["iam:PassRole"],
            [
                arn("iam", f"role/{stream_roles.consumer_role}", region=""),
                arn("iam", f"role/{stream_roles.scaler_role}", region=""),
            ],
            {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
        ),
        allow(
            "PassDeliveryRolesToFirehose",
            ["iam:PassRole"],
            [arn("iam", f"role/{stream_roles.delivery_role}", region="")],
            {"StringEquals": {"iam:PassedToService": "firehose.amazonaws.com"}},
        ),
        # KMS (SERVICE_REFERENCE["kms"]): key ids are random, the stack tag scopes them (any region: the replica).
        allow("KmsCreateStackKeys", ["kms:CreateKey"], ["*"], _stack_tag(scope, "aws:RequestTag")),
        allow(
            "KmsStackKeys",
            [
                "kms:CreateAlias",
                "kms:DeleteAlias",
                "kms:DescribeKey",
                "kms:DisableKeyRotation",
                "kms:EnableKeyRotation",
                "kms:GetKeyPolicy",
                "kms:GetKeyRotationStatus",
                "kms:ListResourceTags",
                "kms:PutKeyPolicy",
                "kms:ScheduleKeyDeletion",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:UpdateAlias",
                "kms:UpdateKeyDescription",
            ],
            [any_region_key],
            _stack_tag(scope),
        ),
        allow(
            "KmsStackAliases",
            ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
            [arn("kms", f"alias/{base}-*", region="*")],
        ),
        # DynamoDB and Firehose create a grant on a customer managed key for the caller.
        allow(
            "KmsGrantsForAwsServices",
            ["kms:CreateGrant"],
            [any_region_key],
            {**_stack_tag(scope), "Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
        allow(
            "S3Buckets",
            [
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:DeleteBucketPolicy",
                "s3:GetAccelerateConfiguration",
                "s3:GetBucketAcl",
                "s3:GetBucketCORS",
                "s3:GetBucketLogging",
                "s3:GetBucketObjectLockConfiguration",
                "s3:GetBucketOwnershipControls",
                "s3:GetBucketPolicy",
                "s3:GetBucketPublicAccessBlock",
                "s3:GetBucketRequestPayment",
                "s3:GetBucketTagging",
                "s3:GetBucketVersioning",
                "s3:GetBucketWebsite",
                "s3:GetEncryptionConfiguration",
                "s3:GetLifecycleConfiguration",
                "s3:GetReplicationConfiguration",
                "s3:ListBucket",
                "s3:PutBucketLogging",
                "s3:PutBucketOwnershipControls",
                "s3:PutBucketPolicy",
                "s3:PutBucketPublicAccessBlock",
                "s3:PutBucketTagging",
                "s3:PutBucketVersioning",
                "s3:PutEncryptionConfiguration",
                "s3:PutLifecycleConfiguration",
                "s3:PutReplicationConfiguration",
            ],
            [arn("s3", f"{base}-*", region="", account="")],
        ),
        allow(
            "SqsQueues",
            [
                "sqs:CreateQueue",
                "sqs:DeleteQueue",
                "sqs:GetQueueAttributes",
                "sqs:ListQueueTags",
                "sqs:SetQueueAttributes",
                "sqs:TagQueue",
                "sqs:UntagQueue",
            ],
            [arn("sqs", f"{base}-*")],
        ),
        # Subscription calls are authorized on their topic's ARN.
        allow(
            "SnsTopics",
            [
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:GetSubscriptionAttributes",
                "sns:GetTopicAttributes",
                "sns:ListTagsForResource",
                "sns:SetSubscriptionAttributes",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:TagResource",
                "sns:Unsubscribe",
                "sns:UntagResource",
            ],
            [arn("sns", f"{base}-*")],
        ),
        allow(
            "DynamoDbTables",
            [
                "dynamodb:CreateTable",
                "dynamodb:DeleteTable",
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:DescribeTable",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:ListTagsOfResource",
                "dynamodb:TagResource",
                "dynamodb:UntagResource",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:UpdateTable",
                "dynamodb:UpdateTimeToLive",
            ],
            [arn("dynamodb", f"table/{base}-*")],
        ),
        allow(
            "FirehoseDeliveryStreams",
            [
                "firehose:CreateDeliveryStream",
                "firehose:DeleteDeliveryStream",
                "firehose:DescribeDeliveryStream",
                "firehose:ListTagsForDeliveryStream",
                "firehose:StartDeliveryStreamEncryption",
                "firehose:StopDeliveryStreamEncryption",
                "firehose:TagDeliveryStream",
                "firehose:UntagDeliveryStream",
                "firehose:UpdateDestination",
            ],
            [arn("firehose", f"deliverystream/{base}-*")],
        ),
        allow(
            "EventBridgeRules",
            [
                "events:DeleteRule",
                "events:DescribeRule",
                "events:DisableRule",
                "events:EnableRule",
                "events:ListTagsForResource",
                "events:ListTargetsByRule",
                "events:PutRule",
                "events:PutTargets",
                "events:RemoveTargets",
                "events:TagResource",
                "events:UntagResource",
            ],
            [arn("events", f"rule/{base}-*")],
        ),
        # Log groups of the stack's functions and delivery streams, and their log streams.
        allow(
            "LogGroups",
            [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DeleteLogGroup",
                "logs:DeleteLogStream",
                "logs:DeleteRetentionPolicy",
                "logs:DescribeLogStreams",
                "logs:ListTagsForResource",
                "logs:PutRetentionPolicy",
                "logs:TagResource",
                "logs:UntagResource",
            ],
            [arn("logs", f"log-group:/aws/lambda/{base}-*"), arn("logs", f"log-group:/aws/kinesisfirehose/{base}-*")],
        ),
        allow(
            "CloudWatchAlarms",
            [
                "cloudwatch:DeleteAlarms",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:ListTagsForResource",
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
            ],
            [arn("cloudwatch", f"alarm:{base}-*")],
        ),
        allow(
            "CloudWatchDashboards",
            ["cloudwatch:DeleteDashboards", "cloudwatch:GetDashboard", "cloudwatch:PutDashboard"],
            [arn("cloudwatch", f"dashboard/{base}-*", region="")],
        ),
        # Glue authorizes a database or table action on the catalog, the database and the table alike.
        allow(
            "GlueCatalog",
            [
                "glue:CreateDatabase",
                "glue:CreateTable",
                "glue:DeleteDatabase",
                "glue:DeleteTable",
                "glue:GetDatabase",
                "glue:GetPartitionIndexes",
                "glue:GetTable",
                "glue:GetTags",
                "glue:TagResource",
                "glue:UntagResource",
                "glue:UpdateDatabase",
                "glue:UpdateTable",
            ],
            [arn("glue", "catalog"), arn("glue", f"database/{glue}*"), arn("glue", f"table/{glue}*/*")],
        ),
        allow(
            "AthenaWorkgroups",
            [
                "athena:CreateWorkGroup",
                "athena:DeleteWorkGroup",
                "athena:GetWorkGroup",
                "athena:ListTagsForResource",
                "athena:TagResource",
                "athena:UntagResource",
                "athena:UpdateWorkGroup",
            ],
            [arn("athena", f"workgroup/{base}-*")],
        ),
        # The self-managed state backend (docs/deploy.md 1.1): checkpoints, history, backups and locks.
        allow("StateBucket", ["s3:ListBucket"], [arn("s3", state_bucket(scope), region="", account="")]),
        allow(
            "StateObjects",
            ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            [arn("s3", f"{state_bucket(scope)}/.pulumi/*", region="", account="")],
        ),
        allow(
            "StateKey",
            ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            [arn("kms", "key/*")],
            {"ForAnyValue:StringEquals": {"kms:ResourceAliases": STATE_KEY_ALIAS}},
        ),
    ]
    if scope.replicates:
        document.append(
            allow(
                REPLICATION_PASS_ROLE,
                ["iam:PassRole"],
                [arn("iam", f"role/{base}-lake-replica*", region="")],
                {"StringEquals": {"iam:PassedToService": "s3.amazonaws.com"}},
            )
        )
    if scope.disposable:
        # pulumi-aws's force_destroy lists every version and delete marker (ListObjectVersions needs
        # s3:ListBucketVersions) and deletes each by version id (s3:DeleteObjectVersion), then the bucket
        # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html,
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
        document.append(
            allow(
                EMPTY_BUCKETS_ON_DESTROY,
                ["s3:DeleteObjectVersion", "s3:ListBucketVersions"],
                [arn("s3", f"{base}-*", region="", account=""), arn("s3", f"{base}-*/*", region="", account="")],
            )
        )
    return document


def powertools_layers(scope: DeployScope) -> str:
    """Every version of the Powertools v3 layers in the stack's region."""
    return scope.arn("lambda", "layer:AWSLambdaPowertoolsPythonV3-*", account=defaults.POWERTOOLS_LAYER_ACCOUNT)


def state_bucket(scope: DeployScope) -> str:
    return f"{scope.prefix}-pulumi-state-{scope.account}"


def deploy_role_policy(scope: DeployScope) -> dict[str, Any]:
    """The policy document of the stack's deploy role."""
    return {"Version": "2012-10-17", "Statement": statements(scope)}


def without(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    """The policy with one statement removed (the proof removes each in turn)."""
    kept = [s for s in policy["Statement"] if s["Sid"] != sid]
    if len(kept) != len(policy["Statement"]) - 1:
        raise KeyError(f"the policy has no statement {sid!r}")
    return {**policy, "Statement": kept}


def only(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    """The policy reduced to one statement."""
    return {**policy, "Statement": [s for s in policy["Statement"] if s["Sid"] == sid]}


def template_scope(prefix: str = defaults.NAME_PREFIX) -> DeployScope:
    """The scope whose document is the template: every per-stack value a placeholder."""
    return DeployScope(
        stack="<stack>",
        account="<account>",
        region="<region>",
        partition="<partition>",
        prefix=prefix,
        replicates=True,
        disposable=True,
    )


def fill(template: str, scope: DeployScope) -> str:
    """The template with a stack's values in place of its placeholders."""
    values = dict(zip(PLACEHOLDERS, (scope.stack, scope.account, scope.region, scope.partition), strict=True))
    return re.sub("|".join(map(re.escape, PLACEHOLDERS)), lambda m: values[m.group(0)], template)


def from_template(template: str, scope: DeployScope) -> dict[str, Any]:
    """A stack's document as docs/deploy.md gives it: the template filled in, without the replication grant
    unless the stack's lake replicates, without the bucket-emptying grant unless the stack is disposable."""
    policy: dict[str, Any] = json.loads(fill(template, scope))
    if not scope.replicates:
        policy = without(policy, REPLICATION_PASS_ROLE)
    return policy if scope.disposable else without(policy, EMPTY_BUCKETS_ON_DESTROY)


def stack_prefixes() -> set[str]:
    from infra.mock_runtime import available_stacks

    return {DeployScope.for_stack(stack, "000000000000").prefix for stack in available_stacks()}


def compact_json(value: Any, indent: int = 0, width: int = 118) -> str:
    """JSON as `json.dumps(indent=2)` writes it, but a list of strings fills its lines (a statement per screen)."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {compact_json(v, indent + 2, width)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}" if items else "{}"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        one_line = json.dumps(value)
        if indent + len(one_line) <= width:
            return one_line
        lines, line = [], ""
        for item in map(json.dumps, value):
            if line and len(inner) + len(line) + len(item) + 2 > width:
                lines.append(line + ",")
                line = ""
            line = f"{line}, {item}" if line else item
        return "[\n" + "\n".join(inner + text for text in [*lines, line]) + f"\n{pad}]"
    if isinstance(value, list):
        return "[\n" + ",\n".join(inner + compact_json(v, indent + 2, width) for v in value) + f"\n{pad}]"
    return json.dumps(value)


def rendered_template() -> str:
    """The block of docs/deploy.md between the markers: the template as JSON, one statement per block of lines."""
    prefixes = stack_prefixes()
    if len(prefixes) != 1:
        raise ValueError(f"the stacks use several name prefixes {sorted(prefixes)}: render one document per stack")
    document = compact_json(deploy_role_policy(template_scope(prefixes.pop())))
    return "\n".join([BEGIN, "```json", document, "```", END])


def rewrite(doc: Path = DEPLOY_DOC) -> bool:
    """Replace the document between the markers; True when the file changed."""
    text = doc.read_text()
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"{doc}: the deploy-role-policy markers are missing")
    updated = pattern.sub(lambda _: rendered_template(), text)
    doc.write_text(updated)
    return updated != text


def documented_template(doc: Path = DEPLOY_DOC) -> str:
    """The JSON between the markers of docs/deploy.md, as written there."""
    match = re.search(re.escape(BEGIN) + r"\n```json\n(.*?)\n```\n" + re.escape(END), doc.read_text(), re.S)
    if not match:
        raise ValueError(f"{doc}: no deploy-role policy between the markers")
    return match.group(1)


def actions(policy: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(Sid, action) of every Allow in the document."""
    for statement in policy["Statement"]:
        for action in statement["Action"]:
            yield statement["Sid"], action


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render", action="store_true", help="rewrite the template in docs/deploy.md")
    parser.add_argument("--stack", help="print this stack's document")
    parser.add_argument("--account", default="<account>", help="the stack's AWS account id")
    parser.add_argument("--partition", default="aws")
    args = parser.parse_args(argv)
    if args.render:
        changed = rewrite()
        print(f"{DEPLOY_DOC.relative_to(REPO_ROOT)}: {'updated' if changed else 'unchanged'}", file=sys.stderr)
        return
    if not args.stack:
        parser.error("give --render or --stack")
    scope = replace(DeployScope.for_stack(args.stack, args.account), partition=args.partition)
    print(json.dumps(deploy_role_policy(scope), indent=2))


if __name__ == "__main__":
    main()
