"""`local up/down/invoke`: the dev stack's program applied to the emulator, and removed from it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from pulumi.runtime.mocks import MockResourceArgs

from emulator.deployer import (
    Deployment,
    EmulatorMocks,
    ProtectedResourcesError,
    botocore_service,
    deploy,
    deployment_file,
    destroy,
)
from emulator.function_host import FunctionHost
from emulator.invoke import InvokeError, invoke_once, read_event, resolve_function, response_document
from emulator.provisioners import FORCE_DESTROY, ProvisionContext, delete_bucket
from emulator.server import Emulator
from infra.lifecycle import STATEFUL_TYPES
from infra.mock_runtime import ProgramRun, load_stack_config, run_program
from streamctl.aws_clients import aws_client
from streamctl.stack_outputs import StackOutputs

SAMPLE_EVENT = Path(__file__).parents[1] / "functions" / "consumer" / "fixtures" / "aws_sample_kinesis_event.json"
# Types whose absence from the emulator would leave the data path untested.
DATA_PATH_TYPES = {
    "aws:kms/key:Key",
    "aws:kinesis/stream:Stream",
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:dynamodb/table:Table",
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:lambda/function:Function",
    "aws:lambda/eventSourceMapping:EventSourceMapping",
    "aws:sqs/queue:Queue",
    "aws:sns/topic:Topic",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/eventTarget:EventTarget",
}


@pytest.fixture(scope="module")
def dev_stack(
    emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Deployment, ProgramRun, Path]]:
    state_dir = tmp_path_factory.mktemp("state")
    deployment, program = deploy("dev", emulator.endpoint_url, state_dir=state_dir)
    yield deployment, program, state_dir


def test_every_custom_resource_is_created_in_the_emulator_or_reported_not_emulated(
    dev_stack: tuple[Deployment, ProgramRun, Path],
) -> None:
    deployment, _, _ = dev_stack
    expected = [r for r in run_program("dev").resources if r.custom and not r.type.startswith("pulumi:providers:")]
    assert sorted((r.type, r.name) for r in deployment.resources) == sorted((r.type, r.name) for r in expected)
    emulated_types = {r.type for r in deployment.resources if r.emulated}
    assert emulated_types >= DATA_PATH_TYPES
    for resource in deployment.not_emulated():
        assert resource.notes and resource.notes[0], f"{resource.type} {resource.name} is not emulated without a reason"
    # Every type the dev stack uses has a provisioner and the emulator accepts it (S3 access logging included);
    # a rejection names the service and the protocol the locked botocore speaks to the locked moto.
    assert [(r.type, r.name, r.notes) for r in deployment.not_emulated()] == []


def test_outputs_file_has_the_stack_output_shape_with_emulator_identifiers(
    dev_stack: tuple[Deployment, ProgramRun, Path],
) -> None:
    _, program, state_dir = dev_stack
    outputs = StackOutputs.model_validate_json((state_dir / "dev" / "outputs.json").read_text())
    assert json.loads((state_dir / "dev" / "outputs.json").read_text()) == program.outputs
    clicks = outputs.stream("acme", "clicks")
    summary = aws_client("kinesis").describe_stream_summary(StreamName=clicks.stream_name)["StreamDescriptionSummary"]
    assert summary["StreamARN"] == clicks.stream_arn and summary["OpenShardCount"] == 2
    assert summary["EncryptionType"] == "KMS"
    assert aws_client("sqs").get_queue_url(QueueName=clicks.failure_queue_url.rsplit("/", 1)[-1])["QueueUrl"]
    aws_client("s3").head_bucket(Bucket=outputs.lake_bucket)


def test_event_source_mappings_and_functions_keep_the_program_settings(
    dev_stack: tuple[Deployment, ProgramRun, Path],
) -> None:
    _, program, _ = dev_stack
    outputs = StackOutputs.model_validate(program.outputs)
    clicks = outputs.stream("acme", "clicks")
    lam = aws_client("lambda")
    mappings = [
        m for m in lam.list_event_source_mappings()["EventSourceMappings"] if m["EventSourceArn"] == clicks.stream_arn
    ]
    assert len(mappings) == 1
    mapping = mappings[0]
    assert mapping["BatchSize"] == 500 and mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == clicks.failure_queue_arn
    configuration = lam.get_function_configuration(FunctionName=clicks.consumer_function)
    assert configuration["Handler"] == "functions.consumer.handler.lambda_handler"
    assert configuration["Environment"]["Variables"]["STREAM_NAME"] == clicks.stream_name
    assert configuration["Environment"]["Variables"]["QUARANTINE_BUCKET"] == outputs.lake_bucket


def test_invoke_runs_one_function_with_an_event_file(
    emulator: Emulator, dev_stack: tuple[Deployment, ProgramRun, Path], tmp_path: Path
) -> None:
    host = FunctionHost(emulator.endpoint_url, tmp_path / "logs")
    try:
        name = resolve_function(host, aws_client("lambda"), "acme-clicks-consumer")
        invocation = invoke_once(host, name, read_event(SAMPLE_EVENT))
    finally:
        host.close()
    assert name == "sp-dev-acme-clicks-consumer"
    # the sample's data is not an event envelope: quarantined, so nothing is left to retry
    assert response_document(invocation) == {"batchItemFailures": []}


def test_invoke_names_the_problem_with_a_bad_event_file_or_function(emulator: Emulator, tmp_path: Path) -> None:
    broken = tmp_path / "event.json"
    broken.write_text("{not json")
    with pytest.raises(InvokeError, match=r"event\.json is not JSON: line 1"):
        read_event(broken)
    with pytest.raises(InvokeError, match="no single function named 'nope'"):
        resolve_function(FunctionHost(emulator.endpoint_url, tmp_path), aws_client("lambda"), "nope")


def test_a_type_without_provisioner_is_recorded_as_not_emulated(emulator: Emulator) -> None:
    mocks = EmulatorMocks(emulator.endpoint_url)
    resource_id, state = mocks.new_resource(
        MockResourceArgs("aws:apigateway/restApi:RestApi", "api", {"name": "api"}, custom=True)
    )
    assert resource_id and state["name"] == "api"
    assert [(r.type, r.emulated, r.notes) for r in mocks.resources] == [
        ("aws:apigateway/restApi:RestApi", False, ["no local provisioner for this type"])
    ]


def test_a_resource_the_emulator_rejects_names_the_service_and_its_wire_protocol(emulator: Emulator) -> None:
    """When a lock moves botocore to a protocol moto does not serve, the report must say which service and protocol."""
    mocks = EmulatorMocks(emulator.endpoint_url)
    mocks.new_resource(
        MockResourceArgs(
            "aws:glue/catalogTable:CatalogTable", "t", {"name": "t", "databaseName": "absent"}, custom=True
        )
    )
    (resource,) = mocks.resources
    assert not resource.emulated
    assert "the emulator rejected it" in resource.notes[0]
    assert re.search(r"service glue speaks json in botocore [0-9.]+, served by moto [0-9.]+", resource.notes[0])


def test_pulumi_types_map_to_the_botocore_service_that_provisions_them() -> None:
    assert botocore_service("aws:athena/workgroup:Workgroup") == "athena"
    assert botocore_service("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream") == "firehose"
    assert botocore_service("aws:cloudwatch/eventRule:EventRule") == "events"
    assert botocore_service("aws:cloudwatch/logGroup:LogGroup") == "logs"
    assert botocore_service("aws:cloudwatch/metricAlarm:MetricAlarm") == "cloudwatch"


def _write_versions_and_delete_markers(bucket: str) -> int:
    """Several versions of two objects, one deleted (a delete marker over its versions), one lone delete marker:
    what a versioned lake holds after a while. Returns how many versions and markers the bucket then holds."""
    s3 = aws_client("s3")
    for key in ("events/tenant=acme/a.json", "quarantine/b.json"):
        for body in (b"1", b"2", b"3"):
            s3.put_object(Bucket=bucket, Key=key, Body=body)
    s3.delete_object(Bucket=bucket, Key="quarantine/b.json")
    # A lone delete marker: its object's only version deleted by id after the marker was added (S3 would also leave
    # one for a delete of a key never written; moto does not).
    version = s3.put_object(Bucket=bucket, Key="expired.json", Body=b"x")["VersionId"]
    s3.delete_object(Bucket=bucket, Key="expired.json")
    s3.delete_object(Bucket=bucket, Key="expired.json", VersionId=version)
    listing = s3.list_object_versions(Bucket=bucket)
    assert len(listing.get("DeleteMarkers", [])) == 2
    return len(listing.get("Versions", [])) + len(listing["DeleteMarkers"])


def _bucket_names() -> set[str]:
    return {b["Name"] for b in aws_client("s3").list_buckets()["Buckets"]}


def test_down_deletes_every_emulated_resource_with_versions_in_the_buckets(
    emulator: Emulator, dev_stack: tuple[Deployment, ProgramRun, Path]
) -> None:
    """dev is disposable: its versioned buckets are force_destroy, so `down` empties them (every version and delete
    marker) and deletes them, as pulumi-aws does on `pulumi destroy`; then nothing of the stack is left."""
    deployment, program, state_dir = dev_stack
    outputs = StackOutputs.model_validate(program.outputs)
    buckets = {r.name: r.id for r in deployment.resources if r.type == "aws:s3/bucket:Bucket"}
    assert set(buckets) == {"lake-bucket", "lake-access-logs"}
    for bucket in buckets.values():
        versioning = aws_client("s3").get_bucket_versioning(Bucket=bucket)
        assert versioning["Status"] == "Enabled"
        assert _write_versions_and_delete_markers(bucket) >= 8
    assert destroy("dev", state_dir=state_dir) == []
    assert not set(buckets.values()) & _bucket_names()
    assert not [t for t in aws_client("dynamodb").list_tables()["TableNames"] if t.startswith("sp-dev-")]
    assert not [q for q in aws_client("sqs").list_queues().get("QueueUrls", []) if "/sp-dev-" in q]
    assert not [t for t in aws_client("sns").list_topics()["Topics"] if ":sp-dev-" in t["TopicArn"]]
    assert not [r for r in aws_client("iam").list_roles()["Roles"] if r["RoleName"].startswith("sp-dev-")]
    assert not aws_client("cloudwatch").describe_alarms(AlarmNamePrefix="sp-dev-")["MetricAlarms"]
    for key in [r for r in deployment.resources if r.type == "aws:kms/key:Key"]:
        metadata = aws_client("kms").describe_key(KeyId=key.id)["KeyMetadata"]
        assert metadata["KeyState"] == "PendingDeletion", key.name  # KMS never deletes a key at once
    assert not deployment_file("dev", state_dir).exists()
    assert not (state_dir / "dev" / "outputs.json").exists()
    assert not [name for name in aws_client("kinesis").list_streams()["StreamNames"] if name.startswith("sp-dev-")]
    assert not [
        f for f in aws_client("lambda").list_functions()["Functions"] if f["FunctionName"].startswith("sp-dev-")
    ]
    assert outputs.lake_bucket not in [b["Name"] for b in aws_client("s3").list_buckets()["Buckets"]]
    assert aws_client("lambda").list_event_source_mappings()["EventSourceMappings"] == []


def test_a_bucket_without_force_destroy_is_refused_while_it_holds_versions(emulator: Emulator) -> None:
    """S3 refuses DeleteBucket on a bucket holding any version or delete marker (BucketNotEmpty); moto would
    delete one of delete markers only, so the provisioner checks as S3 does."""
    context = ProvisionContext(emulator.endpoint_url, "us-east-1", "123456789012")
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="kept-bucket")
    s3.put_bucket_versioning(Bucket="kept-bucket", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="kept-bucket", Key="k", Body=b"1")
    s3.delete_object(Bucket="kept-bucket", Key="k")  # no current object left: only a version and a marker
    assert "Contents" not in s3.list_objects_v2(Bucket="kept-bucket")
    with pytest.raises(ClientError) as refused:
        delete_bucket(context, {"Bucket": "kept-bucket", FORCE_DESTROY: False})
    assert refused.value.response["Error"]["Code"] == "BucketNotEmpty"
    assert "kept-bucket" in _bucket_names()
    delete_bucket(context, {"Bucket": "kept-bucket", FORCE_DESTROY: True})
    assert "kept-bucket" not in _bucket_names()


def test_down_refuses_a_protected_stack_naming_its_protected_resources(emulator: Emulator, tmp_path: Path) -> None:
    """A stack that keeps its data (protect_stateful, as prod) is refused as `pulumi destroy` refuses it: every
    protected resource named with its URN, and nothing deleted."""
    config = {**load_stack_config("staging"), "streaming-platform:protect_stateful": True}
    deployment, program = deploy("staging", emulator.endpoint_url, config=config, state_dir=tmp_path)
    protected = {r.urn for r in program.resources if r.protect}
    assert protected and {r.type for r in program.resources if r.protect} == STATEFUL_TYPES
    with pytest.raises(ProtectedResourcesError) as refused:
        destroy("staging", state_dir=tmp_path)
    assert {r.urn for r in refused.value.resources} == protected
    for urn in protected:
        assert f"unable to delete resource '{urn}' as it is currently marked for protection" in str(refused.value)
    assert "nothing was deleted" in str(refused.value)
    lake = next(r.id for r in deployment.resources if r.name == "lake-bucket")
    assert lake in _bucket_names()
    assert deployment_file("staging", tmp_path).exists()
    table = next(r.id for r in deployment.resources if r.name == "checkpoints-table")
    # DynamoDB's own guard is on too: even a DeleteTable that got past Pulumi fails.
    with pytest.raises(ClientError):
        aws_client("dynamodb").delete_table(TableName=table)
