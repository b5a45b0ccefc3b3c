"""Fixtures for the policy suite: each stack's mock resource graph, built once per test process."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from infra.mock_runtime import ProgramRun


@pytest.fixture(scope="session")
def dev_run(stack_run: Callable[[str], ProgramRun]) -> ProgramRun:
    return stack_run("dev")
