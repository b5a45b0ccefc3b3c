"""What `pulumi destroy` (or removing a tenant) may delete, per environment, decided once.

A stack either keeps its data (`protect_stateful: true`, prod) or is disposable (dev, staging). Kept: every
resource that holds data no `pulumi up` can re-create (`STATEFUL_TYPES`) is `protect`ed, so Pulumi refuses to
delete it, and `retain_on_delete`, so even after a deliberate `pulumi state unprotect` the resource leaves the
state but stays in AWS; where the service has a deletion guard of its own it is on as well (DynamoDB
`deletion_protection_enabled`), and KMS keys get the longest pending-deletion window. Disposable: nothing is
protected, every bucket is `force_destroy` (pulumi-aws then deletes every object version and delete marker
before DeleteBucket, which AWS refuses with BucketNotEmpty otherwise), KMS keys the shortest window.

Every resource type the program creates is in exactly one of the two sets below; a test fails on a type in
neither, so a new stateful type cannot arrive unprotected.
"""

from __future__ import annotations

from typing import Any, Final

import pulumi

from functions import aws_limits as aws

STATEFUL_TYPES: Final = frozenset(
    {
        "aws:kinesis/stream:Stream",  # events within retention: the replay window
        "aws:kms/key:Key",  # without it nothing encrypted with it can be read again
        "aws:dynamodb/table:Table",  # checkpoints, scaling history
        "aws:s3/bucket:Bucket",  # the lake, its access logs, its replica
        "aws:sqs/queue:Queue",  # failure queues: the shard ranges of unreplayed failed batches
        "aws:glue/catalogDatabase:CatalogDatabase",  # Athena's catalog of the lake
        "aws:glue/catalogTable:CatalogTable",
    }
)
# Configuration, compute and wiring: `pulumi up` re-creates each from the program, nothing is lost with it.
RECREATABLE_TYPES: Final = frozenset(
    {
        "pulumi:providers:aws",
        "aws:kms/alias:Alias",
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketLogging:BucketLogging",
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "aws:athena/workgroup:Workgroup",  # its query results live in the lake bucket, which is kept
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:lambda/function:Function",
        "aws:lambda/layerVersion:LayerVersion",
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "aws:lambda/permission:Permission",
        "aws:sqs/queuePolicy:QueuePolicy",
        "aws:sns/topic:Topic",
        "aws:sns/topicPolicy:TopicPolicy",
        "aws:sns/topicSubscription:TopicSubscription",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:cloudwatch/dashboard:Dashboard",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/logStream:LogStream",
        "aws:cloudwatch/eventRule:EventRule",
        "aws:cloudwatch/eventTarget:EventTarget",
    }
)


def stateful_options(protect: bool, **options: Any) -> pulumi.ResourceOptions:
    """Options of a stateful resource: protected and retained exactly when the stack keeps its data."""
    return pulumi.ResourceOptions(protect=protect, retain_on_delete=protect, **options)


def force_destroy(protect: bool) -> bool:
    """Buckets of a disposable stack are emptied (every version and delete marker) before they are deleted."""
    return not protect


def kms_deletion_window_days(protect: bool) -> int:
    """Days a deleted key stays recoverable: the longest KMS allows when kept, the shortest when disposable
    (https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html, PendingWindowInDays)."""
    return aws.KMS_MAX_PENDING_WINDOW_DAYS if protect else aws.KMS_MIN_PENDING_WINDOW_DAYS
