"""`infra/__main__.py`, what `pulumi up` runs, builds the layer first and exports the outputs contract."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest

import infra.function_code
from infra.mock_runtime import REPO_ROOT, run_program


def test_entry_point_builds_the_layer_then_exports_every_output(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    exported: dict[str, Any] = {}

    def fake_build(architecture: str) -> Path:
        built.append(architecture)
        return Path("/nonexistent")

    monkeypatch.setattr(infra.function_code, "build_dependency_layer", fake_build)
    monkeypatch.setattr("pulumi.export", lambda key, value: exported.__setitem__(key, value))

    def program() -> dict[str, Any]:
        runpy.run_path(str(REPO_ROOT / "infra" / "__main__.py"), run_name="__main__")
        return exported

    run = run_program("dev", program=program)
    assert built == ["arm64"]
    assert set(run.outputs) >= {"lake_bucket", "checkpoint_table", "alarm_topic_arn", "tenants"}
    assert run.outputs["tenants"]["acme"]["streams"]["clicks"]["stream_name"] == "sp-dev-acme-clicks"
