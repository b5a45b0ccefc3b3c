"""A tenant: its own KMS key, a pipeline per stream and a dashboard, all tagged `tenant=<name>`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from infra.components.encryption_key import EncryptionKey, EncryptionKeyArgs
from infra.components.platform_function import FunctionPackage
from infra.components.stream_pipeline import StreamPipeline, StreamPipelineArgs
from infra.components.tenant_dashboard import TenantDashboard, TenantDashboardArgs
from infra.config import LakeSettings, TenantSettings
from infra.naming import PlatformNames
from infra.platform_resources import PlatformResources


@dataclass(frozen=True)
class TenantPipelineArgs:
    tenant: str
    settings: TenantSettings
    lake: LakeSettings  # the stack's lake defaults, which each stream's overrides refine
    names: PlatformNames
    platform: PlatformResources
    package: FunctionPackage
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)  # the stack's; the tenant's and streams' add to them


class TenantPipeline(pulumi.ComponentResource):
    """Its own key, so a tenant's data can be audited and revoked apart; its outputs are its streams'."""

    key: EncryptionKey
    streams: dict[str, StreamPipeline]
    dashboard: TenantDashboard
    outputs: dict[str, Any]

    def __init__(self, name: str, args: TenantPipelineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:platform:TenantPipeline", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tenant_tags = {**args.tags, "tenant": args.tenant}
        self.key = EncryptionKey(
            f"{name}-key",
            EncryptionKeyArgs(
                description=f"Tenant {args.tenant}: streams, failure queues and delivery streams",
                alias=args.names.tenant_key_alias(args.tenant),
                account_id=args.platform.account_id,
                partition=args.platform.partition.name,
                protect=args.protect,
                tags=tenant_tags,
            ),
            opts=child,
        )
        self.streams = {
            stream: StreamPipeline(
                f"{name}-{stream}",
                StreamPipelineArgs(
                    tenant=args.tenant,
                    stream=stream,
                    names=args.names.stream(args.tenant, stream),
                    settings=settings,
                    lake=args.lake.for_stream(settings.lake),
                    tenant_key_arn=self.key.arn,
                    platform=args.platform,
                    package=args.package,
                    protect=args.protect,
                    tags={**tenant_tags, "stream": stream},
                ),
                opts=child,
            )
            for stream, settings in sorted(args.settings.streams.items())
        }
        self.dashboard = TenantDashboard(
            f"{name}-dashboard",
            TenantDashboardArgs(
                dashboard_name=args.names.tenant_dashboard(args.tenant),
                region=args.platform.region,
                streams={stream: args.names.stream(args.tenant, stream) for stream in args.settings.streams},
            ),
            opts=child,
        )
        self.outputs = {"streams": {stream: pipeline.outputs for stream, pipeline in self.streams.items()}}
        self.register_outputs(self.outputs)
