from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("locust_user_against_moto.py")


def run_one_task(*args: str) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=REPO_ROOT,
        env={"PYTHONPATH": str(REPO_ROOT), **_aws_env()},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report: dict[str, float] = orjson.loads(completed.stdout.strip().splitlines()[-1])
    return report


def _aws_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key.startswith(("AWS_", "PATH", "HOME"))}


@pytest.mark.parametrize(
    ("args", "kinesis_records"),
    [
        (("--batch-size", "40", "--record-bytes", "600"), 40),
        # 40 records of 600 bytes overflow one 25 KB aggregate: two aggregates, still one call.
        (("--batch-size", "40", "--record-bytes", "600", "--aggregate"), 2),
    ],
)
def test_each_put_records_call_is_a_locust_request(args: tuple[str, ...], kinesis_records: int) -> None:
    report = run_one_task(*args, "--batches-per-second", "4")
    assert report["requests"] == 1
    assert report["failures"] == 0
    assert report["kinesis_records"] == kinesis_records
    assert report["bytes"] >= 40 * 600
    assert 0 <= report["wait_s"] <= 0.25
