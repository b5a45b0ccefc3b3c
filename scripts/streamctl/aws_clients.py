"""One way to make boto3 clients for scripts: botocore's standard retry mode, region and endpoint from env.

`AWS_ENDPOINT_URL` (honoured by boto3 itself) points every client at the local emulator in local mode.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

DEFAULT_REGION = "us-east-1"


def client_config(max_attempts: int = 5, max_pool_connections: int = 10) -> Config:
    """Standard retry mode: exponential backoff with jitter on throttling and transient errors."""
    return Config(
        retries={"mode": "standard", "max_attempts": max_attempts},
        max_pool_connections=max_pool_connections,
    )


def aws_client(service: str, *, region: str | None = None, endpoint_url: str | None = None, **config: Any) -> Any:
    """A boto3 client for `service`; `endpoint_url` overrides the environment's endpoint."""
    session = boto3.session.Session()
    return session.client(  # type: ignore[call-overload]
        service,
        region_name=region or session.region_name or DEFAULT_REGION,
        endpoint_url=endpoint_url,
        config=client_config(**config),
    )
