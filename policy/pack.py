"""The rules as pulumi_policy Policy objects: the one adapter between our checks and the policy SDK.

Building Policy objects starts nothing; only `PolicyPack(...)` in `__main__.py` serves them, so tests
call these same objects' `validate` to exercise the exact code path `pulumi preview/up` runs.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy.rules import RESOURCE_RULES, ResourceRule
from policy.stack_rules import STACK_RULES, StackResource, StackRule

PACK_NAME = "streaming-platform-guardrails"


def _describe(description: str, cdk_nag: str | None) -> str:
    return f"{description} (cdk-nag {cdk_nag})" if cdk_nag else description


def resource_policy(rule: ResourceRule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in rule.validate(args.resource_type, args.props):
            report_violation(f"{args.name}: {message}", None)

    return ResourceValidationPolicy(
        name=rule.name,
        description=_describe(rule.description, rule.cdk_nag),
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def stack_policy(rule: StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [StackResource(r.resource_type, r.name, r.urn, r.props) for r in args.resources]
        for violation in rule.validate(resources):
            report_violation(violation.message, violation.urn)

    return StackValidationPolicy(
        name=rule.name,
        description=_describe(rule.description, rule.cdk_nag),
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def build_policies() -> list[Policy]:
    """Every guardrail, mandatory: a violation fails `pulumi preview` and stops `pulumi up`."""
    return [*map(resource_policy, RESOURCE_RULES), *map(stack_policy, STACK_RULES)]
