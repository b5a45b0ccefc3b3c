"""Firehose delivery of one stream's events into the shared lake under its own tenant/stream prefix."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra import defaults
from infra.platform_context import StreamScope
from infra.policy_documents import allow, assume_role, document, log_group_writes


def events_prefix(tenant: str, stream: str) -> str:
    return f"{defaults.LAKE_EVENTS_PREFIX}tenant={tenant}/stream={stream}/"


def errors_prefix(tenant: str, stream: str) -> str:
    return f"{defaults.LAKE_ERRORS_PREFIX}tenant={tenant}/stream={stream}/"


def quarantine_prefix(tenant: str, stream: str) -> str:
    return f"{defaults.LAKE_QUARANTINE_PREFIX}tenant={tenant}/stream={stream}/"


@dataclass(frozen=True)
class LakeDeliveryArgs:
    scope: StreamScope
    tenant_key_arn: pulumi.Input[str]


class LakeDelivery(pulumi.ComponentResource):
    """DirectPut Firehose: hour partitions Athena projects, compression, SSE-KMS at rest and in S3, logs."""

    def __init__(self, name: str, args: LakeDeliveryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:LakeDelivery", name, None, opts)
        scope = args.scope
        ctx, names = scope.context, scope.names
        lake = ctx.config.lake
        overrides = scope.settings.lake
        tags = scope.tags
        child = pulumi.ResourceOptions(parent=self)
        self.prefix = events_prefix(scope.tenant, scope.stream)
        self.error_prefix = errors_prefix(scope.tenant, scope.stream)
        self.buffer_seconds = overrides.buffer_seconds if overrides.buffer_seconds is not None else lake.buffer_seconds

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/kinesisfirehose/{names.delivery_stream}",
            retention_in_days=ctx.config.log_retention_days,
            tags=tags,
            opts=child,
        )
        self.log_stream = aws.cloudwatch.LogStream(
            f"{name}-log-stream", name="DestinationDelivery", log_group_name=self.log_group.name, opts=child
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=names.delivery_role,
            description=f"Firehose delivery of {scope.subject} into the lake",
            assume_role_policy=assume_role("firehose.amazonaws.com", ctx.account_id),
            tags=tags,
            opts=child,
        )
        own_objects = [
            pulumi.Output.concat(ctx.lake_bucket_arn, "/", self.prefix, "*"),
            pulumi.Output.concat(ctx.lake_bucket_arn, "/", self.error_prefix, "*"),
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
                        [ctx.lake_bucket_arn],
                    ),
                    allow(
                        "WriteOwnPrefixes",
                        ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
                        own_objects,
                    ),
                    allow(
                        "EncryptOwnPrefixes",
                        ["kms:Decrypt", "kms:GenerateDataKey"],
                        [ctx.platform_key_arn],
                        {
                            "StringEquals": {"kms:ViaService": f"s3.{ctx.region}.amazonaws.com"},
                            "StringLike": {"kms:EncryptionContext:aws:s3:arn": own_objects},
                        },
                    ),
                    log_group_writes(self.log_group.arn),
                ]
            ),
            opts=child,
        )
        self.delivery_stream = aws.kinesis.FirehoseDeliveryStream(
            f"{name}-firehose",
            name=names.delivery_stream,
            destination="extended_s3",
            server_side_encryption={
                "enabled": True,
                "key_type": "CUSTOMER_MANAGED_CMK",
                "key_arn": args.tenant_key_arn,
            },
            extended_s3_configuration={
                "bucket_arn": ctx.lake_bucket_arn,
                "role_arn": self.role.arn,
                "prefix": f"{self.prefix}dt=!{{timestamp:yyyy-MM-dd}}/hour=!{{timestamp:HH}}/",
                "error_output_prefix": (
                    f"{self.error_prefix}!{{firehose:error-output-type}}/dt=!{{timestamp:yyyy-MM-dd}}/"
                ),
                "buffering_size": overrides.buffer_mb if overrides.buffer_mb is not None else lake.buffer_mb,
                "buffering_interval": self.buffer_seconds,
                "compression_format": overrides.compression or lake.compression,
                "kms_key_arn": ctx.platform_key_arn,
                "cloudwatch_logging_options": {
                    "enabled": True,
                    "log_group_name": self.log_group.name,
                    "log_stream_name": self.log_stream.name,
                },
            },
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy]),
        )
        self.name = self.delivery_stream.name
        self.arn = self.delivery_stream.arn
        self.register_outputs({"name": self.delivery_stream.name})
