"""The authorization proof: every data-path request of a stack decided against the stack's own policies.

moto enforces no IAM, so the local runs prove nothing about permissions. Here each catalogue request
(`policy.data_path_requests`) is decided by iam-simulate (`policy.iam_simulator`) with the policies AWS would read
for it (`policy.access_graph`): the principal's inline role policies, and the key, bucket, queue, topic or function
policy, or the role's trust policy. All requests of a stack are decided in one Node run.

`.venv/bin/python -m policy.authorization_proof --stack dev` prints each request with its decision.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policy.access_graph import AccessGraph, StatementRef
from policy.data_path_requests import DataPathRequest, data_path_requests
from policy.iam_simulator import Decision, Simulation, evaluate
from policy.stack_wiring import stack_wiring


@dataclass(frozen=True)
class StackCatalogue:
    """One stack's access graph and the requests of its data path."""

    stack: str
    graph: AccessGraph
    requests: tuple[DataPathRequest, ...]

    def named(self, name: str) -> DataPathRequest:
        return next(r for r in self.requests if r.name == name)


def stack_catalogue(stack: str, config: Mapping[str, Any] | None = None) -> StackCatalogue:
    """Run the program for `stack` (with `config` instead of its stack file, if given) under mocks and derive its graph
    and catalogue (about a second)."""
    from infra.mock_runtime import run_program

    run = run_program(stack, config=config)
    graph = AccessGraph.from_resources(run.resources, str(run.outputs["region"]))
    wiring = stack_wiring(stack, run.resources, run.outputs, graph.account)
    return StackCatalogue(stack, graph, tuple(data_path_requests(wiring, graph)))


def simulation(graph: AccessGraph, request: DataPathRequest) -> Simulation:
    """The request with the policies AWS consults for it; a policy left with no statement is no policy."""
    identity = {d.label: d.as_policy() for d in graph.identity_documents(request.role_arn)} if request.role_arn else {}
    identity |= {name: dict(policy) for name, policy in request.principal_policies.items()}
    resource_document = graph.resource_document(request.action, request.resource)
    return Simulation(
        principal=request.principal,
        action=request.action,
        resource=request.resource,
        resource_account=request.resource_account,
        context=request.context,
        identity_policies={name: policy for name, policy in identity.items() if policy["Statement"]},
        resource_policy=resource_document.as_policy() if resource_document and resource_document.statements else None,
    )


def decide(graph: AccessGraph, requests: Sequence[DataPathRequest]) -> dict[str, Decision]:
    """Each request's decision by name, from one Node run."""
    decisions = evaluate([simulation(graph, r) for r in requests])
    return {request.name: decision for request, decision in zip(requests, decisions, strict=True)}


def documents_read(graph: AccessGraph, request: DataPathRequest) -> set[str]:
    """Labels of the graph's documents a request's decision can depend on."""
    return set(graph.documents_read_by(request.action, request.resource, request.role_arn))


def decide_without_each(
    graph: AccessGraph, requests: Sequence[DataPathRequest], refs: Sequence[StatementRef]
) -> dict[StatementRef, dict[str, Decision]]:
    """For each statement, the decisions of the requests that read its document once it is removed.

    A request that reads no document of the statement gets byte-identical input, so its decision cannot change and
    it is not re-decided; every removal of every statement is decided in one Node run.
    """
    reads = {request.name: documents_read(graph, request) for request in requests}
    batch: list[tuple[StatementRef, DataPathRequest]] = [
        (ref, request) for ref in refs for request in requests if ref.document in reads[request.name]
    ]
    decisions = evaluate([simulation(graph.without(ref), request) for ref, request in batch])
    without: dict[StatementRef, dict[str, Decision]] = {ref: {} for ref in refs}
    for (ref, request), decision in zip(batch, decisions, strict=True):
        without[ref][request.name] = decision
    return without


def unexpected(catalogue: StackCatalogue, decisions: Mapping[str, Decision]) -> list[DataPathRequest]:
    return [r for r in catalogue.requests if decisions[r.name] != r.expect]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev")
    args = parser.parse_args()
    started = time.monotonic()
    catalogue = stack_catalogue(args.stack)
    decisions = decide(catalogue.graph, catalogue.requests)
    for request in catalogue.requests:
        mark = "ok " if decisions[request.name] == request.expect else "!! "
        print(f"{mark}{decisions[request.name]:<16} {request.name}")
    wrong = unexpected(catalogue, decisions)
    print(
        f"{args.stack}: {len(catalogue.requests)} requests, {len(wrong)} not as AWS must decide them "
        f"({time.monotonic() - started:.1f} s)"
    )


if __name__ == "__main__":
    main()
