"""The consumer's Kinesis event source mapping: find it, pause it, and re-create it at a new position.

AWS cannot change a Kinesis mapping's starting position in place (UpdateEventSourceMapping has no
StartingPosition): the mapping must be deleted and created again, by boto3 here or by Pulumi
(`pulumi up --target-replace <urn>`, which re-creates it at the configured position).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from infra.mock_runtime import ProgramRun

# Settings carried over from the old mapping to its replacement (UpdateEventSourceMapping's names).
CARRIED_SETTINGS = (
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "ParallelizationFactor",
    "DestinationConfig",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "TumblingWindowInSeconds",
    "FunctionResponseTypes",
    "FilterCriteria",
    "MetricsConfig",
)


class MappingNotFoundError(LookupError):
    """The consumer has no (or more than one) event source mapping on the stream."""


def find_mapping(lambda_client: Any, stream_arn: str, function_name: str) -> dict[str, Any]:
    """The one mapping from `stream_arn` to `function_name`, or an error listing what exists."""
    mappings: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"EventSourceArn": stream_arn}
    while True:
        response = lambda_client.list_event_source_mappings(**kwargs)
        mappings.extend(response.get("EventSourceMappings", []))
        if not response.get("NextMarker"):
            break
        kwargs["Marker"] = response["NextMarker"]
    own = [m for m in mappings if str(m.get("FunctionArn", "")).split(":function:")[-1].split(":")[0] == function_name]
    if len(own) != 1:
        found = ", ".join(f"{m['UUID']} -> {m.get('FunctionArn')}" for m in mappings) or "none"
        raise MappingNotFoundError(
            f"expected one event source mapping from {stream_arn} to {function_name}, found {len(own)} "
            f"(mappings on the stream: {found})"
        )
    return own[0]


def wait_for_state(
    lambda_client: Any,
    uuid: str,
    wanted: str,
    *,
    timeout_s: float = 120.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Poll until the mapping reaches `wanted` (Disabled), so no batch is in flight afterwards."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = lambda_client.get_event_source_mapping(UUID=uuid).get("State")
        if state == wanted:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"event source mapping {uuid} is {state!r}, not {wanted!r}, after {timeout_s:.0f} s")
        sleep(2.0)


def disable_mapping(lambda_client: Any, uuid: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
    lambda_client.update_event_source_mapping(UUID=uuid, Enabled=False)
    wait_for_state(lambda_client, uuid, "Disabled", sleep=sleep)


def wait_until_deleted(
    lambda_client: Any, uuid: str, *, timeout_s: float = 120.0, sleep: Callable[[float], None] = time.sleep
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            lambda_client.get_event_source_mapping(UUID=uuid)
        except lambda_client.exceptions.ResourceNotFoundException:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"event source mapping {uuid} still exists {timeout_s:.0f} s after deletion")
        sleep(2.0)


def recreate_at_timestamp(
    lambda_client: Any,
    mapping: dict[str, Any],
    starting_at: datetime,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Delete the mapping and create it again with the same settings, starting AT_TIMESTAMP."""
    lambda_client.delete_event_source_mapping(UUID=mapping["UUID"])
    wait_until_deleted(lambda_client, mapping["UUID"], sleep=sleep)
    settings = {name: mapping[name] for name in CARRIED_SETTINGS if mapping.get(name) not in (None, {}, [])}
    response: dict[str, Any] = lambda_client.create_event_source_mapping(
        EventSourceArn=mapping["EventSourceArn"],
        FunctionName=mapping["FunctionArn"],
        Enabled=True,
        StartingPosition="AT_TIMESTAMP",
        StartingPositionTimestamp=starting_at,
        **settings,
    )
    return response


def mapping_urn(stack: str, function_name: str, run: ProgramRun | None = None) -> str | None:
    """The Pulumi URN of the consumer's mapping, from a mocked run of the program (no Pulumi CLI needed)."""
    from infra.mock_runtime import run_program

    for resource in (run or run_program(stack)).of_type("aws:lambda/eventSourceMapping:EventSourceMapping"):
        if str(resource.inputs.get("functionName", "")).endswith(f":function:{function_name}"):
            return resource.urn
    return None
