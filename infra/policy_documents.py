"""IAM and resource policy documents as data: pure functions, so tests can read every statement."""

from __future__ import annotations

import json
from typing import Any

import pulumi

Statement = dict[str, Any]


def document(statements: list[Statement]) -> pulumi.Output[str]:
    """A policy document from statements that may hold Outputs (ARNs not known yet)."""
    return pulumi.Output.from_input(statements).apply(
        lambda resolved: json.dumps({"Version": "2012-10-17", "Statement": resolved}, sort_keys=True)
    )


def allow(sid: str, actions: list[str], resources: list[Any], condition: dict[str, Any] | None = None) -> Statement:
    statement: Statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def deny_insecure_transport(resources: list[Any], actions: str = "*") -> Statement:
    """TLS-only: refuse any request that did not arrive over HTTPS (cdk-nag AwsSolutions-S10/SNS3/SQS4)."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": actions,
        "Resource": resources,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


# Services whose principal is not `<service>.amazonaws.com` in every partition: in China codedeploy,
# elasticmapreduce and logs end in amazonaws.com.cn, in the ISO partitions cloudhsm, config, dms, logs and workspaces
# end in their partition's suffix (the table behind the provider's aws.get_service_principal).
PARTITION_SPECIFIC_PRINCIPALS = frozenset(
    {"cloudhsm", "codedeploy", "config", "dms", "elasticmapreduce", "logs", "workspaces"}
)


def service_principal(service: str) -> str:
    """`<service>.amazonaws.com`: the one form of the services this program trusts, in every partition.

    AWS standardized service principals to their global form (AWS CDK's
    `@aws-cdk/aws-iam:standardizedServicePrincipals`, "all service principals names have been standardized to their
    global form (SERVICE.amazonaws.com)",
    https://github.com/aws/aws-cdk/blob/main/packages/aws-cdk-lib/cx-api/FEATURE_FLAGS.md); the exceptions left are
    partition-specific, so a service among them must use aws.get_service_principal instead.
    """
    if service in PARTITION_SPECIFIC_PRINCIPALS:
        raise ValueError(f"{service}'s principal differs per partition: use aws.get_service_principal_output")
    return f"{service}.amazonaws.com"


def assume_role(service: str, condition: dict[str, Any] | None = None) -> pulumi.Output[str]:
    """Trust policy for an AWS service, with the confused-deputy condition in the form that service documents.

    A condition on a context key the service does not send denies it the role, so each caller passes exactly the
    keys its service's page shows (firehose_trust, replication_trust); Lambda's page shows none.
    """
    statement: Statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return document([statement])


def firehose_trust(account_id: pulumi.Input[str]) -> dict[str, Any]:
    """Firehose assumes a delivery role with sts:ExternalId = the account ID, the form of "Allow Firehose to assume
    an IAM role" (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#firehose-assume-role)."""
    return {"StringEquals": {"sts:ExternalId": account_id}}


def replication_trust(account_id: pulumi.Input[str], source_bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    """S3 assumes a replication role for the source bucket: aws:SourceAccount and aws:SourceArn, as the replication
    permissions page and IAM's confused-deputy guidance show
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html)."""
    return {"StringEquals": {"aws:SourceAccount": account_id}, "ArnLike": {"aws:SourceArn": source_bucket_arn}}


def leading_keys(tenant: str) -> dict[str, Any]:
    """Restrict DynamoDB access to items whose partition key starts with `<tenant>#`."""
    return {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{tenant}#*"]}}


def via_service(service: str, region: str, dns_suffix: pulumi.Input[str]) -> dict[str, Any]:
    """KMS use only through one AWS service in this region (DynamoDB, S3, SQS, Kinesis...).

    kms:ViaService is the service's endpoint name, `SERVICE.REGION.amazonaws.com` in the commercial regions
    (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service); the
    suffix is the partition's DNS suffix (aws.get_partition), `amazonaws.com.cn` in China.
    """
    return {"StringEquals": {"kms:ViaService": pulumi.Output.concat(service, ".", region, ".", dns_suffix)}}


def lake_key_via_s3(bucket_arn: pulumi.Input[str], region: str, dns_suffix: pulumi.Input[str]) -> dict[str, Any]:
    """A bucket's SSE-KMS key used only by S3 in `region`, only for objects of that bucket, with S3 Bucket Keys on.

    With a Bucket Key the encryption context S3 sends is the bucket ARN, not the object's
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html), so a condition on object ARNs never
    matches; which objects a principal may touch is the business of its s3: grants.
    """
    return {
        "StringEquals": {
            **via_service("s3", region, dns_suffix)["StringEquals"],
            "kms:EncryptionContext:aws:s3:arn": bucket_arn,
        }
    }


def log_group_writes(log_group_arn: pulumi.Input[str]) -> Statement:
    return allow(
        "WriteOwnLogs",
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        [pulumi.Output.concat(log_group_arn, ":*")],
    )


def xray_writes() -> Statement:
    # X-Ray trace ingestion has no resource-level permissions: AWS requires "*".
    return allow("WriteTraces", ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], ["*"])
