"""`streamctl local up` refuses, before the emulator is touched, a config or an input AWS would refuse."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from emulator import deployer
from infra.api_model_check import ApiModelError
from infra.config import StackConfigError
from infra.mock_runtime import ProgramRun, load_stack_config

# Nothing listens here: a deploy that got as far as the emulator would fail on its first call.
UNREACHABLE = "http://127.0.0.1:9"


def test_an_input_aws_refuses_stops_the_deploy_before_the_emulator(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real_run_program = deployer.run_program

    def misspelt_compression(stack: str, *, config: Any = None, mocks: Any = None) -> ProgramRun:
        assert mocks is None, "the emulator was reached"
        run = real_run_program(stack, config=config)
        run.named("acme-clicks-delivery-firehose").inputs["extendedS3Configuration"]["compressionFormat"] = "SNAPPY"
        return run

    monkeypatch.setattr(deployer, "run_program", misspelt_compression)
    with pytest.raises(ApiModelError) as caught:
        deployer.deploy("dev", UNREACHABLE, state_dir=tmp_path)
    assert [str(v).split(";")[0] for v in caught.value.violations] == [
        "lake.compression: 'SNAPPY' is not one of UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY "
        "(firehose CreateDeliveryStream CompressionFormat)"
    ]
    assert not deployer.deployment_file("dev", tmp_path).exists()


def test_a_config_aws_refuses_stops_the_deploy_before_the_emulator(tmp_path: Path) -> None:
    config = copy.deepcopy(load_stack_config("dev"))
    config["streaming-platform:lake"]["compression"] = "SNAPPY"
    with pytest.raises(StackConfigError, match=r"lake\.compression: 'SNAPPY' is not one of UNCOMPRESSED, GZIP"):
        deployer.deploy("dev", UNREACHABLE, config=config, state_dir=tmp_path)
    assert not deployer.deployment_file("dev", tmp_path).exists()


def test_the_demo_reports_a_refused_config_as_local_up_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exit 2 and the error's own lines, not a traceback."""
    from typer.testing import CliRunner

    from streamctl import local
    from streamctl.cli import app

    def refused(options: Any, console: Any) -> int:
        raise StackConfigError("dev", ["tenants.platform: 'platform' is reserved"])

    monkeypatch.setattr(local, "run_demo", refused)
    result = CliRunner().invoke(app, ["local", "demo", "--stack", "dev"])
    assert result.exit_code == 2
    assert "tenants.platform: 'platform' is reserved" in result.output
    assert isinstance(result.exception, SystemExit)  # typer.Exit, no other exception escaped
