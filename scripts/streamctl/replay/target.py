"""What a replay acts on: one tenant stream of one stack, resolved from the stack outputs contract."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamctl.aws_clients import aws_client
from streamctl.stack_outputs import StackOutputs, load_stack_outputs, local_endpoint_url, local_outputs_file


@dataclass(frozen=True)
class ReplayTarget:
    """Names of the resources a replay reads and writes for one (tenant, stream)."""

    stack: str
    tenant: str
    stream: str
    stream_name: str
    stream_arn: str
    consumer_function: str
    checkpoint_table: str
    failure_queue_url: str
    lake_bucket: str
    quarantine_prefix: str

    @classmethod
    def from_outputs(cls, stack: str, outputs: StackOutputs, tenant: str, stream: str) -> ReplayTarget:
        stream_outputs = outputs.stream(tenant, stream)
        return cls(
            stack=stack,
            tenant=tenant,
            stream=stream,
            stream_name=stream_outputs.stream_name,
            stream_arn=stream_outputs.stream_arn,
            consumer_function=stream_outputs.consumer_function,
            checkpoint_table=outputs.checkpoint_table,
            failure_queue_url=stream_outputs.failure_queue_url,
            lake_bucket=outputs.lake_bucket,
            quarantine_prefix=stream_outputs.quarantine_prefix,
        )

    @classmethod
    def load(cls, stack: str, tenant: str, stream: str) -> ReplayTarget:
        return cls.from_outputs(stack, load_stack_outputs(stack), tenant, stream)


@dataclass(frozen=True)
class ReplayClients:
    """The boto3 clients a replay needs, made once by `streamctl.aws_clients.aws_client`."""

    kinesis: Any
    dynamodb: Any
    lambda_: Any
    sqs: Any
    s3: Any

    @classmethod
    def for_stack(cls, stack: str) -> ReplayClients:
        """Clients for the local emulator when `stack` is deployed in local mode, else for AWS."""
        endpoint = local_endpoint_url() if local_outputs_file(stack).exists() else None
        return cls(
            *(aws_client(service, endpoint_url=endpoint) for service in ("kinesis", "dynamodb", "lambda", "sqs", "s3"))
        )
