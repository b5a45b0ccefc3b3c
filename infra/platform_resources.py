"""The stack-wide resources every tenant pipeline uses, by identifier: StreamingPlatform creates them once."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class PlatformResources:
    """Identifiers (Outputs) of the shared key, lake bucket, state tables and alarm topic, and where they are."""

    region: str
    account_id: pulumi.Output[str]
    platform_key_arn: pulumi.Output[str]
    lake_bucket: pulumi.Output[str]
    lake_bucket_arn: pulumi.Output[str]
    checkpoint_table: pulumi.Output[str]
    checkpoint_table_arn: pulumi.Output[str]
    scaling_table: pulumi.Output[str]
    scaling_table_arn: pulumi.Output[str]
    alarm_topic_arn: pulumi.Output[str]
