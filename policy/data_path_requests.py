"""The catalogue: every request AWS authorizes on the platform's data path, derived from one stack's resource graph.

Each entry is a request as AWS evaluates it (principal, action, resource ARN and request context), the AWS page that
defines that request and its context, and the statements of the program that must grant it (`relies_on`). The
catalogue models what AWS sends, not what the program's policies happen to accept: when they disagree, the proof
fails (or, for a known defect, is marked as an expected failure in tests/policy/test_authorization_proof.py).

What is derived from the graph (`policy.stack_wiring`): which function reads which stream, which key encrypts the
stream, queue, table, bucket and topic, whether S3 Bucket Keys are on, the delivery stream's role, prefixes and log
stream, the scaler's rules and topics, every alarm and its actions, bucket logging and replication.

Context keys follow one rule: only keys the cited page documents for the request (or IAM's global keys AWS adds to
every authenticated request) are sent. A key left out can only make a condition on it fail, so the proof errs on
the side of denying.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from policy.access_graph import AccessGraph, StatementRef
from policy.iam_simulator import ContextValue, Decision
from policy.stack_wiring import BucketWiring, FunctionWiring, StackWiring, StreamWiring, TableWiring

# The AWS pages each request comes from, with what each defines.
# Global keys of every request: aws:PrincipalArn, aws:PrincipalAccount, aws:SecureTransport, and for a service
# acting on behalf of a resource aws:SourceArn / aws:SourceAccount.
IAM_GLOBAL_KEYS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"
# Same-account requests: an identity policy or the resource policy may allow; an explicit Deny in either wins.
IAM_EVALUATION = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"
# Producers need kinesis:PutRecords and kms:GenerateDataKey, consumers kms:Decrypt; Kinesis passes the encryption
# context {"aws:kinesis:arn": <stream ARN>} in every KMS call, made for the caller through kinesis.<region>.
KINESIS_SSE = "https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html"
# The event source mapping reads a stream with the execution role: DescribeStream, DescribeStreamSummary,
# GetRecords, GetShardIterator, ListShards (SubscribeToShard only for an enhanced fan-out consumer, which the
# program does not create).
LAMBDA_KINESIS = "https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-create.html"
# A discarded batch's record goes to the on-failure destination with the execution role: sqs:SendMessage, and for
# a queue encrypted with a customer managed key kms:GenerateDataKey and kms:Decrypt.
LAMBDA_ON_FAILURE = "https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html"
# SQS calls KMS for the sender with the encryption context {"aws:sqs:arn": <queue ARN>}, through sqs.<region>.
SQS_SSE = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html"
# Lambda assumes the execution role (lambda.amazonaws.com, sts:AssumeRole); the page documents no condition keys.
LAMBDA_EXECUTION_ROLE = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html"
# Lambda writes the function's logs with the execution role: logs:CreateLogStream, logs:PutLogEvents on log streams
# of the function's log group.
LAMBDA_LOGS = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html"
# Active tracing sends segments with the execution role: xray:PutTraceSegments, xray:PutTelemetryRecords ("*").
LAMBDA_XRAY = "https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html"
# A function's resource policy: each permission's principal, action and SourceArn (ArnLike aws:SourceArn).
LAMBDA_RESOURCE_POLICY = "https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html"
# DirectPut: the application calls firehose:PutRecordBatch on the delivery stream.
FIREHOSE_ACCESS = "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html"
# Firehose assumes the delivery role as firehose.amazonaws.com, sts:AssumeRole with sts:ExternalId = the account ID
# (the trust policy of "Allow Firehose to assume an IAM role" conditions on nothing else).
FIREHOSE_ASSUME_ROLE = "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#firehose-assume-role"
# Firehose uses the delivery role for s3:AbortMultipartUpload, GetBucketLocation, GetObject, ListBucket,
# ListBucketMultipartUploads and PutObject, kms:GenerateDataKey and kms:Decrypt through s3.<region> with the S3
# encryption context, and logs:PutLogEvents on the delivery's log stream.
FIREHOSE_S3_DESTINATION = "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3"
# S3 calls KMS for the requester through s3.<region> with {"aws:s3:arn": <object ARN>}: kms:GenerateDataKey to
# write, kms:Decrypt to read and to complete multipart uploads.
S3_SSE_KMS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html"
# With an S3 Bucket Key the encryption context is the BUCKET ARN, not the object ARN: "If your existing IAM
# policies or AWS KMS key policies use your object ARN as the encryption context ..., these policies won't work
# with an S3 Bucket Key."
S3_BUCKET_KEY = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html"
# Server access logs are written by logging.s3.amazonaws.com, s3:PutObject, with aws:SourceArn = the source bucket
# and aws:SourceAccount.
S3_ACCESS_LOGS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html"
# Replication: s3.amazonaws.com assumes the role (aws:SourceAccount, aws:SourceArn = the source bucket); the role
# calls s3:GetReplicationConfiguration, s3:ListBucket, s3:GetObjectVersionForReplication, GetObjectVersionAcl,
# GetObjectVersionTagging on the source and s3:ReplicateObject, ReplicateDelete, ReplicateTags on the destination.
S3_REPLICATION_ROLE = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html"
# SSE-KMS objects: kms:Decrypt of the source key through s3.<source region>, kms:Encrypt of the replica key through
# s3.<destination region>, each with its bucket's S3 encryption context; with an S3 Bucket Key on the destination,
# also kms:Decrypt of the replica key ("The call to kms:Decrypt verifies the integrity of the S3 Bucket Key").
S3_REPLICATION_KMS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html"
# dynamodb:LeadingKeys: the partition key values of the request (a multi-valued key).
DYNAMODB_LEADING_KEYS = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html"
# DynamoDB decrypts a table's key for the caller through dynamodb.<region> with the encryption context
# {"aws:dynamodb:tableName": <table>, "aws:dynamodb:subscriberId": <account>}.
DYNAMODB_KMS = "https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html"
# Kinesis actions and their resources: DescribeStreamSummary takes the stream ARN; UpdateShardCount and
# UpdateStreamMode list no resource type ("If there is no value for this column, you must specify all resources
# ("*")"), so AWS authorizes them against "*", not the stream.
KINESIS_ACTIONS = (
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisdatastreams.html"
)
# Kinesis's own page on the scaler's calls (UpdateShardCount, UpdateStreamMode, DescribeStreamSummary).
KINESIS_ACCESS = "https://docs.aws.amazon.com/streams/latest/dev/controlling-access.html"
# cloudwatch:GetMetricData has no resource-level permissions ("*").
CLOUDWATCH_PERMISSIONS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/permissions-reference-cw.html"
# EventBridge invokes a target function as events.amazonaws.com with aws:SourceArn = the rule.
EVENTBRIDGE_LAMBDA = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html"
# SNS invokes a subscribed function as sns.amazonaws.com with aws:SourceArn = the topic.
SNS_LAMBDA = "https://docs.aws.amazon.com/sns/latest/dg/sns-lambda-as-subscriber.html"
# An AWS service publishing to a topic (CloudWatch alarms) is cloudwatch.amazonaws.com, with aws:SourceArn = the
# alarm and aws:SourceAccount.
SNS_SERVICE_PUBLISH = "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html"
# For an encrypted topic the publishing service needs kms:GenerateDataKey* and kms:Decrypt on the key, with the
# encryption context {"aws:sns:topicArn": <topic ARN>}.
SNS_SSE = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html"
# The README's producer grant (Deploy, step 6): kinesis:PutRecords on the stream, kms:GenerateDataKey on the key.
README_PRODUCERS = "README.md#deploy-to-real-aws-step-by-step"

FOREIGN_ACCOUNT = "999988887777"
OBJECT_TIME = {"!{timestamp:yyyy-MM-dd}": "2026-01-01", "!{timestamp:HH}": "00"}
SHARD = "shardId-000000000000"


@dataclass(frozen=True)
class DataPathRequest:
    """One request AWS authorizes, where it is documented, and which of the program's statements decide it.

    `relies_on` lists every statement whose removal must change the decision: for an allowed request each Allow
    that grants it (identity statement and key-policy statement alike), for a request denied by a Deny statement
    that Deny. `principal_policies` holds a grant the platform documents but does not create (producers).
    """

    name: str
    principal: str
    action: str
    resource: str
    resource_account: str
    context: Mapping[str, ContextValue]
    documented_by: tuple[str, ...]
    role_arn: str | None = None
    relies_on: tuple[StatementRef, ...] = ()
    expect: Decision = "Allowed"
    principal_policies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def session_arn(partition: str, account: str, role_name: str, session: str) -> str:
    """The principal AWS sees for a role session (`arn:<partition>:sts::<account>:assumed-role/<role>/<session>`)."""
    return f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{session}"


def endpoint_suffix(partition: str) -> str:
    """The DNS suffix of a partition's service endpoints, which kms:ViaService names (`s3.<region>.<suffix>`):
    amazonaws.com.cn in China, amazonaws.com in the commercial and GovCloud partitions
    (https://docs.aws.amazon.com/general/latest/gr/rande.html)."""
    return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"


def fill_prefix(prefix: str, error_type: str = "processing-failed") -> str:
    """A Firehose prefix with its expressions evaluated at a fixed hour."""
    filled = prefix.replace("!{firehose:error-output-type}", error_type)
    for expression, value in OBJECT_TIME.items():
        filled = filled.replace(expression, value)
    if "!{" in filled:
        raise ValueError(f"unknown Firehose prefix expression in {prefix!r}")
    return filled


def checkpoint_key(stream: StreamWiring) -> str:
    """The consumer's checkpoint item key, `<tenant>#<consumer>#<stream>#<shard>` (functions/consumer/checkpoints.py):
    its tenant prefix is what the dynamodb:LeadingKeys condition tests."""
    environment = stream.consumer.environment
    return f"{stream.tenant}#{environment['CONSUMER_NAME']}#{environment['STREAM_NAME']}#{SHARD}"


def scaling_state_key(stream: StreamWiring) -> str:
    """The scaler's state item key, `<tenant>#<stream name>` (functions/shard_scaler/state.py)."""
    return f"{stream.tenant}#{stream.arn.rsplit('/', 1)[-1]}"


def s3_encryption_context(bucket: BucketWiring, object_arn: str) -> str:
    """`aws:s3:arn` as S3 sends it: the bucket's ARN with an S3 Bucket Key, else the object's (S3_BUCKET_KEY)."""
    return bucket.arn if bucket.bucket_key else object_arn


class _Catalogue:
    """Builds the requests of one stack; each method covers one actor of the data path."""

    def __init__(self, wiring: StackWiring, graph: AccessGraph) -> None:
        self.wiring = wiring
        self.graph = graph
        self.account = wiring.account
        self.region = wiring.region
        self.partition = graph.partition
        self.requests: list[DataPathRequest] = []

    # Shapes shared by many requests.

    def add(self, request: DataPathRequest) -> None:
        if any(r.name == request.name for r in self.requests):
            raise ValueError(f"two catalogue requests are named {request.name!r}")
        self.requests.append(request)

    def role_context(
        self, role_arn: str, account: str | None = None, *, secure: bool = True
    ) -> dict[str, ContextValue]:
        """Global keys of every request signed by a role session (IAM_GLOBAL_KEYS)."""
        return {
            "aws:PrincipalArn": role_arn,
            "aws:PrincipalAccount": account or self.account,
            "aws:SecureTransport": "true" if secure else "false",
        }

    def service_context(self, source_arn: str, source_account: str | None = None) -> dict[str, ContextValue]:
        """Keys of a request a service principal makes on behalf of one of the account's resources."""
        return {
            "aws:SourceArn": source_arn,
            "aws:SourceAccount": source_account or self.account,
            "aws:SecureTransport": "true",
        }

    def call(
        self,
        name: str,
        function: FunctionWiring | tuple[str, str],
        action: str,
        resource: str,
        docs: Iterable[str],
        relies_on: Iterable[StatementRef] = (),
        context: Mapping[str, ContextValue] | None = None,
        *,
        expect: Decision = "Allowed",
        secure: bool = True,
    ) -> None:
        """A request signed by a role session: a function's execution role, or (role name, role ARN)."""
        if isinstance(function, FunctionWiring):
            role_name, role_arn, session = function.role_name, function.role_arn, function.name
        else:
            (role_name, role_arn), session = function, function[0]
        self.add(
            DataPathRequest(
                name=name,
                principal=session_arn(self.partition, self.account, role_name, session),
                action=action,
                resource=resource,
                resource_account=self.account,
                context={**self.role_context(role_arn, secure=secure), **(context or {})},
                documented_by=tuple(docs),
                role_arn=role_arn,
                relies_on=tuple(relies_on),
                expect=expect,
            )
        )

    def kms_via(
        self,
        name: str,
        caller: FunctionWiring | tuple[str, str],
        action: str,
        key_arn: str,
        service: str,
        encryption_context: Mapping[str, str],
        docs: Iterable[str],
        grant: StatementRef,
        *,
        region: str | None = None,
        expect: Decision = "Allowed",
    ) -> None:
        """KMS called by `service` for the caller, with the service's encryption context; the key policy must let
        the account's IAM policies grant it (KmsServiceAuthorizer; key-policy-default.html)."""
        context: dict[str, ContextValue] = {
            "kms:ViaService": f"{service}.{region or self.region}.{endpoint_suffix(self.partition)}",
            "kms:CallerAccount": self.account,
        }
        context |= {f"kms:EncryptionContext:{k}": v for k, v in encryption_context.items()}
        relies_on = (grant, self.graph.account_root_statement(key_arn)) if expect == "Allowed" else ()
        self.call(name, caller, action, key_arn, docs, relies_on, context, expect=expect)

    def service_call(
        self,
        name: str,
        service: str,
        action: str,
        resource: str,
        context: Mapping[str, ContextValue],
        docs: Iterable[str],
        relies_on: Iterable[StatementRef] = (),
        *,
        expect: Decision = "Allowed",
    ) -> None:
        """A request made by an AWS service principal; only resource policies can grant it."""
        self.add(
            DataPathRequest(
                name=name,
                principal=service,
                action=action,
                resource=resource,
                resource_account=self.account,
                context=dict(context),
                documented_by=tuple(docs),
                relies_on=tuple(relies_on),
                expect=expect,
            )
        )

    def assume_execution_role(self, subject: str, function: FunctionWiring) -> None:
        self.service_call(
            f"{subject}: lambda.amazonaws.com assumes {function.role_name}",
            "lambda.amazonaws.com",
            "sts:AssumeRole",
            function.role_arn,
            {},
            [LAMBDA_EXECUTION_ROLE],
            [self.graph.trust_statement(function.role_arn, "lambda.amazonaws.com")],
        )

    def function_runtime(self, subject: str, function: FunctionWiring) -> None:
        """What Lambda does with every function's execution role: logs and traces."""
        grant = self.graph.inline_statement
        log_stream = f"{function.log_group_arn}:log-stream:2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef"
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            self.call(
                f"{subject}: {action} own log group",
                function,
                action,
                log_stream,
                [LAMBDA_LOGS],
                [grant(function.role_arn, "WriteOwnLogs")],
            )
        for action in ("xray:PutTraceSegments", "xray:PutTelemetryRecords"):
            self.call(
                f"{subject}: {action}", function, action, "*", [LAMBDA_XRAY], [grant(function.role_arn, "WriteTraces")]
            )

    def dynamodb_item(
        self,
        name: str,
        function: FunctionWiring,
        action: str,
        table: TableWiring,
        partition_key: str,
        grant: StatementRef | None,
        *,
        expect: Decision = "Allowed",
    ) -> None:
        self.call(
            name,
            function,
            action,
            table.arn,
            [DYNAMODB_LEADING_KEYS],
            [grant] if grant else [],
            {"dynamodb:LeadingKeys": (partition_key,)},
            expect=expect,
        )

    def dynamodb_table_key(self, subject: str, function: FunctionWiring, table: TableWiring) -> None:
        if table.key_arn is None:
            return
        self.kms_via(
            f"{subject}: kms:Decrypt {table.name}'s key through DynamoDB",
            function,
            "kms:Decrypt",
            table.key_arn,
            "dynamodb",
            {"aws:dynamodb:tableName": table.name, "aws:dynamodb:subscriberId": self.account},
            [DYNAMODB_KMS],
            self.graph.inline_statement(function.role_arn, "PlatformKeyViaDynamoDb"),
        )

    # The actors of the data path.

    def producer(self, stream: StreamWiring) -> None:
        """A producer with exactly the grant the README documents; the key policy must let the account grant it."""
        role_name = f"{stream.tenant}-{stream.stream}-producer"
        role_arn = f"arn:{self.partition}:iam::{self.account}:role/{role_name}"
        documented_grant = {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "PutRecords", "Effect": "Allow", "Action": "kinesis:PutRecords", "Resource": stream.arn},
                {
                    "Sid": "EncryptRecords",
                    "Effect": "Allow",
                    "Action": "kms:GenerateDataKey",
                    "Resource": stream.key_arn,
                },
            ],
        }
        subject = f"{stream.subject} producer"
        principal = session_arn(self.partition, self.account, role_name, "producer")
        context = self.role_context(role_arn)
        kms_context: dict[str, ContextValue] = {
            "kms:ViaService": f"kinesis.{self.region}.{endpoint_suffix(self.partition)}",
            "kms:CallerAccount": self.account,
            "kms:EncryptionContext:aws:kinesis:arn": stream.arn,
        }
        for action, resource, extra, relies_on in (
            ("kinesis:PutRecords", stream.arn, {}, ()),
            ("kms:GenerateDataKey", stream.key_arn, kms_context, (self.graph.account_root_statement(stream.key_arn),)),
        ):
            self.add(
                DataPathRequest(
                    name=f"{subject}: {action}",
                    principal=principal,
                    action=action,
                    resource=resource,
                    resource_account=self.account,
                    context={**context, **extra},
                    documented_by=(README_PRODUCERS, KINESIS_SSE),
                    relies_on=relies_on,
                    principal_policies={"documented producer grant": documented_grant},
                )
            )

    def consumer(self, stream: StreamWiring) -> None:
        function = stream.consumer
        subject = f"{stream.subject} consumer"
        grant = self.graph.inline_statement
        role = function.role_arn
        self.assume_execution_role(subject, function)
        for action in (
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:GetShardIterator",
            "kinesis:GetRecords",
            "kinesis:ListShards",
        ):
            self.call(
                f"{subject}: {action}", function, action, stream.arn, [LAMBDA_KINESIS], [grant(role, "ReadOwnStream")]
            )
        self.kms_via(
            f"{subject}: kms:Decrypt stream records",
            function,
            "kms:Decrypt",
            stream.key_arn,
            "kinesis",
            {"aws:kinesis:arn": stream.arn},
            [KINESIS_SSE],
            grant(role, "DecryptOwnStreamAndQueue"),
        )
        self.call(
            f"{subject}: sqs:SendMessage on-failure record",
            function,
            "sqs:SendMessage",
            stream.failure_queue_arn,
            [LAMBDA_ON_FAILURE],
            [grant(role, "SendFailuresToOwnQueue")],
        )
        if stream.failure_queue_key_arn:
            for action in ("kms:GenerateDataKey", "kms:Decrypt"):
                self.kms_via(
                    f"{subject}: {action} on-failure queue key",
                    function,
                    action,
                    stream.failure_queue_key_arn,
                    "sqs",
                    {"aws:sqs:arn": stream.failure_queue_arn},
                    [LAMBDA_ON_FAILURE, SQS_SSE],
                    grant(role, "DecryptOwnStreamAndQueue"),
                )
        self.call(
            f"{subject}: firehose:PutRecordBatch",
            function,
            "firehose:PutRecordBatch",
            stream.delivery.arn,
            [FIREHOSE_ACCESS],
            [grant(role, "DeliverToOwnFirehose")],
        )
        checkpoint = checkpoint_key(stream)
        for action in ("dynamodb:GetItem", "dynamodb:UpdateItem"):
            self.dynamodb_item(
                f"{subject}: {action} own checkpoint",
                function,
                action,
                stream.checkpoints,
                checkpoint,
                grant(role, "OwnCheckpoints"),
            )
        self.dynamodb_table_key(subject, function, stream.checkpoints)
        bucket = stream.quarantine_bucket
        quarantine_object = f"{bucket.arn}/{stream.quarantine_prefix}dt=2026-01-01/shard={SHARD}/1-0.jsonl"
        self.call(
            f"{subject}: s3:PutObject quarantine",
            function,
            "s3:PutObject",
            quarantine_object,
            [S3_SSE_KMS],
            [grant(role, "QuarantineUnderOwnPrefix")],
        )
        if bucket.key_arn:
            self.kms_via(
                f"{subject}: kms:GenerateDataKey quarantine object",
                function,
                "kms:GenerateDataKey",
                bucket.key_arn,
                "s3",
                {"aws:s3:arn": s3_encryption_context(bucket, quarantine_object)},
                [S3_SSE_KMS, S3_BUCKET_KEY],
                grant(role, "PlatformKeyViaS3"),
            )
        self.function_runtime(subject, function)

    def lake_delivery(self, stream: StreamWiring) -> None:
        delivery = stream.delivery
        subject = f"{stream.subject} lake delivery"
        role = (delivery.role_name, delivery.role_arn)
        grant = self.graph.inline_statement
        self.service_call(
            f"{subject}: firehose.amazonaws.com assumes {delivery.role_name}",
            "firehose.amazonaws.com",
            "sts:AssumeRole",
            delivery.role_arn,
            {"sts:ExternalId": self.account},
            [FIREHOSE_ASSUME_ROLE],
            [self.graph.trust_statement(delivery.role_arn, "firehose.amazonaws.com")],
        )
        bucket = delivery.bucket
        for action in ("s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"):
            self.call(
                f"{subject}: {action}",
                role,
                action,
                bucket.arn,
                [FIREHOSE_S3_DESTINATION],
                [grant(delivery.role_arn, "LocateLakeBucket")],
            )
        events_object = f"{bucket.arn}/{fill_prefix(delivery.prefix)}{delivery.name}-1-2026-01-01-00-00-00-0f1e2d3c.gz"
        error_object = (
            f"{bucket.arn}/{fill_prefix(delivery.error_prefix)}{delivery.name}-1-2026-01-01-00-00-00-4b5a6978"
        )
        objects = {"events": events_object, "errors": error_object}
        for action, what in (
            ("s3:PutObject", "events"),
            ("s3:AbortMultipartUpload", "events"),
            ("s3:GetObject", "events"),
            ("s3:PutObject", "errors"),
        ):
            self.call(
                f"{subject}: {action} {what} object",
                role,
                action,
                objects[what],
                [FIREHOSE_S3_DESTINATION],
                [grant(delivery.role_arn, "WriteOwnPrefixes")],
            )
        key_arn = delivery.s3_key_arn or bucket.key_arn
        if key_arn:
            contexts = {s3_encryption_context(bucket, arn): what for what, arn in objects.items()}
            for context_arn, what in contexts.items():
                described = "bucket (S3 Bucket Key)" if context_arn == bucket.arn else f"{what} object"
                for action in ("kms:GenerateDataKey", "kms:Decrypt"):
                    self.kms_via(
                        f"{subject}: {action} lake key, context {described}",
                        role,
                        action,
                        key_arn,
                        "s3",
                        {"aws:s3:arn": context_arn},
                        [FIREHOSE_S3_DESTINATION, S3_SSE_KMS, S3_BUCKET_KEY],
                        grant(delivery.role_arn, "EncryptLakeObjectsViaS3"),
                    )
        self.call(
            f"{subject}: logs:PutLogEvents",
            role,
            "logs:PutLogEvents",
            delivery.log_stream_arn,
            [FIREHOSE_S3_DESTINATION],
            [grant(delivery.role_arn, "WriteOwnLogs")],
        )

    def shard_scaler(self, stream: StreamWiring) -> None:
        scaler = stream.scaler
        if scaler is None:
            return
        function = scaler.function
        subject = f"{stream.subject} shard scaler"
        role = function.role_arn
        grant = self.graph.inline_statement
        self.assume_execution_role(subject, function)
        actions = [
            ("kinesis:DescribeStreamSummary", scaler.stream_arn, "DescribeOwnStream"),
            ("kinesis:UpdateShardCount", "*", "ResizeStreams"),
        ]
        if scaler.allow_mode_switch:
            actions.append(("kinesis:UpdateStreamMode", "*", "ResizeStreams"))
        for action, resource, sid in actions:
            self.call(
                f"{subject}: {action}",
                function,
                action,
                resource,
                [KINESIS_ACCESS, KINESIS_ACTIONS],
                [grant(role, sid)],
            )
        self.call(
            f"{subject}: cloudwatch:GetMetricData",
            function,
            "cloudwatch:GetMetricData",
            "*",
            [CLOUDWATCH_PERMISSIONS],
            [grant(role, "ReadStreamMetrics")],
        )
        state_key = scaling_state_key(stream)
        for action in ("dynamodb:GetItem", "dynamodb:PutItem"):
            self.dynamodb_item(
                f"{subject}: {action} own scaling state",
                function,
                action,
                scaler.table,
                state_key,
                grant(role, "OwnScalingHistory"),
            )
        self.dynamodb_table_key(subject, function, scaler.table)
        self.function_runtime(subject, function)
        for rule_arn in scaler.rule_arns:
            self.service_call(
                f"{subject}: events.amazonaws.com invokes it ({rule_arn.rsplit('/', 1)[-1]})",
                "events.amazonaws.com",
                "lambda:InvokeFunction",
                function.arn,
                self.service_context(rule_arn),
                [EVENTBRIDGE_LAMBDA, LAMBDA_RESOURCE_POLICY],
                [self.graph.service_statement(function.arn, "events.amazonaws.com", rule_arn)],
            )
        for topic_arn in scaler.topic_arns:
            self.service_call(
                f"{subject}: sns.amazonaws.com invokes it ({topic_arn.rsplit(':', 1)[-1]})",
                "sns.amazonaws.com",
                "lambda:InvokeFunction",
                function.arn,
                self.service_context(topic_arn),
                [SNS_LAMBDA, LAMBDA_RESOURCE_POLICY],
                [self.graph.service_statement(function.arn, "sns.amazonaws.com", topic_arn)],
            )

    def alarm_notifications(self) -> None:
        """Each alarm's ALARM/OK actions: CloudWatch publishes to the encrypted topic on the account's behalf."""
        for alarm in self.wiring.alarms:
            for topic_arn in alarm.topic_arns:
                topic = self.wiring.topics[topic_arn]
                subject = f"alarm {alarm.name}"
                self.service_call(
                    f"{subject}: cloudwatch.amazonaws.com sns:Publish {topic.name}",
                    "cloudwatch.amazonaws.com",
                    "sns:Publish",
                    topic.arn,
                    self.service_context(alarm.arn),
                    [SNS_SERVICE_PUBLISH],
                    [self.graph.service_statement(topic.arn, "cloudwatch.amazonaws.com")],
                )
                if topic.key_arn is None:
                    continue
                for action in ("kms:GenerateDataKey", "kms:Decrypt"):
                    self.service_call(
                        f"{subject}: cloudwatch.amazonaws.com {action} {topic.name}'s key",
                        "cloudwatch.amazonaws.com",
                        action,
                        topic.key_arn,
                        {**self.service_context(alarm.arn), "kms:EncryptionContext:aws:sns:topicArn": topic.arn},
                        [SNS_SSE],
                        [self.graph.service_statement(topic.key_arn, "cloudwatch.amazonaws.com")],
                    )

    def access_logs(self) -> None:
        for logging in self.wiring.access_logs:
            log_object = f"{logging.target.arn}/{logging.prefix}2026-01-01-00-00-00-0123456789ABCDEF"
            self.service_call(
                f"access logs of {logging.source.name}: logging.s3.amazonaws.com s3:PutObject",
                "logging.s3.amazonaws.com",
                "s3:PutObject",
                log_object,
                self.service_context(logging.source.arn),
                [S3_ACCESS_LOGS],
                [self.graph.service_statement(logging.target.arn, "logging.s3.amazonaws.com")],
            )

    def replication(self) -> None:
        for replication in self.wiring.replications:
            source, destination = replication.source, replication.destination
            subject = f"replication {source.name} -> {destination.name}"
            role = (replication.role_name, replication.role_arn)
            grant = self.graph.inline_statement
            self.service_call(
                f"{subject}: s3.amazonaws.com assumes {replication.role_name}",
                "s3.amazonaws.com",
                "sts:AssumeRole",
                replication.role_arn,
                {"aws:SourceAccount": self.account, "aws:SourceArn": source.arn},
                [S3_REPLICATION_ROLE, IAM_GLOBAL_KEYS],
                [self.graph.trust_statement(replication.role_arn, "s3.amazonaws.com")],
            )
            source_object = f"{source.arn}/events/tenant=t/stream=s/dt=2026-01-01/hour=00/object.gz"
            replica_object = f"{destination.arn}/events/tenant=t/stream=s/dt=2026-01-01/hour=00/object.gz"
            for action, resource, sid in (
                ("s3:GetReplicationConfiguration", source.arn, "ReadReplicationConfiguration"),
                ("s3:ListBucket", source.arn, "ReadReplicationConfiguration"),
                ("s3:GetObjectVersionForReplication", source_object, "ReadSourceVersions"),
                ("s3:GetObjectVersionAcl", source_object, "ReadSourceVersions"),
                ("s3:GetObjectVersionTagging", source_object, "ReadSourceVersions"),
                ("s3:ReplicateObject", replica_object, "WriteReplica"),
                ("s3:ReplicateDelete", replica_object, "WriteReplica"),
                ("s3:ReplicateTags", replica_object, "WriteReplica"),
            ):
                self.call(
                    f"{subject}: {action}",
                    role,
                    action,
                    resource,
                    [S3_REPLICATION_ROLE],
                    [grant(replication.role_arn, sid)],
                )
            if source.key_arn:
                self.kms_via(
                    f"{subject}: kms:Decrypt source key",
                    role,
                    "kms:Decrypt",
                    source.key_arn,
                    "s3",
                    {"aws:s3:arn": s3_encryption_context(source, source_object)},
                    [S3_REPLICATION_KMS, S3_BUCKET_KEY],
                    grant(replication.role_arn, "DecryptSource"),
                    region=source.region,
                )
            replica_key = replication.replica_key_arn or destination.key_arn
            if replica_key:
                actions = ["kms:Encrypt", "kms:Decrypt"] if destination.bucket_key else ["kms:Encrypt"]
                for action in actions:
                    self.kms_via(
                        f"{subject}: {action} replica key",
                        role,
                        action,
                        replica_key,
                        "s3",
                        {"aws:s3:arn": s3_encryption_context(destination, replica_object)},
                        [S3_REPLICATION_KMS, S3_BUCKET_KEY],
                        grant(replication.role_arn, "EncryptReplica"),
                        region=destination.region,
                    )

    # Requests AWS must deny.

    def cross_tenant(self, own: StreamWiring, other: StreamWiring) -> None:
        """Tenant A's roles reaching for tenant B's stream, key, checkpoints, prefixes and delivery stream."""
        denied: Decision = "ImplicitlyDenied"
        subject = f"DENY {own.tenant}->{other.tenant}"
        consumer = own.consumer
        self.call(
            f"{subject}: consumer kinesis:GetRecords {other.subject}",
            consumer,
            "kinesis:GetRecords",
            other.arn,
            [LAMBDA_KINESIS],
            expect=denied,
        )
        self.kms_via(
            f"{subject}: consumer kms:Decrypt {other.subject} records",
            consumer,
            "kms:Decrypt",
            other.key_arn,
            "kinesis",
            {"aws:kinesis:arn": other.arn},
            [KINESIS_SSE],
            self.graph.inline_statement(consumer.role_arn, "DecryptOwnStreamAndQueue"),
            expect=denied,
        )
        foreign_checkpoint = checkpoint_key(other)
        self.dynamodb_item(
            f"{subject}: consumer dynamodb:UpdateItem {other.tenant} checkpoint",
            consumer,
            "dynamodb:UpdateItem",
            own.checkpoints,
            foreign_checkpoint,
            None,
            expect=denied,
        )
        quarantine = f"{other.quarantine_bucket.arn}/{other.quarantine_prefix}dt=2026-01-01/shard={SHARD}/1-0.jsonl"
        self.call(
            f"{subject}: consumer s3:PutObject {other.subject} quarantine",
            consumer,
            "s3:PutObject",
            quarantine,
            [S3_SSE_KMS],
            expect=denied,
        )
        self.call(
            f"{subject}: consumer firehose:PutRecordBatch {other.delivery.name}",
            consumer,
            "firehose:PutRecordBatch",
            other.delivery.arn,
            [FIREHOSE_ACCESS],
            expect=denied,
        )
        events = f"{other.delivery.bucket.arn}/{fill_prefix(other.delivery.prefix)}x.gz"
        self.call(
            f"{subject}: lake delivery s3:PutObject {other.subject} events",
            (own.delivery.role_name, own.delivery.role_arn),
            "s3:PutObject",
            events,
            [FIREHOSE_S3_DESTINATION],
            expect=denied,
        )
        if own.scaler is not None:
            # kinesis:UpdateShardCount names no stream (KINESIS_ACTIONS), so IAM cannot tell tenants apart there.
            scaler = own.scaler.function
            self.dynamodb_item(
                f"{subject}: shard scaler dynamodb:PutItem {other.tenant} scaling state",
                scaler,
                "dynamodb:PutItem",
                own.scaler.table,
                scaling_state_key(other),
                None,
                expect=denied,
            )

    def confused_deputies(self, stream: StreamWiring) -> None:
        """Another account, or a service acting for another account, reaching this account's roles and resources."""
        denied: Decision = "ImplicitlyDenied"
        intruder_role = f"arn:{self.partition}:iam::{FOREIGN_ACCOUNT}:role/intruder"
        self.add(
            DataPathRequest(
                name=f"DENY foreign account assumes {stream.consumer.role_name}",
                principal=session_arn(self.partition, FOREIGN_ACCOUNT, "intruder", "intruder"),
                action="sts:AssumeRole",
                resource=stream.consumer.role_arn,
                resource_account=self.account,
                context=self.role_context(intruder_role, FOREIGN_ACCOUNT),
                documented_by=(IAM_EVALUATION,),
                expect=denied,
                # The intruder's own account allows it everything: only this account's trust policy can stop it.
                principal_policies={
                    "intruder": {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                    }
                },
            )
        )
        delivery = stream.delivery
        self.service_call(
            f"DENY firehose.amazonaws.com for another account assumes {delivery.role_name}",
            "firehose.amazonaws.com",
            "sts:AssumeRole",
            delivery.role_arn,
            {"sts:ExternalId": FOREIGN_ACCOUNT},
            [FIREHOSE_ASSUME_ROLE],
            expect=denied,
        )
        for replication in self.wiring.replications:
            # S3 replicating another account's bucket, and another bucket of this account, with this role.
            foreign_bucket = f"arn:{self.partition}:s3:::intruder-{FOREIGN_ACCOUNT}"
            own_other_bucket = replication.destination.arn
            for who, account, bucket in (
                ("another account", FOREIGN_ACCOUNT, foreign_bucket),
                ("another bucket", self.account, own_other_bucket),
            ):
                self.service_call(
                    f"DENY s3.amazonaws.com for {who} assumes {replication.role_name}",
                    "s3.amazonaws.com",
                    "sts:AssumeRole",
                    replication.role_arn,
                    {"aws:SourceAccount": account, "aws:SourceArn": bucket},
                    [S3_REPLICATION_ROLE, IAM_GLOBAL_KEYS],
                    expect=denied,
                )
        if stream.scaler is not None:
            foreign_rule = (
                f"arn:{self.partition}:events:{self.region}:{FOREIGN_ACCOUNT}:rule/{stream.scaler.function.name}"
            )
            self.service_call(
                f"DENY events.amazonaws.com for another account invokes {stream.scaler.function.name}",
                "events.amazonaws.com",
                "lambda:InvokeFunction",
                stream.scaler.function.arn,
                self.service_context(foreign_rule, FOREIGN_ACCOUNT),
                [EVENTBRIDGE_LAMBDA],
                expect=denied,
            )
        for topic in self.wiring.topics.values():
            foreign_alarm = f"arn:{self.partition}:cloudwatch:{self.region}:{FOREIGN_ACCOUNT}:alarm:intruder"
            self.service_call(
                f"DENY cloudwatch.amazonaws.com for another account sns:Publish {topic.name}",
                "cloudwatch.amazonaws.com",
                "sns:Publish",
                topic.arn,
                self.service_context(foreign_alarm, FOREIGN_ACCOUNT),
                [SNS_SERVICE_PUBLISH],
                expect=denied,
            )
            if topic.key_arn:
                self.service_call(
                    f"DENY cloudwatch.amazonaws.com for another account kms:GenerateDataKey {topic.name}'s key",
                    "cloudwatch.amazonaws.com",
                    "kms:GenerateDataKey",
                    topic.key_arn,
                    {
                        **self.service_context(foreign_alarm, FOREIGN_ACCOUNT),
                        "kms:EncryptionContext:aws:sns:topicArn": topic.arn,
                    },
                    [SNS_SSE],
                    expect=denied,
                )

    def insecure_transport(self) -> None:
        """Each TLS-only policy refuses the same request sent over plain HTTP (aws:SecureTransport = false)."""
        denied: Decision = "ExplicitlyDenied"
        first = self.wiring.streams[0]
        bucket = first.quarantine_bucket
        self.call(
            f"DENY {first.subject} consumer s3:PutObject quarantine without TLS",
            first.consumer,
            "s3:PutObject",
            f"{bucket.arn}/{first.quarantine_prefix}dt=2026-01-01/shard={SHARD}/1-0.jsonl",
            [IAM_GLOBAL_KEYS],
            [self.graph.deny_statement(bucket.arn, "DenyInsecureTransport")],
            expect=denied,
            secure=False,
        )
        for stream in self.wiring.streams:
            self.call(
                f"DENY {stream.subject} consumer sqs:SendMessage without TLS",
                stream.consumer,
                "sqs:SendMessage",
                stream.failure_queue_arn,
                [IAM_GLOBAL_KEYS],
                [self.graph.deny_statement(stream.failure_queue_arn, "DenyInsecureTransport")],
                expect=denied,
                secure=False,
            )
        for topic in self.wiring.topics.values():
            alarm = self.wiring.alarms[0]
            self.service_call(
                f"DENY cloudwatch.amazonaws.com sns:Publish {topic.name} without TLS",
                "cloudwatch.amazonaws.com",
                "sns:Publish",
                topic.arn,
                {**self.service_context(alarm.arn), "aws:SecureTransport": "false"},
                [IAM_GLOBAL_KEYS],
                [self.graph.deny_statement(topic.arn, "DenyInsecureTransport")],
                expect=denied,
            )
        for logging in self.wiring.access_logs:
            self.service_call(
                f"DENY access logs of {logging.source.name} without TLS",
                "logging.s3.amazonaws.com",
                "s3:PutObject",
                f"{logging.target.arn}/{logging.prefix}2026-01-01-00-00-00-0123456789ABCDEF",
                {**self.service_context(logging.source.arn), "aws:SecureTransport": "false"},
                [IAM_GLOBAL_KEYS],
                [self.graph.deny_statement(logging.target.arn, "DenyInsecureTransport")],
                expect=denied,
            )
        for replication in self.wiring.replications:
            self.call(
                f"DENY replication s3:ReplicateObject to {replication.destination.name} without TLS",
                (replication.role_name, replication.role_arn),
                "s3:ReplicateObject",
                f"{replication.destination.arn}/events/object.gz",
                [IAM_GLOBAL_KEYS],
                [self.graph.deny_statement(replication.destination.arn, "DenyInsecureTransport")],
                expect=denied,
                secure=False,
            )


def data_path_requests(wiring: StackWiring, graph: AccessGraph) -> list[DataPathRequest]:
    """Every request of one stack's data path, the allowed ones first, then the ones AWS must deny."""
    catalogue = _Catalogue(wiring, graph)
    for stream in wiring.streams:
        catalogue.producer(stream)
        catalogue.consumer(stream)
        catalogue.lake_delivery(stream)
        catalogue.shard_scaler(stream)
    catalogue.alarm_notifications()
    catalogue.access_logs()
    catalogue.replication()
    first_stream = {tenant: next(s for s in wiring.streams if s.tenant == tenant) for tenant in wiring.tenants()}
    for own in first_stream.values():
        for other in first_stream.values():
            if other.tenant != own.tenant:
                catalogue.cross_tenant(own, other)
    catalogue.confused_deputies(wiring.streams[0])
    catalogue.insecure_transport()
    return catalogue.requests
