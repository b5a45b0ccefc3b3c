"""The demo's lake part on a deployed local stack: a redelivered batch, the lake query against the report, and
`streamctl lake query` (the CLI) on the same emulator, as after `streamctl local demo --keep`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from emulator.demo_lake import LakeSummary, Redelivery, disagreements, query_lake, redeliver_batch
from emulator.deployer import deploy
from emulator.function_host import FunctionHost
from emulator.report import RunAudit, audit_run
from emulator.runtime import LocalRuntime
from emulator.server import Emulator
from emulator.workload import plan_load, produce_and_drain
from streamctl import stack_outputs
from streamctl.aws_clients import aws_client
from streamctl.cli import app
from streamctl.loadtest.verify import object_lines
from streamctl.stack_outputs import StackOutputs

STACK = "dev"
EVENTS = 600
BATCH = 50


@dataclass
class DeliveredStack:
    outputs: StackOutputs
    redelivery: Redelivery
    audit: RunAudit
    lake: LakeSummary
    s3: Any


@pytest.fixture(scope="module")
def delivered(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeliveredStack]:
    """The dev stack deployed, events produced and drained, one batch redelivered, as the demo does; the `.local`
    state (outputs.json, emulator.json) in a temporary directory that the CLI reads."""
    state_dir = tmp_path_factory.mktemp("state") / ".local"
    _, program = deploy(STACK, emulator.endpoint_url, state_dir=state_dir)
    (state_dir / "emulator.json").write_text(json.dumps({"endpoint_url": emulator.endpoint_url}))
    outputs = StackOutputs.model_validate(program.outputs)
    host = FunctionHost(emulator.endpoint_url, state_dir / "logs")
    runtime = LocalRuntime(host)
    runtime.start()
    try:
        loads = plan_load(outputs, EVENTS, poison_per_stream=1)
        kinesis = aws_client("kinesis", endpoint_url=emulator.endpoint_url)
        produced = produce_and_drain(kinesis, outputs, runtime, loads, "demolake", rate=3_000.0, timeout_s=120.0)
    finally:
        runtime.stop()  # flushes the Firehose buffers: the batch redelivered below is already in the lake
        host.close()
    assert produced.drained and not produced.unsent_record_ids
    s3 = aws_client("s3", endpoint_url=emulator.endpoint_url)
    firehose = aws_client("firehose", endpoint_url=emulator.endpoint_url)
    first = loads[0]
    redelivery = redeliver_batch(s3, firehose, emulator.endpoint_url, outputs, first.tenant, first.stream, BATCH)
    audit = audit_run(outputs, produced.streams, s3, aws_client("dynamodb", endpoint_url=emulator.endpoint_url))
    glue = aws_client("glue", endpoint_url=emulator.endpoint_url)
    hour_of = (redelivery.tenant, redelivery.stream, redelivery.redelivered_partitions[-1])
    lake = query_lake(s3, glue, outputs.glue_database, hour_of)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stack_outputs, "LOCAL_STATE_DIR", state_dir)
        patch.setattr(stack_outputs, "EMULATOR_STATE_FILE", state_dir / "emulator.json")
        yield DeliveredStack(outputs, redelivery, audit, lake, s3)


def test_the_redelivered_batch_is_lines_already_in_the_lake(delivered: DeliveredStack) -> None:
    redelivery = delivered.redelivery
    bucket = delivered.outputs.lake_bucket

    def event_ids(key: str) -> list[str]:
        body = delivered.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return [orjson.loads(line)["event_id"] for line in object_lines(body, key)]

    again = [event_id for key in redelivery.redelivered_keys for event_id in event_ids(key)]
    assert len(again) == redelivery.lines == BATCH
    assert set(again) <= set(event_ids(redelivery.original_key))
    assert redelivery.original_key not in redelivery.redelivered_keys


def test_the_view_has_the_events_delivered_and_the_table_every_copy(delivered: DeliveredStack) -> None:
    audit, lake = delivered.audit, delivered.lake
    first = audit.streams[0]
    assert (first.tenant, first.stream) == (delivered.redelivery.tenant, delivered.redelivery.stream)
    assert first.duplicates == BATCH
    for stream in audit.streams:
        rows = lake.streams[(stream.tenant, stream.stream)]
        # Same hour: the view removes every injected copy (a run across an hour boundary is the one exception).
        expected = stream.delivered if not delivered.redelivery.hour_changed else stream.delivered_per_partition
        assert (rows.deduplicated, rows.events) == (expected, stream.delivered + stream.duplicates)
    assert disagreements(audit, lake) == []


def test_the_one_hour_query_reads_only_that_streams_hour(delivered: DeliveredStack) -> None:
    lake = delivered.lake
    assert lake.hour is not None
    redelivery = delivered.redelivery
    partition = f"events/tenant={lake.hour.tenant}/stream={lake.hour.stream}/dt={lake.hour.dt}/hour={lake.hour.hour}"
    in_hour = delivered.s3.list_objects_v2(Bucket=delivered.outputs.lake_bucket, Prefix=partition + "/")["Contents"]
    assert partition in redelivery.redelivered_partitions
    assert lake.hour.stats.objects_read == len(in_hour) < lake.whole_lake.objects_read
    assert lake.hour.stats.bytes_read == sum(item["Size"] for item in in_hour) < lake.whole_lake.bytes_in_table
    assert lake.whole_lake.objects_read == lake.whole_lake.objects_in_table


def test_lake_query_cli_runs_against_the_local_stack(delivered: DeliveredStack) -> None:
    """What a user of `streamctl local demo --keep` runs next: the CLI reads the emulator and outputs in `.local`."""
    sql = "SELECT tenant, stream, count(*) AS n FROM events_deduplicated GROUP BY tenant, stream ORDER BY 1, 2"
    result = CliRunner().invoke(app, ["lake", "query", "--stack", STACK, "--sql", sql, "--format", "json"])

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    expected = {(s.tenant, s.stream): s.delivered_per_partition for s in delivered.audit.streams}
    assert {(row["tenant"], row["stream"]): row["n"] for row in rows} == expected
    assert "local lake (DuckDB): read" in result.stderr
