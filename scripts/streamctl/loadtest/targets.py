"""Where a load test points: a stream of a stack, and the endpoint when the stack is a local-mode one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamctl.aws_clients import aws_client
from streamctl.stack_outputs import (
    StackOutputs,
    StreamOutputs,
    load_stack_outputs,
    local_endpoint_url,
    local_outputs_file,
)


@dataclass(frozen=True)
class LoadTarget:
    stack: str
    tenant: str
    stream: str
    outputs: StackOutputs
    endpoint_url: str | None

    @property
    def stream_outputs(self) -> StreamOutputs:
        return self.outputs.stream(self.tenant, self.stream)

    @property
    def is_local(self) -> bool:
        return self.endpoint_url is not None

    def client(self, service: str, **config: Any) -> Any:
        return aws_client(service, region=self.outputs.region, endpoint_url=self.endpoint_url, **config)


def resolve_target(stack: str, tenant: str, stream: str) -> LoadTarget:
    """The stack's outputs, and the emulator's endpoint when the outputs came from `.local/`."""
    endpoint_url: str | None = None
    if local_outputs_file(stack).exists():
        endpoint_url = local_endpoint_url()
        if endpoint_url is None:
            raise RuntimeError(
                f"stack {stack!r} is a local-mode stack ({local_outputs_file(stack)}) but the emulator is "
                f"not running: start it with `streamctl local up --stack {stack}`"
            )
    outputs = load_stack_outputs(stack)
    target = LoadTarget(stack, tenant, stream, outputs, endpoint_url)
    target.stream_outputs  # noqa: B018 - fail early with the error that lists the tenants and streams
    return target
