"""An emulator per test module on a free port, with this process's AWS clients pointed at it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.environment import use_emulator
from emulator.server import Emulator, free_port, start_emulator, stop_emulator

HANDLERS_DIR = Path(__file__).parent / "handlers"
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here starts an emulator server: `pytest -m "not emulator"` is the fast inner loop."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.emulator)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    log_dir = tmp_path_factory.mktemp("emulator")
    running = start_emulator(free_port(), state_file=None, log_dir=log_dir)
    with pytest.MonkeyPatch.context() as patch:
        environment: dict[str, str] = {}
        use_emulator(running.endpoint_url, env=environment)
        for name, value in environment.items():
            patch.setenv(name, value)
        for name in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        try:
            yield running
        finally:
            stop_emulator(running, state_file=None)


@pytest.fixture(autouse=True)
def _emulator_endpoint(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep AWS_ENDPOINT_URL on the module's emulator after the root conftest resets credentials."""
    if "emulator" in request.fixturenames:
        running: Emulator = request.getfixturevalue("emulator")
        monkeypatch.setenv("AWS_ENDPOINT_URL", running.endpoint_url)
    monkeypatch.syspath_prepend(str(HANDLERS_DIR))
    assert os.environ.get("AWS_ACCESS_KEY_ID") == "testing"
