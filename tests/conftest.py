"""Shared test setup: never talk to real AWS."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from infra.mock_runtime import ProgramRun, run_program


@pytest.fixture(autouse=True)
def _fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs with fake credentials and a fixed region, so a missed mock cannot reach AWS."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for key in list(os.environ):
        if key.startswith("PULUMI_CONFIG"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def stack_run() -> Callable[[str], ProgramRun]:
    """`stack_run(stack)` runs the program for that stack under mocks the first time only (seconds each)."""
    runs: dict[str, ProgramRun] = {}

    def get(stack: str) -> ProgramRun:
        if stack not in runs:
            runs[stack] = run_program(stack)
        return runs[stack]

    return get
