"""One tenant's Kinesis data stream."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra import defaults
from infra.config import StreamSettings


@dataclass(frozen=True)
class EventStreamArgs:
    stream_name: str
    settings: StreamSettings
    key_arn: pulumi.Input[str]
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class EventStream(pulumi.ComponentResource):
    """KMS-encrypted stream with shard-level metrics; the autoscaler, not `pulumi up`, owns its shard count."""

    def __init__(self, name: str, args: EventStreamArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:EventStream", name, None, opts)
        settings = args.settings
        provisioned = settings.mode == "provisioned"
        ignore_changes: list[str] = []
        if settings.autoscaled:
            ignore_changes.append("shardCount")
            if settings.autoscaling.allow_mode_switch:
                ignore_changes.append("streamModeDetails")
        self.stream = aws.kinesis.Stream(
            f"{name}-stream",
            name=args.stream_name,
            shard_count=settings.shard_count if provisioned else None,
            stream_mode_details={"stream_mode": "PROVISIONED" if provisioned else "ON_DEMAND"},
            retention_period=settings.retention_hours,
            encryption_type="KMS",
            kms_key_id=args.key_arn,
            shard_level_metrics=list(defaults.SHARD_LEVEL_METRICS),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, ignore_changes=ignore_changes),
        )
        self.name = self.stream.name
        self.arn = self.stream.arn
        self.register_outputs({"name": self.stream.name, "arn": self.stream.arn})
