"""The deploy-role proof: every control-plane request of a stack decided against that stack's deploy-role policy.

Each request of `policy.control_plane_requests` is decided by iam-simulate with the deploy role's document
(`policy.deploy_role`) as the principal's only identity policy and, where AWS reads one, the resource's own policy
from the graph (key policy, bucket, queue, topic or function policy: `policy.access_graph`). All requests of a stack
are decided in one Node run.

    .venv/bin/python -m policy.deploy_role_proof --stack prod     # each request with its decision
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policy.access_graph import AccessGraph
from policy.control_plane_requests import ControlPlaneRequest, control_plane_requests
from policy.deploy_role import DeployScope, deploy_role_policy, only, without
from policy.iam_simulator import Decision, Simulation, evaluate

POLICY_NAME = "deploy-role"


def deploy_role_arn(scope: DeployScope) -> str:
    """The stack's deploy role as docs/deploy.md names it: outside its own scope, so it cannot edit itself."""
    return f"arn:{scope.partition}:iam::{scope.account}:role/{scope.prefix}-deploy-{scope.stack}"


@dataclass(frozen=True)
class StackControlPlane:
    """One stack's graph, deploy scope, deploy-role policy and the requests of its deploys."""

    stack: str
    scope: DeployScope
    graph: AccessGraph
    policy: dict[str, Any]
    requests: tuple[ControlPlaneRequest, ...]

    def named(self, name: str) -> ControlPlaneRequest:
        return next(r for r in self.requests if r.name == name)


def stack_control_plane(stack: str) -> StackControlPlane:
    """Run the program for `stack` under mocks and derive its requests and policy (about a second)."""
    from infra.mock_runtime import run_program

    run = run_program(stack)
    graph = AccessGraph.from_resources(run.resources, str(run.outputs["region"]))
    scope = DeployScope.for_stack(stack, graph.account)
    if scope.region != run.outputs["region"]:
        raise ValueError(f"{stack}: the program ran in {run.outputs['region']}, the scope says {scope.region}")
    return StackControlPlane(
        stack, scope, graph, deploy_role_policy(scope), tuple(control_plane_requests(run.resources, scope))
    )


def simulation(
    graph: AccessGraph, scope: DeployScope, policy: Mapping[str, Any], request: ControlPlaneRequest
) -> Simulation:
    """The request as the deploy role makes it, with the resource policy AWS reads; an empty policy is none."""
    if request.resource_policy is not None:
        resource_policy: Mapping[str, Any] | None = request.resource_policy
    else:
        document = graph.resource_document(request.action, request.resource) if request.resource != "*" else None
        resource_policy = document.as_policy() if document and document.statements else None
    return Simulation(
        principal=deploy_role_arn(scope),
        action=request.action,
        resource=request.resource,
        resource_account=request.resource_account or scope.account,
        context=request.context,
        identity_policies={POLICY_NAME: policy} if policy["Statement"] else {},
        resource_policy=resource_policy,
    )


def decide(
    plane: StackControlPlane,
    requests: Sequence[ControlPlaneRequest] | None = None,
    policy: Mapping[str, Any] | None = None,
) -> dict[str, Decision]:
    """Each request's decision by name under `policy` (the stack's own by default), from one Node run."""
    chosen = plane.requests if requests is None else tuple(requests)
    document = plane.policy if policy is None else policy
    decisions = evaluate([simulation(plane.graph, plane.scope, document, r) for r in chosen])
    return {request.name: decision for request, decision in zip(chosen, decisions, strict=True)}


def _names_action(statement: Mapping[str, Any], action: str) -> bool:
    listed = statement["Action"]
    return action.lower() in {a.lower() for a in ([listed] if isinstance(listed, str) else listed)}


def decide_per_statement(plane: StackControlPlane) -> dict[str, tuple[dict[str, Decision], dict[str, Decision]]]:
    """For each statement: the decisions under that statement alone and under the policy without it.

    Only requests whose action the statement names are decided: the statement cannot matter to any other (the
    document lists actions, no wildcards). Every statement of the stack is decided in one Node run.
    """
    batch: list[tuple[str, str, ControlPlaneRequest, Mapping[str, Any]]] = []
    for statement in plane.policy["Statement"]:
        sid = statement["Sid"]
        for request in plane.requests:
            if _names_action(statement, request.action):
                batch.append((sid, "alone", request, only(plane.policy, sid)))
                batch.append((sid, "without", request, without(plane.policy, sid)))
    decisions = evaluate([simulation(plane.graph, plane.scope, policy, request) for _, _, request, policy in batch])
    result: dict[str, tuple[dict[str, Decision], dict[str, Decision]]] = {
        s["Sid"]: ({}, {}) for s in plane.policy["Statement"]
    }
    for (sid, kind, request, _), decision in zip(batch, decisions, strict=True):
        result[sid][0 if kind == "alone" else 1][request.name] = decision
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev")
    args = parser.parse_args()
    started = time.monotonic()
    plane = stack_control_plane(args.stack)
    decisions = decide(plane)
    for request in plane.requests:
        mark = "ok " if decisions[request.name] == "Allowed" else "!! "
        print(f"{mark}{decisions[request.name]:<16} {request.name}")
    denied = [name for name, decision in decisions.items() if decision != "Allowed"]
    print(
        f"{args.stack}: {len(plane.requests)} control-plane requests, {len(denied)} not allowed "
        f"({time.monotonic() - started:.1f} s)"
    )


if __name__ == "__main__":
    main()
