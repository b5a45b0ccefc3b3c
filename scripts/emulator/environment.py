"""The process environment of local mode: fake credentials and the emulator as every client's endpoint.

Set once per command, so the boto3 clients of scripts and of in-process handlers all reach the emulator
(boto3 honours AWS_ENDPOINT_URL) and never real AWS, whatever credentials the shell has.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

from infra.mock_runtime import DEFAULT_REGION

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
CLEARED_VARIABLES = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE")


def use_emulator(endpoint_url: str, region: str = DEFAULT_REGION, env: MutableMapping[str, str] | None = None) -> None:
    target = os.environ if env is None else env
    for name in CLEARED_VARIABLES:
        target.pop(name, None)
    target.update(FAKE_CREDENTIALS)
    target["AWS_DEFAULT_REGION"] = region
    target["AWS_REGION"] = region
    target["AWS_ENDPOINT_URL"] = endpoint_url
