"""A stack of 200 tenants x 2 streams builds under mocks, with resources growing exactly per tenant."""

from __future__ import annotations

from infra.mock_runtime import run_program
from research.benchmarks.scale import scale_config


def custom_count(tenants: int) -> int:
    return sum(1 for r in run_program("scale", config=scale_config(tenants)).resources if r.custom)


def test_two_hundred_tenants_build_with_linear_resource_growth() -> None:
    one, two = custom_count(1), custom_count(2)
    per_tenant, shared = two - one, 2 * one - two
    run = run_program("scale", config=scale_config(200))
    assert sum(1 for r in run.resources if r.custom) == shared + 200 * per_tenant
    assert len(run.outputs["tenants"]) == 200
    assert len({r.urn for r in run.resources}) == len(run.resources)
