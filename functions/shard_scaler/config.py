"""Shard scaler configuration, read once from the environment the program sets for it.

The variable names below are the contract with infra/components/shard_autoscaler.py, which imports them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

ENV_TENANT: Final = "TENANT"
ENV_STREAM_NAME: Final = "STREAM_NAME"
ENV_STREAM_ARN: Final = "STREAM_ARN"
ENV_SCALING_TABLE: Final = "SCALING_TABLE"
ENV_MIN_SHARDS: Final = "MIN_SHARDS"
ENV_MAX_SHARDS: Final = "MAX_SHARDS"
ENV_CONSUMER_FUNCTION: Final = "CONSUMER_FUNCTION"  # optional: its metrics join the stream's
ENV_ALLOW_MODE_SWITCH: Final = "ALLOW_MODE_SWITCH"  # "true" or "false"
SERVICE_NAME: Final = "shard-scaler"  # Powertools service: the metrics' and logs' `service`
DEFAULT_MIN_SHARDS: Final = 1
DEFAULT_MAX_SHARDS: Final = 500


class ScalerConfigError(ValueError):
    """A missing or malformed environment variable; the message names it."""


@dataclass(frozen=True)
class ScalerConfig:
    stream_name: str
    stream_arn: str
    scaling_table: str
    tenant: str
    min_shards: int
    max_shards: int
    consumer_function: str | None
    allow_mode_switch: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ScalerConfig:
        env = dict(os.environ) if env is None else env

        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise ScalerConfigError(f"environment variable {name} is required")
            return value

        def integer(name: str, default: int) -> int:
            raw = env.get(name, "").strip()
            try:
                return int(raw) if raw else default
            except ValueError:
                raise ScalerConfigError(f"environment variable {name} must be an integer, got {raw!r}") from None

        switch = env.get(ENV_ALLOW_MODE_SWITCH, "false").strip().lower()
        if switch not in ("true", "false", ""):
            raise ScalerConfigError(
                f"environment variable {ENV_ALLOW_MODE_SWITCH} must be true or false, got {switch!r}"
            )
        min_shards = integer(ENV_MIN_SHARDS, DEFAULT_MIN_SHARDS)
        max_shards = integer(ENV_MAX_SHARDS, DEFAULT_MAX_SHARDS)
        if not 1 <= min_shards <= max_shards:
            raise ScalerConfigError(
                f"need 1 <= {ENV_MIN_SHARDS} <= {ENV_MAX_SHARDS}, got {min_shards} and {max_shards}"
            )
        return cls(
            stream_name=required(ENV_STREAM_NAME),
            stream_arn=required(ENV_STREAM_ARN),
            scaling_table=required(ENV_SCALING_TABLE),
            tenant=required(ENV_TENANT),
            min_shards=min_shards,
            max_shards=max_shards,
            consumer_function=env.get(ENV_CONSUMER_FUNCTION, "").strip() or None,
            allow_mode_switch=switch == "true",
        )
