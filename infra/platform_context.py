"""Stack-wide values every tenant pipeline needs, resolved once and passed down typed."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from infra.config import PlatformConfig, StreamSettings
from infra.naming import PlatformNames, StreamNames


@dataclass(frozen=True)
class PlatformContext:
    """Shared resources' identifiers (as Outputs) and stack settings."""

    config: PlatformConfig
    names: PlatformNames
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
    code: pulumi.Archive
    layers: list[pulumi.Input[str]]
    base_tags: dict[str, str]

    def tenant_tags(self, tenant: str, stream: str | None = None) -> dict[str, str]:
        tags = {**self.base_tags, "tenant": tenant}
        if stream:
            tags["stream"] = stream
        return tags


@dataclass(frozen=True)
class StreamScope:
    """One tenant stream as every per-stream component sees it."""

    tenant: str
    stream: str
    settings: StreamSettings
    context: PlatformContext

    @property
    def names(self) -> StreamNames:
        return self.context.names.stream(self.tenant, self.stream)

    @property
    def tags(self) -> dict[str, str]:
        return self.context.tenant_tags(self.tenant, self.stream)

    @property
    def subject(self) -> str:
        return f"{self.tenant}/{self.stream}"
