"""Optional cross-region replica of the lake: every object version and delete marker, re-encrypted there.

pulumi-aws 7 places a resource in another region with its `region` argument, so no second provider
is needed. The replica bucket gets the same guards as the lake (BLOCK_ALL, TLS-only, SSE-KMS, versioning).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from functions import aws_limits
from infra.components.data_lake import lake_lifecycle_rules
from infra.components.encryption_key import EncryptionKey, EncryptionKeyArgs
from infra.lifecycle import force_destroy, stateful_options
from infra.platform_resources import AwsPartition
from infra.policy_documents import (
    allow,
    assume_role,
    deny_insecure_transport,
    document,
    lake_key_via_s3,
    replication_trust,
    service_principal,
)

# The replication rule's id: S3 reports replication metrics per rule (dimension RuleId), so the alarms name it.
REPLICATION_RULE_ID = "replicate-everything"


@dataclass(frozen=True)
class LakeReplicaArgs:
    replica_region: str
    source_region: str
    source_bucket: pulumi.Input[str]
    source_bucket_arn: pulumi.Input[str]
    source_key_arn: pulumi.Input[str]
    # Replication needs versioning on the source first.
    source_versioning: pulumi.Resource
    bucket_prefix: str
    key_alias: str
    role_name: str
    account_id: pulumi.Input[str]
    partition: AwsPartition
    # The lake's own lifecycle settings: the replica expires what the lake expires (lifecycle actions are not
    # replicated).
    noncurrent_expiry_days: int
    abort_incomplete_upload_days: int
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class LakeReplica(pulumi.ComponentResource):
    """The replica bucket, its own key in the replica region, and the replication role and rule."""

    key: EncryptionKey
    bucket: aws.s3.Bucket
    versioning: aws.s3.BucketVersioning
    lifecycle: aws.s3.BucketLifecycleConfiguration
    role: aws.iam.Role
    replication: aws.s3.BucketReplicationConfig
    bucket_name: pulumi.Output[str]
    rule_id: str

    def __init__(self, name: str, args: LakeReplicaArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:LakeReplica", name, None, opts)
        region = args.replica_region
        child = pulumi.ResourceOptions(parent=self)
        self.key = EncryptionKey(
            f"{name}-key",
            EncryptionKeyArgs(
                description=f"Lake replica in {region}",
                alias=args.key_alias,
                account_id=args.account_id,
                partition=args.partition.name,
                region=region,
                protect=args.protect,
                tags=args.tags,
            ),
            opts=child,
        )
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            region=region,
            bucket_prefix=args.bucket_prefix,
            force_destroy=force_destroy(args.protect),
            tags=args.tags,
            opts=stateful_options(args.protect, parent=self),
        )
        bucket_objects = pulumi.Output.concat(self.bucket.arn, "/*")
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            region=region,
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            region=region,
            bucket=self.bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        self.versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            region=region,
            bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        # The lake's rules, less tiering (replicas arrive as STANDARD_IA). Lifecycle actions are not replicated:
        # "the delete markers added by the S3 Lifecycle expiration rule won't be replicated to the destination
        # bucket" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/delete-marker-replication.html), so without
        # its own rules the replica keeps every noncurrent version and replicated delete marker forever. Noncurrent
        # replicas are kept at least Standard-IA's 30-day minimum storage duration: expiring one earlier saves
        # nothing, it is billed the 30 days anyway
        # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html).
        self.lifecycle = aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            region=region,
            bucket=self.bucket.id,
            rules=lake_lifecycle_rules(
                noncurrent_expiry_days=max(args.noncurrent_expiry_days, aws_limits.S3_STANDARD_IA_MIN_STORAGE_DAYS),
                abort_incomplete_upload_days=args.abort_incomplete_upload_days,
                tiering_after_days=None,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            region=region,
            bucket=self.bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": self.key.arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            region=region,
            bucket=self.bucket.id,
            policy=document([deny_insecure_transport([self.bucket.arn, bucket_objects])]),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )

        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description=f"S3 replication of the lake to {region}",
            assume_role_policy=assume_role(
                service_principal("s3"), replication_trust(args.account_id, args.source_bucket_arn)
            ),
            tags=args.tags,
            opts=child,
        )
        source_objects = pulumi.Output.concat(args.source_bucket_arn, "/*")
        policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            name="replicate-lake",
            role=self.role.id,
            policy=document(
                [
                    allow(
                        "ReadReplicationConfiguration",
                        ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                        [args.source_bucket_arn],
                    ),
                    allow(
                        "ReadSourceVersions",
                        ["s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging"],
                        [source_objects],
                    ),
                    allow(
                        "WriteReplica",
                        ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"],
                        [bucket_objects],
                    ),
                    # Both buckets use S3 Bucket Keys, so each key is asked with its bucket's ARN as aws:s3:arn
                    # ("When an S3 Bucket Key is enabled for the source or destination bucket, the encryption context
                    # will be the bucket Amazon Resource Name (ARN) and not the object ARN",
                    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html).
                    allow(
                        "DecryptSource",
                        ["kms:Decrypt"],
                        [args.source_key_arn],
                        lake_key_via_s3(args.source_bucket_arn, args.source_region, args.partition.dns_suffix),
                    ),
                    # kms:Decrypt on the replica key too: "To use replication with an S3 Bucket Key, the AWS KMS key
                    # policy for the KMS key used to encrypt the object replica must include kms:Decrypt permissions
                    # for the calling principal" (it verifies the Bucket Key; same page, "Amazon S3 Bucket Keys and
                    # replication"); the key policy delegates to this IAM policy.
                    allow(
                        "EncryptReplica",
                        ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                        [self.key.arn],
                        lake_key_via_s3(self.bucket.arn, region, args.partition.dns_suffix),
                    ),
                ]
            ),
            opts=child,
        )
        self.replication = aws.s3.BucketReplicationConfig(
            f"{name}-replication",
            bucket=args.source_bucket,
            role=self.role.arn,
            rules=[
                {
                    "id": REPLICATION_RULE_ID,
                    "status": "Enabled",
                    "priority": 1,
                    "filter": {"prefix": ""},
                    "delete_marker_replication": {"status": "Enabled"},
                    "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
                    "destination": {
                        "bucket": self.bucket.arn,
                        "storage_class": "STANDARD_IA",
                        "encryption_configuration": {"replica_kms_key_id": self.key.arn},
                        # S3 Replication metrics (OperationsFailedReplication, ReplicationLatency...) are reported
                        # only for rules that enable them; no S3 RTC is needed ("You can enable S3 Replication
                        # metrics independently of S3 RTC",
                        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-metrics-events.html;
                        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html). EventThreshold
                        # is optional and only for RTC's OperationMissedThreshold event
                        # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Metrics.html).
                        "metrics": {"status": "Enabled"},
                    },
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.source_versioning, self.versioning, policy]),
        )
        self.bucket_name = self.bucket.bucket
        self.rule_id = REPLICATION_RULE_ID
        self.register_outputs({"bucket_name": self.bucket_name})
