"""Run the Pulumi program without the Pulumi CLI: under `pulumi.runtime.set_mocks`, recording the graph.

Used by `streamctl plan`, the tests and local mode (whose mocks create each resource in the emulator).
`preview=False` with fabricated outputs means every `apply` runs, so no assertion is silently skipped.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.settings import ROOT

REPO_ROOT = Path(__file__).resolve().parent.parent
PROJECT = "streaming-platform"
FABRICATED_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
CONFIG_VARIABLE = "PULUMI_CONFIG"
SECRET_KEYS_VARIABLE = "PULUMI_CONFIG_SECRET_KEYS"
# How the mocks "encrypt" a secret: the prefix of a `secure:` value they can decrypt. The mocks hold no stack key
# (a real value, `v1:<nonce>:<ciphertext>`, needs the stack's secrets provider), so their stand-in ciphertext is
# the plaintext in base64 behind this prefix; a real secrets provider refuses it ("failed to decrypt"), so a stack
# file still holding one cannot be deployed until `pulumi config set --secret` replaces it.
MOCK_CIPHERTEXT_PREFIX = "v1:mock:"


class DecryptedSecret(str):
    """A config value the stack file holds encrypted (`secure: ...`), as the engine hands it to the program:
    decrypted. Its top-level key is listed in PULUMI_CONFIG_SECRET_KEYS (`engine_config`)."""


class UndecryptableSecretError(ValueError):
    """A `secure:` value the mocks cannot decrypt (one a real secrets provider encrypted)."""


def mock_secret(plaintext: str) -> dict[str, str]:
    """`{"secure": ...}` as `pulumi config set --secret` writes it, encrypted with the mocks' stand-in key."""
    return {"secure": MOCK_CIPHERTEXT_PREFIX + base64.b64encode(plaintext.encode()).decode()}


def decrypt_secure_values(value: Any, path: str) -> Any:
    """`value` with every `{"secure": ciphertext}` leaf decrypted to a DecryptedSecret, nested ones included (the
    engine decrypts `pulumi config set --secret --path 'a.b[0]'` values inside objects too)."""
    if isinstance(value, dict) and set(value) == {"secure"} and isinstance(value["secure"], str):
        ciphertext = value["secure"]
        if not ciphertext.startswith(MOCK_CIPHERTEXT_PREFIX):
            raise UndecryptableSecretError(
                f"{path}: a secret encrypted by a real secrets provider; the mocks cannot decrypt it (they hold no "
                f"stack key). Give the mocks a stand-in: infra.mock_runtime.mock_secret(<plaintext>)"
            )
        return DecryptedSecret(base64.b64decode(ciphertext.removeprefix(MOCK_CIPHERTEXT_PREFIX)).decode())
    if isinstance(value, dict):
        return {key: decrypt_secure_values(item, f"{path}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [decrypt_secure_values(item, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


def holds_secret(value: Any) -> bool:
    if isinstance(value, DecryptedSecret):
        return True
    if isinstance(value, dict):
        return any(holds_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(holds_secret(item) for item in value)
    return False


def stack_file(stack: str) -> Path:
    return REPO_ROOT / f"Pulumi.{stack}.yaml"


def available_stacks() -> list[str]:
    """Stack names with a Pulumi.<stack>.yaml in the repository."""
    return sorted(path.name.split(".")[1] for path in REPO_ROOT.glob("Pulumi.*.yaml"))


def load_stack_config(stack: str) -> dict[str, Any]:
    """The `config:` block of Pulumi.<stack>.yaml, keys as Pulumi writes them (`namespace:key`), its `secure:`
    values decrypted as the engine decrypts them (DecryptedSecret)."""
    path = stack_file(stack)
    if not path.exists():
        raise FileNotFoundError(f"no stack file {path.name}; stacks: {', '.join(available_stacks()) or 'none'}")
    document = yaml.safe_load(path.read_text()) or {}
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError(f"{path.name}: 'config' must be a mapping")
    return {key: decrypt_secure_values(value, f"{path.name}: {key}") for key, value in config.items()}


def config_in_region(stack: str, region: str, replica_region: str | None = None) -> dict[str, Any]:
    """Pulumi.<stack>.yaml's config moved to `region` (its lake replica, if any, to `replica_region`): the same stack in
    another partition, as `run_program(stack, config=...)` takes it."""
    values = dict(load_stack_config(stack))
    values["aws:region"] = region
    lake_key = "streaming-platform:lake"
    if replica_region and isinstance(values.get(lake_key), dict) and values[lake_key].get("replica_region"):
        values[lake_key] = {**values[lake_key], "replica_region": replica_region}
    return values


def as_pulumi_config(values: Mapping[str, Any]) -> dict[str, str]:
    """Config values as the engine hands them to programs: strings, structured values as JSON."""
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()}


def _short_hash(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:7]


class FabricatedAwsMocks(Mocks):
    """Plausible ids, names and ARNs for every resource, derived from its inputs; no AWS calls."""

    def __init__(self, region: str = DEFAULT_REGION, account: str = FABRICATED_ACCOUNT) -> None:
        self.region = region
        self.account = account

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if not args.custom:
            return None, {}
        state = dict(args.inputs)
        state.update(fabricated_state(args.typ, args.name, args.inputs, self.region, self.account))
        return str(state.get("id") or state.get("name") or args.name), state

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return fabricated_call(args.token, self.region, self.account), []


# Partition of a region by its name's prefix, and its DNS suffix, as the provider's getPartition reports them
# (https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html); "aws" otherwise.
PARTITIONS = {
    "cn-": ("aws-cn", "amazonaws.com.cn"),
    "us-gov-": ("aws-us-gov", "amazonaws.com"),
    "us-isob-": ("aws-iso-b", "sc2s.sgov.gov"),
    "us-iso-": ("aws-iso", "c2s.ic.gov"),
}


def partition_of(region: str) -> tuple[str, str]:
    """(partition, DNS suffix) of `region`: ("aws-us-gov", "amazonaws.com") for us-gov-west-1."""
    for prefix, partition in PARTITIONS.items():
        if region.startswith(prefix):
            return partition
    return "aws", "amazonaws.com"


def fabricated_call(token: str, region: str, account: str) -> dict[str, Any]:
    """What the provider's invokes answer for `region` and `account` (partition-aware)."""
    partition, dns_suffix = partition_of(region)
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "accountId": account,
            "arn": f"arn:{partition}:iam::{account}:user/mock",
            "userId": "AIDAMOCK",
            "id": account,
        }
    if token == "aws:index/getRegion:getRegion":
        return {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.{dns_suffix}"}
    if token == "aws:index/getPartition:getPartition":
        return {"partition": partition, "dnsSuffix": dns_suffix, "id": partition}
    raise NotImplementedError(f"the mocks do not know the function {token}")


def fabricated_state(typ: str, logical: str, inputs: Mapping[str, Any], region: str, account: str) -> dict[str, Any]:
    """Outputs AWS would compute for a resource of type `typ` (its id, physical name and ARN)."""
    name = str(inputs.get("name") or f"{logical}-{_short_hash(typ, logical)}")
    region = str(inputs.get("region") or region)  # pulumi-aws 7 resources may name their own region
    partition, dns_suffix = partition_of(region)
    prefix = f"arn:{partition}:{{service}}:{region}:{account}"

    def arn(service: str, resource: str) -> str:
        return prefix.format(service=service) + ":" + resource

    if typ == "aws:s3/bucket:Bucket":
        bucket = str(
            inputs.get("bucket") or f"{inputs.get('bucketPrefix') or logical + '-'}{_short_hash(typ, logical)}"
        )
        return {
            "id": bucket,
            "bucket": bucket,
            "arn": f"arn:{partition}:s3:::{bucket}",
            "bucketRegionalDomainName": f"{bucket}.s3.{region}.{dns_suffix}",
        }
    if typ == "aws:kms/key:Key":
        key_id = f"{_short_hash(logical, 'a')}-{_short_hash(logical, 'b')}"
        return {"id": key_id, "keyId": key_id, "arn": arn("kms", f"key/{key_id}")}
    if typ == "aws:kms/alias:Alias":
        return {"id": name, "arn": arn("kms", name)}
    if typ == "aws:kinesis/stream:Stream":
        return {"id": arn("kinesis", f"stream/{name}"), "name": name, "arn": arn("kinesis", f"stream/{name}")}
    if typ == "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
        return {
            "id": arn("firehose", f"deliverystream/{name}"),
            "name": name,
            "arn": arn("firehose", f"deliverystream/{name}"),
        }
    if typ == "aws:dynamodb/table:Table":
        return {"id": name, "name": name, "arn": arn("dynamodb", f"table/{name}")}
    if typ == "aws:lambda/function:Function":
        function_arn = arn("lambda", f"function:{name}")
        return {
            "id": name,
            "name": name,
            "arn": function_arn,
            "qualifiedArn": f"{function_arn}:$LATEST",
            "invokeArn": (
                f"arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
            ),
            "version": "$LATEST",
        }
    if typ == "aws:lambda/layerVersion:LayerVersion":
        layer = str(inputs.get("layerName") or name)
        layer_arn = arn("lambda", f"layer:{layer}")
        return {"id": f"{layer_arn}:1", "arn": f"{layer_arn}:1", "layerArn": layer_arn, "version": "1"}
    if typ == "aws:lambda/eventSourceMapping:EventSourceMapping":
        uuid = f"{_short_hash(logical, 'esm')}-0000-4000-8000-{_short_hash(logical, 'x')}00000"
        return {
            "id": uuid,
            "uuid": uuid,
            "arn": arn("lambda", f"event-source-mapping:{uuid}"),
            "state": "Enabled",
        }
    if typ == "aws:sqs/queue:Queue":
        url = f"https://sqs.{region}.{dns_suffix}/{account}/{name}"
        return {"id": url, "name": name, "url": url, "arn": arn("sqs", name)}
    if typ == "aws:sns/topic:Topic":
        return {"id": arn("sns", name), "name": name, "arn": arn("sns", name)}
    if typ == "aws:sns/topicSubscription:TopicSubscription":
        return {
            "id": arn("sns", f"{name}:{_short_hash(logical)}"),
            "arn": arn("sns", f"{name}:{_short_hash(logical)}"),
        }
    if typ == "aws:iam/role:Role":
        return {
            "id": name,
            "name": name,
            "arn": f"arn:{partition}:iam::{account}:role/{name}",
            "uniqueId": "AROAMOCK",
        }
    if typ == "aws:iam/rolePolicy:RolePolicy":
        return {"id": f"{inputs.get('role')}:{name}", "name": name}
    if typ == "aws:cloudwatch/logGroup:LogGroup":
        return {"id": name, "name": name, "arn": arn("logs", f"log-group:{name}")}
    if typ == "aws:cloudwatch/logStream:LogStream":
        return {
            "id": name,
            "name": name,
            "arn": arn("logs", f"log-group:{inputs.get('logGroupName')}:log-stream:{name}"),
        }
    if typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
        return {"id": name, "name": name, "arn": arn("cloudwatch", f"alarm:{name}")}
    if typ == "aws:cloudwatch/dashboard:Dashboard":
        dashboard = str(inputs.get("dashboardName"))
        return {"id": dashboard, "dashboardArn": f"arn:{partition}:cloudwatch::{account}:dashboard/{dashboard}"}
    if typ == "aws:cloudwatch/eventRule:EventRule":
        return {"id": name, "name": name, "arn": arn("events", f"rule/{name}")}
    if typ == "aws:glue/catalogDatabase:CatalogDatabase":
        return {"id": f"{account}:{name}", "name": name, "arn": arn("glue", f"database/{name}")}
    if typ == "aws:glue/catalogTable:CatalogTable":
        database = inputs.get("databaseName")
        return {
            "id": f"{account}:{database}:{name}",
            "name": name,
            "arn": arn("glue", f"table/{database}/{name}"),
        }
    if typ == "aws:athena/workgroup:Workgroup":
        return {"id": name, "name": name, "arn": arn("athena", f"workgroup/{name}")}
    return {"id": f"{logical}-{_short_hash(typ, logical)}"}


def unwrap_secrets(properties: Mapping[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """Properties with every secret (at any depth) replaced by its value, and the top-level names that held one."""

    def unwrap(value: Any) -> tuple[Any, bool]:
        if rpc.is_rpc_secret(value):
            return unwrap(rpc.unwrap_rpc_secret(value))[0], True
        if isinstance(value, dict):
            items = {key: unwrap(item) for key, item in value.items()}
            return {key: item for key, (item, _) in items.items()}, any(secret for _, secret in items.values())
        if isinstance(value, list):
            items_list = [unwrap(item) for item in value]
            return [item for item, _ in items_list], any(secret for _, secret in items_list)
        return value, False

    unwrapped = {key: unwrap(value) for key, value in properties.items()}
    return {key: value for key, (value, _) in unwrapped.items()}, frozenset(k for k, (_, s) in unwrapped.items() if s)


@dataclass
class RegisteredResource:
    """One resource as the engine would see it: inputs, options and the outputs it got back."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    protect: bool
    ignore_changes: list[str]
    retain_on_delete: bool
    dependencies: list[str]
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    # Inputs the program sent as secrets (recorded unwrapped in `inputs`; the engine would encrypt them in the state).
    secret_inputs: frozenset[str] = frozenset()


class RecordingMonitor(MockMonitor):
    """A mock monitor that also keeps each registration's options (protect, ignoreChanges, parent...)."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[RegisteredResource] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        outputs = rpc.deserialize_properties(response.object) if response.object else {}
        inputs, secret_inputs = unwrap_secrets(rpc.deserialize_properties(request.object))
        self.registrations.append(
            RegisteredResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent,
                provider=request.provider,
                protect=bool(request.protect),
                ignore_changes=list(request.ignoreChanges),
                retain_on_delete=bool(request.retainOnDelete),
                dependencies=list(request.dependencies),
                inputs=inputs,
                outputs=unwrap_secrets(dict(outputs))[0],
                secret_inputs=secret_inputs,
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        """A component's `register_outputs` become its recorded `outputs`."""
        for registration in self.registrations:
            if registration.urn == request.urn:
                registration.outputs = rpc.deserialize_properties(request.outputs) if request.outputs else {}
        return super().RegisterResourceOutputs(request)


@dataclass
class ProgramRun:
    """What one run of the program registered and exported."""

    stack: str
    resources: list[RegisteredResource]
    outputs: dict[str, Any]

    def of_type(self, typ: str) -> list[RegisteredResource]:
        return [r for r in self.resources if r.type == typ]

    def named(self, name: str) -> RegisteredResource:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources are named {name!r}")
        return matches[0]

    def ancestor_types(self, resource: RegisteredResource) -> list[str]:
        """Types of the components above `resource`, nearest first."""
        by_urn = {r.urn: r for r in self.resources}
        types = []
        parent = by_urn.get(resource.parent)
        while parent is not None:
            types.append(parent.type)
            parent = by_urn.get(parent.parent)
        return types

    def children_of(self, parent: RegisteredResource) -> list[RegisteredResource]:
        return [r for r in self.resources if r.parent == parent.urn]

    def counts_by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for resource in self.resources:
            counts[resource.type] = counts.get(resource.type, 0) + 1
        return dict(sorted(counts.items()))


def run_program(
    stack: str,
    *,
    config: Mapping[str, Any] | None = None,
    mocks: Mocks | None = None,
    program: Callable[[], Mapping[str, Any]] | None = None,
) -> ProgramRun:
    """Run the platform program for `stack` under mocks; `config` replaces Pulumi.<stack>.yaml's values."""
    from infra.program import platform_program

    values = dict(load_stack_config(stack) if config is None else config)
    region = str(values.get("aws:region") or DEFAULT_REGION)
    monitor = RecordingMonitor(mocks or FabricatedAwsMocks(region))
    ROOT.set(None)  # a fresh root stack resource per run
    pulumi.runtime.set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    exported: dict[str, Any] = {}

    @pulumi.runtime.test
    def execute() -> pulumi.Output[Any]:
        outputs = (program or platform_program)()
        return pulumi.Output.from_input(dict(outputs)).apply(exported.update)

    with engine_config(values):
        execute()
    return ProgramRun(stack=stack, resources=list(monitor.registrations), outputs=exported)


@contextlib.contextmanager
def engine_config(values: Mapping[str, Any]) -> Iterator[None]:
    """Hand the program its config the way the Pulumi engine hands it to a Python program: PULUMI_CONFIG, a JSON
    object of `namespace:key` to string (structured values as JSON), every secret decrypted, and
    PULUMI_CONFIG_SECRET_KEYS, the JSON list of the top-level keys that hold a secret anywhere inside; then, as
    pulumi-language-python-exec does before it runs the program, `set_all_config(get_config_env(),
    get_config_secret_keys_env())`, so `pulumi.runtime.is_config_secret` answers as under the CLI. Restored
    afterwards."""
    decrypted = {key: decrypt_secure_values(value, key) for key, value in values.items()}
    secret_keys = sorted(key for key, value in decrypted.items() if holds_secret(value))
    previous = {name: os.environ.get(name) for name in (CONFIG_VARIABLE, SECRET_KEYS_VARIABLE)}
    os.environ[CONFIG_VARIABLE] = json.dumps(as_pulumi_config(decrypted))
    os.environ[SECRET_KEYS_VARIABLE] = json.dumps(secret_keys)
    pulumi.runtime.set_all_config(pulumi.runtime.get_config_env(), pulumi.runtime.get_config_secret_keys_env())
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        pulumi.runtime.set_all_config({}, [])
