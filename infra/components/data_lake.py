"""The stack's data lake: a locked-down, versioned, KMS-encrypted bucket, queryable from day one.

Glue table partition projection means no crawler and no MSCK REPAIR: a new tenant's data is queryable
in Athena the moment Firehose writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra import defaults, lake_table
from infra.lifecycle import force_destroy, stateful_options
from infra.policy_documents import deny_insecure_transport, document, service_principal

ACCESS_LOG_PREFIX = "lake/"


@dataclass(frozen=True)
class DataLakeArgs:
    tiering_after_days: int
    noncurrent_expiry_days: int
    abort_incomplete_upload_days: int
    access_log_expiry_days: int
    access_log_noncurrent_expiry_days: int
    key_arn: pulumi.Input[str]
    glue_database: str
    athena_workgroup: str
    tenants: list[str]
    streams: list[str]
    bucket_prefix: str
    account_id: pulumi.Input[str]
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)


def versioned_bucket_rules(
    *, noncurrent_expiry_days: int, abort_incomplete_upload_days: int
) -> list[aws.s3.BucketLifecycleConfigurationRuleArgsDict]:
    """Lifecycle rules every versioned bucket of the platform needs (lake, replica, access logs), written once.

    Noncurrent versions expire (versioning is an undo window, not an archive); a delete marker left with no
    versions behind it is removed (`expired_object_delete_marker`; it "cannot be specified with Days or Date",
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html, hence a rule of its own);
    incomplete multipart uploads are aborted (they are billed until then).
    """
    return [
        {
            "id": "abort-incomplete-uploads",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "abort_incomplete_multipart_upload": {"days_after_initiation": abort_incomplete_upload_days},
        },
        {
            "id": "expire-noncurrent-versions",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "noncurrent_version_expiration": {"noncurrent_days": noncurrent_expiry_days},
        },
        {
            "id": "remove-expired-delete-markers",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "expiration": {"expired_object_delete_marker": True},
        },
    ]


def lake_lifecycle_rules(
    *, noncurrent_expiry_days: int, abort_incomplete_upload_days: int, tiering_after_days: int | None
) -> list[aws.s3.BucketLifecycleConfigurationRuleArgsDict]:
    """The lake's lifecycle, and its replica's (which has no tiering: replicas are written as STANDARD_IA)."""
    rules = versioned_bucket_rules(
        noncurrent_expiry_days=noncurrent_expiry_days, abort_incomplete_upload_days=abort_incomplete_upload_days
    )
    if tiering_after_days is not None:
        rules.append(
            {
                "id": "tier-events",
                "status": "Enabled",
                "filter": {"prefix": defaults.LAKE_EVENTS_PREFIX},
                "transitions": [{"days": tiering_after_days, "storage_class": "INTELLIGENT_TIERING"}],
            }
        )
    rules.append(
        {
            "id": "expire-athena-results",
            "status": "Enabled",
            "filter": {"prefix": defaults.ATHENA_RESULTS_PREFIX},
            "expiration": {"days": 30},
        }
    )
    return rules


def _block_public_access(name: str, bucket: aws.s3.Bucket, parent: pulumi.Resource) -> aws.s3.BucketPublicAccessBlock:
    return aws.s3.BucketPublicAccessBlock(
        name,
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _owner_enforced(name: str, bucket: aws.s3.Bucket, parent: pulumi.Resource) -> aws.s3.BucketOwnershipControls:
    return aws.s3.BucketOwnershipControls(
        name,
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=pulumi.ResourceOptions(parent=parent),
    )


class DataLake(pulumi.ComponentResource):
    """Lake bucket + access-log bucket + Glue catalog + Athena workgroup."""

    access_log_bucket: aws.s3.Bucket
    bucket: aws.s3.Bucket
    public_access_block: aws.s3.BucketPublicAccessBlock
    versioning: aws.s3.BucketVersioning
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    lifecycle: aws.s3.BucketLifecycleConfiguration
    logging: aws.s3.BucketLogging
    policy: aws.s3.BucketPolicy
    database: aws.glue.CatalogDatabase
    events_table: aws.glue.CatalogTable
    workgroup: aws.athena.Workgroup
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    database_name: pulumi.Output[str]
    workgroup_name: pulumi.Output[str]

    def __init__(self, name: str, args: DataLakeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:DataLake", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stateful = stateful_options(args.protect, parent=self)

        # Server access logs: S3 can only deliver them to an SSE-S3 bucket, never SSE-KMS.
        self.access_log_bucket = aws.s3.Bucket(
            f"{name}-access-logs",
            bucket_prefix=f"{args.bucket_prefix}-access-logs-",
            force_destroy=force_destroy(args.protect),
            tags=args.tags,
            opts=stateful,
        )
        _block_public_access(f"{name}-access-logs-public-access", self.access_log_bucket, self)
        _owner_enforced(f"{name}-access-logs-ownership", self.access_log_bucket, self)
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-access-logs-encryption",
            bucket=self.access_log_bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child,
        )
        # Versioned like the lake, so a deleted or overwritten log (an audit record) can be restored for a while.
        access_log_versioning = aws.s3.BucketVersioning(
            f"{name}-access-logs-versioning",
            bucket=self.access_log_bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-access-logs-lifecycle",
            bucket=self.access_log_bucket.id,
            rules=[
                {
                    "id": "expire-access-logs",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": args.access_log_expiry_days},
                },
                *versioned_bucket_rules(
                    noncurrent_expiry_days=args.access_log_noncurrent_expiry_days,
                    abort_incomplete_upload_days=args.abort_incomplete_upload_days,
                ),
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access_log_versioning]),
        )
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket_prefix=f"{args.bucket_prefix}-lake-",
            force_destroy=force_destroy(args.protect),
            tags=args.tags,
            opts=stateful,
        )
        self.public_access_block = _block_public_access(f"{name}-public-access", self.bucket, self)
        _owner_enforced(f"{name}-ownership", self.bucket, self)
        self.versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": args.key_arn,
                    },
                    # Bucket keys cut KMS requests (and their cost) by orders of magnitude.
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        self.lifecycle = aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=lake_lifecycle_rules(
                noncurrent_expiry_days=args.noncurrent_expiry_days,
                abort_incomplete_upload_days=args.abort_incomplete_upload_days,
                tiering_after_days=args.tiering_after_days,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
        )
        access_logs_policy = aws.s3.BucketPolicy(
            f"{name}-access-logs-policy",
            bucket=self.access_log_bucket.id,
            policy=document(
                [
                    deny_insecure_transport(
                        [self.access_log_bucket.arn, pulumi.Output.concat(self.access_log_bucket.arn, "/*")]
                    ),
                    {
                        "Sid": "S3ServerAccessLogsDelivery",
                        "Effect": "Allow",
                        "Principal": {"Service": service_principal("logging.s3")},
                        "Action": "s3:PutObject",
                        "Resource": pulumi.Output.concat(self.access_log_bucket.arn, "/", ACCESS_LOG_PREFIX, "*"),
                        # Only the lake's own logs, as AWS recommends against confused deputies.
                        "Condition": {
                            "ArnLike": {"aws:SourceArn": self.bucket.arn},
                            "StringEquals": {"aws:SourceAccount": args.account_id},
                        },
                    },
                ]
            ),
            opts=child,
        )
        self.logging = aws.s3.BucketLogging(
            f"{name}-logging",
            bucket=self.bucket.id,
            target_bucket=self.access_log_bucket.id,
            target_prefix=ACCESS_LOG_PREFIX,
            # S3 checks the target's policy when logging is turned on.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access_logs_policy]),
        )
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.id,
            policy=document([deny_insecure_transport([self.bucket.arn, pulumi.Output.concat(self.bucket.arn, "/*")])]),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access_block]),
        )

        self.database = aws.glue.CatalogDatabase(
            f"{name}-database",
            name=args.glue_database,
            description="Tenant events delivered by Firehose (partition projection: no crawler needed).",
            opts=stateful,
        )
        location = pulumi.Output.concat("s3://", self.bucket.bucket, "/", defaults.LAKE_EVENTS_PREFIX)
        self.events_table = aws.glue.CatalogTable(
            f"{name}-events-table",
            name=lake_table.TABLE_NAME,
            database_name=self.database.name,
            table_type="EXTERNAL_TABLE",
            parameters={
                **lake_table.projection_parameters(args.tenants, args.streams),
                "storage.location.template": pulumi.Output.concat(location, lake_table.LOCATION_TEMPLATE_SUFFIX),
            },
            partition_keys=[{"name": n, "type": t} for n, t in lake_table.PARTITION_COLUMNS],
            storage_descriptor={
                "location": location,
                "input_format": lake_table.INPUT_FORMAT,
                "output_format": lake_table.OUTPUT_FORMAT,
                "ser_de_info": {
                    "serialization_library": lake_table.SERDE_LIBRARY,
                    "parameters": dict(lake_table.SERDE_PARAMETERS),
                },
                "columns": [{"name": n, "type": t} for n, t in lake_table.EVENT_COLUMNS],
            },
            opts=stateful,
        )
        self.workgroup = aws.athena.Workgroup(
            f"{name}-workgroup",
            name=args.athena_workgroup,
            force_destroy=force_destroy(args.protect),
            configuration={
                "enforce_workgroup_configuration": True,
                "publish_cloudwatch_metrics_enabled": True,
                "bytes_scanned_cutoff_per_query": defaults.ATHENA_BYTES_SCANNED_CUTOFF,
                "result_configuration": {
                    "output_location": pulumi.Output.concat(
                        "s3://", self.bucket.bucket, "/", defaults.ATHENA_RESULTS_PREFIX
                    ),
                    "encryption_configuration": {"encryption_option": "SSE_KMS", "kms_key_arn": args.key_arn},
                },
            },
            tags=args.tags,
            opts=child,
        )
        self.bucket_name = self.bucket.bucket
        self.bucket_arn = self.bucket.arn
        self.database_name = self.database.name
        self.workgroup_name = self.workgroup.name
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "database_name": self.database_name,
                "workgroup_name": self.workgroup_name,
            }
        )
