"""The configuration reference and the defaults table stay in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

from infra import config_docs, defaults

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_configuration_reference_is_generated_from_the_current_schema() -> None:
    assert (DOCS / "configuration.md").read_text() == config_docs.render(), (
        "docs/configuration.md is stale: run `.venv/bin/python -m infra.config_docs > docs/configuration.md`"
    )


def test_every_default_is_documented_with_its_reason() -> None:
    table = (DOCS / "defaults.md").read_text()
    constants = [name for name in vars(defaults) if re.fullmatch(r"[A-Z][A-Z0-9_]+", name)]
    assert len(constants) > 30
    missing = [name for name in constants if f"`{name}`" not in table]
    assert not missing, f"docs/defaults.md does not explain: {missing}"
