"""Data chaos under the real program and consumer: 1% poison, a reshard mid-run; 0 lost, poison quarantined."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.server import Emulator
from emulator.workload import StreamLoad
from streamctl.aws_clients import aws_client
from streamctl.stack_outputs import StackOutputs
from tests.emulator.scenarios import FACTORS, assert_nothing_lost, run_scenario


@pytest.mark.parametrize("factor", FACTORS)
def test_one_percent_poison_is_all_quarantined_with_reasons(emulator: Emulator, tmp_path: Path, factor: int) -> None:
    result = run_scenario(
        emulator, tmp_path, "poison", events=1500, poison_per_stream=0, poison_fraction=0.01, parallelization=factor
    )
    assert result.audit.total("poison_produced") == 15
    assert_nothing_lost(result)


@pytest.mark.parametrize("factor", FACTORS)
def test_reshard_in_the_middle_of_the_run_loses_nothing(emulator: Emulator, tmp_path: Path, factor: int) -> None:
    def reshard_after_first_chunk(outputs: StackOutputs, load: StreamLoad, chunk: int) -> None:
        if chunk == 0:
            stream = outputs.stream(load.tenant, load.stream).stream_name
            aws_client("kinesis").update_shard_count(
                StreamName=stream, TargetShardCount=4, ScalingType="UNIFORM_SCALING"
            )

    result = run_scenario(
        emulator, tmp_path, "reshard", events=1000, between_chunks=reshard_after_first_chunk, parallelization=factor
    )
    assert result.stats.shards_finished == 2  # both parents drained; their four children stay open
    assert_nothing_lost(result)
