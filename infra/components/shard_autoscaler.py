"""The shard autoscaler of one provisioned stream: a scheduled Lambda that also wakes on write throttling."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from functions.shard_scaler import config as scaler_config
from infra import defaults
from infra.alarm_specs import scaler_alarm_spec
from infra.components.platform_function import FunctionPackage, PlatformFunction, PlatformFunctionArgs
from infra.components.stream_alarms import metric_alarm
from infra.config import AutoscalingSettings
from infra.naming import StreamNames
from infra.platform_resources import AwsPartition
from infra.policy_documents import allow, leading_keys, service_principal, via_service

SCALER_HANDLER = "functions.shard_scaler.handler.lambda_handler"


@dataclass(frozen=True)
class ShardAutoscalerArgs:
    tenant: str
    names: StreamNames
    subject: str  # "<tenant>/<stream>", in descriptions
    settings: AutoscalingSettings
    stream_arn: pulumi.Input[str]
    consumer_function: pulumi.Input[str]
    throttle_alarm_name: str
    scaling_table: pulumi.Input[str]
    scaling_table_arn: pulumi.Input[str]
    platform_key_arn: pulumi.Input[str]
    alarm_topic_arn: pulumi.Input[str]
    region: str
    partition: AwsPartition
    package: FunctionPackage
    tags: dict[str, str] = field(default_factory=dict)


class ShardAutoscaler(pulumi.ComponentResource):
    """Every minute (EventBridge) and at once on the write-throttle alarm (SNS, filtered to this stream)."""

    function: PlatformFunction
    schedule: aws.cloudwatch.EventRule
    schedule_target: aws.cloudwatch.EventTarget
    schedule_permission: aws.lambda_.Permission
    throttle_subscription: aws.sns.TopicSubscription
    alarm_permission: aws.lambda_.Permission
    errors_alarm: aws.cloudwatch.MetricAlarm
    name: pulumi.Output[str]

    def __init__(self, name: str, args: ShardAutoscalerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:ShardAutoscaler", name, None, opts)
        names, scaling, tags = args.names, args.settings, args.tags
        child = pulumi.ResourceOptions(parent=self)
        resize_actions = ["kinesis:UpdateShardCount"]
        if scaling.allow_mode_switch:
            resize_actions.append("kinesis:UpdateStreamMode")
        statements = [
            allow("DescribeOwnStream", ["kinesis:DescribeStreamSummary"], [args.stream_arn]),
            # UpdateShardCount and UpdateStreamMode list no resource type in the Service Authorization Reference
            # ("If there is no value for this column, you must specify all resources ("*")",
            # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisdatastreams.html):
            # IAM authorizes them against "*", so a grant naming the stream never matches and the scaler could not
            # resize. The trade-off: IAM cannot keep this role to its own stream, any stream of the account is
            # resizable with it. The scaler is platform code, not tenant code; it only calls these with the
            # STREAM_ARN the program sets, within the stream's min/max shards, and the 10-per-24h reshard quota and
            # the scaler-errors alarm bound what a fault could do (capacity and cost, no data access).
            allow("ResizeStreams", resize_actions, ["*"]),
            # GetMetricData has no resource-level permissions: AWS requires "*".
            allow("ReadStreamMetrics", ["cloudwatch:GetMetricData"], ["*"]),
            allow(
                "OwnScalingHistory",
                ["dynamodb:GetItem", "dynamodb:PutItem"],
                [args.scaling_table_arn],
                leading_keys(args.tenant),
            ),
            allow(
                "PlatformKeyViaDynamoDb",
                ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                [args.platform_key_arn],
                via_service("dynamodb", args.region, args.partition.dns_suffix),
            ),
        ]
        self.function = PlatformFunction(
            f"{name}-function",
            PlatformFunctionArgs(
                function_name=names.scaler_function,
                role_name=names.scaler_role,
                handler=SCALER_HANDLER,
                service_name=scaler_config.SERVICE_NAME,
                description=f"Shard autoscaler of {args.subject}",
                package=args.package,
                environment={
                    scaler_config.ENV_TENANT: args.tenant,
                    scaler_config.ENV_STREAM_NAME: names.stream,
                    scaler_config.ENV_STREAM_ARN: args.stream_arn,
                    scaler_config.ENV_SCALING_TABLE: args.scaling_table,
                    scaler_config.ENV_MIN_SHARDS: str(scaling.min),
                    scaler_config.ENV_MAX_SHARDS: str(scaling.max),
                    scaler_config.ENV_CONSUMER_FUNCTION: args.consumer_function,
                    scaler_config.ENV_ALLOW_MODE_SWITCH: "true" if scaling.allow_mode_switch else "false",
                },
                statements=statements,
                memory_mb=defaults.SCALER_MEMORY_MB,
                timeout_seconds=defaults.SCALER_TIMEOUT_SECONDS,
                tags=tags,
            ),
            opts=child,
        )
        function = self.function.function
        self.schedule = aws.cloudwatch.EventRule(
            f"{name}-schedule",
            name=names.scaler_schedule,
            description=f"Evaluate the shard count of {args.subject}",
            schedule_expression=defaults.SCALER_SCHEDULE,
            tags=tags,
            opts=child,
        )
        self.schedule_target = aws.cloudwatch.EventTarget(
            f"{name}-schedule-target",
            rule=self.schedule.name,
            arn=function.arn,
            target_id="scaler",
            opts=child,
        )
        self.schedule_permission = aws.lambda_.Permission(
            f"{name}-schedule-invoke",
            action="lambda:InvokeFunction",
            function=function.name,
            principal=service_principal("events"),
            source_arn=self.schedule.arn,
            opts=child,
        )
        self.throttle_subscription = aws.sns.TopicSubscription(
            f"{name}-throttle-alarm",
            topic=args.alarm_topic_arn,
            protocol="lambda",
            endpoint=function.arn,
            filter_policy_scope="MessageBody",
            filter_policy=json.dumps({"AlarmName": [args.throttle_alarm_name], "NewStateValue": ["ALARM"]}),
            opts=child,
        )
        self.alarm_permission = aws.lambda_.Permission(
            f"{name}-alarm-invoke",
            action="lambda:InvokeFunction",
            function=function.name,
            principal=service_principal("sns"),
            source_arn=args.alarm_topic_arn,
            opts=child,
        )
        self.errors_alarm = metric_alarm(
            f"{name}-errors",
            scaler_alarm_spec(),
            alarm_name=names.alarm(scaler_alarm_spec().kind),
            subject=args.subject,
            dimension_values={"FunctionName": function.name},
            topic_arn=args.alarm_topic_arn,
            tags=tags,
            parent=self,
        )
        self.name = function.name
        self.register_outputs({"name": self.name})
