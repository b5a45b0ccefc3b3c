"""A tenant: its own KMS key, a pipeline per stream and a dashboard, all tagged `tenant=<name>`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from infra.components.encryption_key import EncryptionKey, EncryptionKeyArgs
from infra.components.event_stream import EventStream, EventStreamArgs
from infra.components.lake_delivery import LakeDelivery, LakeDeliveryArgs, quarantine_prefix
from infra.components.shard_autoscaler import ShardAutoscaler, ShardAutoscalerArgs
from infra.components.stream_alarms import StreamAlarms, StreamAlarmsArgs
from infra.components.stream_consumer import StreamConsumer, StreamConsumerArgs
from infra.components.tenant_dashboard import TenantDashboard, TenantDashboardArgs
from infra.config import StreamSettings, TenantSettings
from infra.platform_context import PlatformContext, StreamScope


@dataclass(frozen=True)
class StreamPipelineArgs:
    tenant: str
    stream: str
    settings: StreamSettings
    tenant_key_arn: pulumi.Input[str]
    context: PlatformContext


class StreamPipeline(pulumi.ComponentResource):
    """Kinesis -> Lambda consumer -> Firehose -> lake, with alarms and (if provisioned) an autoscaler."""

    def __init__(self, name: str, args: StreamPipelineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:StreamPipeline", name, None, opts)
        ctx, settings = args.context, args.settings
        scope = StreamScope(args.tenant, args.stream, settings, ctx)
        names = scope.names
        child = pulumi.ResourceOptions(parent=self)
        protect = ctx.config.protect_stateful
        self.quarantine_prefix = quarantine_prefix(args.tenant, args.stream)

        self.stream = EventStream(
            f"{name}-events",
            EventStreamArgs(
                stream_name=names.stream,
                settings=settings,
                key_arn=args.tenant_key_arn,
                protect=protect,
                tags=scope.tags,
            ),
            opts=child,
        )
        self.delivery = LakeDelivery(
            f"{name}-delivery",
            LakeDeliveryArgs(scope=scope, tenant_key_arn=args.tenant_key_arn),
            opts=child,
        )
        self.consumer = StreamConsumer(
            f"{name}-consumer",
            StreamConsumerArgs(
                scope=scope,
                stream_arn=self.stream.arn,
                tenant_key_arn=args.tenant_key_arn,
                delivery_stream_name=self.delivery.name,
                delivery_stream_arn=self.delivery.arn,
                quarantine_prefix=self.quarantine_prefix,
            ),
            opts=child,
        )
        self.alarms = StreamAlarms(
            f"{name}-alarms",
            StreamAlarmsArgs(
                scope=scope,
                stream_name=self.stream.name,
                consumer_function=self.consumer.function.name,
                failure_queue_name=self.consumer.failure_queue.name,
                delivery_stream_name=self.delivery.name,
                delivery_buffer_seconds=self.delivery.buffer_seconds,
            ),
            opts=child,
        )
        self.autoscaler: ShardAutoscaler | None = None
        if settings.autoscaled:
            self.autoscaler = ShardAutoscaler(
                f"{name}-autoscaler",
                ShardAutoscalerArgs(
                    scope=scope,
                    stream_arn=self.stream.arn,
                    consumer_function=self.consumer.function.name,
                    throttle_alarm_name=names.alarm("write-throttled"),
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.alarms]),
            )
        self.outputs: dict[str, Any] = {
            "stream_name": self.stream.name,
            "stream_arn": self.stream.arn,
            "mode": settings.mode,
            "consumer_function": self.consumer.function.name,
            "failure_queue_url": self.consumer.failure_queue.url,
            "failure_queue_arn": self.consumer.failure_queue.arn,
            "delivery_stream": self.delivery.name,
            "lake_prefix": self.delivery.prefix,
            "quarantine_prefix": self.quarantine_prefix,
            "scaler_function": self.autoscaler.name if self.autoscaler else None,
        }
        self.register_outputs({"stream_name": self.stream.name})


@dataclass(frozen=True)
class TenantPipelineArgs:
    tenant: str
    settings: TenantSettings
    context: PlatformContext


class TenantPipeline(pulumi.ComponentResource):
    def __init__(self, name: str, args: TenantPipelineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:TenantPipeline", name, None, opts)
        ctx = args.context
        child = pulumi.ResourceOptions(parent=self)
        self.key = EncryptionKey(
            f"{name}-key",
            EncryptionKeyArgs(
                description=f"Tenant {args.tenant}: streams, failure queues and delivery streams",
                alias=ctx.names.tenant_key_alias(args.tenant),
                account_id=ctx.account_id,
                protect=ctx.config.protect_stateful,
                tags=ctx.tenant_tags(args.tenant),
            ),
            opts=child,
        )
        self.streams = {
            stream: StreamPipeline(
                f"{name}-{stream}",
                StreamPipelineArgs(args.tenant, stream, settings, self.key.arn, ctx),
                opts=child,
            )
            for stream, settings in sorted(args.settings.streams.items())
        }
        self.dashboard = TenantDashboard(
            f"{name}-dashboard",
            TenantDashboardArgs(
                dashboard_name=ctx.names.tenant_dashboard(args.tenant),
                region=ctx.region,
                streams={stream: ctx.names.stream(args.tenant, stream) for stream in args.settings.streams},
            ),
            opts=child,
        )
        self.outputs = {"streams": {stream: pipeline.outputs for stream, pipeline in self.streams.items()}}
        self.register_outputs({})
