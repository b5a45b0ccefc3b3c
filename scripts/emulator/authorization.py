"""IAM for local mode: the authorization proof's decisions, made once per deploy, enforced while the stack runs.

moto authorizes nothing, so a local run would succeed where AWS refuses. When a stack is applied to the emulator,
`authorize` derives the proof's request catalogue (`policy.data_path_requests`) from the deployed graph and decides
every request in one Node run (`policy.authorization_proof.decide`). From those decisions it keeps:

- per delivery stream, whether Firehose may write its objects: firehose.amazonaws.com assumes the delivery role,
  then s3:PutObject under the stream's prefix and every KMS request S3 makes for it, with the encryption context
  the bucket's S3 Bucket Key setting gives (`DeliveryVerdict`; the emulator process drops what it may not write);
- per function role, a `Gate` for each call the catalogue models: the botocore operation and its target (delivery
  stream, bucket and key prefix, table and partition-key tenant, queue, stream), with the catalogue requests AWS
  authorizes it with, the call's own and the KMS requests the service makes for it (`call_guard` refuses a denied
  call with AWS's error).

A call no gate matches is not modelled by the catalogue and is allowed, as moto allows everything.
The record is JSON in the deployment record (`.local/<stack>/deployment.json`) and in the emulator process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from emulator.server import local_api
from policy.access_graph import AccessGraph, GraphResource
from policy.authorization_proof import decide
from policy.data_path_requests import DataPathRequest, data_path_requests, fill_prefix
from policy.iam_simulator import Decision
from policy.stack_wiring import DeliveryWiring, StackWiring, stack_wiring

# A test-only change to the policies before they are decided (a statement removed, or one added).
PolicyEdit = Callable[[AccessGraph, StackWiring], AccessGraph]

AUTHORIZATION_PATH = "/moto-api/local/authorization"
FIREHOSE = "firehose.amazonaws.com"

# Actions of the functions' calls (and the event source mapping's, made with the execution role) that are gated;
# each is the botocore operation of the same name.
GATED_ACTIONS = frozenset(
    {
        "firehose:PutRecordBatch",
        "s3:PutObject",
        "sqs:SendMessage",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetShardIterator",
        "kinesis:GetRecords",
        "kinesis:ListShards",
        "kinesis:UpdateShardCount",
        "kinesis:UpdateStreamMode",
        "cloudwatch:GetMetricData",
    }
)
# The KMS requests a service makes for the caller of an action, and the encryption-context key naming the
# resource: S3 SSE-KMS (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html), SQS SSE
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html), Kinesis SSE
# (https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html) and DynamoDB
# (https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html).
KMS_VIA: dict[str, tuple[str, str]] = {
    "s3:PutObject": ("s3", "aws:s3:arn"),
    "sqs:SendMessage": ("sqs", "aws:sqs:arn"),
    "kinesis:GetRecords": ("kinesis", "aws:kinesis:arn"),
    "dynamodb:GetItem": ("dynamodb", "aws:dynamodb:tableName"),
    "dynamodb:UpdateItem": ("dynamodb", "aws:dynamodb:tableName"),
    "dynamodb:PutItem": ("dynamodb", "aws:dynamodb:tableName"),
}
# Context keys worth showing in a denial: what the policies' conditions test.
SHOWN_CONTEXT = ("kms:EncryptionContext:", "dynamodb:LeadingKeys", "aws:SourceArn")


@dataclass(frozen=True)
class Check:
    """One catalogue request and AWS's decision on it."""

    request: str
    action: str
    resource: str
    decision: Decision
    expect: Decision = "Allowed"  # what the data path needs (the catalogue's expectation)
    context: dict[str, str] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.decision == "Allowed"

    @property
    def as_needed(self) -> bool:
        return self.decision == self.expect


def describe_checks(checks: Iterable[Check]) -> str:
    """`action[, action] on resource with context (decision)`, one clause per resource, context and decision."""
    clauses: dict[tuple[str, tuple[tuple[str, str], ...], str], list[str]] = {}
    for check in checks:
        clauses.setdefault((check.resource, tuple(check.context.items()), check.decision), []).append(check.action)
    return "; ".join(
        f"{', '.join(actions)} on {resource}{''.join(f' with {k}={v}' for k, v in context)} ({decision})"
        for (resource, context, decision), actions in clauses.items()
    )


@dataclass(frozen=True)
class Gate:
    """A call a function role makes, matched by botocore operation and target patterns, and its checks."""

    service: str
    operation: str
    target: dict[str, str]
    checks: tuple[Check, ...]

    @property
    def denied(self) -> list[Check]:
        return [check for check in self.checks if not check.allowed]

    def describe(self) -> str:
        target = ", ".join(f"{key}={value}" for key, value in self.target.items())
        return f"{self.service}:{self.operation}" + (f" ({target})" if target else "")

    def matches(self, service: str, operation: str, target: Mapping[str, str]) -> bool:
        if (service, operation) != (self.service, self.operation):
            return False
        return all(key in target and fnmatch.fnmatchcase(target[key], p) for key, p in self.target.items())


@dataclass(frozen=True)
class DeliveryVerdict:
    """Whether Firehose may write one delivery stream's objects, and if not, the requests AWS refuses."""

    delivery_stream: str
    arn: str
    role_arn: str
    consumer_role_arn: str  # the execution role of the function that puts records into it
    checks: tuple[Check, ...]

    @property
    def allowed(self) -> bool:
        return all(check.allowed for check in self.checks)

    def reason(self) -> str:
        denied = [check for check in self.checks if not check.allowed]
        kind = "KMS AccessDenied" if any(c.action.startswith("kms:") for c in denied) else "AccessDenied"
        role = self.role_arn.rsplit("/", 1)[-1]
        return f"{kind}: {role} may not {describe_checks(denied)}"

    def note(self) -> str:
        return f"delivery to S3 denied: {self.reason()}"


@dataclass(frozen=True)
class StackAuthorization:
    """What `authorize` decided for one deployed stack."""

    stack: str
    requests: int
    not_as_needed: tuple[str, ...]  # catalogue requests AWS would decide otherwise than the data path needs
    deliveries: tuple[DeliveryVerdict, ...]
    principals: dict[str, tuple[Gate, ...]]  # function role ARN -> its gates
    decided_in_s: float = 0.0

    def delivery(self, name: str) -> DeliveryVerdict | None:
        return next((d for d in self.deliveries if d.delivery_stream == name), None)

    def denied_deliveries(self) -> list[DeliveryVerdict]:
        return [delivery for delivery in self.deliveries if not delivery.allowed]

    def needed_but_denied(self) -> list[tuple[str, Gate]]:
        """(role, gate) of each call the data path needs that AWS would refuse (not the cross-tenant refusals)."""
        return [
            (role, gate)
            for role, gates in self.principals.items()
            for gate in gates
            if any(not check.as_needed for check in gate.checks)
        ]

    def stream_notes(self, delivery_stream: str, dropped: Mapping[str, int]) -> list[str]:
        """What AWS would refuse on one stream's data path: its lake delivery, and its consumer's own calls.
        `dropped`: records the emulator's Firehose accepted and never wrote, by delivery stream ARN."""
        delivery = self.delivery(delivery_stream)
        if delivery is None:
            return []
        notes = []
        if not delivery.allowed:
            accepted = dropped.get(delivery.arn)
            tail = "" if accepted is None else f"; Firehose accepted {accepted} records and wrote none"
            notes.append(f"{delivery.note()}{tail} (AWS retries for 24 h, then drops them)")
        for role, gate in self.needed_but_denied():
            if role == delivery.consumer_role_arn:
                reasons = describe_checks(check for check in gate.checks if not check.as_needed)
                notes.append(f"consumer {gate.describe()} denied: {reasons}")
        return notes

    def summary(self, dropped: Mapping[str, int] | None = None) -> list[tuple[str, str]]:
        """(rich style, line) for `local status` and the demo: the decisions, and each refusal enforced here.
        `dropped`: records the emulator's Firehose accepted and did not write, by delivery stream ARN."""
        lines = [
            (
                "",
                f"IAM: {self.requests} data-path requests decided at deploy by iam-simulate in "
                f"{self.decided_in_s:.1f} s, {len(self.not_as_needed)} not as the data path needs; "
                "local mode enforces the refusals",
            )
        ]
        for delivery in self.denied_deliveries():
            accepted = "" if dropped is None else f" ({dropped.get(delivery.arn, 0)} records accepted, none written)"
            lines.append(("red", f"  {delivery.delivery_stream}: {delivery.note()}{accepted}"))
        for role, gate in self.needed_but_denied():
            denied = describe_checks(check for check in gate.checks if not check.as_needed)
            lines.append(("yellow", f"  {role.rsplit('/', 1)[-1]}: {gate.describe()} denied: {denied}"))
        return lines

    def to_document(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> StackAuthorization:
        def checks(items: Iterable[Mapping[str, Any]]) -> tuple[Check, ...]:
            return tuple(Check(**item) for item in items)

        return cls(
            stack=str(document["stack"]),
            requests=int(document["requests"]),
            not_as_needed=tuple(document["not_as_needed"]),
            deliveries=tuple(
                DeliveryVerdict(
                    d["delivery_stream"], d["arn"], d["role_arn"], d["consumer_role_arn"], checks(d["checks"])
                )
                for d in document["deliveries"]
            ),
            principals={
                role: tuple(Gate(g["service"], g["operation"], dict(g["target"]), checks(g["checks"])) for g in gates)
                for role, gates in document["principals"].items()
            },
            decided_in_s=float(document.get("decided_in_s", 0.0)),
        )


@dataclass(frozen=True)
class _WithId:
    """A registration with the id the emulator gave it among its outputs, where the access graph reads it."""

    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


def with_ids(resources: Sequence[GraphResource], ids: Mapping[tuple[str, str], str]) -> list[GraphResource]:
    """The mocks hand a resource's id to the engine beside its outputs; the access graph reads it as `id`."""
    return [
        _WithId(r.type, r.name, r.inputs, {"id": ids[(r.type, r.name)], **r.outputs}) if (r.type, r.name) in ids else r
        for r in resources
    ]


def authorize(
    stack: str,
    resources: Sequence[GraphResource],
    outputs: Mapping[str, Any],
    *,
    policy_edit: PolicyEdit | None = None,
) -> StackAuthorization:
    """Decide the stack's catalogue once (one Node run) and keep what local mode enforces.

    The catalogue is derived from the graph as deployed; `policy_edit` changes only the policies it is decided
    against, as the proof's statement removals do."""
    started = time.monotonic()
    graph = AccessGraph.from_resources(resources, str(outputs["region"]))
    wiring = stack_wiring(stack, resources, outputs, graph.account)
    requests = data_path_requests(wiring, graph)
    decided = graph if policy_edit is None else policy_edit(graph, wiring)
    decisions = decide(decided, requests)
    builder = _GateBuilder(wiring, resources, requests, decisions)
    function_roles = sorted(
        {s.consumer.role_arn for s in wiring.streams} | {s.scaler.function.role_arn for s in wiring.streams if s.scaler}
    )
    return StackAuthorization(
        stack=stack,
        requests=len(requests),
        not_as_needed=tuple(r.name for r in requests if decisions[r.name] != r.expect),
        deliveries=tuple(builder.delivery(stream.delivery, stream.consumer.role_arn) for stream in wiring.streams),
        principals={role: builder.gates(role) for role in function_roles},
        decided_in_s=round(time.monotonic() - started, 2),
    )


class _GateBuilder:
    """Groups a stack's decided requests into the gates of one role's calls."""

    def __init__(
        self,
        wiring: StackWiring,
        resources: Sequence[GraphResource],
        requests: Sequence[DataPathRequest],
        decisions: Mapping[str, Decision],
    ) -> None:
        self.wiring = wiring
        self.requests = requests
        self.decisions = decisions
        self.hash_keys = {
            str(r.outputs.get("name") or r.inputs.get("name")): str(r.inputs.get("hashKey", "pk"))
            for r in resources
            if r.type == "aws:dynamodb/table:Table"
        }
        # Object requests stand for every object under the prefix the catalogue built them from.
        prefixes = {s.quarantine_prefix for s in wiring.streams}
        for stream in wiring.streams:
            for prefix in (stream.delivery.prefix, stream.delivery.error_prefix):
                prefixes.add(prefix.split("!{", 1)[0])
        self.prefixes = sorted(prefixes, key=len, reverse=True)

    def check(self, request: DataPathRequest) -> Check:
        shown = {
            key: value if isinstance(value, str) else ",".join(value)
            for key, value in request.context.items()
            if key.startswith(SHOWN_CONTEXT)
        }
        return Check(
            request.name, request.action, request.resource, self.decisions[request.name], request.expect, shown
        )

    def signed_by(self, role_arn: str) -> list[DataPathRequest]:
        """The role's own requests over TLS (the TLS-refusal requests model plain-HTTP callers, not the platform)."""
        return [
            r
            for r in self.requests
            if r.role_arn == role_arn
            and ":assumed-role/" in r.principal
            and r.context.get("aws:SecureTransport", "true") == "true"
        ]

    def gates(self, role_arn: str) -> tuple[Gate, ...]:
        own = self.signed_by(role_arn)
        kms = [r for r in own if r.action.startswith("kms:")]
        gates: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[Check]] = {}
        for request in own:
            if request.action not in GATED_ACTIONS:
                continue
            service, operation = request.action.split(":", 1)
            target = self.target(request)
            checks = gates.setdefault((service, operation, tuple(sorted(target.items()))), [])
            checks.append(self.check(request))
            checks.extend(self.check(k) for k in kms if self.kms_for(request, k))
        return tuple(
            Gate(service, operation, dict(target), tuple({c.request: c for c in checks}.values()))
            for (service, operation, target), checks in gates.items()
        )

    def kms_for(self, request: DataPathRequest, kms: DataPathRequest) -> bool:
        """Whether `kms` is a request the service makes for the caller of `request`."""
        if request.action not in KMS_VIA:
            return False
        service, context_key = KMS_VIA[request.action]
        if not str(kms.context.get("kms:ViaService", "")).startswith(f"{service}."):
            return False
        value = kms.context.get(f"kms:EncryptionContext:{context_key}")
        if service == "s3":  # the object's ARN, or the bucket's with an S3 Bucket Key
            return value in (request.resource, request.resource.split("/", 1)[0])
        if service == "dynamodb":
            return value == request.resource.rsplit("/", 1)[-1]
        return value == request.resource

    def target(self, request: DataPathRequest) -> dict[str, str]:
        """The botocore parameters a call of this request names, as patterns (`call_target` reads live calls)."""
        service, operation = request.action.split(":", 1)
        resource = request.resource
        if service == "firehose":
            return {"DeliveryStreamName": resource.rsplit("/", 1)[-1]}
        if service == "s3":
            bucket, key = resource.removeprefix("arn:aws:s3:::").split("/", 1)
            prefix = next((p for p in self.prefixes if key.startswith(p)), None)
            return {"Bucket": bucket, "Key": f"{prefix}*" if prefix else key}
        if service == "sqs":
            return {"QueueName": resource.rsplit(":", 1)[-1]}
        if service == "dynamodb":
            table = resource.rsplit("/", 1)[-1]
            # The tenant prefix of the sample key is what the policies' dynamodb:LeadingKeys condition tests
            # (data_path_requests.checkpoint_key, scaling_state_key).
            keys = request.context["dynamodb:LeadingKeys"]
            leading = keys if isinstance(keys, str) else keys[0]
            item = "Item" if operation == "PutItem" else "Key"
            return {"TableName": table, f"{item}.{self.hash_keys.get(table, 'pk')}": leading.split("#", 1)[0] + "#*"}
        if service == "kinesis" and resource != "*":
            return {"StreamName": resource.rsplit("/", 1)[-1]}
        return {}  # an action authorized against "*" (UpdateShardCount, GetMetricData): every call

    def delivery(self, delivery: DeliveryWiring, consumer_role_arn: str) -> DeliveryVerdict:
        """Firehose's requests to write one object of the delivery stream (FIREHOSE_S3_DESTINATION)."""
        # The role is the delivery stream's own; the trust policy's conditions (sts:ExternalId) are in the request.
        # The catalogue's must-deny requests (Firehose acting for another account) are not what a delivery sends.
        assume = [
            r
            for r in self.requests
            if r.principal == FIREHOSE
            and r.action == "sts:AssumeRole"
            and r.resource == delivery.role_arn
            and r.expect == "Allowed"
        ]
        sample_key = fill_prefix(delivery.prefix) + f"{delivery.name}-1-2026-01-01-00-00-00-0f1e2d3c"
        writes = [
            gate
            for gate in self.gates(delivery.role_arn)
            if gate.matches("s3", "PutObject", {"Bucket": delivery.bucket.name, "Key": sample_key})
        ]
        checks = [self.check(r) for r in assume] + [check for gate in writes for check in gate.checks]
        if not assume or not writes:
            raise ValueError(f"the catalogue has no Firehose write requests for {delivery.name}")
        return DeliveryVerdict(delivery.name, delivery.arn, delivery.role_arn, consumer_role_arn, tuple(checks))


def call_target(service: str, operation: str, params: Mapping[str, Any]) -> dict[str, str]:
    """The values of a live call that gates match on (see `_GateBuilder.target`)."""
    target: dict[str, str] = {}
    for name in ("DeliveryStreamName", "Bucket", "Key", "TableName", "StreamName"):
        if isinstance(params.get(name), str):
            target[name] = params[name]
    if isinstance(params.get("StreamARN"), str):
        target["StreamName"] = params["StreamARN"].rsplit("/", 1)[-1]
    if isinstance(params.get("QueueUrl"), str):
        target["QueueName"] = params["QueueUrl"].rstrip("/").rsplit("/", 1)[-1]
    for item in ("Key", "Item"):
        attributes = params.get(item)
        if isinstance(attributes, Mapping):
            for attribute, value in attributes.items():
                if isinstance(value, Mapping) and isinstance(value.get("S"), str):
                    target[f"{item}.{attribute}"] = value["S"]
    return target


def denied_checks(gates: Iterable[Gate], service: str, operation: str, params: Mapping[str, Any]) -> list[Check]:
    """The refused requests behind a call, or [] when it is allowed or not modelled."""
    target = call_target(service, operation, params)
    return [check for gate in gates if gate.matches(service, operation, target) for check in gate.denied]


# The emulator process keeps each deployed stack's record (the Firehose interception reads it there). A bare moto
# server (not started by `streamctl local start`) has no such endpoint: it answers 404 and enforces nothing.


def _request(endpoint_url: str, method: str, body: Any = None, query: str = "") -> Any:
    """The endpoint's JSON answer, or None from a server without it."""
    return local_api(endpoint_url, AUTHORIZATION_PATH, method, body, query)


def publish(endpoint_url: str, authorization: StackAuthorization) -> bool:
    """Hand the stack's decisions to the emulator; False when the server cannot enforce them."""
    return _request(endpoint_url, "POST", authorization.to_document()) is not None


def withdraw(endpoint_url: str, stack: str) -> None:
    with contextlib.suppress(urllib.error.URLError, OSError):  # an emulator that is gone took the record with it
        _request(endpoint_url, "DELETE", query=f"?stack={stack}")


def published(endpoint_url: str) -> dict[str, Any]:
    """{"stacks": {stack: record}, "dropped": {delivery stream ARN: records Firehose accepted and never wrote}}."""
    document = _request(endpoint_url, "GET")
    return document if isinstance(document, dict) else {"stacks": {}, "dropped": {}}


def role_gates(endpoint_url: str) -> dict[str, tuple[Gate, ...]]:
    """Every published stack's gates by function role ARN."""
    gates: dict[str, tuple[Gate, ...]] = {}
    for record in published(endpoint_url).get("stacks", {}).values():
        gates |= StackAuthorization.from_document(record).principals
    return gates
