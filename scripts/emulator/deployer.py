"""`streamctl local up/down`: run the Pulumi program under mocks that create every resource in the emulator.

`EmulatorMocks.new_resource` calls the type's provisioner and returns the emulator's real ids and ARNs,
so later resources are built from them, as `pulumi up` would. A type without a provisioner, or one the
emulator rejects, gets fabricated state and is recorded as not emulated (with the reason), never
silently. The deployment record (`.local/<stack>/deployment.json`) lists what was created, in order,
so `down` deletes it in reverse, and what the authorization proof decided for the deployed graph
(`emulator.authorization`), which the emulator and the function host enforce.

Before anything reaches the emulator, the program runs once under fabricated mocks and its inputs are checked
against AWS's API models (`infra.api_model_check.check_program`, as `streamctl plan` does): the emulator accepts
values AWS refuses, so a deploy that AWS would fail is refused here too, with nothing created.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import botocore
import botocore.session
from botocore.exceptions import BotoCoreError, ClientError, UnknownServiceError
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

from emulator.authorization import PolicyEdit, authorize, publish, with_ids, withdraw
from emulator.provisioners import PROVISIONERS, ProvisionContext
from infra.api_model_check import require_api_models
from infra.mock_runtime import (
    DEFAULT_REGION,
    FABRICATED_ACCOUNT,
    ProgramRun,
    fabricated_call,
    fabricated_state,
    load_stack_config,
    run_program,
    unwrap_secrets,
)
from streamctl.stack_outputs import LOCAL_STATE_DIR, local_outputs_file

PROVIDER_PREFIX = "pulumi:providers:"
# Pulumi type modules whose AWS API is another botocore service than the module's name says.
BOTOCORE_SERVICE_OF_TYPE = {
    "aws:kinesis/firehoseDeliveryStream": "firehose",
    "aws:cloudwatch/logGroup": "logs",
    "aws:cloudwatch/logStream": "logs",
    "aws:cloudwatch/eventRule": "events",
    "aws:cloudwatch/eventTarget": "events",
}


def botocore_service(type_token: str) -> str:
    """The botocore service that provisions a Pulumi type (`aws:athena/workgroup:Workgroup` -> athena)."""
    module = type_token.rsplit(":", 1)[0]
    return BOTOCORE_SERVICE_OF_TYPE.get(module, module.removeprefix("aws:").split("/", 1)[0])


def protocol_note(type_token: str) -> str:
    """Which wire protocol this botocore speaks for the type's service, and to which moto: when a lock moves
    botocore to a protocol moto does not serve yet (botocore 1.44.18 moved Athena to rest-json), the report
    says so instead of only "rejected"."""
    from importlib.metadata import version

    service = botocore_service(type_token)
    try:
        protocol = botocore.session.get_session().get_service_model(service).metadata.get("protocol", "?")
    except UnknownServiceError:
        protocol = "unknown to botocore"
    return f"service {service} speaks {protocol} in botocore {botocore.__version__}, served by moto {version('moto')}"


@dataclass
class DeployedResource:
    """One resource of a local deployment, emulated or not."""

    type: str
    name: str
    id: str
    emulated: bool
    delete_args: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    urn: str = ""
    protect: bool = False  # the resource's `protect` option: `down` refuses to delete it, as Pulumi does


class ProtectedResourcesError(RuntimeError):
    """`down` of a stack with protected resources: refused before anything is deleted, as `pulumi destroy` refuses
    (its preview fails on the first protected resource: "unable to delete resource ... as it is currently marked for
    protection", pkg/resource/deploy/step.go DeleteStep.Apply); each resource is named with Pulumi's own words."""

    def __init__(self, stack: str, resources: list[DeployedResource]) -> None:
        self.stack = stack
        self.resources = resources
        lines = "\n".join(
            f"  - unable to delete resource {r.urn or r.name!r} as it is currently marked for protection; "
            f"to unprotect it, remove the `protect` flag from the resource in your Pulumi program and run `pulumi up` "
            f"or use the command: `pulumi state unprotect '{r.urn or r.name}'`"
            for r in resources
        )
        super().__init__(
            f"refusing to destroy stack {stack!r}: {len(resources)} protected resource(s), "
            f"nothing was deleted:\n{lines}"
        )


@dataclass
class Deployment:
    stack: str
    endpoint_url: str
    resources: list[DeployedResource]
    authorization: dict[str, Any] | None = None  # emulator.authorization.StackAuthorization, decided at deploy

    def not_emulated(self) -> list[DeployedResource]:
        return [resource for resource in self.resources if not resource.emulated]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Deployment:
        document = json.loads(text)
        resources = [DeployedResource(**r) for r in document["resources"]]
        return cls(document["stack"], document["endpoint_url"], resources, document.get("authorization"))


def deployment_file(stack: str, state_dir: Path = LOCAL_STATE_DIR) -> Path:
    return state_dir / stack / "deployment.json"


class EmulatorMocks(Mocks):
    """Pulumi mocks whose resources really exist in the emulator at `endpoint_url`."""

    def __init__(self, endpoint_url: str, region: str = DEFAULT_REGION, account: str = FABRICATED_ACCOUNT) -> None:
        self.context = ProvisionContext(endpoint_url, region, account)
        self.region = region
        self.account = account
        self.resources: list[DeployedResource] = []
        self._lock = threading.Lock()

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if not args.custom:
            return None, {}
        inputs = unwrap_secrets(dict(args.inputs))[0]  # AWS takes a secret's value; only the state encrypts it
        if args.typ.startswith(PROVIDER_PREFIX):
            return f"{args.name}-provider", inputs
        provisioner = PROVISIONERS.get(args.typ)
        if provisioner is None:
            return self._fabricate(args, inputs, "no local provisioner for this type")
        try:
            created = provisioner[0](self.context, args.name, inputs)
        except (ClientError, BotoCoreError, KeyError, ValueError) as error:
            return self._fabricate(args, inputs, f"the emulator rejected it: {error} ({protocol_note(args.typ)})")
        self._record(DeployedResource(args.typ, args.name, created.id, True, created.delete_args, created.notes))
        return created.id, inputs | created.outputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return fabricated_call(args.token, self.region, self.account), []

    def _fabricate(self, args: MockResourceArgs, inputs: dict[str, Any], reason: str) -> tuple[str, dict[str, Any]]:
        state = inputs | fabricated_state(args.typ, args.name, inputs, self.region, self.account)
        resource_id = str(state.get("id") or args.name)
        self._record(DeployedResource(args.typ, args.name, resource_id, False, {}, [reason]))
        return resource_id, state

    def _record(self, resource: DeployedResource) -> None:
        with self._lock:
            self.resources.append(resource)


def deploy(
    stack: str,
    endpoint_url: str,
    *,
    config: Mapping[str, Any] | None = None,
    state_dir: Path = LOCAL_STATE_DIR,
    policy_edit: PolicyEdit | None = None,
) -> tuple[Deployment, ProgramRun]:
    """Apply the program for `stack` to the emulator, decide its authorization (once; `policy_edit` is for tests)
    and hand it to the emulator; write outputs.json and the deployment record.

    Raises StackConfigError or ApiModelError, before the emulator is touched, for a config or an input AWS refuses.
    """
    values = dict(load_stack_config(stack) if config is None else config)
    region = str(values.get("aws:region") or DEFAULT_REGION)
    record_file = deployment_file(stack, state_dir)
    if record_file.exists():
        raise FileExistsError(
            f"stack {stack!r} is already deployed locally ({record_file}); run `streamctl local down` first"
        )
    require_api_models(run_program(stack, config=values), values)
    mocks = EmulatorMocks(endpoint_url, region)
    run = run_program(stack, config=values, mocks=mocks)
    registrations = {(r.type, r.name): r for r in run.resources}
    for resource in mocks.resources:
        registered = registrations[(resource.type, resource.name)]
        resource.urn, resource.protect = registered.urn, registered.protect
    ids = {(resource.type, resource.name): resource.id for resource in mocks.resources}
    authorization = authorize(stack, with_ids(run.resources, ids), run.outputs, policy_edit=policy_edit)
    publish(endpoint_url, authorization)
    deployment = Deployment(stack, endpoint_url, list(mocks.resources), authorization.to_document())
    record_file.parent.mkdir(parents=True, exist_ok=True)
    record_file.write_text(deployment.to_json())
    outputs_file = state_dir / stack / "outputs.json" if state_dir != LOCAL_STATE_DIR else local_outputs_file(stack)
    outputs_file.write_text(json.dumps(run.outputs, indent=2) + "\n")
    return deployment, run


def load_deployment(stack: str, state_dir: Path = LOCAL_STATE_DIR) -> Deployment:
    path = deployment_file(stack, state_dir)
    if not path.exists():
        raise FileNotFoundError(f"stack {stack!r} is not deployed locally: run `streamctl local up --stack {stack}`")
    return Deployment.from_json(path.read_text())


def destroy(stack: str, *, state_dir: Path = LOCAL_STATE_DIR, region: str = DEFAULT_REGION) -> list[str]:
    """Delete the stack's resources from the emulator in reverse creation order; returns the failures.

    Raises ProtectedResourcesError, deleting nothing, if any resource is protected (as `pulumi destroy` does). A
    resource the emulator refuses to delete (a bucket that is not empty and not force_destroy) stays in the
    deployment record, so `down` can be run again once it is emptied; the others are gone from it.
    """
    deployment = load_deployment(stack, state_dir)
    protected = [resource for resource in deployment.resources if resource.protect]
    if protected:
        raise ProtectedResourcesError(stack, protected)
    context = ProvisionContext(deployment.endpoint_url, region, FABRICATED_ACCOUNT)
    failures: list[str] = []
    remaining: list[DeployedResource] = []
    for resource in reversed(deployment.resources):
        if not resource.emulated:
            continue
        try:
            PROVISIONERS[resource.type][1](context, resource.delete_args)
        except (ClientError, BotoCoreError) as error:
            failures.append(f"{resource.type} {resource.name}: {error}")
            remaining.insert(0, resource)
    if remaining:
        deployment_file(stack, state_dir).write_text(replace(deployment, resources=remaining).to_json())
        return failures
    withdraw(deployment.endpoint_url, stack)
    for path in (deployment_file(stack, state_dir), state_dir / stack / "outputs.json"):
        path.unlink(missing_ok=True)
    return failures


def forget_deployment(stack: str, state_dir: Path = LOCAL_STATE_DIR) -> None:
    """Drop the local records of a stack whose emulator is gone (its resources went with it)."""
    for path in (deployment_file(stack, state_dir), state_dir / stack / "outputs.json"):
        path.unlink(missing_ok=True)
