"""Run the pack in-process over a recorded resource graph, through pulumi_policy's own entry points.

The engine calls each ResourceValidationPolicy with a resource's inputs and each StackValidationPolicy
with every resource's outputs, wrapped in pulumi_policy's unknown-checking proxy; this module builds
the same arguments from a graph such as `infra.mock_runtime.run_program(stack).resources`, so the
policies can be checked on every stack without the Pulumi CLI or the policy server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from policy.pack import build_policies


class GraphResource(Protocol):
    """What a recorded registration offers (`infra.mock_runtime.RegisteredResource` has it all)."""

    @property
    def urn(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def protect(self) -> bool: ...
    @property
    def ignore_changes(self) -> list[str]: ...
    @property
    def parent(self) -> str: ...
    @property
    def inputs(self) -> dict[str, Any]: ...
    @property
    def outputs(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Violation:
    policy: str
    urn: str
    message: str


def _options(resource: GraphResource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=resource.protect,
        ignore_changes=list(resource.ignore_changes),
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.parent or None,
    )


def _proxied(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return unknown_checking_proxy(dict(props))


def validate_resource(policy: ResourceValidationPolicy, resource: GraphResource) -> list[Violation]:
    """What `policy` reports for one resource's inputs, as during `pulumi preview`."""
    reported: list[Violation] = []
    args = ResourceValidationArgs(
        resource.type, _proxied(resource.inputs), resource.urn, resource.name, _options(resource), None
    )

    def report(message: str, _urn: str | None = None) -> None:
        reported.append(Violation(policy.name, resource.urn, message))

    policy.validate(args, report)
    return reported


def validate_stack(policy: StackValidationPolicy, resources: Sequence[GraphResource]) -> list[Violation]:
    """What `policy` reports for the whole stack, each resource seen through its outputs."""
    reported: list[Violation] = []
    stack = [
        PolicyResource(r.type, _proxied({**r.inputs, **r.outputs}), r.urn, r.name, _options(r), None, None, [], {})
        for r in resources
    ]

    def report(message: str, urn: str | None = None) -> None:
        reported.append(Violation(policy.name, urn or "", message))

    policy.validate(StackValidationArgs(stack), report)
    return reported


def evaluate_graph(resources: Sequence[GraphResource], policies: Iterable[Policy] | None = None) -> list[Violation]:
    """Every violation of the pack (or of `policies`) in a resource graph; [] when it is compliant."""
    violations: list[Violation] = []
    for policy in build_policies() if policies is None else policies:
        if isinstance(policy, ResourceValidationPolicy):
            for resource in resources:
                violations += validate_resource(policy, resource)
        elif isinstance(policy, StackValidationPolicy):
            violations += validate_stack(policy, resources)
    return violations
