"""A DynamoDB table for small operational state (consumer checkpoints, scaling history)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.lifecycle import stateful_options


@dataclass(frozen=True)
class StateTableArgs:
    table_name: str
    key_arn: pulumi.Input[str]
    hash_key: str = "pk"
    range_key: str | None = None
    # Items carrying this epoch-seconds attribute are deleted by DynamoDB once it passes.
    ttl_attribute: str | None = None
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class StateTable(pulumi.ComponentResource):
    """On-demand billing (state writes are bursty and small), PITR, SSE-KMS, deletion protection if protected."""

    table: aws.dynamodb.Table
    name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: StateTableArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:StateTable", name, None, opts)
        attributes: list[Any] = [{"name": args.hash_key, "type": "S"}]
        if args.range_key:
            attributes.append({"name": args.range_key, "type": "S"})
        self.table = aws.dynamodb.Table(
            f"{name}-table",
            name=args.table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=args.hash_key,
            range_key=args.range_key,
            attributes=attributes,
            point_in_time_recovery={"enabled": True},
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True, kms_key_arn=args.key_arn),
            deletion_protection_enabled=args.protect,
            ttl={"attribute_name": args.ttl_attribute, "enabled": True} if args.ttl_attribute else None,
            tags=args.tags,
            opts=stateful_options(args.protect, parent=self),
        )
        self.name = self.table.name
        self.arn = self.table.arn
        self.register_outputs({"name": self.name, "arn": self.arn})
