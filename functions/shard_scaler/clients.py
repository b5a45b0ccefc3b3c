"""boto3 clients for the scaler, made on first use (so moto's mock_aws applies) and reused while warm."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

_RETRY_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=10)
_clients: dict[str, Any] = {}


def aws_client(service: str) -> Any:
    """The cached client for `service`, with botocore's standard retry mode."""
    client = _clients.get(service)
    if client is None:
        client = boto3.client(service, config=_RETRY_CONFIG)  # type: ignore[call-overload]
        _clients[service] = client
    return client


def forget_clients() -> None:
    """Drop cached clients (tests start a fresh mock per test)."""
    _clients.clear()
