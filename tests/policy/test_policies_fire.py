"""Every guardrail fires on a copy of a real resource with one property broken.

Resource rules go through the same ResourceValidationPolicy objects the pack serves; stack rules get
the dev graph with one S3 companion resource changed or removed.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pulumi_policy import Policy, ResourceValidationPolicy, StackValidationPolicy

from infra.mock_runtime import ProgramRun, RegisteredResource
from policy.evaluate import Violation, validate_resource, validate_stack
from policy.pack import build_policies
from policy.rules import IAM_IDENTITY_POLICIES

Props = dict[str, Any]
POLICIES: dict[str, Policy] = {policy.name: policy for policy in build_policies()}


def with_props(resource: RegisteredResource, change: Callable[[Props], None]) -> RegisteredResource:
    """A copy of a graph resource whose inputs and outputs both went through `change`."""
    inputs, outputs = copy.deepcopy(resource.inputs), copy.deepcopy(resource.outputs)
    change(inputs)
    change(outputs)
    return dataclasses.replace(resource, inputs=inputs, outputs=outputs)


def setting(*path: str | int, value: Any) -> Callable[[Props], None]:
    def change(props: Props) -> None:
        target: Any = props
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def removing(*path: str | int) -> Callable[[Props], None]:
    def change(props: Props) -> None:
        target: Any = props
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def editing_policy(edit: Callable[[list[dict[str, Any]]], None]) -> Callable[[Props], None]:
    """Change the Statement list of the JSON `policy` property."""

    def change(props: Props) -> None:
        document = json.loads(props["policy"])
        edit(document["Statement"])
        props["policy"] = json.dumps(document)

    return change


def adding_statement(**statement: Any) -> Callable[[Props], None]:
    return editing_policy(lambda statements: statements.append({"Sid": "Added", "Effect": "Allow", **statement}))


@dataclass(frozen=True)
class BrokenResource:
    policy: str
    resource_type: str
    name_contains: str
    change: Callable[[Props], None]
    expect: str


def _case(broken: BrokenResource, label: str) -> Any:
    return pytest.param(broken, id=f"{broken.policy}-{label}")


KINESIS = "aws:kinesis/stream:Stream"
TABLE = "aws:dynamodb/table:Table"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
ESM = "aws:lambda/eventSourceMapping:EventSourceMapping"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
S3_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"

RESOURCE_CASES = [
    _case(
        BrokenResource(
            "kinesis-stream-kms-encrypted",
            KINESIS,
            "",
            setting("encryptionType", value="NONE"),
            "encryptionType is 'NONE'",
        ),
        "unencrypted",
    ),
    _case(
        BrokenResource(
            "kinesis-stream-kms-encrypted",
            KINESIS,
            "",
            setting("kmsKeyId", value="arn:aws:kms:us-east-1:123456789012:alias/aws/kinesis"),
            "AWS managed key",
        ),
        "aws-managed-key",
    ),
    _case(
        BrokenResource(
            "dynamodb-table-kms-encrypted",
            TABLE,
            "checkpoints",
            setting("serverSideEncryption", "enabled", value=False),
            "serverSideEncryption.enabled",
        ),
        "aws-owned-key",
    ),
    _case(
        BrokenResource(
            "dynamodb-table-kms-encrypted",
            TABLE,
            "checkpoints",
            removing("serverSideEncryption", "kmsKeyArn"),
            "kmsKeyArn is not set",
        ),
        "no-key",
    ),
    _case(
        BrokenResource(
            "dynamodb-table-point-in-time-recovery",
            TABLE,
            "",
            removing("pointInTimeRecovery"),
            "pointInTimeRecovery.enabled",
        ),
        "off",
    ),
    _case(
        BrokenResource(
            "sqs-queue-kms-encrypted",
            "aws:sqs/queue:Queue",
            "",
            removing("kmsMasterKeyId"),
            "kmsMasterKeyId is not set",
        ),
        "no-key",
    ),
    _case(
        BrokenResource(
            "sns-topic-kms-encrypted",
            "aws:sns/topic:Topic",
            "",
            removing("kmsMasterKeyId"),
            "kmsMasterKeyId is not set",
        ),
        "no-key",
    ),
    _case(
        BrokenResource(
            "firehose-kms-encrypted", FIREHOSE, "", removing("serverSideEncryption"), "serverSideEncryption.enabled"
        ),
        "no-sse",
    ),
    _case(
        BrokenResource(
            "firehose-kms-encrypted",
            FIREHOSE,
            "",
            setting("serverSideEncryption", "keyType", value="AWS_OWNED_CMK"),
            "AWS_OWNED_CMK",
        ),
        "aws-owned-key",
    ),
    _case(
        BrokenResource(
            "firehose-kms-encrypted",
            FIREHOSE,
            "",
            removing("extendedS3Configuration", "kmsKeyArn"),
            "extendedS3Configuration.kmsKeyArn",
        ),
        "s3-objects-unencrypted",
    ),
    _case(
        BrokenResource(
            "s3-public-access-block-complete",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "lake-public",
            setting("restrictPublicBuckets", value=False),
            "restrictPublicBuckets",
        ),
        "one-off",
    ),
    _case(
        BrokenResource(
            "s3-bucket-policy-tls-only",
            "aws:s3/bucketPolicy:BucketPolicy",
            "lake-policy",
            editing_policy(lambda statements: statements.clear()),
            "aws:SecureTransport",
        ),
        "no-deny",
    ),
    _case(
        BrokenResource(
            "s3-bucket-policy-tls-only",
            "aws:s3/bucketPolicy:BucketPolicy",
            "lake-policy",
            editing_policy(lambda s: s[0]["Condition"]["Bool"].update({"aws:SecureTransport": "true"})),
            "aws:SecureTransport",
        ),
        "inverted-condition",
    ),
    _case(
        BrokenResource(
            "s3-bucket-policy-tls-only",
            "aws:s3/bucketPolicy:BucketPolicy",
            "lake-policy",
            editing_policy(lambda s: s[0].update({"Resource": [r for r in s[0]["Resource"] if not r.endswith("/*")]})),
            "must name both the bucket ARN and its objects",
        ),
        "bucket-only",
    ),
    _case(
        BrokenResource(
            "s3-bucket-policy-tls-only",
            "aws:s3/bucketPolicy:BucketPolicy",
            "lake-policy",
            setting("policy", value="{not json"),
            "not valid JSON",
        ),
        "malformed",
    ),
    _case(
        BrokenResource(
            "event-source-mapping-on-failure-destination",
            ESM,
            "",
            removing("destinationConfig"),
            "destinationConfig.onFailure.destinationArn",
        ),
        "none",
    ),
    _case(
        BrokenResource(
            "event-source-mapping-bisect-on-error",
            ESM,
            "",
            setting("bisectBatchOnFunctionError", value=False),
            "bisectBatchOnFunctionError",
        ),
        "off",
    ),
    _case(
        BrokenResource(
            "event-source-mapping-finite-retries",
            ESM,
            "",
            setting("maximumRetryAttempts", value=-1.0),
            "maximumRetryAttempts is -1.0",
        ),
        "infinite",
    ),
    _case(
        BrokenResource(
            "event-source-mapping-finite-retries",
            ESM,
            "",
            removing("maximumRetryAttempts"),
            "maximumRetryAttempts is None",
        ),
        "unset",
    ),
    _case(
        BrokenResource(
            "event-source-mapping-max-record-age",
            ESM,
            "",
            setting("maximumRecordAgeInSeconds", value=-1.0),
            "maximumRecordAgeInSeconds is -1.0",
        ),
        "infinite",
    ),
    _case(
        BrokenResource(
            "event-source-mapping-max-record-age",
            ESM,
            "",
            removing("maximumRecordAgeInSeconds"),
            "maximumRecordAgeInSeconds is None",
        ),
        "unset",
    ),
    _case(
        BrokenResource(
            "iam-no-wildcard-actions",
            ROLE_POLICY,
            "consumer",
            adding_statement(Action="*", Resource="arn:aws:s3:::bucket"),
            "wildcard action *",
        ),
        "star",
    ),
    _case(
        BrokenResource(
            "iam-no-wildcard-actions",
            ROLE_POLICY,
            "consumer",
            adding_statement(Action=["kinesis:*"], Resource="arn:aws:kinesis:::stream/x"),
            "wildcard action kinesis:*",
        ),
        "service-star",
    ),
    _case(
        BrokenResource(
            "iam-no-wildcard-actions",
            ROLE_POLICY,
            "consumer",
            adding_statement(NotAction="iam:*", Resource="arn:aws:s3:::bucket"),
            "NotAction",
        ),
        "not-action",
    ),
    _case(
        BrokenResource(
            "iam-no-wildcard-resources",
            ROLE_POLICY,
            "consumer",
            adding_statement(Action="s3:GetObject", Resource="*"),
            "Resource '*' for s3:GetObject",
        ),
        "scoped-action",
    ),
    _case(
        BrokenResource(
            "iam-no-wildcard-resources",
            ROLE_POLICY,
            "consumer",
            editing_policy(
                lambda s: next(x for x in s if x["Sid"] == "WriteTraces")["Action"].append("kinesis:PutRecord")
            ),
            "Resource '*' for kinesis:PutRecord",
        ),
        "allowlisted-statement-widened",
    ),
    _case(
        BrokenResource(
            "cloudwatch-alarm-has-actions", ALARM, "", setting("alarmActions", value=[]), "alarmActions is empty"
        ),
        "no-actions",
    ),
    _case(
        BrokenResource(
            "cloudwatch-alarm-has-actions", ALARM, "", setting("actionsEnabled", value=False), "actionsEnabled is false"
        ),
        "disabled",
    ),
    _case(
        BrokenResource("log-group-retention", LOG_GROUP, "", removing("retentionInDays"), "retentionInDays is None"),
        "forever",
    ),
]


def _first(run: ProgramRun, resource_type: str, name_contains: str) -> RegisteredResource:
    matches = [r for r in run.of_type(resource_type) if name_contains in r.name]
    assert matches, f"the dev graph has no {resource_type} named like {name_contains!r}"
    return matches[0]


def _resource_policy(name: str) -> ResourceValidationPolicy:
    policy = POLICIES[name]
    assert isinstance(policy, ResourceValidationPolicy)
    return policy


@pytest.mark.parametrize("broken", RESOURCE_CASES)
def test_broken_resource_fires_its_policy(broken: BrokenResource, dev_run: ProgramRun) -> None:
    original = _first(dev_run, broken.resource_type, broken.name_contains)
    policy = _resource_policy(broken.policy)
    assert validate_resource(policy, original) == [], "the unbroken resource must pass"

    violations = validate_resource(policy, with_props(original, broken.change))

    assert len(violations) == 1, violations
    assert broken.expect in violations[0].message
    assert violations[0].message.startswith(f"{original.name}: ")


def _without(run: ProgramRun, name: str) -> list[RegisteredResource]:
    assert any(r.name == name for r in run.resources)
    return [r for r in run.resources if r.name != name]


def _replacing(run: ProgramRun, name: str, change: Callable[[Props], None]) -> list[RegisteredResource]:
    return [with_props(r, change) if r.name == name else r for r in run.resources]


def _kms_to_aes256(props: Props) -> None:
    props["rules"] = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]


STACK_CASES: list[tuple[str, Callable[[ProgramRun], list[RegisteredResource]], str]] = [
    ("s3-bucket-kms-encrypted", lambda run: _without(run, "lake-encryption"), "no BucketServerSideEncryption"),
    ("s3-bucket-kms-encrypted", lambda run: _replacing(run, "lake-encryption", _kms_to_aes256), "'AES256'"),
    (
        "s3-bucket-kms-encrypted",
        lambda run: _replacing(
            run, "lake-encryption", removing("rules", 0, "applyServerSideEncryptionByDefault", "kmsMasterKeyId")
        ),
        "without kmsMasterKeyId",
    ),
    # SSE-S3 is only excused on a bucket that receives server access logs.
    ("s3-bucket-kms-encrypted", lambda run: _without(run, "lake-logging"), "'AES256'"),
    ("s3-bucket-public-access-blocked", lambda run: _without(run, "lake-public-access"), "no BucketPublicAccessBlock"),
    ("s3-bucket-has-tls-only-policy", lambda run: _without(run, "lake-policy"), "no BucketPolicy"),
]


@pytest.mark.parametrize(
    ("policy_name", "break_graph", "expect"), STACK_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(STACK_CASES)]
)
def test_broken_stack_fires_its_policy(
    policy_name: str, break_graph: Callable[[ProgramRun], list[RegisteredResource]], expect: str, dev_run: ProgramRun
) -> None:
    policy = POLICIES[policy_name]
    assert isinstance(policy, StackValidationPolicy)
    assert validate_stack(policy, dev_run.resources) == [], "the unbroken graph must pass"

    violations: list[Violation] = validate_stack(policy, break_graph(dev_run))

    assert len(violations) == 1, violations
    assert expect in violations[0].message
    assert violations[0].urn, "a stack violation names the resource to fix"


def test_every_policy_has_a_broken_case() -> None:
    covered = {case.values[0].policy for case in RESOURCE_CASES} | {case[0] for case in STACK_CASES}
    assert covered == set(POLICIES)


def test_allowlisted_actions_may_use_any_resource(dev_run: ProgramRun) -> None:
    original = _first(dev_run, ROLE_POLICY, "autoscaler")
    widened = with_props(
        original, adding_statement(Action=["cloudwatch:PutMetricData", "xray:PutTraceSegments"], Resource="*")
    )
    assert validate_resource(_resource_policy("iam-no-wildcard-resources"), widened) == []


def test_kms_key_policy_resource_star_is_not_an_identity_policy(dev_run: ProgramRun) -> None:
    """A key policy's Resource "*" means "this key"; the IAM rules must not read key policies."""
    key = dev_run.of_type("aws:kms/key:Key")[0]
    assert '"Resource": "*"' in key.inputs["policy"]
    assert key.type not in IAM_IDENTITY_POLICIES
    for name in ("iam-no-wildcard-actions", "iam-no-wildcard-resources"):
        assert validate_resource(_resource_policy(name), key) == []


def test_queue_sourced_mapping_is_not_held_to_stream_settings(dev_run: ProgramRun) -> None:
    """SQS mappings have no bisect, retry count or record age: the stream rules do not apply to them."""
    mapping = _first(dev_run, ESM, "")

    def to_queue_source(props: Props) -> None:
        props["eventSourceArn"] = "arn:aws:sqs:us-east-1:123456789012:jobs"
        for key in (
            "destinationConfig",
            "bisectBatchOnFunctionError",
            "maximumRetryAttempts",
            "maximumRecordAgeInSeconds",
        ):
            props.pop(key, None)

    queue_mapping = with_props(mapping, to_queue_source)
    for name in POLICIES:
        if name.startswith("event-source-mapping-"):
            assert validate_resource(_resource_policy(name), queue_mapping) == []
