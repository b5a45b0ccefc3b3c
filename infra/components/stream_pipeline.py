"""One tenant stream end to end: Kinesis -> Lambda consumer -> Firehose -> lake, alarms, and an autoscaler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from infra.alarm_specs import alarm_specs
from infra.components.event_stream import EventStream, EventStreamArgs
from infra.components.lake_delivery import (
    LakeDelivery,
    LakeDeliveryArgs,
    errors_prefix,
    events_prefix,
    quarantine_prefix,
)
from infra.components.platform_function import FunctionPackage
from infra.components.shard_autoscaler import ShardAutoscaler, ShardAutoscalerArgs
from infra.components.stream_alarms import StreamAlarms, StreamAlarmsArgs
from infra.components.stream_consumer import StreamConsumer, StreamConsumerArgs
from infra.config import LakeDeliverySettings, StreamSettings
from infra.naming import StreamNames
from infra.platform_resources import PlatformResources


@dataclass(frozen=True)
class StreamPipelineArgs:
    tenant: str
    stream: str
    names: StreamNames
    settings: StreamSettings
    lake: LakeDeliverySettings  # the stream's effective Firehose settings (infra/config.py computes them)
    tenant_key_arn: pulumi.Input[str]
    platform: PlatformResources
    package: FunctionPackage
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class StreamPipeline(pulumi.ComponentResource):
    """The stream's resources, and its entry in the stack outputs (the contract of scripts/streamctl)."""

    stream: EventStream
    delivery: LakeDelivery
    consumer: StreamConsumer
    alarms: StreamAlarms
    autoscaler: ShardAutoscaler | None
    stream_name: pulumi.Output[str]
    stream_arn: pulumi.Output[str]
    mode: str
    consumer_function: pulumi.Output[str]
    failure_queue_url: pulumi.Output[str]
    failure_queue_arn: pulumi.Output[str]
    delivery_stream: pulumi.Output[str]
    lake_prefix: str
    quarantine_prefix: str
    scaler_function: pulumi.Output[str] | None
    outputs: dict[str, Any]

    def __init__(self, name: str, args: StreamPipelineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:StreamPipeline", name, None, opts)
        settings, names, platform = args.settings, args.names, args.platform
        subject = f"{args.tenant}/{args.stream}"
        child = pulumi.ResourceOptions(parent=self)
        self.quarantine_prefix = quarantine_prefix(args.tenant, args.stream)

        self.stream = EventStream(
            f"{name}-events",
            EventStreamArgs(
                stream_name=names.stream,
                shard_count=settings.shard_count if settings.mode == "provisioned" else None,
                retention_hours=settings.retention_hours,
                key_arn=args.tenant_key_arn,
                autoscaled=settings.autoscaled,
                mode_switching=settings.autoscaling.allow_mode_switch,
                protect=args.protect,
                tags=args.tags,
            ),
            opts=child,
        )
        self.delivery = LakeDelivery(
            f"{name}-delivery",
            LakeDeliveryArgs(
                delivery_stream_name=names.delivery_stream,
                role_name=names.delivery_role,
                subject=subject,
                events_prefix=events_prefix(args.tenant, args.stream),
                errors_prefix=errors_prefix(args.tenant, args.stream),
                settings=args.lake,
                tenant_key_arn=args.tenant_key_arn,
                platform_key_arn=platform.platform_key_arn,
                lake_bucket_arn=platform.lake_bucket_arn,
                account_id=platform.account_id,
                region=platform.region,
                partition=platform.partition,
                log_retention_days=args.package.log_retention_days,
                tags=args.tags,
            ),
            opts=child,
        )
        self.consumer = StreamConsumer(
            f"{name}-consumer",
            StreamConsumerArgs(
                tenant=args.tenant,
                names=names,
                subject=subject,
                settings=settings.consumer,
                pii_fields=settings.pii_fields,
                stream_arn=self.stream.arn,
                tenant_key_arn=args.tenant_key_arn,
                delivery_stream_name=self.delivery.name,
                delivery_stream_arn=self.delivery.arn,
                quarantine_prefix=self.quarantine_prefix,
                lake_bucket=platform.lake_bucket,
                lake_bucket_arn=platform.lake_bucket_arn,
                checkpoint_table=platform.checkpoint_table,
                checkpoint_table_arn=platform.checkpoint_table_arn,
                platform_key_arn=platform.platform_key_arn,
                region=platform.region,
                partition=platform.partition,
                package=args.package,
                protect=args.protect,
                tags=args.tags,
            ),
            opts=child,
        )
        self.alarms = StreamAlarms(
            f"{name}-alarms",
            StreamAlarmsArgs(
                names=names,
                subject=subject,
                specs=alarm_specs(settings, args.lake.buffer_seconds),
                stream_name=self.stream.name,
                consumer_function=self.consumer.function_name,
                failure_queue_name=self.consumer.failure_queue_name,
                delivery_stream_name=self.delivery.name,
                alarm_topic_arn=platform.alarm_topic_arn,
                tags=args.tags,
            ),
            opts=child,
        )
        self.autoscaler = None
        if settings.autoscaled:
            self.autoscaler = ShardAutoscaler(
                f"{name}-autoscaler",
                ShardAutoscalerArgs(
                    tenant=args.tenant,
                    names=names,
                    subject=subject,
                    settings=settings.autoscaling,
                    stream_arn=self.stream.arn,
                    consumer_function=self.consumer.function_name,
                    throttle_alarm_name=names.alarm("write-throttled"),
                    scaling_table=platform.scaling_table,
                    scaling_table_arn=platform.scaling_table_arn,
                    platform_key_arn=platform.platform_key_arn,
                    alarm_topic_arn=platform.alarm_topic_arn,
                    region=platform.region,
                    partition=platform.partition,
                    package=args.package,
                    tags=args.tags,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.alarms]),
            )
        self.stream_name = self.stream.name
        self.stream_arn = self.stream.arn
        self.mode = settings.mode
        self.consumer_function = self.consumer.function_name
        self.failure_queue_url = self.consumer.failure_queue_url
        self.failure_queue_arn = self.consumer.failure_queue_arn
        self.delivery_stream = self.delivery.name
        self.lake_prefix = self.delivery.prefix
        self.scaler_function = self.autoscaler.name if self.autoscaler else None
        self.outputs = {
            "stream_name": self.stream_name,
            "stream_arn": self.stream_arn,
            "mode": self.mode,
            "consumer_function": self.consumer_function,
            "failure_queue_url": self.failure_queue_url,
            "failure_queue_arn": self.failure_queue_arn,
            "delivery_stream": self.delivery_stream,
            "lake_prefix": self.lake_prefix,
            "quarantine_prefix": self.quarantine_prefix,
            "scaler_function": self.scaler_function,
        }
        self.register_outputs(self.outputs)
