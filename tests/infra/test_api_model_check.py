"""Every input the program sets is one AWS's own API models accept, and a value AWS would refuse is caught."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from pulumi.runtime import rpc

from infra.api_model_check import (
    PATH_PART,
    REQUEST_MEMBERS,
    UNCHECKED_TYPES,
    ApiModelError,
    ModelViolation,
    check_program,
    require_api_models,
    values_at,
)
from infra.aws_api_models import member_rules
from infra.config import StackConfigError, parse_config
from infra.mock_runtime import ProgramRun, available_stacks, load_stack_config, run_program
from infra.naming import IAM_ROLE, NAME_RULES

STACKS = available_stacks()
NS = "streaming-platform"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
COMPRESSION_ENUM = "UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY (firehose CreateDeliveryStream CompressionFormat)"
# Inputs the table maps that no shipped stack sets: the program names no bucket outright, and platform resources
# carry only the provider's default tags (which are not resource inputs).
MAPPED_BUT_UNSET = {
    ("aws:s3/bucket:Bucket", "bucket"),
    *((typ, tags) for typ in ("aws:dynamodb/table:Table", "aws:sns/topic:Topic", "aws:athena/workgroup:Workgroup")
      for tags in ("tags{key}", "tags{value}")),
}  # fmt: skip


def fresh_run(stack: str, config: dict[str, Any] | None = None) -> ProgramRun:
    return run_program(stack, config=config)


@pytest.mark.parametrize("stack", STACKS)
def test_every_shipped_stack_passes_the_api_model_check(stack: str, stack_run: Callable[[str], ProgramRun]) -> None:
    assert [str(violation) for violation in check_program(stack_run(stack), load_stack_config(stack))] == []


def test_every_type_the_program_creates_is_mapped_or_named_unchecked(stack_run: Callable[[str], ProgramRun]) -> None:
    created = {r.type for stack in STACKS for r in stack_run(stack).resources if r.custom}
    assert created - set(REQUEST_MEMBERS) - set(UNCHECKED_TYPES) == set()
    assert not set(REQUEST_MEMBERS) & set(UNCHECKED_TYPES)


def test_every_mapped_request_member_exists_in_botocores_models() -> None:
    for model in REQUEST_MEMBERS.values():
        for member in model.members:
            if member.member is not None:
                member_rules(model.service, member.operation, member.member)  # KeyError names a wrong path
            assert member.member is not None or member.documented is not None, member


def test_every_mapped_input_is_one_the_program_sets(stack_run: Callable[[str], ProgramRun]) -> None:
    unset = set()
    for typ, model in REQUEST_MEMBERS.items():
        for member in model.members:
            resources = [r for stack in STACKS for r in stack_run(stack).of_type(typ)]
            if not any(list(values_at(r.inputs, PATH_PART.findall(member.input))) for r in resources):
                unset.add((typ, member.input))
    assert unset == MAPPED_BUT_UNSET


def violations_of(run: ProgramRun, config: dict[str, Any] | None = None) -> list[ModelViolation]:
    return check_program(run, config if config is not None else load_stack_config(run.stack))


def test_a_misspelt_compression_in_the_graph_names_the_stacks_lake_key() -> None:
    run = fresh_run("dev")
    delivery = run.named("acme-clicks-delivery-firehose")
    delivery.inputs["extendedS3Configuration"]["compressionFormat"] = "SNAPPY"
    assert [str(v) for v in violations_of(run)] == [
        f"lake.compression: 'SNAPPY' is not one of {COMPRESSION_ENUM}; {FIREHOSE} acme-clicks-delivery-firehose "
        "input extendedS3Configuration.compressionFormat"
    ]


def test_a_misspelt_compression_names_the_streams_own_key_when_it_overrides_the_lake() -> None:
    config = copy.deepcopy(load_stack_config("dev"))
    config[f"{NS}:tenants"]["acme"]["streams"]["clicks"]["lake"] = {"compression": "HADOOP_SNAPPY"}
    run = fresh_run("dev", config)
    run.named("acme-clicks-delivery-firehose").inputs["extendedS3Configuration"]["compressionFormat"] = "SNAPPY"
    (violation,) = violations_of(run, config)
    assert str(violation).startswith(
        f"tenants.acme.streams.clicks.lake.compression: 'SNAPPY' is not one of {COMPRESSION_ENUM}"
    )
    assert (violation.resource_name, violation.input) == (
        "acme-clicks-delivery-firehose",
        "extendedS3Configuration.compressionFormat",
    )


@pytest.mark.parametrize(
    ("resource", "input_path", "bad", "expected"),
    [
        ("acme-clicks-events-stream", ("retentionPeriod",), 9000.0,
         "tenants.acme.streams.clicks.retention_hours: 9000 is above the maximum of 8760 (Kinesis retention"),
        ("acme-clicks-consumer-mapping", ("batchSize",), 10001.0,
         "tenants.acme.streams.clicks.consumer.batch_size: 10001 is above the maximum of 10000 "
         "(lambda CreateEventSourceMapping BatchSize)"),
        ("acme-clicks-consumer-mapping", ("parallelizationFactor",), 2.5,
         "tenants.acme.streams.clicks.consumer.parallelization: 2.5 is not a whole number"),
        ("acme-clicks-consumer-function-function", ("memorySize",), 64.0,
         "tenants.acme.streams.clicks.consumer.memory_mb: 64 is below the minimum of 128 "
         "(lambda CreateFunction MemorySize)"),
        ("acme-clicks-consumer-function-logs", ("retentionInDays",), 10.0,
         "log_retention_days: 10 is not one of 1, 3, 5, 7, 14, 30"),
        ("acme-clicks-events-stream", ("streamModeDetails", "streamMode"), "on_demand",
         "tenants.acme.streams.clicks.mode: 'on_demand' is not one of PROVISIONED, ON_DEMAND"),
        ("acme-clicks-delivery-firehose", ("extendedS3Configuration", "bufferingSize"), 129.0,
         "lake.buffer_mb: 129 is above the maximum of 128 (firehose CreateDeliveryStream SizeInMBs)"),
        ("acme-clicks-events-stream", ("name",), "sp-dev-acme clicks",
         "tenants.acme.streams.clicks: 'sp-dev-acme clicks' does not match the pattern `[a-zA-Z0-9_.-]+` "
         "(kinesis CreateStream StreamName)"),
        ("acme-key-alias", ("name",), "sp-dev-acme",
         "tenants.acme: 'sp-dev-acme' does not match the pattern `alias/(?!aws/).+` (KMS CreateAlias AliasName"),
        ("checkpoints-table", ("billingMode",), "ON_DEMAND",
         "aws:dynamodb/table:Table checkpoints-table input billingMode: 'ON_DEMAND' is not one of "
         "PROVISIONED, PAY_PER_REQUEST (dynamodb CreateTable BillingMode)"),
        ("lake-access-logs-lifecycle", ("rules", 0, "expiration", "days"), 0.0,
         "lake.access_log_expiry_days: 0 is below the minimum of 1 (S3 lifecycle"),
    ],
    ids=["retention", "batch-size", "fractional-factor", "memory", "log-retention", "stream-mode", "buffer",
         "stream-name", "alias-prefix", "billing-mode", "lifecycle-days"],
)  # fmt: skip
def test_a_bad_input_injected_into_the_graph_is_caught(
    resource: str, input_path: tuple[Any, ...], bad: Any, expected: str
) -> None:
    run = fresh_run("dev")
    node: Any = run.named(resource).inputs
    for part in input_path[:-1]:
        node = node[part]
    node[input_path[-1]] = bad
    messages = [str(v) for v in violations_of(run)]
    assert any(message.startswith(expected) for message in messages), messages


def test_unknown_values_are_skipped() -> None:
    run = fresh_run("dev")
    run.named("acme-clicks-delivery-firehose").inputs["extendedS3Configuration"]["compressionFormat"] = rpc.UNKNOWN
    assert violations_of(run) == []


def test_a_name_taken_twice_in_its_scope_is_caught_and_one_in_another_region_is_not() -> None:
    run = fresh_run("prod")
    platform_alias = run.named("platform-alias").inputs["name"]
    run.named("acme-key-alias").inputs["name"] = platform_alias
    run.named("lake-replica-key-alias").inputs["name"] = platform_alias  # us-west-2: a different alias namespace
    run.named("lake-replica-role").inputs["name"] = run.named("acme-clicks-consumer-function-role").inputs["name"]
    messages = sorted(str(v) for v in violations_of(run))
    assert messages == [
        "tenants.acme.streams.clicks: 'sp-prod-acme-clicks-consumer-role' is also the IAM role name of "
        "lake-replica-role (AWS keeps IAM role names unique per account; pulumi up would fail with AlreadyExists); "
        "aws:iam/role:Role acme-clicks-consumer-function-role input name",
        "tenants.acme: 'alias/sp-prod-platform' is also the KMS alias name of platform-alias (AWS keeps KMS alias "
        "names unique per account and region; pulumi up would fail with AlreadyExists); aws:kms/alias:Alias "
        "acme-key-alias input name",
    ]


def test_require_api_models_raises_with_every_violation() -> None:
    run = fresh_run("dev")
    for delivery in run.of_type(FIREHOSE):
        delivery.inputs["extendedS3Configuration"]["compressionFormat"] = "LZ4"
    with pytest.raises(ApiModelError) as caught:
        require_api_models(run, load_stack_config("dev"))
    assert len(caught.value.violations) == 3
    assert "stack 'dev': 3 input(s) AWS's API models refuse" in str(caught.value)


def test_names_at_the_budget_pass_the_api_models_and_one_character_more_is_refused() -> None:
    # With name_prefix sp and stack dev, tenant and stream names may total 42 characters.
    tenant, stream = "t" * 20, "s" * 22
    values = {"aws:region": "us-east-1", f"{NS}:tenants": {tenant: {"streams": {stream: {}}}}}
    run = run_program("dev", config=values)
    assert [str(v) for v in check_program(run, values)] == []
    longest_role = max((str(r.inputs["name"]) for r in run.of_type("aws:iam/role:Role")), key=len)
    assert len(longest_role) == NAME_RULES[IAM_ROLE].max_length
    with pytest.raises(StackConfigError, match="tenant and stream names may total at most 42 characters here"):
        parse_config({"tenants": {tenant: {"streams": {stream + "s": {}}}}}, stack="dev")


@pytest.mark.parametrize(
    ("stack", "resource", "input_path", "bad", "expected"),
    [
        ("dev", "acme-orders-alarms-stalled-consumer", ("metricQueries", 0, "metric", "period"), 0.0,
         "metricQueries[0].metric.period: 0 is below the minimum of 1 (cloudwatch PutMetricAlarm Period)"),
        ("dev", "acme-orders-alarms-stalled-consumer", ("metricQueries", 0, "id"), "",
         "metricQueries[0].id: '' is 0 characters, below the minimum length of 1 (cloudwatch PutMetricAlarm Id)"),
        ("prod", "lake-replica-replication", ("rules", 0, "destination", "metrics", "status"), "enabled",
         "rules[0].destination.metrics.status: 'enabled' is not one of Enabled, Disabled "
         "(s3 PutBucketReplication Status)"),
    ],
    ids=["metric-math-period", "metric-math-id", "replication-metrics"],
)  # fmt: skip
def test_metric_math_alarms_and_replication_metrics_are_checked_against_the_models(
    stack: str, resource: str, input_path: tuple[Any, ...], bad: Any, expected: str
) -> None:
    """The stalled-consumer alarm's queries and the replica's metrics block reach AWS as PutMetricAlarm Metrics and
    PutBucketReplication Destination.Metrics: a value those models refuse is caught before `pulumi up`."""
    run = fresh_run(stack)
    node: Any = run.named(resource).inputs
    for part in input_path[:-1]:
        node = node[part]
    node[input_path[-1]] = bad
    messages = [str(v) for v in violations_of(run)]
    assert any(expected in message for message in messages), messages
