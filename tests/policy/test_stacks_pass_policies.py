"""Every stack the repository ships passes every guardrail, and no guardrail passes by checking nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from infra.mock_runtime import ProgramRun, available_stacks
from policy.evaluate import evaluate_graph
from policy.pack import build_policies
from policy.rules import RESOURCE_RULES, ResourceRule
from policy.stack_rules import S3_BUCKET


@pytest.mark.parametrize("stack", available_stacks())
def test_stack_graph_passes_every_policy(stack: str, stack_run: Callable[[str], ProgramRun]) -> None:
    violations = evaluate_graph(stack_run(stack).resources)
    assert violations == [], "\n".join(f"{v.policy} {v.urn}: {v.message}" for v in violations)


def test_repository_ships_dev_staging_and_prod_stacks() -> None:
    assert {"dev", "staging", "prod"} <= set(available_stacks())


@pytest.mark.parametrize("rule", RESOURCE_RULES, ids=lambda rule: rule.name)
def test_every_resource_rule_has_resources_to_check_in_dev(rule: ResourceRule, dev_run: ProgramRun) -> None:
    """A renamed resource type would make a rule pass vacuously: each must match something real."""
    matched = [r for r in dev_run.resources if r.type in rule.resource_types]
    assert matched, f"{rule.name} matches no resource of the dev stack"


def test_stack_rules_have_buckets_to_check_in_dev(dev_run: ProgramRun) -> None:
    assert len(dev_run.of_type(S3_BUCKET)) >= 2


def test_policy_names_are_unique_and_valid_for_the_engine() -> None:
    names = [policy.name for policy in build_policies()]
    assert len(names) == len(set(names))
    assert all(name.replace("-", "").isalnum() and name.islower() for name in names)
