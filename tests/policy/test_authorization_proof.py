"""The authorization proof: AWS would allow every data-path request of every stack, and deny the ones it must.

moto enforces no IAM. Here every request of `policy.data_path_requests` is decided by iam-simulate against the
stack's own identity policies, key, bucket, queue and topic policies, Lambda permissions and trust policies, one Node
run per stack. No request is an expected failure: a request AWS would decide otherwise than the data path needs
fails the run (the Bucket Key and UpdateShardCount defects it once marked are fixed in infra/).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from infra.mock_runtime import available_stacks, config_in_region
from policy.access_graph import StatementRef
from policy.authorization_proof import StackCatalogue, decide, decide_without_each, stack_catalogue
from policy.iam_simulator import Decision

STACKS = available_stacks()
# Deriving a catalogue runs the program under mocks: about a second a stack, once per test process.
CATALOGUES = {stack: stack_catalogue(stack) for stack in STACKS}


def request_params() -> list[object]:
    return [
        pytest.param(stack, request.name, id=f"{stack}: {request.name}")
        for stack, catalogue in CATALOGUES.items()
        for request in catalogue.requests
    ]


@pytest.fixture(scope="module")
def decisions() -> Callable[[str], dict[str, Decision]]:
    """`decisions(stack)`: every request of the stack decided in one Node run, the first time it is asked for."""
    decided: dict[str, dict[str, Decision]] = {}

    def get(stack: str) -> dict[str, Decision]:
        if stack not in decided:
            catalogue = CATALOGUES[stack]
            decided[stack] = decide(catalogue.graph, catalogue.requests)
        return decided[stack]

    return get


@pytest.mark.parametrize(("stack", "name"), request_params())
def test_aws_decides_the_request_as_the_platform_needs(
    stack: str, name: str, decisions: Callable[[str], dict[str, Decision]]
) -> None:
    request = CATALOGUES[stack].named(name)
    assert decisions(stack)[name] == request.expect, (
        f"{request.principal} {request.action} {request.resource}: AWS would answer {decisions(stack)[name]}, "
        f"the data path needs {request.expect} ({', '.join(request.documented_by)})"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_every_request_cites_the_aws_page_that_defines_it(stack: str) -> None:
    for request in CATALOGUES[stack].requests:
        assert request.documented_by, request.name
        for page in request.documented_by:
            assert page.startswith(("https://docs.aws.amazon.com/", "README.md#")), (request.name, page)


@pytest.mark.parametrize("stack", STACKS)
def test_the_catalogue_covers_every_role_and_every_policy_statement(stack: str) -> None:
    """Each Allow the program writes grants some data-path request, and each Deny refuses some request: a statement
    no request relies on is either a request the catalogue misses or a grant the platform does not need."""
    catalogue = CATALOGUES[stack]
    relied_on = {ref for request in catalogue.requests for ref in request.relies_on}
    unused = [str(ref) for ref in catalogue.graph.refs() if ref not in relied_on]
    assert not unused, f"no catalogue request relies on: {unused}"
    roles_in_requests = {r.role_arn for r in catalogue.requests} | {r.resource for r in catalogue.requests}
    assert set(catalogue.graph.trust_policies) <= roles_in_requests


def test_cross_tenant_and_foreign_requests_are_in_every_catalogue() -> None:
    for stack, catalogue in CATALOGUES.items():
        denied = [r for r in catalogue.requests if r.expect != "Allowed"]
        assert any("->" in r.name and "kinesis:GetRecords" in r.name for r in denied), stack
        assert any("dynamodb:UpdateItem" in r.name and "checkpoint" in r.name for r in denied), stack
        assert any("foreign account assumes" in r.name for r in denied), stack


# Removing one statement from dev's graph: exactly the requests relying on it stop being decided as needed.

DEV = CATALOGUES["dev"]


@pytest.fixture(scope="module")
def dev_without_each_statement() -> dict[StatementRef, dict[str, Decision]]:
    """Every removal of every dev statement, decided in one Node run (only requests reading its document)."""
    return decide_without_each(DEV.graph, DEV.requests, DEV.graph.refs())


@pytest.fixture(scope="module")
def dev_decisions(decisions: Callable[[str], dict[str, Decision]]) -> dict[str, Decision]:
    return decisions("dev")


def relying_on(catalogue: StackCatalogue, ref: StatementRef) -> set[str]:
    return {r.name for r in catalogue.requests if ref in r.relies_on}


@pytest.mark.parametrize("ref", DEV.graph.refs(), ids=str)
def test_removing_a_statement_fails_exactly_the_requests_that_rely_on_it(
    ref: StatementRef,
    dev_without_each_statement: dict[StatementRef, dict[str, Decision]],
    dev_decisions: dict[str, Decision],
) -> None:
    without = dev_without_each_statement[ref]
    dependent = relying_on(DEV, ref)
    assert dependent <= set(without), f"requests relying on {ref} do not read its document"
    newly_wrong = {name for name, decision in without.items() if decision != DEV.named(name).expect}
    changed_elsewhere = {n for n, d in without.items() if n not in dependent and d != dev_decisions[n]}
    assert dependent <= newly_wrong, f"still decided as needed without {ref}: {sorted(dependent - newly_wrong)}"
    assert not changed_elsewhere, f"removing {ref} also changes: {sorted(changed_elsewhere)}"


# The same proof for prod moved to AWS GovCloud (US) and China: the catalogue takes the partition from the graph's
# role ARNs, so every principal, resource and kms:ViaService is of that partition.

OTHER_PARTITIONS = {
    "aws-us-gov": ("us-gov-west-1", "us-gov-east-1"),
    "aws-cn": ("cn-north-1", "cn-northwest-1"),
}


@pytest.mark.parametrize("partition", sorted(OTHER_PARTITIONS))
def test_the_proof_holds_in_another_partition(partition: str) -> None:
    region, replica = OTHER_PARTITIONS[partition]
    catalogue = stack_catalogue("prod", config_in_region("prod", region, replica))
    assert catalogue.graph.partition == partition
    assert len(catalogue.requests) == len(CATALOGUES["prod"].requests)
    for request in catalogue.requests:
        for arn in (request.principal, request.resource):
            assert not arn.startswith("arn:aws:"), (request.name, arn)
    decisions = decide(catalogue.graph, catalogue.requests)
    wrong = [f"{decisions[r.name]} {r.name}" for r in catalogue.requests if decisions[r.name] != r.expect]
    assert wrong == []
