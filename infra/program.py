"""The Pulumi program: read the stack's config once, validate it, build the platform, return its outputs."""

from __future__ import annotations

from typing import Any

import pulumi

from infra.config import PROJECT_NAMESPACE, PlatformConfig, config_from_pulumi_values
from infra.platform import StreamingPlatform


def project_config_keys() -> list[str]:
    """The keys of this project's namespace the engine passed (the PULUMI_CONFIG object, in its order).

    pulumi.Config reads a key's value but cannot list keys; the list lets a misspelt key fail validation
    ("did you mean") instead of silently leaving its setting at the default.
    """
    namespace = f"{PROJECT_NAMESPACE}:"
    return [key.removeprefix(namespace) for key in pulumi.runtime.get_config_env() if key.startswith(namespace)]


def stack_config_values() -> dict[str, Any]:
    """This stack's config, read with pulumi.Config, keyed as in Pulumi.<stack>.yaml (`namespace:key`)."""
    project = pulumi.Config(PROJECT_NAMESPACE)
    keys = dict.fromkeys([*PlatformConfig.model_fields, *project_config_keys()])
    values: dict[str, Any] = {project.full_key(key): value for key in keys if (value := project.get(key)) is not None}
    region = pulumi.Config("aws").get("region")
    if region:
        values["aws:region"] = region
    return values


def secret_config_keys() -> frozenset[str]:
    """This project's top-level keys that hold a secret (`pulumi config set --secret [--path]`), as the engine
    lists them (PULUMI_CONFIG_SECRET_KEYS, which pulumi-language-python-exec hands to set_all_config). pulumi.Config
    returns their values decrypted; the program keeps every resource input built from one secret."""
    project = pulumi.Config(PROJECT_NAMESPACE)
    keys = dict.fromkeys([*PlatformConfig.model_fields, *project_config_keys()])
    return frozenset(key for key in keys if pulumi.runtime.is_config_secret(project.full_key(key)))


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
    platform = StreamingPlatform(
        "platform", config, stack=pulumi.get_stack(), region=region, secret_keys=secret_config_keys()
    )
    return platform.outputs
