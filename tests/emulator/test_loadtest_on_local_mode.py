"""End to end on local mode: `loadtest run` into the emulator, the real consumer drains, `verify` finds all."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from emulator.deployer import deploy
from emulator.environment import use_emulator
from emulator.function_host import FunctionHost
from emulator.runtime import LocalRuntime
from emulator.server import Emulator, free_port, start_emulator, stop_emulator
from streamctl import stack_outputs
from streamctl.aws_clients import aws_client
from streamctl.loadtest import cli
from tests.emulator.scenarios import LAKE_WORKAROUND

STACK = "loadteste2e"
DRAIN_TIMEOUT_S = 120.0


def one_stream_config() -> dict[str, Any]:
    return {
        "aws:region": "us-east-1",
        "streaming-platform:tenants": {
            "acme": {
                "streams": {
                    "clicks": {
                        "mode": "provisioned",
                        "shards": 2,
                        "autoscaling": {"enabled": False},
                        "consumer": {"batch_size": 500, "batching_window_seconds": 0},
                    }
                }
            }
        },
    }


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    running = start_emulator(free_port(), state_file=None, log_dir=tmp_path_factory.mktemp("emulator"))
    try:
        yield running
    finally:
        stop_emulator(running, state_file=None)


@pytest.fixture
def local_stack(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The stack deployed to the emulator, its `.local/` state in tmp_path, found by the real outputs reader."""
    environment: dict[str, str] = {}
    use_emulator(emulator.endpoint_url, env=environment)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    state_dir = tmp_path / ".local"
    deploy(STACK, emulator.endpoint_url, config=one_stream_config(), state_dir=state_dir, policy_edit=LAKE_WORKAROUND)
    (state_dir / "emulator.json").write_text(json.dumps({"endpoint_url": emulator.endpoint_url}))
    monkeypatch.setattr(stack_outputs, "LOCAL_STATE_DIR", state_dir)
    monkeypatch.setattr(stack_outputs, "EMULATOR_STATE_FILE", state_dir / "emulator.json")
    return state_dir


def wait_until_consumed(runtime: LocalRuntime, stream_name: str, kinesis_records: int) -> None:
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while True:
        stats = runtime.stats_by_stream().get(stream_name)
        if stats is not None and stats.completed >= kinesis_records:
            return
        assert time.monotonic() < deadline, f"consumer did not drain {kinesis_records} records: {stats}"
        time.sleep(0.2)


def test_run_then_verify_on_local_mode_finds_every_event(emulator: Emulator, local_stack: Path, tmp_path: Path) -> None:
    outputs = stack_outputs.load_stack_outputs(STACK)
    stream_name = outputs.stream("acme", "clicks").stream_name
    host = FunctionHost(emulator.endpoint_url, tmp_path / "logs")
    runtime = LocalRuntime(host)
    runtime.start()
    runner = CliRunner()
    consumed = 0
    try:
        for run_id, aggregate in (("e2e-plain", "--no-aggregate"), ("e2e-agg", "--aggregate")):
            manifest, report = tmp_path / f"{run_id}.json", tmp_path / f"{run_id}-run.json"
            command = (
                f"run --stack {STACK} --tenant acme --stream clicks --rate 1000 --duration 1 --record-bytes 700 "
                f"{aggregate} --run-id {run_id} --manifest {manifest} --report-json {report}"
            )
            ran = runner.invoke(cli.app, command.split(), catch_exceptions=False)
            assert ran.exit_code == 0, ran.output
            consumed += orjson.loads((tmp_path / f"{run_id}-run.json").read_bytes())["kinesis_records"]
            wait_until_consumed(runtime, stream_name, consumed)
    finally:
        runtime.stop()
        host.close()

    for run_id in ("e2e-plain", "e2e-agg"):
        command = (
            f"verify --stack {STACK} --run-id {run_id} --manifest {tmp_path / f'{run_id}.json'} "
            f"--report-json {tmp_path / f'{run_id}-verify.json'}"
        )
        verified = runner.invoke(cli.app, command.split(), catch_exceptions=False)
        assert verified.exit_code == 0, verified.output
        report = orjson.loads((tmp_path / f"{run_id}-verify.json").read_bytes())
        sent = orjson.loads((tmp_path / f"{run_id}-run.json").read_bytes())["sent"]
        assert (report["expected"], report["found"], report["missing"], report["quarantined"]) == (sent, sent, 0, 0)
        assert report["latency_p50_ms"] is not None and report["latency_p50_ms"] >= 0
    s3 = aws_client("s3", endpoint_url=emulator.endpoint_url)
    assert s3.list_objects_v2(Bucket=outputs.lake_bucket, Prefix=outputs.stream("acme", "clicks").lake_prefix)[
        "KeyCount"
    ]
