"""What talks to what in a stack's resource graph: the facts the data path's requests are derived from.

Read from the graph the program registers (`infra.mock_runtime.run_program`), not from naming conventions: the event
source mapping says which function reads a stream, the stream and queue name their keys, the bucket's encryption
configuration says whether S3 Bucket Keys are on, the delivery stream names its role, prefixes and log stream.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policy.access_graph import GraphResource

LAMBDA_TYPE = "aws:lambda/function:Function"


@dataclass(frozen=True)
class FunctionWiring:
    name: str
    arn: str
    role_arn: str
    role_name: str
    log_group_arn: str
    environment: Mapping[str, str]


@dataclass(frozen=True)
class BucketWiring:
    name: str
    arn: str
    region: str
    key_arn: str | None  # SSE-KMS key of the default encryption, None for SSE-S3
    bucket_key: bool  # S3 Bucket Key: KMS then sees the bucket ARN as encryption context, not the object's


@dataclass(frozen=True)
class TableWiring:
    name: str
    arn: str
    key_arn: str | None  # customer managed key; None for an AWS owned key (no KMS request on the caller's behalf)


@dataclass(frozen=True)
class DeliveryWiring:
    name: str
    arn: str
    role_arn: str
    role_name: str
    bucket: BucketWiring
    s3_key_arn: str | None
    prefix: str
    error_prefix: str
    log_stream_arn: str


@dataclass(frozen=True)
class ScalerWiring:
    function: FunctionWiring
    stream_arn: str
    table: TableWiring
    rule_arns: tuple[str, ...]  # EventBridge rules targeting the function
    topic_arns: tuple[str, ...]  # SNS topics the function subscribes to
    allow_mode_switch: bool


@dataclass(frozen=True)
class StreamWiring:
    tenant: str
    stream: str
    arn: str
    key_arn: str
    consumer: FunctionWiring
    failure_queue_arn: str
    failure_queue_key_arn: str | None
    delivery: DeliveryWiring
    checkpoints: TableWiring
    quarantine_bucket: BucketWiring
    quarantine_prefix: str
    scaler: ScalerWiring | None

    @property
    def subject(self) -> str:
        return f"{self.tenant}/{self.stream}"


@dataclass(frozen=True)
class TopicWiring:
    name: str
    arn: str
    key_arn: str | None


@dataclass(frozen=True)
class AlarmWiring:
    name: str
    arn: str
    topic_arns: tuple[str, ...]


@dataclass(frozen=True)
class AccessLogWiring:
    source: BucketWiring
    target: BucketWiring
    prefix: str


@dataclass(frozen=True)
class ReplicationWiring:
    role_arn: str
    role_name: str
    source: BucketWiring
    destination: BucketWiring
    replica_key_arn: str | None


@dataclass(frozen=True)
class StackWiring:
    stack: str
    account: str
    region: str
    streams: tuple[StreamWiring, ...]
    topics: Mapping[str, TopicWiring]
    alarms: tuple[AlarmWiring, ...]
    access_logs: tuple[AccessLogWiring, ...]
    replications: tuple[ReplicationWiring, ...]

    def tenants(self) -> list[str]:
        return sorted({s.tenant for s in self.streams})


def bucket_name(bucket_arn: str) -> str:
    """`amzn-s3-demo-bucket` of `arn:<any partition>:s3:::amzn-s3-demo-bucket`."""
    prefix, _, name = bucket_arn.partition(":::")
    if not (prefix.startswith("arn:") and prefix.endswith(":s3")) or not name:
        raise ValueError(f"{bucket_arn} is not a bucket ARN")
    return name


class _Graph:
    """Lookups over the registrations by type and by an input or output value."""

    def __init__(self, resources: Sequence[GraphResource], region: str) -> None:
        self.resources = resources
        self.region = region

    def of_type(self, typ: str) -> list[GraphResource]:
        return [r for r in self.resources if r.type == typ]

    def one(self, typ: str, key: str, value: Any) -> GraphResource:
        found = [r for r in self.of_type(typ) if {**r.inputs, **r.outputs}.get(key) == value]
        if len(found) != 1:
            raise KeyError(f"{len(found)} {typ} have {key}={value!r}")
        return found[0]

    def role_name(self, role_arn: str) -> str:
        return str(self.one("aws:iam/role:Role", "arn", role_arn).outputs["name"])

    def function(self, name_or_arn: str) -> FunctionWiring:
        key = "arn" if name_or_arn.startswith("arn:") else "name"
        function = self.one(LAMBDA_TYPE, key, name_or_arn)
        log_group = self.one("aws:cloudwatch/logGroup:LogGroup", "name", function.inputs["loggingConfig"]["logGroup"])
        role_arn = str(function.inputs["role"])
        return FunctionWiring(
            name=str(function.outputs["name"]),
            arn=str(function.outputs["arn"]),
            role_arn=role_arn,
            role_name=self.role_name(role_arn),
            log_group_arn=str(log_group.outputs["arn"]),
            environment=dict(function.inputs.get("environment", {}).get("variables", {})),
        )

    def bucket(self, name: str) -> BucketWiring:
        bucket = self.one("aws:s3/bucket:Bucket", "bucket", name)
        key_arn: str | None = None
        bucket_key = False
        for config in self.of_type(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        ):
            if config.inputs["bucket"] != name:
                continue
            for rule in config.inputs.get("rules", []):
                default = rule.get("applyServerSideEncryptionByDefault", {})
                if default.get("sseAlgorithm") in ("aws:kms", "aws:kms:dsse"):
                    key_arn = str(default["kmsMasterKeyId"])
                    bucket_key = bool(rule.get("bucketKeyEnabled"))
        return BucketWiring(
            name, str(bucket.outputs["arn"]), str(bucket.inputs.get("region") or self.region), key_arn, bucket_key
        )

    def table(self, name: str) -> TableWiring:
        table = self.one("aws:dynamodb/table:Table", "name", name)
        encryption = table.inputs.get("serverSideEncryption") or {}
        key_arn = encryption.get("kmsKeyArn") if encryption.get("enabled") else None
        return TableWiring(name, str(table.outputs["arn"]), str(key_arn) if key_arn else None)


def _stream_wiring(graph: _Graph, tenant: str, stream: str, outputs: Mapping[str, Any]) -> StreamWiring:
    stream_arn = str(outputs["stream_arn"])
    kinesis = graph.one("aws:kinesis/stream:Stream", "arn", stream_arn)
    mapping = graph.one("aws:lambda/eventSourceMapping:EventSourceMapping", "eventSourceArn", stream_arn)
    consumer = graph.function(str(mapping.inputs["functionName"]))
    queue_arn = str(mapping.inputs["destinationConfig"]["onFailure"]["destinationArn"])
    queue = graph.one("aws:sqs/queue:Queue", "arn", queue_arn)
    firehose = graph.one(
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "name", consumer.environment["DELIVERY_STREAM"]
    )
    s3 = firehose.inputs["extendedS3Configuration"]
    logging = s3["cloudwatchLoggingOptions"]
    log_stream = [
        r
        for r in graph.of_type("aws:cloudwatch/logStream:LogStream")
        if r.inputs["logGroupName"] == logging["logGroupName"] and r.inputs["name"] == logging["logStreamName"]
    ]
    delivery_role = str(s3["roleArn"])
    delivery = DeliveryWiring(
        name=str(firehose.outputs["name"]),
        arn=str(firehose.outputs["arn"]),
        role_arn=delivery_role,
        role_name=graph.role_name(delivery_role),
        bucket=graph.bucket(bucket_name(str(s3["bucketArn"]))),
        s3_key_arn=str(s3["kmsKeyArn"]) if s3.get("kmsKeyArn") else None,
        prefix=str(s3["prefix"]),
        error_prefix=str(s3["errorOutputPrefix"]),
        log_stream_arn=str(log_stream[0].outputs["arn"]),
    )
    scaler: ScalerWiring | None = None
    if outputs.get("scaler_function"):
        function = graph.function(str(outputs["scaler_function"]))
        rules = [
            graph.one("aws:cloudwatch/eventRule:EventRule", "name", target.inputs["rule"])
            for target in graph.of_type("aws:cloudwatch/eventTarget:EventTarget")
            if target.inputs["arn"] == function.arn
        ]
        topics = [
            str(s.inputs["topic"])
            for s in graph.of_type("aws:sns/topicSubscription:TopicSubscription")
            if s.inputs["protocol"] == "lambda" and s.inputs["endpoint"] == function.arn
        ]
        scaler = ScalerWiring(
            function=function,
            stream_arn=function.environment["STREAM_ARN"],
            table=graph.table(function.environment["SCALING_TABLE"]),
            rule_arns=tuple(sorted(str(r.outputs["arn"]) for r in rules)),
            topic_arns=tuple(sorted(topics)),
            allow_mode_switch=function.environment.get("ALLOW_MODE_SWITCH") == "true",
        )
    return StreamWiring(
        tenant=tenant,
        stream=stream,
        arn=stream_arn,
        key_arn=str(kinesis.inputs["kmsKeyId"]),
        consumer=consumer,
        failure_queue_arn=queue_arn,
        failure_queue_key_arn=str(queue.inputs["kmsMasterKeyId"]) if queue.inputs.get("kmsMasterKeyId") else None,
        delivery=delivery,
        checkpoints=graph.table(consumer.environment["CHECKPOINT_TABLE"]),
        quarantine_bucket=graph.bucket(consumer.environment["QUARANTINE_BUCKET"]),
        quarantine_prefix=consumer.environment["QUARANTINE_PREFIX"],
        scaler=scaler,
    )


def stack_wiring(
    stack: str, resources: Sequence[GraphResource], outputs: Mapping[str, Any], account: str
) -> StackWiring:
    """The wiring of one stack from its registrations and outputs (`ProgramRun.resources`, `.outputs`).

    Every list is sorted: the engine registers resources in no fixed order, and pytest-xdist workers must collect
    the same requests."""
    region = str(outputs["region"])
    graph = _Graph(resources, region)
    streams = tuple(
        _stream_wiring(graph, tenant, stream, stream_outputs)
        for tenant, tenant_outputs in sorted(outputs["tenants"].items())
        for stream, stream_outputs in sorted(tenant_outputs["streams"].items())
    )
    topics = {
        str(t.outputs["arn"]): TopicWiring(
            str(t.outputs["name"]),
            str(t.outputs["arn"]),
            str(t.inputs["kmsMasterKeyId"]) if t.inputs.get("kmsMasterKeyId") else None,
        )
        for t in sorted(graph.of_type("aws:sns/topic:Topic"), key=lambda t: str(t.outputs["arn"]))
    }
    alarms = tuple(
        AlarmWiring(
            str(a.outputs["name"]),
            str(a.outputs["arn"]),
            tuple(sorted({str(t) for t in [*a.inputs.get("alarmActions", []), *a.inputs.get("okActions", [])]})),
        )
        for a in sorted(graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"), key=lambda a: str(a.outputs["name"]))
    )
    access_logs = tuple(
        AccessLogWiring(
            graph.bucket(str(r.inputs["bucket"])),
            graph.bucket(str(r.inputs["targetBucket"])),
            str(r.inputs["targetPrefix"]),
        )
        for r in sorted(graph.of_type("aws:s3/bucketLogging:BucketLogging"), key=lambda r: str(r.inputs["bucket"]))
    )
    replications = []
    configs = graph.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    for config in sorted(configs, key=lambda c: str(c.inputs["bucket"])):
        role_arn = str(config.inputs["role"])
        for rule in config.inputs["rules"]:
            destination = rule["destination"]
            replica_key = (destination.get("encryptionConfiguration") or {}).get("replicaKmsKeyId")
            replications.append(
                ReplicationWiring(
                    role_arn=role_arn,
                    role_name=graph.role_name(role_arn),
                    source=graph.bucket(str(config.inputs["bucket"])),
                    destination=graph.bucket(bucket_name(str(destination["bucket"]))),
                    replica_key_arn=str(replica_key) if replica_key else None,
                )
            )
    return StackWiring(stack, account, region, streams, topics, alarms, access_logs, tuple(replications))
