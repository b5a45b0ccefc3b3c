"""Every IAM role the program creates is one the deploy role may manage, trusting its service the documented way."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.config import config_from_pulumi_values
from infra.mock_runtime import (
    FABRICATED_ACCOUNT,
    ProgramRun,
    RegisteredResource,
    available_stacks,
    load_stack_config,
    run_program,
)
from infra.naming import IAM_ROLE, NAME_RULES, PlatformNames

DEPLOY_DOC = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"
ROLE = "aws:iam/role:Role"


@pytest.fixture(scope="module", params=available_stacks())
def run(request: pytest.FixtureRequest) -> ProgramRun:
    return run_program(request.param)


def deploy_role_scope(stack: str) -> str:
    """The role ARN pattern docs/deploy.md lets the deploy role create, update and pass (`role/sp-<stack>-*`)."""
    match = re.search(r"role/([A-Za-z0-9_+=,.@-]*)<stack>-\*", DEPLOY_DOC.read_text())
    assert match, "docs/deploy.md no longer says which roles the deploy role may manage (role/...<stack>-*)"
    return f"{match.group(1)}{stack}-"


def test_every_role_is_named_inside_the_deploy_roles_scope(run: ProgramRun) -> None:
    """A role without an explicit name is auto-named `<logical name>-<suffix>`, outside `role/sp-<stack>-*`: the
    deploy role could not create it (iam:CreateRole) nor pass it to S3 (iam:PassRole)."""
    config = config_from_pulumi_values(load_stack_config(run.stack), stack=run.stack)
    base = PlatformNames(config.name_prefix, run.stack).base
    scope = deploy_role_scope(run.stack)
    roles = run.of_type(ROLE)
    assert roles
    for role in roles:
        name = role.inputs.get("name")
        assert isinstance(name, str), f"{role.name} has no explicit name: it would be auto-named outside {scope}*"
        assert name.startswith(scope) and name.startswith(f"{base}-"), (role.name, name)
        assert len(name) <= NAME_RULES[IAM_ROLE].max_length, name
        assert role.outputs["name"] == name


def test_prod_names_its_replication_role() -> None:
    prod = run_program("prod")
    assert prod.named("lake-replica-role").inputs["name"] == PlatformNames("sp", "prod").lake_replica_role


def trust_statement(role: RegisteredResource) -> dict[str, Any]:
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
    return dict(statement)


def test_each_service_is_trusted_in_the_form_its_page_documents(run: ProgramRun) -> None:
    """A condition on a key the service does not send locks it out; a missing one lets it act for others.

    Lambda: no condition (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html). Firehose:
    sts:ExternalId = the account ID (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html,
    "Allow Firehose to assume an IAM role"). S3 replication: aws:SourceAccount and aws:SourceArn = the source bucket
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html).
    """
    lake = run.named("lake-bucket").outputs["arn"]
    services: dict[str, int] = {}
    for role in run.of_type(ROLE):
        statement = trust_statement(role)
        service = statement["Principal"]["Service"]
        services[service] = services.get(service, 0) + 1
        condition = statement.get("Condition")
        if service == "lambda.amazonaws.com":
            assert condition is None, role.name
        elif service == "firehose.amazonaws.com":
            assert condition == {"StringEquals": {"sts:ExternalId": FABRICATED_ACCOUNT}}, role.name
        elif service == "s3.amazonaws.com":
            assert condition == {
                "StringEquals": {"aws:SourceAccount": FABRICATED_ACCOUNT},
                "ArnLike": {"aws:SourceArn": lake},
            }, role.name
        else:
            pytest.fail(f"{role.name} trusts {service}, whose documented trust form this test does not know")
    streams = len(run.of_type("aws:kinesis/stream:Stream"))
    assert services["firehose.amazonaws.com"] == streams
    assert services.get("s3.amazonaws.com", 0) == len(
        run.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    )
