"""Firehose delivery of one stream's events into the shared lake under its own tenant/stream prefix."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra import defaults, lake_table
from infra.config import LakeDeliverySettings
from infra.platform_resources import AwsPartition
from infra.policy_documents import (
    allow,
    assume_role,
    document,
    firehose_trust,
    lake_key_via_s3,
    log_group_writes,
    service_principal,
)


def events_prefix(tenant: str, stream: str) -> str:
    return f"{defaults.LAKE_EVENTS_PREFIX}tenant={tenant}/stream={stream}/"


def errors_prefix(tenant: str, stream: str) -> str:
    return f"{defaults.LAKE_ERRORS_PREFIX}tenant={tenant}/stream={stream}/"


def quarantine_prefix(tenant: str, stream: str) -> str:
    return f"{defaults.LAKE_QUARANTINE_PREFIX}tenant={tenant}/stream={stream}/"


@dataclass(frozen=True)
class LakeDeliveryArgs:
    delivery_stream_name: str
    role_name: str
    subject: str  # "<tenant>/<stream>", in descriptions
    events_prefix: str
    errors_prefix: str
    settings: LakeDeliverySettings
    tenant_key_arn: pulumi.Input[str]
    platform_key_arn: pulumi.Input[str]
    lake_bucket_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    region: str
    partition: AwsPartition
    log_retention_days: int
    tags: dict[str, str] = field(default_factory=dict)


class LakeDelivery(pulumi.ComponentResource):
    """DirectPut Firehose: hour partitions Athena projects, compression, SSE-KMS at rest and in S3, logs."""

    log_group: aws.cloudwatch.LogGroup
    log_stream: aws.cloudwatch.LogStream
    role: aws.iam.Role
    policy: aws.iam.RolePolicy
    delivery_stream: aws.kinesis.FirehoseDeliveryStream
    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    prefix: str
    error_prefix: str

    def __init__(self, name: str, args: LakeDeliveryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:LakeDelivery", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.prefix = args.events_prefix
        self.error_prefix = args.errors_prefix

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/kinesisfirehose/{args.delivery_stream_name}",
            retention_in_days=args.log_retention_days,
            tags=args.tags,
            opts=child,
        )
        self.log_stream = aws.cloudwatch.LogStream(
            f"{name}-log-stream", name="DestinationDelivery", log_group_name=self.log_group.name, opts=child
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description=f"Firehose delivery of {args.subject} into the lake",
            assume_role_policy=assume_role(service_principal("firehose"), firehose_trust(args.account_id)),
            tags=args.tags,
            opts=child,
        )
        own_objects = [
            pulumi.Output.concat(args.lake_bucket_arn, "/", self.prefix, "*"),
            pulumi.Output.concat(args.lake_bucket_arn, "/", self.error_prefix, "*"),
        ]
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name="least-privilege",
            role=self.role.id,
            policy=document(
                [
                    allow(
                        "LocateLakeBucket",
                        ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                        [args.lake_bucket_arn],
                    ),
                    allow(
                        "WriteOwnPrefixes",
                        ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
                        own_objects,
                    ),
                    # The lake uses S3 Bucket Keys, so S3 asks KMS with the BUCKET ARN as aws:s3:arn, never an
                    # object ARN: "If your existing IAM policies ... use your object ARN as the encryption context
                    # ..., these policies won't work with an S3 Bucket Key. S3 Bucket Keys use the bucket ARN as
                    # encryption context" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html,
                    # "Changes to note before enabling an S3 Bucket Key"). So the key is usable only by S3, only for
                    # the lake bucket; which objects this role writes or reads is decided by WriteOwnPrefixes above.
                    # Bucket Keys stay on: they cut S3's KMS requests (and their cost) by up to 99%.
                    allow(
                        "EncryptLakeObjectsViaS3",
                        ["kms:Decrypt", "kms:GenerateDataKey"],
                        [args.platform_key_arn],
                        lake_key_via_s3(args.lake_bucket_arn, args.region, args.partition.dns_suffix),
                    ),
                    log_group_writes(self.log_group.arn),
                ]
            ),
            opts=child,
        )
        self.delivery_stream = aws.kinesis.FirehoseDeliveryStream(
            f"{name}-firehose",
            name=args.delivery_stream_name,
            destination="extended_s3",
            server_side_encryption={
                "enabled": True,
                "key_type": "CUSTOMER_MANAGED_CMK",
                "key_arn": args.tenant_key_arn,
            },
            extended_s3_configuration={
                "bucket_arn": args.lake_bucket_arn,
                "role_arn": self.role.arn,
                "prefix": f"{self.prefix}{lake_table.FIREHOSE_PARTITION_SUFFIX}",
                "error_output_prefix": (
                    f"{self.error_prefix}!{{firehose:error-output-type}}/dt={lake_table.FIREHOSE_DT}/"
                ),
                "buffering_size": args.settings.buffer_mb,
                "buffering_interval": args.settings.buffer_seconds,
                "compression_format": args.settings.compression,
                "kms_key_arn": args.platform_key_arn,
                "cloudwatch_logging_options": {
                    "enabled": True,
                    "log_group_name": self.log_group.name,
                    "log_stream_name": self.log_stream.name,
                },
            },
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy]),
        )
        self.name = self.delivery_stream.name
        self.arn = self.delivery_stream.arn
        self.register_outputs(
            {"name": self.name, "arn": self.arn, "prefix": self.prefix, "error_prefix": self.error_prefix}
        )
