"""Deploy a one-stream stack of the real program, run producer and runtime to the end, audit the lake."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from emulator.authorization import PolicyEdit, StackAuthorization, published
from emulator.deployer import deploy
from emulator.function_host import FunctionConfig, FunctionHost
from emulator.report import RunAudit, audit_run
from emulator.runtime import LocalRuntime, MappingStats
from emulator.server import Emulator
from emulator.workload import StreamLoad, plan_load, produce_and_drain
from streamctl.aws_clients import aws_client
from streamctl.stack_outputs import StackOutputs

DRAIN_TIMEOUT_S = 120.0


# Every chaos scenario runs at each of these ParallelizationFactors (Lambda's range is 1-10).
FACTORS = (1, 2, 4, 10)
# Scenarios deploy the program's own policies (no edit): the lake's KMS grants match S3 Bucket Keys since the fix
# that test_local_authorization's test_the_program_lets_firehose_write_the_lake_... guards.
LAKE_WORKAROUND: PolicyEdit | None = None


def one_stream_config(shards: int = 2, batch_size: int = 100, parallelization: int = 1) -> dict[str, Any]:
    """Tenant acme with one provisioned stream, no autoscaler (scenarios reshard on their own)."""
    return {
        "aws:region": "us-east-1",
        "streaming-platform:tenants": {
            "acme": {
                "streams": {
                    "clicks": {
                        "mode": "provisioned",
                        "shards": shards,
                        "autoscaling": {"enabled": False},
                        "pii_fields": ["payload.email"],
                        "consumer": {
                            "batch_size": batch_size,
                            "batching_window_seconds": 0,
                            "parallelization": parallelization,
                        },
                    }
                }
            }
        },
    }


@dataclass
class ScenarioResult:
    audit: RunAudit
    stats: MappingStats
    outputs: StackOutputs
    authorization: StackAuthorization


def run_scenario(
    emulator: Emulator,
    state_dir: Path,
    name: str,
    *,
    events: int = 600,
    poison_per_stream: int = 3,
    poison_fraction: float = 0.0,
    parallelization: int = 1,
    on_load: Callable[[FunctionConfig, ModuleType], None] | None = None,
    between_chunks: Callable[[StackOutputs, StreamLoad, int], None] | None = None,
    policy_edit: PolicyEdit | None = LAKE_WORKAROUND,
    consumer: dict[str, Any] | None = None,
) -> ScenarioResult:
    stack = f"lt{name}{parallelization}"
    config = one_stream_config(parallelization=parallelization)
    config["streaming-platform:tenants"]["acme"]["streams"]["clicks"]["consumer"].update(consumer or {})
    deployment, program = deploy(
        stack, emulator.endpoint_url, config=config, state_dir=state_dir, policy_edit=policy_edit
    )
    assert deployment.authorization is not None
    authorization = StackAuthorization.from_document(deployment.authorization)
    outputs = StackOutputs.model_validate(program.outputs)
    host = FunctionHost(emulator.endpoint_url, state_dir / "logs", on_load=on_load)
    # Earlier scenarios' stacks stay in the module's emulator: poll only this stack's consumer.
    runtime = LocalRuntime(host, functions={outputs.stream("acme", "clicks").consumer_function})
    runtime.start()
    try:
        hook = None
        if between_chunks is not None:

            def hook(load: StreamLoad, chunk: int) -> None:
                between_chunks(outputs, load, chunk)

        produced = produce_and_drain(
            aws_client("kinesis", endpoint_url=emulator.endpoint_url),
            outputs,
            runtime,
            plan_load(outputs, events, poison_per_stream=poison_per_stream, poison_fraction=poison_fraction),
            f"{name}-{uuid.uuid4().hex[:6]}",
            rate=4000,
            timeout_s=DRAIN_TIMEOUT_S,
            between_chunks=hook,
        )
    finally:
        runtime.stop()
        host.close()
    stream_name = outputs.stream("acme", "clicks").stream_name
    stats = runtime.stats_by_stream()[stream_name]
    assert runtime.pollers and all(p.config.parallelization_factor == parallelization for p in runtime.pollers.values())
    assert produced.drained, f"not drained: {stats}"
    assert not produced.unsent_record_ids
    audit = audit_run(
        outputs,
        produced.streams,
        aws_client("s3", endpoint_url=emulator.endpoint_url),
        aws_client("dynamodb", endpoint_url=emulator.endpoint_url),
        {stream_name: parallelization},
        authorization,
        published(emulator.endpoint_url)["dropped"],
    )
    return ScenarioResult(audit, stats, outputs, authorization)


def assert_nothing_lost(result: ScenarioResult) -> None:
    """0 lost, every poison record quarantined with a reason, and no good event quarantined instead."""
    audit = result.audit
    assert audit.lost == 0, [(s.stream, s.lost_events[:3], s.lost_poison) for s in audit.streams]
    assert audit.total("quarantined") == audit.total("poison_produced") > 0
    assert audit.total("quarantined_without_reason") == 0
    assert audit.total("delivered") + audit.total("quarantined") == audit.total("produced")
    assert result.stats.discarded == 0, "nothing may reach the failure queue in these scenarios"
