"""The Lambda consumer of one stream: function, event source mapping and on-failure queue."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from functions.consumer import config as consumer_config
from infra import defaults
from infra.components.platform_function import FunctionPackage, PlatformFunction, PlatformFunctionArgs
from infra.config import ConsumerSettings
from infra.lifecycle import stateful_options
from infra.naming import StreamNames
from infra.platform_resources import AwsPartition
from infra.policy_documents import (
    allow,
    deny_insecure_transport,
    document,
    lake_key_via_s3,
    leading_keys,
    via_service,
)

CONSUMER_HANDLER = "functions.consumer.handler.lambda_handler"


@dataclass(frozen=True)
class StreamConsumerArgs:
    tenant: str
    names: StreamNames
    subject: str  # "<tenant>/<stream>", in descriptions
    settings: ConsumerSettings
    pii_fields: list[str]
    stream_arn: pulumi.Input[str]
    tenant_key_arn: pulumi.Input[str]
    delivery_stream_name: pulumi.Input[str]
    delivery_stream_arn: pulumi.Input[str]
    quarantine_prefix: str
    lake_bucket: pulumi.Input[str]
    lake_bucket_arn: pulumi.Input[str]
    checkpoint_table: pulumi.Input[str]
    checkpoint_table_arn: pulumi.Input[str]
    platform_key_arn: pulumi.Input[str]
    region: str
    partition: AwsPartition
    package: FunctionPackage
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class StreamConsumer(pulumi.ComponentResource):
    """Safe ESM defaults: partial batch responses, bisect, finite retries and age, and an SQS destination."""

    failure_queue: aws.sqs.Queue
    failure_queue_policy: aws.sqs.QueuePolicy
    function: PlatformFunction
    event_source_mapping: aws.lambda_.EventSourceMapping
    function_name: pulumi.Output[str]
    failure_queue_url: pulumi.Output[str]
    failure_queue_arn: pulumi.Output[str]
    failure_queue_name: pulumi.Output[str]

    def __init__(self, name: str, args: StreamConsumerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:StreamConsumer", name, None, opts)
        settings, names, tags = args.settings, args.names, args.tags
        child = pulumi.ResourceOptions(parent=self)

        self.failure_queue = aws.sqs.Queue(
            f"{name}-failures",
            name=names.failure_queue,
            kms_master_key_id=args.tenant_key_arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=defaults.FAILURE_QUEUE_RETENTION_SECONDS,
            tags=tags,
            opts=stateful_options(args.protect, parent=self),
        )
        self.failure_queue_policy = aws.sqs.QueuePolicy(
            f"{name}-failures-policy",
            queue_url=self.failure_queue.url,
            policy=document([deny_insecure_transport([self.failure_queue.arn], actions="sqs:*")]),
            opts=child,
        )

        quarantine_objects = pulumi.Output.concat(args.lake_bucket_arn, "/", args.quarantine_prefix, "*")
        statements = [
            # What a standard-iterator mapping calls on the stream
            # (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-create.html). No SubscribeToShard: it is
            # for enhanced fan-out, which the program does not use, and is authorized against a consumer ARN, so a
            # grant on the stream ARN never matched anything (list_amazonkinesisdatastreams.html).
            allow(
                "ReadOwnStream",
                [
                    "kinesis:DescribeStream",
                    "kinesis:DescribeStreamSummary",
                    "kinesis:GetRecords",
                    "kinesis:GetShardIterator",
                    "kinesis:ListShards",
                ],
                [args.stream_arn],
            ),
            allow("DecryptOwnStreamAndQueue", ["kms:Decrypt", "kms:GenerateDataKey"], [args.tenant_key_arn]),
            allow("SendFailuresToOwnQueue", ["sqs:SendMessage"], [self.failure_queue.arn]),
            allow(
                "DeliverToOwnFirehose",
                ["firehose:PutRecord", "firehose:PutRecordBatch"],
                [args.delivery_stream_arn],
            ),
            allow(
                "OwnCheckpoints",
                ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                [args.checkpoint_table_arn],
                leading_keys(args.tenant),
            ),
            allow("QuarantineUnderOwnPrefix", ["s3:PutObject"], [quarantine_objects]),
            allow(
                "PlatformKeyViaDynamoDb",
                ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                [args.platform_key_arn],
                via_service("dynamodb", args.region, args.partition.dns_suffix),
            ),
            # The quarantine object's key request, as S3 makes it with the lake's S3 Bucket Key: context = the lake
            # bucket's ARN (lake_key_via_s3); the prefix is enforced by QuarantineUnderOwnPrefix.
            allow(
                "PlatformKeyViaS3",
                ["kms:GenerateDataKey"],
                [args.platform_key_arn],
                lake_key_via_s3(args.lake_bucket_arn, args.region, args.partition.dns_suffix),
            ),
        ]
        environment: dict[str, pulumi.Input[str]] = {
            consumer_config.ENV_TENANT: args.tenant,
            consumer_config.ENV_STREAM_NAME: names.stream,
            consumer_config.ENV_CONSUMER_NAME: names.consumer_function,
            consumer_config.ENV_CHECKPOINT_TABLE: args.checkpoint_table,
            consumer_config.ENV_DELIVERY_STREAM: args.delivery_stream_name,
            consumer_config.ENV_QUARANTINE_BUCKET: args.lake_bucket,
            consumer_config.ENV_QUARANTINE_PREFIX: args.quarantine_prefix,
            consumer_config.ENV_PII_FIELDS: ",".join(args.pii_fields),
            # The same setting as the mapping's factor below: the consumer's checkpointing depends on it.
            consumer_config.ENV_PARALLELIZATION_FACTOR: str(settings.parallelization),
        }
        self.function = PlatformFunction(
            f"{name}-function",
            PlatformFunctionArgs(
                function_name=names.consumer_function,
                role_name=names.consumer_role,
                handler=CONSUMER_HANDLER,
                service_name=consumer_config.SERVICE_NAME,
                description=f"Delivers {args.subject} events to the lake",
                package=args.package,
                environment=environment,
                statements=statements,
                memory_mb=settings.memory_mb,
                timeout_seconds=settings.timeout_seconds,
                tags=tags,
            ),
            opts=child,
        )
        self.event_source_mapping = aws.lambda_.EventSourceMapping(
            f"{name}-mapping",
            event_source_arn=args.stream_arn,
            function_name=self.function.arn,
            starting_position=settings.starting_position,
            batch_size=settings.batch_size,
            maximum_batching_window_in_seconds=settings.batching_window_seconds,
            parallelization_factor=settings.parallelization,
            maximum_retry_attempts=settings.max_retries,
            maximum_record_age_in_seconds=settings.max_record_age_seconds,
            bisect_batch_on_function_error=True,
            function_response_types=["ReportBatchItemFailures"],
            destination_config={"on_failure": {"destination_arn": self.failure_queue.arn}},
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.function]),
        )
        self.function_name = self.function.name
        self.failure_queue_url = self.failure_queue.url
        self.failure_queue_arn = self.failure_queue.arn
        self.failure_queue_name = self.failure_queue.name
        self.register_outputs(
            {
                "function_name": self.function_name,
                "failure_queue_url": self.failure_queue_url,
                "failure_queue_arn": self.failure_queue_arn,
                "failure_queue_name": self.failure_queue_name,
            }
        )
