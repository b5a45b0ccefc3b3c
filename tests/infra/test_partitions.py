"""The program deploys to AWS GovCloud (US) and China as to the commercial regions: no ARN names the `aws` partition.

An ARN is `arn:partition:service:region:account-id:...`, the partition being `aws`, `aws-us-gov` or `aws-cn`
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html). A literal `arn:aws:` in a key policy, a
bucket policy or a layer ARN is a malformed or foreign ARN there. The program builds every ARN from the partition
the provider reports (aws.get_partition), which the mocks answer for the region's partition.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from infra.function_code import PowertoolsLayerUnavailable
from infra.mock_runtime import ProgramRun, config_in_region, partition_of, run_program

ARN = re.compile(r"arn:([a-z-]+):")
# (region, replica region, partition): prod, whose lake replica exercises the per-resource region.
ELSEWHERE = [
    ("us-gov-west-1", "us-gov-east-1", "aws-us-gov"),
    ("cn-north-1", "cn-northwest-1", "aws-cn"),
]


def strings(value: Any) -> Iterator[str]:
    """Every string in a resource's inputs, JSON documents (policies, dashboards) included as they are."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def arn_partitions(run: ProgramRun) -> dict[str, set[str]]:
    """Partition named by ARNs -> the resources whose inputs name it."""
    found: dict[str, set[str]] = {}
    for resource in run.resources:
        for text in strings(resource.inputs):
            for partition in ARN.findall(text):
                found.setdefault(partition, set()).add(resource.name)
    return found


def via_services(run: ProgramRun) -> set[str]:
    values = set()
    for policy in run.of_type("aws:iam/rolePolicy:RolePolicy"):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            via = statement.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
            if via:
                values.add(str(via))
    return values


def service_principals(run: ProgramRun) -> set[str]:
    principals = {str(p.inputs["principal"]) for p in run.of_type("aws:lambda/permission:Permission")}
    for resource in run.resources:
        for key in ("assumeRolePolicy", "policy"):
            text = resource.inputs.get(key)
            if isinstance(text, str) and text.startswith("{"):
                for statement in json.loads(text).get("Statement", []):
                    service = (statement.get("Principal") or {}).get("Service") if isinstance(
                        statement.get("Principal"), dict) else None  # fmt: skip
                    principals.update([service] if isinstance(service, str) else service or [])
    return principals


@pytest.fixture(scope="module", params=ELSEWHERE, ids=[p for _, _, p in ELSEWHERE])
def elsewhere(request: pytest.FixtureRequest) -> tuple[ProgramRun, str]:
    region, replica, partition = request.param
    return run_program("prod", config=config_in_region("prod", region, replica)), partition


def test_the_mocks_report_the_regions_partition() -> None:
    assert partition_of("us-gov-west-1") == ("aws-us-gov", "amazonaws.com")
    assert partition_of("cn-north-1") == ("aws-cn", "amazonaws.com.cn")
    assert partition_of("eu-west-1") == ("aws", "amazonaws.com")


def test_no_input_names_the_aws_partition_outside_it(elsewhere: tuple[ProgramRun, str]) -> None:
    run, partition = elsewhere
    found = arn_partitions(run)
    assert "aws" not in found, f"arn:aws: in the inputs of {sorted(found['aws'])}"
    assert set(found) == {partition}
    # The key policies' account root, the layer, the roles, buckets, keys and streams are all of the partition.
    assert {"platform-key", "acme-key-key", "acme-clicks-consumer-function-function", "lake-replica-key-key"} <= found[
        partition
    ]


def test_kms_is_used_through_the_partitions_endpoints(elsewhere: tuple[ProgramRun, str]) -> None:
    run, _ = elsewhere
    suffix = partition_of(run.outputs["region"])[1]
    values = via_services(run)
    assert values and all(v.endswith(f".{suffix}") and v.count(".") == suffix.count(".") + 2 for v in values), values


def test_service_principals_keep_their_global_form(elsewhere: tuple[ProgramRun, str]) -> None:
    """AWS standardized service principals to `SERVICE.amazonaws.com` in every partition; none the program trusts is
    among the few that differ in China or the ISO partitions (infra/policy_documents.service_principal)."""
    run, _ = elsewhere
    principals = service_principals(run)
    assert {"lambda.amazonaws.com", "firehose.amazonaws.com", "s3.amazonaws.com", "events.amazonaws.com"} <= principals
    assert all(re.fullmatch(r"[a-z0-9.]+\.amazonaws\.com", p) for p in principals), principals


def test_govcloud_functions_use_the_govcloud_powertools_layer() -> None:
    run = run_program("dev", config=config_in_region("dev", "us-gov-west-1"))
    for function in run.of_type("aws:lambda/function:Function"):
        assert function.inputs["layers"][0].startswith("arn:aws-us-gov:lambda:us-gov-west-1:165093116878:layer:")


def test_a_region_without_a_public_powertools_layer_stops_the_program() -> None:
    # The engine reports the PowertoolsLayerUnavailable raised while resolving the functions' layers as a ValueError.
    assert issubclass(PowertoolsLayerUnavailable, ValueError)
    with pytest.raises(ValueError, match=r"Powertools .* publishes no public layer in cn-northwest-1"):
        run_program("dev", config=config_in_region("dev", "cn-northwest-1"))


def test_the_commercial_stacks_stay_in_the_aws_partition() -> None:
    assert set(arn_partitions(run_program("prod"))) == {"aws"}
