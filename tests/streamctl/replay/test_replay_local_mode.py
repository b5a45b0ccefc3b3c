"""The replay commands find a stack deployed by `streamctl local up` and talk only to its emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from moto.server import ThreadedMotoServer
from typer.testing import CliRunner

import streamctl.stack_outputs as stack_outputs
from emulator.deployer import deploy
from emulator.server import free_port
from infra.mock_runtime import load_stack_config
from streamctl.aws_clients import aws_client
from streamctl.replay import cli

STACK = "dev"


def one_stream_config() -> dict[str, object]:
    """The dev stack's configuration with only acme/clicks: a third of the resources to emulate."""
    values = load_stack_config(STACK)
    clicks = values["streaming-platform:tenants"]["acme"]["streams"]["clicks"]
    return values | {"streaming-platform:tenants": {"acme": {"streams": {"clicks": clicks}}}}


@pytest.fixture
def local_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The dev stack deployed on a moto server on loopback, its state files under tmp_path."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.setattr(stack_outputs, "LOCAL_STATE_DIR", tmp_path)
    monkeypatch.setattr(stack_outputs, "EMULATOR_STATE_FILE", tmp_path / "emulator.json")
    (tmp_path / "emulator.json").write_text(json.dumps({"endpoint_url": endpoint, "port": port, "pid": 0}))
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)  # the deployer's and handlers' clients
    try:
        deploy(STACK, endpoint, config=one_stream_config(), state_dir=tmp_path)
        monkeypatch.delenv("AWS_ENDPOINT_URL")  # from here on the replay commands must find it themselves
        yield endpoint
    finally:
        server.stop()


def test_replay_commands_reach_a_stack_deployed_in_local_mode(
    local_stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The URN lookup runs the program once more; test_replay_rewind covers it.
    monkeypatch.setattr(
        cli, "mapping_urn", lambda stack, function: f"urn:pulumi:{stack}::streaming-platform::{function}"
    )
    outputs = stack_outputs.load_stack_outputs(STACK)
    clicks = outputs.stream("acme", "clicks")
    kinesis = aws_client("kinesis", endpoint_url=local_stack)
    sqs = aws_client("sqs", endpoint_url=local_stack)
    event = {"event_id": "e1", "tenant": "acme", "type": "t", "occurred_at": "2026-11-26T06:00:00Z", "payload": {}}
    put = kinesis.put_record(StreamName=clicks.stream_name, Data=orjson.dumps(event), PartitionKey="k")
    sqs.send_message(
        QueueUrl=clicks.failure_queue_url,
        MessageBody=orjson.dumps(
            {
                "requestContext": {"condition": "RetryAttemptsExhausted"},
                "KinesisBatchInfo": {
                    "shardId": put["ShardId"],
                    "startSequenceNumber": put["SequenceNumber"],
                    "endSequenceNumber": put["SequenceNumber"],
                    "batchSize": 1,
                    "streamArn": clicks.stream_arn,
                },
            }
        ).decode(),
    )
    runner = CliRunner()
    where = ["--stack", STACK, "--tenant", "acme", "--stream", "clicks"]

    redrive = runner.invoke(cli.app, ["redrive", *where])
    quarantine = runner.invoke(cli.app, ["quarantine", *where, "--dry-run"])
    rewind = runner.invoke(cli.app, ["rewind", *where, "--to-timestamp", "2020-01-01T00:00:00Z", "--dry-run"])

    assert redrive.exit_code == 0, redrive.output
    assert "put back 1, message deleted" in redrive.output
    shard_records = kinesis.get_records(
        ShardIterator=kinesis.get_shard_iterator(
            StreamName=clicks.stream_name, ShardId=put["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
    )["Records"]
    assert [record["Data"] for record in shard_records] == [orjson.dumps(event)] * 2
    assert quarantine.exit_code == 0 and "no quarantine objects" in quarantine.output
    assert rewind.exit_code == 0, rewind.output
    assert "pulumi up --stack dev --target-replace 'urn:pulumi:dev::streaming-platform::" in rewind.output
