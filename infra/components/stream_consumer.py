"""The Lambda consumer of one stream: function, event source mapping and on-failure queue."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from functions.consumer import config as consumer_config
from infra import defaults
from infra.components.platform_function import PlatformFunction, PlatformFunctionArgs
from infra.platform_context import StreamScope
from infra.policy_documents import allow, deny_insecure_transport, document, leading_keys, via_service

CONSUMER_HANDLER = "functions.consumer.handler.lambda_handler"


@dataclass(frozen=True)
class StreamConsumerArgs:
    scope: StreamScope
    stream_arn: pulumi.Input[str]
    tenant_key_arn: pulumi.Input[str]
    delivery_stream_name: pulumi.Input[str]
    delivery_stream_arn: pulumi.Input[str]
    quarantine_prefix: str


class StreamConsumer(pulumi.ComponentResource):
    """Safe ESM defaults: partial batch responses, bisect, finite retries and age, and an SQS destination."""

    def __init__(self, name: str, args: StreamConsumerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:StreamConsumer", name, None, opts)
        scope = args.scope
        ctx, settings, names = scope.context, scope.settings.consumer, scope.names
        tags = scope.tags
        child = pulumi.ResourceOptions(parent=self)

        self.failure_queue = aws.sqs.Queue(
            f"{name}-failures",
            name=names.failure_queue,
            kms_master_key_id=args.tenant_key_arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=defaults.FAILURE_QUEUE_RETENTION_SECONDS,
            tags=tags,
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-failures-policy",
            queue_url=self.failure_queue.url,
            policy=document([deny_insecure_transport([self.failure_queue.arn], actions="sqs:*")]),
            opts=child,
        )

        quarantine_objects = pulumi.Output.concat(ctx.lake_bucket_arn, "/", args.quarantine_prefix, "*")
        statements = [
            allow(
                "ReadOwnStream",
                [
                    "kinesis:DescribeStream",
                    "kinesis:DescribeStreamSummary",
                    "kinesis:GetRecords",
                    "kinesis:GetShardIterator",
                    "kinesis:ListShards",
                    "kinesis:SubscribeToShard",
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
                [ctx.checkpoint_table_arn],
                leading_keys(scope.tenant),
            ),
            allow("QuarantineUnderOwnPrefix", ["s3:PutObject"], [quarantine_objects]),
            allow(
                "PlatformKeyViaDynamoDb",
                ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                [ctx.platform_key_arn],
                via_service("dynamodb", ctx.region),
            ),
            allow(
                "PlatformKeyViaS3",
                ["kms:GenerateDataKey"],
                [ctx.platform_key_arn],
                via_service("s3", ctx.region),
            ),
        ]
        environment: dict[str, pulumi.Input[str]] = {
            consumer_config.ENV_TENANT: scope.tenant,
            consumer_config.ENV_STREAM_NAME: names.stream,
            consumer_config.ENV_CONSUMER_NAME: names.consumer_function,
            consumer_config.ENV_CHECKPOINT_TABLE: ctx.checkpoint_table,
            consumer_config.ENV_DELIVERY_STREAM: args.delivery_stream_name,
            consumer_config.ENV_QUARANTINE_BUCKET: ctx.lake_bucket,
            consumer_config.ENV_QUARANTINE_PREFIX: args.quarantine_prefix,
            consumer_config.ENV_PII_FIELDS: ",".join(scope.settings.pii_fields),
        }
        self.function = PlatformFunction(
            f"{name}-function",
            PlatformFunctionArgs(
                function_name=names.consumer_function,
                role_name=names.consumer_role,
                handler=CONSUMER_HANDLER,
                service_name=consumer_config.SERVICE_NAME,
                description=f"Delivers {scope.subject} events to the lake",
                code=ctx.code,
                layers=ctx.layers,
                environment=environment,
                statements=statements,
                architecture=ctx.config.architecture,
                memory_mb=settings.memory_mb,
                timeout_seconds=settings.timeout_seconds,
                log_retention_days=ctx.config.log_retention_days,
                tags=tags,
            ),
            opts=child,
        )
        self.event_source_mapping = aws.lambda_.EventSourceMapping(
            f"{name}-mapping",
            event_source_arn=args.stream_arn,
            function_name=self.function.function.arn,
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
        self.register_outputs({"function": self.function.name, "failure_queue_url": self.failure_queue.url})
