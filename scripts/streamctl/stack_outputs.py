"""Read a stack's outputs: the contract between the platform program and every script.

Real stacks are read with `pulumi stack output --json`; local-mode stacks from
`.local/<stack>/outputs.json`, written by `streamctl local up` in the same shape.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from pydantic import BaseModel, ConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_STATE_DIR = REPO_ROOT / ".local"
EMULATOR_STATE_FILE = LOCAL_STATE_DIR / "emulator.json"


class StreamOutputs(BaseModel):
    """What scripts need to drive and inspect one tenant stream."""

    model_config = ConfigDict(extra="ignore")

    stream_name: str
    stream_arn: str
    mode: str
    consumer_function: str
    failure_queue_url: str
    failure_queue_arn: str
    delivery_stream: str
    lake_prefix: str
    quarantine_prefix: str
    scaler_function: str | None = None


class TenantOutputs(BaseModel):
    model_config = ConfigDict(extra="ignore")

    streams: dict[str, StreamOutputs]


class StackOutputs(BaseModel):
    """The stack outputs of the platform program (`pulumi stack output --json`)."""

    model_config = ConfigDict(extra="ignore")

    region: str
    lake_bucket: str
    lake_events_prefix: str
    lake_replica_bucket: str | None = None
    quarantine_prefix: str
    glue_database: str
    athena_workgroup: str
    checkpoint_table: str
    scaling_table: str
    alarm_topic_arn: str
    tenants: dict[str, TenantOutputs]

    def stream(self, tenant: str, stream: str) -> StreamOutputs:
        """The outputs of one stream, with an error that names what exists when it is not there."""
        if tenant not in self.tenants:
            raise KeyError(f"tenant {tenant!r} is not in the stack outputs; tenants: {sorted(self.tenants)}")
        streams = self.tenants[tenant].streams
        if stream not in streams:
            raise KeyError(f"stream {stream!r} is not a stream of tenant {tenant!r}; streams: {sorted(streams)}")
        return streams[stream]


def local_outputs_file(stack: str) -> Path:
    return LOCAL_STATE_DIR / stack / "outputs.json"


def local_endpoint_url() -> str | None:
    """The endpoint of the running local emulator, or None when local mode is not running."""
    if not EMULATOR_STATE_FILE.exists():
        return None
    state = json.loads(EMULATOR_STATE_FILE.read_text())
    endpoint = state.get("endpoint_url")
    return str(endpoint) if endpoint else None


def load_stack_outputs(stack: str) -> StackOutputs:
    """Outputs of a local-mode stack if one is deployed, else of the real stack via the Pulumi CLI."""
    local_file = local_outputs_file(stack)
    if local_file.exists():
        return StackOutputs.model_validate_json(local_file.read_text())
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise FileNotFoundError(
            f"no outputs for stack {stack!r}: {local_file} does not exist (run `streamctl local up --stack "
            f"{stack}`) and the Pulumi CLI is not installed to read a deployed stack"
        )
    result = subprocess.run(
        [pulumi, "stack", "output", "--json", "--stack", stack],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return StackOutputs.model_validate_json(result.stdout)
