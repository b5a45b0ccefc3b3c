"""The Pulumi program: read the stack's config once, validate it, build the platform, return its outputs."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from infra.config import PlatformConfig, config_from_pulumi_values
from infra.platform import StreamingPlatform


def stack_config_values() -> dict[str, Any]:
    """All config values the engine passed to this program, namespaced keys as in Pulumi.<stack>.yaml."""
    return {**get_config_env(), **CONFIG.get()}


def load_platform_config() -> tuple[PlatformConfig, str]:
    """The validated config and the AWS region; raises StackConfigError before any resource is registered."""
    values = stack_config_values()
    config = config_from_pulumi_values(values, stack=pulumi.get_stack())
    region = str(values.get("aws:region") or "us-east-1")
    return config, region


def platform_program(config: PlatformConfig | None = None, region: str | None = None) -> dict[str, Any]:
    """Build the platform from `config` (read from the stack when not given) and return the stack outputs."""
    if config is None or region is None:
        config, region = load_platform_config()
    platform = StreamingPlatform("platform", config, stack=pulumi.get_stack(), region=region)
    return platform.outputs
