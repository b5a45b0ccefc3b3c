"""Local mode enforces what the authorization proof decides: a request AWS would refuse fails here the way it fails
in AWS. Each case builds its denial (or its grant) explicitly, so none depends on the program's known defects."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from botocore.exceptions import ClientError

from emulator.authorization import StackAuthorization, authorize, call_target, denied_checks
from emulator.deployer import deploy
from emulator.function_host import FunctionConfig, FunctionHost
from emulator.runtime import LocalRuntime
from emulator.server import Emulator
from infra.mock_runtime import run_program
from streamctl.aws_clients import aws_client
from streamctl.stack_outputs import StackOutputs
from tests.emulator.policy_edits import (
    with_bucket_key_context_grant,
    without_consumer_firehose_grant,
    without_consumer_stream_reads,
    without_lake_kms_grant,
)
from tests.emulator.scenarios import assert_nothing_lost, one_stream_config, run_scenario


def delivery_success(emulator: Emulator, delivery_stream: str) -> list[float]:
    """The AWS/Firehose DeliveryToS3.Success data points the emulator reported for one delivery stream."""
    now = datetime.now(UTC)
    statistics = aws_client("cloudwatch", endpoint_url=emulator.endpoint_url).get_metric_statistics(
        Namespace="AWS/Firehose",
        MetricName="DeliveryToS3.Success",
        Dimensions=[{"Name": "DeliveryStreamName", "Value": delivery_stream}],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(minutes=5),
        Period=3600,
        Statistics=["Minimum", "Maximum"],
    )["Datapoints"]
    return [value for point in statistics for value in (point["Minimum"], point["Maximum"])]


def test_a_lake_delivery_aws_would_refuse_loses_its_events_and_says_why(emulator: Emulator, tmp_path: Path) -> None:
    """PutRecordBatch succeeds and the consumer checkpoints, but Firehose may not encrypt the objects: nothing
    reaches the lake, the audit counts every event lost, and the note names the refused KMS request."""
    result = run_scenario(emulator, tmp_path, "kmsdenied", events=300, policy_edit=without_lake_kms_grant)
    audit = result.audit
    assert audit.lost > 0 and audit.total("delivered") == 0 and audit.total("lake_objects") == 0
    assert audit.lost == audit.total("produced") - audit.total("poison_produced")
    assert audit.total("quarantined") == audit.total("poison_produced")  # the consumer's own writes are allowed
    assert result.stats.discarded == 0 and result.stats.partial_failures == 0  # nothing failed the consumer sees
    (notes,) = [stream.notes for stream in audit.streams]
    assert len(notes) == 1 and notes[0].startswith("delivery to S3 denied: KMS AccessDenied: ")
    assert "kms:GenerateDataKey" in notes[0] and "ImplicitlyDenied" in notes[0]
    assert "Firehose accepted" in notes[0] and "wrote none" in notes[0]
    delivery = result.outputs.stream("acme", "clicks").delivery_stream
    assert set(delivery_success(emulator, delivery)) == {0.0}


def test_the_same_stack_with_the_lake_grant_loses_nothing(emulator: Emulator, tmp_path: Path) -> None:
    result = run_scenario(emulator, tmp_path, "kmsgranted", events=300, policy_edit=with_bucket_key_context_grant)
    assert_nothing_lost(result)
    assert [stream.notes for stream in result.audit.streams] == [[]]
    assert result.authorization.denied_deliveries() == []
    delivery = result.outputs.stream("acme", "clicks").delivery_stream
    assert set(delivery_success(emulator, delivery)) == {1.0}


def test_a_consumer_call_aws_would_refuse_fails_with_access_denied_and_takes_the_failure_path(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Without firehose:PutRecordBatch the consumer's delivery raises AccessDeniedException: it reports the batch
    as failed, the mapping retries it, then sends it to the on-failure queue."""
    errors: list[dict[str, str]] = []

    class RecordingFirehose:
        """The handler's own client (made while it runs, so the guard is on it), recording what it raises."""

        def __init__(self, client: Any) -> None:
            self._client = client

        def __getattr__(self, name: str) -> Any:
            return getattr(self._client, name)

        def put_record_batch(self, **kwargs: Any) -> Any:
            try:
                return self._client.put_record_batch(**kwargs)
            except ClientError as error:
                errors.append(dict(error.response["Error"]))
                raise

    def on_load(config: FunctionConfig, module: ModuleType) -> None:
        client = boto3.client("firehose", config=module.CLIENT_CACHE.config)
        module.CLIENT_CACHE.clients["firehose"] = RecordingFirehose(client)

    result = run_scenario(
        emulator,
        tmp_path,
        "putdenied",
        events=200,
        poison_per_stream=0,
        policy_edit=without_consumer_firehose_grant,
        consumer={"max_retries": 1},
        on_load=on_load,
    )
    assert result.stats.partial_failures > 0 and result.stats.discarded == result.audit.total("produced")
    assert result.audit.total("delivered") == 0 and result.audit.lost == result.audit.total("produced")
    (notes,) = [stream.notes for stream in result.audit.streams]
    assert any(note.startswith("consumer firehose:PutRecordBatch") and "ImplicitlyDenied" in note for note in notes)
    assert errors and {error["Code"] for error in errors} == {"AccessDeniedException"}
    assert "is not authorized to perform: firehose:PutRecordBatch on resource: arn:" in errors[0]["Message"]
    queue_url = result.outputs.stream("acme", "clicks").failure_queue_url
    attributes = aws_client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert int(attributes["ApproximateNumberOfMessages"]) > 0


def test_an_event_source_mapping_whose_role_may_not_read_reports_the_problem_and_reads_nothing(
    emulator: Emulator, tmp_path: Path
) -> None:
    _, program = deploy(
        "ltnoread",
        emulator.endpoint_url,
        config=one_stream_config(),
        state_dir=tmp_path,
        policy_edit=without_consumer_stream_reads,
    )
    outputs = StackOutputs.model_validate(program.outputs)
    host = FunctionHost(emulator.endpoint_url, tmp_path / "logs")
    runtime = LocalRuntime(host, functions={outputs.stream("acme", "clicks").consumer_function})
    runtime.start()
    stream_name = outputs.stream("acme", "clicks").stream_name
    try:
        deadline = time.monotonic() + 10
        while runtime.stats_by_stream()[stream_name].last_error is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        runtime.stop()
        host.close()
    stats = runtime.stats_by_stream()[stream_name]
    assert stats.read == 0 and stats.last_error is not None
    assert stats.last_error.startswith("PROBLEM: the mapping cannot read its stream: User: arn:aws:sts::")
    assert "is not authorized to perform: kinesis:" in stats.last_error
    assert any("is not authorized to perform: kinesis:" in note for note in runtime.notes)


# Decisions without an emulator: the program under mocks, decided the way the deployer decides it.


def test_a_consumer_gate_holds_its_call_and_the_kms_requests_the_service_makes_for_it() -> None:
    dev = run_program("dev")
    authorization = authorize("dev", dev.resources, dev.outputs)
    outputs = StackOutputs.model_validate(dev.outputs)
    clicks = outputs.stream("acme", "clicks")
    delivery = authorization.delivery(clicks.delivery_stream)
    assert delivery is not None
    gates = authorization.principals[delivery.consumer_role_arn]
    quarantine_key = f"{clicks.quarantine_prefix}dt=2026-12-08/shard=shardId-000000000001/46-0.jsonl"
    put = [g for g in gates if g.matches("s3", "PutObject", {"Bucket": outputs.lake_bucket, "Key": quarantine_key})]
    assert [c.action for gate in put for c in gate.checks] == ["s3:PutObject", "kms:GenerateDataKey"]
    checkpoint = {"TableName": outputs.checkpoint_table, "Key": {"pk": {"S": "acme#consumer#stream#shardId-1"}}}
    (get,) = [g for g in gates if g.matches("dynamodb", "GetItem", call_target("dynamodb", "GetItem", checkpoint))]
    assert [c.action for c in get.checks] == ["dynamodb:GetItem", "kms:Decrypt"] and not get.denied
    # Another tenant's checkpoint, bucket prefix and delivery stream are refused, as AWS refuses them.
    foreign = {"TableName": outputs.checkpoint_table, "Key": {"pk": {"S": "globex#consumer#stream#shardId-1"}}}
    assert denied_checks(gates, "dynamodb", "UpdateItem", foreign)
    other = outputs.stream("globex", "telemetry")
    assert denied_checks(gates, "firehose", "PutRecordBatch", {"DeliveryStreamName": other.delivery_stream})
    assert not denied_checks(gates, "firehose", "PutRecordBatch", {"DeliveryStreamName": clicks.delivery_stream})
    # A call the catalogue does not model is allowed.
    assert not denied_checks(gates, "s3", "GetObject", {"Bucket": outputs.lake_bucket, "Key": quarantine_key})
    assert StackAuthorization.from_document(authorization.to_document()) == authorization


def test_the_program_lets_firehose_write_the_lake_without_the_scenarios_workaround() -> None:
    """Under S3 Bucket Keys the program's own grants let every delivery stream write the lake."""
    run = run_program("scenario", config=one_stream_config())
    authorization = authorize("scenario", run.resources, run.outputs)
    assert authorization.denied_deliveries() == []
