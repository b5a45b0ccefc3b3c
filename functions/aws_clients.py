"""boto3 clients for the Lambda handlers: made on first use, reused while the environment is warm.

Lazy so that moto's `mock_aws` and local mode's `AWS_ENDPOINT_URL` apply to the first call; every client
uses botocore's standard retry mode (jittered backoff on throttling and transient errors).
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config


class ClientCache:
    """One client per service; `clients` is public so tests can put a fault-injecting client in place."""

    def __init__(self, read_timeout: int, max_attempts: int = 5, connect_timeout: int = 5) -> None:
        self.config = Config(
            retries={"mode": "standard", "max_attempts": max_attempts},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
        self.clients: dict[str, Any] = {}

    def get(self, service: str) -> Any:
        """The cached client for `service`."""
        client = self.clients.get(service)
        if client is None:
            client = self.clients[service] = boto3.client(service, config=self.config)  # type: ignore[call-overload]
        return client

    def clear(self) -> None:
        """Drop every client (tests start a fresh mock per test)."""
        self.clients.clear()
