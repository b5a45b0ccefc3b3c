"""Physical AWS names derived from prefix, stack, tenant and stream, with each service's length rule.

Tenants have no hyphens, so `<prefix>-<stack>-<tenant>-<stream>` splits one way only; `check_all` still
proves that no two derived names of one kind collide and that each fits its service's limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Maximum name lengths, from each service's API reference.
LIMITS = {
    "kinesis stream": 128,
    "Lambda function": 64,
    "IAM role": 64,
    "Firehose delivery stream": 64,
    "SQS queue": 80,
    "CloudWatch alarm": 255,
    "CloudWatch dashboard": 255,
    "EventBridge rule": 64,
    "DynamoDB table": 255,
    "KMS alias": 256,
}


class NameLimitError(ValueError):
    """A derived name breaks a service rule; the message starts with the config key path."""


@dataclass(frozen=True)
class StreamNames:
    """Physical names of one tenant stream's resources."""

    base: str

    @property
    def stream(self) -> str:
        return self.base

    @property
    def consumer_function(self) -> str:
        return f"{self.base}-consumer"

    @property
    def consumer_role(self) -> str:
        return f"{self.base}-consumer-role"

    @property
    def failure_queue(self) -> str:
        return f"{self.base}-consumer-failures"

    @property
    def delivery_stream(self) -> str:
        return f"{self.base}-lake"

    @property
    def delivery_role(self) -> str:
        return f"{self.base}-lake-role"

    @property
    def scaler_function(self) -> str:
        return f"{self.base}-scaler"

    @property
    def scaler_role(self) -> str:
        return f"{self.base}-scaler-role"

    @property
    def scaler_schedule(self) -> str:
        return f"{self.base}-scaler-tick"

    def alarm(self, what: str) -> str:
        return f"{self.base}-{what}"

    def by_kind(self) -> dict[str, list[str]]:
        return {
            "kinesis stream": [self.stream],
            "Lambda function": [self.consumer_function, self.scaler_function],
            "IAM role": [self.consumer_role, self.delivery_role, self.scaler_role],
            "Firehose delivery stream": [self.delivery_stream],
            "SQS queue": [self.failure_queue],
            "EventBridge rule": [self.scaler_schedule],
            "CloudWatch alarm": [self.alarm("consumer-iterator-age-too-high")],  # the longest alarm suffix
        }


@dataclass(frozen=True)
class PlatformNames:
    """Names of one stack's resources: `<prefix>-<stack>[-<tenant>[-<stream>]]`."""

    prefix: str
    stack: str

    @property
    def base(self) -> str:
        return f"{self.prefix}-{self.stack}"

    @property
    def checkpoint_table(self) -> str:
        return f"{self.base}-checkpoints"

    @property
    def scaling_table(self) -> str:
        return f"{self.base}-scaling-history"

    @property
    def alarm_topic(self) -> str:
        return f"{self.base}-alarms"

    @property
    def glue_database(self) -> str:
        return f"{self.prefix}_{self.stack}_lake".replace("-", "_")

    @property
    def athena_workgroup(self) -> str:
        return f"{self.base}-lake"

    @property
    def lake_replica_role(self) -> str:
        """S3 replication's role: inside the deploy role's `role/<prefix>-<stack>-*` scope (docs/deploy.md)."""
        return f"{self.base}-lake-replica-role"

    def tenant_base(self, tenant: str) -> str:
        return f"{self.base}-{tenant}"

    def tenant_dashboard(self, tenant: str) -> str:
        return f"{self.base}-{tenant}"

    def tenant_key_alias(self, tenant: str) -> str:
        return f"alias/{self.base}-{tenant}"

    def stream(self, tenant: str, stream: str) -> StreamNames:
        return StreamNames(f"{self.base}-{tenant}-{stream}")

    def check_all(self, streams_by_tenant: Mapping[str, Sequence[str]]) -> None:
        """Raise NameLimitError for the first derived name that is too long or taken twice."""
        seen: dict[tuple[str, str], str] = {}
        for tenant, streams in streams_by_tenant.items():
            for stream in streams:
                where = f"tenants.{tenant}.streams.{stream}"
                for kind, names in self.stream(tenant, stream).by_kind().items():
                    for name in names:
                        if len(name) > LIMITS[kind]:
                            raise NameLimitError(
                                f"{where}: derived {kind} name {name!r} is {len(name)} characters, above the "
                                f"{kind} limit of {LIMITS[kind]}; shorten the tenant or stream name"
                            )
                        if (kind, name) in seen:
                            raise NameLimitError(
                                f"{where}: derived {kind} name {name!r} is also derived for {seen[(kind, name)]}"
                            )
                        seen[(kind, name)] = where
