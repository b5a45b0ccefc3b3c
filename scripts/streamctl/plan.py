"""`streamctl plan`: what `pulumi preview` would create, without the Pulumi CLI or an AWS account.

Exit codes: 2 when the config, or an input AWS's API models refuse (infra/api_model_check.py), would fail the
deploy; 3 when the policy pack would stop it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from infra import mock_runtime
from infra.api_model_check import ModelViolation, check_program
from infra.config import StackConfigError
from infra.mock_runtime import ProgramRun, RegisteredResource, available_stacks, run_program
from policy.evaluate import evaluate_graph

# The settings worth seeing at a glance, per resource type (engine property names).
KEY_SETTINGS: dict[str, tuple[str, ...]] = {
    "aws:kinesis/stream:Stream": ("name", "shardCount", "streamModeDetails", "retentionPeriod", "encryptionType"),
    "aws:lambda/function:Function": ("name", "runtime", "architectures", "memorySize", "timeout", "handler"),
    "aws:lambda/eventSourceMapping:EventSourceMapping": (
        "batchSize",
        "maximumBatchingWindowInSeconds",
        "parallelizationFactor",
        "maximumRetryAttempts",
        "maximumRecordAgeInSeconds",
        "bisectBatchOnFunctionError",
        "functionResponseTypes",
        "startingPosition",
    ),
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": ("name",),
    "aws:dynamodb/table:Table": ("name", "billingMode", "pointInTimeRecovery", "deletionProtectionEnabled"),
    "aws:sqs/queue:Queue": ("name", "messageRetentionSeconds"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name", "metricName", "threshold", "dimensions"),
    "aws:s3/bucket:Bucket": ("bucketPrefix",),
    "aws:iam/role:Role": ("name",),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "retentionInDays"),
    "aws:cloudwatch/eventRule:EventRule": ("name", "scheduleExpression"),
    "aws:kms/alias:Alias": ("name",),
}


def _summary(resource: RegisteredResource) -> str:
    settings = []
    for key in KEY_SETTINGS.get(resource.type, ()):
        value = resource.inputs.get(key)
        if value not in (None, "", [], {}):
            settings.append(f"{key}={json.dumps(value, sort_keys=True)}")
    flags = []
    if resource.protect:
        flags.append("protected")
    if resource.ignore_changes:
        flags.append(f"ignores {','.join(resource.ignore_changes)}")
    text = f"[bold]{resource.name}[/] [dim]{resource.type}[/]"
    if flags:
        text += f" [yellow]({'; '.join(flags)})[/]"
    if settings:
        text += "\n    " + " ".join(settings)
    return text


def resource_tree(run: ProgramRun) -> Tree:
    """The resources as Pulumi shows them: children under their component."""
    root = Tree(f"[bold]stack {run.stack}[/]: {sum(1 for r in run.resources if r.custom)} resources to create")
    nodes: dict[str, Tree] = {}
    for resource in run.resources:
        parent = nodes.get(resource.parent, root)
        nodes[resource.urn] = parent.add(_summary(resource))
    return root


def plan_command(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name (Pulumi.<stack>.yaml).")] = "dev",
    output_json: Annotated[bool, typer.Option("--json", help="Print resources and outputs as JSON.")] = False,
) -> None:
    """Run the program under mocks: the resource tree with key settings, stack outputs and the policy pack's verdict."""
    if stack not in available_stacks():
        raise typer.BadParameter(
            f"no Pulumi.{stack}.yaml; stacks: {', '.join(available_stacks())}", param_hint="--stack"
        )
    console = Console()
    try:
        run = run_program(stack)
    except StackConfigError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    model_violations = check_program(run, mock_runtime.load_stack_config(stack))
    violations = evaluate_graph(run.resources)
    if output_json:
        document: dict[str, Any] = {
            "stack": stack,
            "resources": [
                {
                    "type": r.type,
                    "name": r.name,
                    "protect": r.protect,
                    "ignoreChanges": r.ignore_changes,
                    "inputs": r.inputs,
                }
                for r in run.resources
            ],
            "outputs": run.outputs,
            "policy_violations": [{"policy": v.policy, "urn": v.urn, "message": v.message} for v in violations],
            "api_model_violations": [_model_violation_document(v) for v in model_violations],
        }
        typer.echo(json.dumps(document, indent=2, sort_keys=True, default=str))
        raise typer.Exit(2 if model_violations else 3 if violations else 0)
    console.print(resource_tree(run))
    console.print("\n[bold]Resources by type[/]")
    for typ, count in run.counts_by_type().items():
        if not typ.startswith("streaming:"):
            console.print(f"  {count:4d}  {typ}")
    console.print("\n[bold]Outputs[/]")
    console.print_json(json.dumps(run.outputs, default=str))
    if model_violations:
        console.print(
            f"\n[red bold]AWS API model violations ({len(model_violations)})[/] - AWS would refuse these inputs:"
        )
        for model_violation in model_violations:
            console.print(Text(f"  {model_violation}", style="red"), soft_wrap=True)
    else:
        console.print("\n[green]AWS API models: every checked input is one AWS accepts.[/]")
    if violations:
        console.print(
            f"\n[red bold]Policy violations ({len(violations)})[/] - `pulumi up --policy-pack policy` would stop:"
        )
        for violation in violations:
            console.print(f"  [red]{violation.policy}[/] {violation.urn.rsplit('::', 1)[-1]}: {violation.message}")
    else:
        console.print("\n[green]Policy pack: every mandatory policy passes.[/]")
    if model_violations:
        raise typer.Exit(2)
    if violations:
        raise typer.Exit(3)


def _model_violation_document(violation: ModelViolation) -> dict[str, Any]:
    return {
        "resource_type": violation.resource_type,
        "resource": violation.resource_name,
        "input": violation.input,
        "rule": violation.rule,
        "source": violation.source,
        "config_key": violation.config_key,
        "message": str(violation),
    }
