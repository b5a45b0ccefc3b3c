"""The deploy role's policy holds every control-plane request of every stack, and nothing of another stack.

Each request of `policy.control_plane_requests` is decided by iam-simulate against the stack's deploy-role document
(`policy.deploy_role`) and the resource's own policy, one Node run per stack. A request that fails only because of a
known defect of the program is a strict expected failure: once infra/ is fixed it passes, the run fails, and its mark
must go.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from infra.mock_runtime import available_stacks
from policy.control_plane_requests import (
    CATALOGUE,
    STATE_BACKEND_TYPE,
    TF_SOURCE,
    ControlPlaneRequest,
)
from policy.deploy_role import (
    SERVICE_REFERENCE,
    DeployScope,
    actions,
    deploy_role_policy,
    documented_template,
    from_template,
    rendered_template,
)
from policy.deploy_role_proof import decide, decide_per_statement, simulation, stack_control_plane
from policy.iam_simulator import SIMULATOR_DIR, Decision, evaluate

STACKS = available_stacks()
# Deriving a stack's requests runs the program under mocks: about a second a stack, once per test process.
PLANES = {stack: stack_control_plane(stack) for stack in STACKS}
IAM_DATA = SIMULATOR_DIR / "node_modules" / "@cloud-copilot" / "iam-data" / "data"


def request_params() -> list[object]:
    params: list[object] = []
    for stack, plane in PLANES.items():
        for request in plane.requests:
            params.append(pytest.param(stack, request.name, id=f"{stack}: {request.name}"))
    return params


@pytest.fixture(scope="module")
def decisions() -> Callable[[str], dict[str, Decision]]:
    """`decisions(stack)`: every request of the stack decided in one Node run, the first time it is asked for."""
    decided: dict[str, dict[str, Decision]] = {}

    def get(stack: str) -> dict[str, Decision]:
        if stack not in decided:
            decided[stack] = decide(PLANES[stack])
        return decided[stack]

    return get


@pytest.mark.parametrize(("stack", "name"), request_params())
def test_the_deploy_role_allows_every_request_of_a_deploy(
    stack: str, name: str, decisions: Callable[[str], dict[str, Decision]]
) -> None:
    request = PLANES[stack].named(name)
    assert decisions(stack)[name] == "Allowed", (
        f"the {stack} deploy role may not {request.action} on {request.resource} ({request.operation} of "
        f"{request.resource_type} {request.resource_name}): add the grant to policy/deploy_role.py"
    )


def test_every_stack_has_its_catalogue() -> None:
    """The counts the report quotes; a change to the program moves them, and this says by how much."""
    counts = {stack: len(plane.requests) for stack, plane in PLANES.items()}
    assert all(count > 500 for count in counts.values()), counts
    for plane in PLANES.values():
        operations = {request.operation for request in plane.requests}
        assert operations == {"create", "read", "update", "delete"}


# iam-data: every action exists, and each request names a resource of a type the action takes ("*" if none).


@cache
def service_actions(service: str) -> dict[str, Any]:
    path = IAM_DATA / "actions" / f"{service}.json"
    assert path.exists(), f"iam-data has no service {service!r}"
    return dict(json.loads(path.read_text()))


@cache
def service_resource_types(service: str) -> dict[str, Any]:
    return dict(json.loads((IAM_DATA / "resourceTypes" / f"{service}.json").read_text()))


def action_data(action: str) -> dict[str, Any]:
    service, name = action.split(":", 1)
    data = service_actions(service).get(name.lower())
    assert data is not None, (
        f"{action} is no action of the Service Authorization Reference ({SERVICE_REFERENCE.get(service)})"
    )
    assert data["name"] == name, f"{action} is spelt {service}:{data['name']} by AWS"
    return dict(data)


def arn_pattern(template: str) -> re.Pattern[str]:
    """A resource type's ARN format (`arn:${Partition}:kinesis:...:stream/${StreamName}`) as a regex."""
    parts = re.split(r"\$\{[^}]+\}", template)
    return re.compile("^" + ".+".join(re.escape(p) for p in parts) + "$")


def resource_types_matching(action: str, arn: str) -> list[str]:
    service = action.split(":", 1)[0]
    types = service_resource_types(service)
    names = [t["name"] for t in action_data(action)["resourceTypes"]]
    return [name for name in names if arn_pattern(types[name.lower()]["arn"]).match(arn)]


@pytest.mark.parametrize("stack", STACKS)
def test_every_request_names_a_resource_type_its_action_takes(stack: str) -> None:
    wrong = []
    for request in PLANES[stack].requests:
        types = action_data(request.action)["resourceTypes"]
        if not types:
            if request.resource != "*":
                wrong.append(f"{request.name}: {request.action} takes no resource type, so it is authorized on '*'")
        elif not resource_types_matching(request.action, request.resource):
            wrong.append(f"{request.name}: {request.resource} is of no resource type {request.action} takes")
    assert wrong == []


@pytest.mark.parametrize("stack", STACKS)
def test_wildcard_resources_only_for_actions_without_resource_types(stack: str) -> None:
    """`"*"` is granted exactly where the reference leaves AWS nothing narrower to authorize on."""
    for statement in PLANES[stack].policy["Statement"]:
        without_types = [a for a in statement["Action"] if not action_data(a)["resourceTypes"]]
        if statement["Resource"] == ["*"]:
            assert without_types == statement["Action"], f"{statement['Sid']} grants resource-typed actions on '*'"
        else:
            assert without_types == [], f"{statement['Sid']}: {without_types} are authorized on '*' only"


def test_every_service_and_resource_type_cites_its_reference() -> None:
    services = {action.split(":", 1)[0] for plane in PLANES.values() for _, action in actions(plane.policy)}
    assert services <= set(SERVICE_REFERENCE), services - set(SERVICE_REFERENCE)
    assert set(CATALOGUE) == set(TF_SOURCE)
    created = {r.resource_type for plane in PLANES.values() for r in plane.requests} - {STATE_BACKEND_TYPE}
    assert created == set(CATALOGUE), "a catalogued type no stack creates, or the reverse"


REPLICATION_GRANT = ("PassReplicationRoleToS3", "iam:PassRole")


def unused_grants() -> list[tuple[str, str]]:
    """(Sid, action) of the full template that no request of any stack is granted by."""
    used = {(sid, request.action) for stack in STACKS for sid, request in granting(stack)}
    template = deploy_role_policy(replace(PLANES["prod"].scope, replicates=True, disposable=True))
    return sorted(set(actions(template)) - used)


def test_every_granted_action_is_needed_by_some_stack() -> None:
    """Least privilege: an action of the document that no request of any stack needs is a stray grant."""
    unused = [grant for grant in unused_grants() if grant != REPLICATION_GRANT]
    assert unused == [], f"granted, but no deploy needs them: {unused}"


def test_the_replication_role_is_passed_under_its_grant() -> None:
    assert REPLICATION_GRANT not in unused_grants()


def test_only_a_disposable_stack_may_delete_object_versions() -> None:
    """force_destroy empties a bucket on destroy (dev, staging); prod keeps its data, so its role cannot."""
    for stack, plane in PLANES.items():
        granted = {action for _, action in actions(plane.policy)}
        assert ("s3:DeleteObjectVersion" in granted) is plane.scope.disposable, stack
        assert plane.scope.disposable is (stack != "prod")
        deletes = {r.action for r in plane.requests if r.operation == "delete"}
        assert ("s3:DeleteObjectVersion" in deletes) is plane.scope.disposable, stack


# Statement by statement: each grants its own requests and no other statement grants them.


@cache
def per_statement(stack: str) -> dict[str, tuple[dict[str, Decision], dict[str, Decision]]]:
    return decide_per_statement(PLANES[stack])


def granting(stack: str) -> list[tuple[str, ControlPlaneRequest]]:
    plane = PLANES[stack]
    return [
        (sid, plane.named(name))
        for sid, (alone, _) in per_statement(stack).items()
        for name, decision in alone.items()
        if decision == "Allowed"
    ]


STATEMENT_PARAMS = [
    pytest.param(stack, statement["Sid"], id=f"{stack}: {statement['Sid']}")
    for stack, plane in PLANES.items()
    for statement in plane.policy["Statement"]
]


@pytest.mark.parametrize(("stack", "sid"), STATEMENT_PARAMS)
def test_removing_a_statement_denies_exactly_its_requests(
    stack: str, sid: str, decisions: Callable[[str], dict[str, Decision]]
) -> None:
    alone, without = per_statement(stack)[sid]
    its_requests = {name for name, decision in alone.items() if decision == "Allowed"}
    now_denied = {name for name, decision in without.items() if decision != "Allowed"}
    denied_anyway = {name for name in now_denied if decisions(stack)[name] != "Allowed"}
    assert now_denied - denied_anyway == its_requests, (
        f"{sid}: removing it denies {sorted(now_denied - its_requests)[:5]} it does not grant alone, "
        f"or another statement also grants {sorted(its_requests - now_denied)[:5]}"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_every_allowed_request_is_granted_by_exactly_one_statement(
    stack: str, decisions: Callable[[str], dict[str, Decision]]
) -> None:
    by_request: dict[str, list[str]] = {}
    for sid, request in granting(stack):
        by_request.setdefault(request.name, []).append(sid)
    allowed = {name for name, decision in decisions(stack).items() if decision == "Allowed"}
    assert set(by_request) == allowed
    assert {name: sids for name, sids in by_request.items() if len(sids) > 1} == {}


# Scope: another stack's names, and roles passed to the wrong service.


def stack_neutral(request: ControlPlaneRequest) -> bool:
    """Requests that name nothing of a stack, which every deploy role of the account makes alike."""
    unconditioned_wildcard = request.resource == "*" and not request.context
    public_layer = request.resource_account is not None
    state_backend = request.resource_type == STATE_BACKEND_TYPE
    mapping_tags = ":event-source-mapping:" in request.resource and request.action.startswith(
        ("lambda:TagResource", "lambda:UntagResource", "lambda:ListTags")
    )
    # Glue also authorizes a database action on the account's catalog; the database's own ARN is the stack's.
    glue_catalog = request.resource.endswith(":catalog")
    return unconditioned_wildcard or public_layer or state_backend or mapping_tags or glue_catalog


PAIRS = [(a, b) for a in STACKS for b in STACKS if a != b]


@pytest.mark.parametrize(("requests_of", "policy_of"), PAIRS, ids=[f"{a} requests, {b} role" for a, b in PAIRS])
def test_a_deploy_role_denies_another_stacks_requests(requests_of: str, policy_of: str) -> None:
    plane = PLANES[requests_of]
    policy = PLANES[policy_of].policy
    decided = decide(plane, policy=policy)
    wrong = [
        f"{name}: {decision}"
        for name, decision in decided.items()
        if (decision == "Allowed") != stack_neutral(plane.named(name))
    ]
    assert wrong == [], f"the {policy_of} deploy role decides {len(wrong)} {requests_of} requests wrongly"


SERVICES = ("lambda.amazonaws.com", "firehose.amazonaws.com", "s3.amazonaws.com", "ec2.amazonaws.com")


def expected_receiver(role_name: str, scope: DeployScope) -> str | None:
    """The one service a stack role may be passed to, by the kind its name says."""
    base = scope.base
    if not role_name.startswith(f"{base}-"):
        return None
    if role_name.endswith(("-consumer-role", "-scaler-role")):
        return "lambda.amazonaws.com"
    if role_name.endswith("-lake-role"):
        return "firehose.amazonaws.com"
    if scope.replicates and role_name.startswith(f"{base}-lake-replica"):
        return "s3.amazonaws.com"
    return None


@pytest.mark.parametrize("stack", STACKS)
def test_pass_role_only_to_the_service_that_assumes_the_role(stack: str) -> None:
    """Every role of every stack, passed to every service: allowed only for this stack's role and its receiver."""
    plane = PLANES[stack]
    roles = sorted({r.resource for p in PLANES.values() for r in p.requests if r.action == "iam:CreateRole"})
    requests = [
        ControlPlaneRequest(
            name=f"pass {role} to {service}",
            resource_type="aws:iam/role:Role",
            resource_name=role,
            operation="create",
            action="iam:PassRole",
            resource=role,
            context={"iam:PassedToService": service},
        )
        for role in roles
        for service in SERVICES
    ]
    decided = decide(plane, requests)
    wrong = []
    for request in requests:
        role_name = request.resource.rsplit("/", 1)[-1]
        may = expected_receiver(role_name, plane.scope) == request.context["iam:PassedToService"]
        if (decided[request.name] == "Allowed") != may:
            wrong.append(f"{request.name}: {decided[request.name]}")
    assert wrong == []


def test_a_foreign_account_is_outside_every_scope() -> None:
    """The same names in another account: denied (S3 ARNs name no account: bucket names are global)."""
    plane = PLANES["dev"]
    foreign = replace(plane.scope, account="999988887777")
    policy = deploy_role_policy(foreign)
    requests = [
        r
        for r in plane.requests
        if not stack_neutral(r) and r.resource != "*" and not r.resource.startswith("arn:aws:s3:")
    ]
    decided = evaluate([simulation(plane.graph, plane.scope, policy, r) for r in requests])
    assert set(decided) == {"ImplicitlyDenied"}


# The document as docs/deploy.md gives it, and IAM's size quota.


def test_docs_show_the_current_template() -> None:
    current = rendered_template().split("```json\n", 1)[1].rsplit("\n```", 1)[0]
    assert documented_template() == current, (
        "docs/deploy.md's deploy-role policy is stale: run `.venv/bin/python -m policy.deploy_role --render`"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_the_template_filled_in_is_the_stacks_document(stack: str) -> None:
    scope = PLANES[stack].scope
    assert from_template(documented_template(), scope) == deploy_role_policy(scope)


@pytest.mark.parametrize("stack", STACKS)
def test_the_document_fits_the_inline_policy_quota(stack: str) -> None:
    """A role's inline policies hold 10,240 characters, whitespace not counted
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)."""
    text = json.dumps(PLANES[stack].policy, separators=(",", ":"))
    assert len(text) <= 10_240, f"{len(text)} characters: move a grant to a customer managed policy"


def test_the_documented_commands_exist() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()
    for command in ("python -m policy.deploy_role --render", "python -m policy.deploy_role --stack prod"):
        assert command in text
