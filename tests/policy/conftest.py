"""Fixtures for the policy suite: each stack's mock resource graph, built once per test process."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from infra.mock_runtime import ProgramRun, run_program


@pytest.fixture(scope="session")
def stack_run() -> Callable[[str], ProgramRun]:
    """`stack_run(stack)` runs the program for that stack the first time only (about 2 s each)."""
    runs: dict[str, ProgramRun] = {}

    def get(stack: str) -> ProgramRun:
        if stack not in runs:
            runs[stack] = run_program(stack)
        return runs[stack]

    return get


@pytest.fixture(scope="session")
def dev_run(stack_run: Callable[[str], ProgramRun]) -> ProgramRun:
    return stack_run("dev")
