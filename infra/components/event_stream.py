"""One tenant's Kinesis data stream."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra import defaults
from infra.lifecycle import stateful_options


@dataclass(frozen=True)
class EventStreamArgs:
    stream_name: str
    shard_count: int | None  # None: an on-demand stream
    retention_hours: int
    key_arn: pulumi.Input[str]
    # What the autoscaler changes outside `pulumi up`, which the program must then not revert.
    autoscaled: bool = False
    mode_switching: bool = False
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class EventStream(pulumi.ComponentResource):
    """KMS-encrypted stream with shard-level metrics; the autoscaler, not `pulumi up`, owns its shard count."""

    stream: aws.kinesis.Stream
    name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: EventStreamArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:EventStream", name, None, opts)
        provisioned = args.shard_count is not None
        ignore_changes: list[str] = []
        if args.autoscaled:
            ignore_changes.append("shardCount")
            if args.mode_switching:
                ignore_changes.append("streamModeDetails")
        self.stream = aws.kinesis.Stream(
            f"{name}-stream",
            name=args.stream_name,
            shard_count=args.shard_count,
            stream_mode_details={"stream_mode": "PROVISIONED" if provisioned else "ON_DEMAND"},
            retention_period=args.retention_hours,
            encryption_type="KMS",
            kms_key_id=args.key_arn,
            shard_level_metrics=list(defaults.SHARD_LEVEL_METRICS),
            tags=args.tags,
            opts=stateful_options(args.protect, parent=self, ignore_changes=ignore_changes),
        )
        self.name = self.stream.name
        self.arn = self.stream.arn
        self.register_outputs({"name": self.name, "arn": self.arn})
