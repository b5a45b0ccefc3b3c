"""What the functions run in AWS: the package's sources, the Powertools layer and pinned platform wheels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra import function_code


def test_code_archive_holds_every_handler_module_and_no_caches() -> None:
    archive = function_code.function_code_archive()
    paths = set(archive.assets)
    assert "functions/consumer/handler.py" in paths
    assert "functions/shard_scaler/handler.py" in paths
    assert "functions/__init__.py" in paths
    assert not [p for p in paths if "__pycache__" in p or p.endswith(".pyc")]


def test_layer_is_built_from_hashed_wheels_for_the_lambda_platform(tmp_path: Path) -> None:
    command = function_code.layer_install_command("arm64", tmp_path)
    assert Path(command[0]).name.startswith("uv")
    assert command[command.index("--python-platform") + 1] == "aarch64-manylinux2014"
    assert command[command.index("--python-version") + 1] == "3.12"
    assert command[command.index("--only-binary") + 1] == ":all:"
    assert "--require-hashes" in command and "--no-config" in command
    assert command[command.index("--target") + 1] == str(tmp_path / "python")
    assert command[command.index("--requirement") + 1] == str(function_code.REQUIREMENTS)
    x86 = function_code.layer_install_command("x86_64", tmp_path)
    assert x86[x86.index("--python-platform") + 1] == "x86_64-manylinux2014"


def test_layer_directory_changes_with_the_requirements() -> None:
    assert function_code.dependency_layer_dir("arm64") != function_code.dependency_layer_dir("x86_64")
    digest = function_code.dependency_layer_dir("arm64").name.rsplit("-", 1)[1]
    assert len(digest) == 12


def test_powertools_layer_arn_is_the_official_public_layer() -> None:
    assert function_code.powertools_layer_arn("aws", "eu-west-1", "arm64", 27) == (
        "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:27"
    )


def test_powertools_layer_arn_in_govcloud_and_china_is_the_one_powertools_publishes_there() -> None:
    """https://docs.aws.amazon.com/powertools/python/latest/getting-started/install/: one publishing account per
    GovCloud region, and in China cn-north-1 only."""
    arn = function_code.powertools_layer_arn
    assert arn("aws-us-gov", "us-gov-west-1", "arm64", 27) == (
        "arn:aws-us-gov:lambda:us-gov-west-1:165093116878:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:27"
    )
    assert arn("aws-us-gov", "us-gov-east-1", "x86_64", 27).startswith(
        "arn:aws-us-gov:lambda:us-gov-east-1:165087284144:"
    )
    assert arn("aws-cn", "cn-north-1", "arm64", 27).startswith("arn:aws-cn:lambda:cn-north-1:498634801083:")


@pytest.mark.parametrize(("partition", "region"), [("aws-cn", "cn-northwest-1"), ("aws-iso", "us-iso-east-1")])
def test_no_powertools_layer_is_named_where_none_is_published(partition: str, region: str) -> None:
    with pytest.raises(function_code.PowertoolsLayerUnavailable, match=f"no public layer in {region}"):
        function_code.powertools_layer_arn(partition, region, "arm64", 27)


def test_handlers_import_nothing_from_pulumi_infra_or_scripts() -> None:
    for path in function_code.FUNCTIONS_DIR.rglob("*.py"):
        source = path.read_text()
        assert not re.search(r"^\s*(from|import)\s+(pulumi|infra|streamctl|emulator|research)\b", source, re.M), path
