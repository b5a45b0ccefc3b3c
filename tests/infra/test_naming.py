"""Derived names: the ones infra/naming.py predicts are the ones the program creates, and each fits or is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from infra import naming
from infra.aws_api_models import member_rules
from infra.config import StackConfigError, config_from_pulumi_values, parse_config
from infra.mock_runtime import ProgramRun, available_stacks, load_stack_config
from infra.naming import NAME_RULES, PlatformNames

STACKS = available_stacks()
NS = "streaming-platform"
# Where each kind of name sits in the graph: (type, input).
NAME_INPUTS = {
    naming.KINESIS_STREAM: ("aws:kinesis/stream:Stream", "name"),
    naming.FIREHOSE_STREAM: ("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "name"),
    naming.LAMBDA_FUNCTION: ("aws:lambda/function:Function", "name"),
    naming.LAMBDA_LAYER: ("aws:lambda/layerVersion:LayerVersion", "layerName"),
    naming.IAM_ROLE: ("aws:iam/role:Role", "name"),
    naming.SQS_QUEUE: ("aws:sqs/queue:Queue", "name"),
    naming.SNS_TOPIC: ("aws:sns/topic:Topic", "name"),
    naming.DYNAMODB_TABLE: ("aws:dynamodb/table:Table", "name"),
    naming.KMS_ALIAS: ("aws:kms/alias:Alias", "name"),
    naming.CLOUDWATCH_ALARM: ("aws:cloudwatch/metricAlarm:MetricAlarm", "name"),
    naming.CLOUDWATCH_DASHBOARD: ("aws:cloudwatch/dashboard:Dashboard", "dashboardName"),
    naming.LOG_GROUP: ("aws:cloudwatch/logGroup:LogGroup", "name"),
    naming.EVENTBRIDGE_RULE: ("aws:cloudwatch/eventRule:EventRule", "name"),
    naming.S3_BUCKET_PREFIX: ("aws:s3/bucket:Bucket", "bucketPrefix"),
    naming.GLUE_DATABASE: ("aws:glue/catalogDatabase:CatalogDatabase", "name"),
    naming.ATHENA_WORKGROUP: ("aws:athena/workgroup:Workgroup", "name"),
}
# The botocore member of each kind's name, where the model states a maximum.
NAME_MEMBERS = {
    naming.KINESIS_STREAM: ("kinesis", "CreateStream", "StreamName"),
    naming.FIREHOSE_STREAM: ("firehose", "CreateDeliveryStream", "DeliveryStreamName"),
    naming.LAMBDA_FUNCTION: ("lambda", "CreateFunction", "FunctionName"),
    naming.IAM_ROLE: ("iam", "CreateRole", "RoleName"),
    naming.KMS_ALIAS: ("kms", "CreateAlias", "AliasName"),
    naming.CLOUDWATCH_ALARM: ("cloudwatch", "PutMetricAlarm", "AlarmName"),
    naming.LOG_GROUP: ("logs", "CreateLogGroup", "logGroupName"),
    naming.EVENTBRIDGE_RULE: ("events", "PutRule", "Name"),
    naming.GLUE_DATABASE: ("glue", "CreateDatabase", "DatabaseInput.Name"),
}


def graph_names(run: ProgramRun) -> set[tuple[str, str]]:
    return {
        (kind, str(resource.inputs[name_input]))
        for kind, (typ, name_input) in NAME_INPUTS.items()
        for resource in run.of_type(typ)
        if isinstance(resource.inputs.get(name_input), str)
    }


def predicted_names(stack: str) -> set[tuple[str, str]]:
    config = config_from_pulumi_values(load_stack_config(stack), stack=stack)
    names = PlatformNames(config.name_prefix, stack)
    streams = {tenant: sorted(settings.streams) for tenant, settings in config.tenants.items()}
    return {(derived.kind, derived.name) for derived in names.all_derived(streams)}


@pytest.mark.parametrize("stack", STACKS)
def test_every_name_the_program_creates_is_one_naming_predicts(
    stack: str, stack_run: Callable[[str], ProgramRun]
) -> None:
    created = graph_names(stack_run(stack))
    assert created - predicted_names(stack) == set()
    assert {kind for kind, _ in created} == set(NAME_INPUTS)


def test_the_alarm_kinds_naming_budgets_for_are_the_ones_the_program_creates(
    stack_run: Callable[[str], ProgramRun],
) -> None:
    run = stack_run("dev")
    base = PlatformNames("sp", "dev").stream("acme", "clicks").base
    alarms = {str(r.inputs["name"]) for r in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert {name.removeprefix(f"{base}-") for name in alarms if name.startswith(f"{base}-")} == set(
        naming.STREAM_ALARM_KINDS
    )


@pytest.mark.parametrize("kind", sorted(NAME_MEMBERS))
def test_name_limits_are_no_looser_than_botocores_models(kind: str) -> None:
    model_maximum = member_rules(*NAME_MEMBERS[kind]).maximum
    assert model_maximum is not None and NAME_RULES[kind].max_length <= model_maximum


def test_a_platform_tenant_would_take_the_platform_keys_alias() -> None:
    # The config refuses the tenant name; the name check would catch the collision all the same.
    problems = PlatformNames("sp", "dev").check_all({"platform": ["clicks"]})
    assert problems == [
        "tenants.platform: derived KMS alias name 'alias/sp-dev-platform' is also the one derived for stack; "
        "AWS keeps KMS alias names unique, so rename one"
    ]
    with pytest.raises(StackConfigError, match=r"tenants\.platform: 'platform' is reserved"):
        parse_config({"tenants": {"platform": {"streams": {"clicks": {}}}}}, stack="dev")


@pytest.mark.parametrize("stack", ["Prod", "prod-eu", "prod_eu", "1prod"])
def test_stack_names_are_lowercase_letters_and_digits(stack: str) -> None:
    with pytest.raises(StackConfigError, match=rf"stack: '{stack}' must be lowercase letters and digits"):
        parse_config({"tenants": {"acme": {"streams": {"clicks": {}}}}}, stack=stack)


def test_prefix_and_stack_must_leave_room_for_the_platforms_own_names() -> None:
    config = {"name_prefix": "platform", "tenants": {"acme": {"streams": {"clicks": {}}}}}
    parse_config(config, stack="a" * 14)
    with pytest.raises(StackConfigError) as caught:
        parse_config(config, stack="a" * 15)
    (problem,) = caught.value.problems
    assert problem.startswith(
        f"stack: derived S3 bucket prefix 'platform-{'a' * 15}-lake-replica-' is 38 characters, above the "
        "S3 bucket prefix limit of 37"
    )
    assert problem.endswith("with name_prefix 'platform', the stack name may be at most 14 characters")


@pytest.mark.parametrize("prefix", ["sp", "platform"])
@pytest.mark.parametrize("stack", ["dev", "a" * 12])
@pytest.mark.parametrize(
    ("tenant", "stream"),
    [("tt", "ss"), ("t" * 20, "s" * 22), ("t" * 20, "s" + "-" * 30 + "s")],  # the last: the longest allowed
    ids=["shortest", "sp-dev-budget", "longest"],
)
def test_tenant_and_stream_names_fit_or_are_refused_naming_the_derived_name(
    prefix: str, stack: str, tenant: str, stream: str
) -> None:
    config = {"name_prefix": prefix, "tenants": {tenant: {"streams": {stream: {}}}}}
    derived = PlatformNames(prefix, stack).all_derived({tenant: [stream]})
    too_long = [d for d in derived if len(d.name) > NAME_RULES[d.kind].max_length]
    if not too_long:
        parse_config(config, stack=stack)
        return
    with pytest.raises(StackConfigError) as caught:
        parse_config(config, stack=stack)
    (problem,) = caught.value.problems
    # The binding name is the consumer's IAM role, the longest name under a 64-character limit.
    assert problem.startswith(f"tenants.{tenant}.streams.{stream}: derived IAM role name '")
    assert "-consumer-role' is " in problem and "above the IAM role limit of 64" in problem
