"""Lambda code makes boto3 clients in one place only: functions/aws_clients.py's cache."""

from __future__ import annotations

import ast
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def test_only_the_client_cache_imports_boto3() -> None:
    importers = sorted(
        str(path.relative_to(FUNCTIONS)) for path in FUNCTIONS.rglob("*.py") if "boto3" in imported_modules(path)
    )
    assert importers == ["aws_clients.py"]


def test_every_handler_takes_its_clients_from_the_cache() -> None:
    for handler in sorted(FUNCTIONS.glob("*/handler.py")):
        source = handler.read_text()
        assert "from functions.aws_clients import ClientCache" in source, handler
