"""`streamctl local ...` commands: the emulator, the stack on it, the Lambda-like runtime and the demo."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from emulator.alarms import alarm_states
from emulator.authorization import StackAuthorization, published
from emulator.demo import DemoOptions, run_demo
from emulator.deployer import (
    ProtectedResourcesError,
    deploy,
    deployment_file,
    destroy,
    forget_deployment,
    load_deployment,
)
from emulator.environment import use_emulator
from emulator.function_host import FunctionHost
from emulator.invoke import InvokeError, invoke_once, read_event, resolve_function, response_document
from emulator.runtime import LocalRuntime
from emulator.server import (
    DEFAULT_PORT,
    EmulatorError,
    read_state,
    require_endpoint,
    running_emulator,
    start_emulator,
    stop_emulator,
)
from infra.api_model_check import ApiModelError
from infra.config import StackConfigError
from infra.mock_runtime import DEFAULT_REGION, load_stack_config
from streamctl.aws_clients import aws_client
from streamctl.stack_outputs import LOCAL_STATE_DIR, local_outputs_file

app = typer.Typer(help="Run the platform on a local AWS emulator (moto server).", no_args_is_help=True)
console = Console()

StackOption = Annotated[str, typer.Option("--stack", help="Stack name (Pulumi.<stack>.yaml).")]


def _region(stack: str) -> str:
    return str(load_stack_config(stack).get("aws:region") or DEFAULT_REGION)


def _endpoint(stack: str) -> str:
    try:
        endpoint = require_endpoint()
    except EmulatorError as error:
        console.print(f"[red]{error}")
        raise typer.Exit(1) from None
    use_emulator(endpoint, _region(stack))
    return endpoint


def _deployed_stacks() -> list[str]:
    return sorted(path.parent.name for path in LOCAL_STATE_DIR.glob("*/deployment.json"))


@app.command()
def start(port: Annotated[int, typer.Option(help="Loopback port of the emulator.")] = DEFAULT_PORT) -> None:
    """Start the emulator (moto server on 127.0.0.1) in the background."""
    running = running_emulator()
    if running is not None:
        console.print(f"The emulator is already running at {running.endpoint_url} (pid {running.pid}).")
        return
    for stack in _deployed_stacks():
        forget_deployment(stack)  # resources of a previous emulator are gone with it
    try:
        emulator = start_emulator(port)
    except EmulatorError as error:
        console.print(f"[red]{error}")
        raise typer.Exit(1) from None
    console.print(f"Emulator running at {emulator.endpoint_url} (pid {emulator.pid}); state in memory.")


@app.command()
def stop() -> None:
    """Stop the emulator; every resource in it goes with it."""
    emulator = read_state()
    if emulator is None:
        console.print("The emulator is not running.")
        return
    stop_emulator(emulator)
    for stack in _deployed_stacks():
        forget_deployment(stack)
    console.print(f"Stopped the emulator (pid {emulator.pid}).")


@app.command()
def status() -> None:
    """Is the emulator up, which stacks are deployed, which resources are not emulated, what IAM refuses."""
    emulator = running_emulator()
    dropped: dict[str, int] | None = None
    if emulator is None:
        console.print("Emulator: [yellow]not running[/] (`streamctl local start`)")
    else:
        console.print(f"Emulator: [green]running[/] at {emulator.endpoint_url} (pid {emulator.pid})")
        dropped = published(emulator.endpoint_url).get("dropped", {})
    for stack in _deployed_stacks():
        deployment = load_deployment(stack)
        emulated = Counter(resource.type for resource in deployment.resources if resource.emulated)
        console.print(
            f"\nStack [bold]{stack}[/]: {sum(emulated.values())} resources in the emulator, "
            f"{len(deployment.not_emulated())} not emulated; outputs in {local_outputs_file(stack)}"
        )
        table = Table("type", "count", "caveats")
        notes: dict[str, set[str]] = {}
        for resource in deployment.resources:
            if resource.emulated:
                notes.setdefault(resource.type, set()).update(resource.notes)
        for typ, count in sorted(emulated.items()):
            table.add_row(typ, str(count), "; ".join(sorted(notes.get(typ, set()))))
        console.print(table)
        if deployment.not_emulated():
            missing = Table("not emulated", "name", "why", title="Not emulated (fabricated state)")
            for resource in deployment.not_emulated():
                missing.add_row(resource.type, resource.name, "; ".join(resource.notes))
            console.print(missing)
        if deployment.authorization is not None:
            for style, line in StackAuthorization.from_document(deployment.authorization).summary(dropped):
                console.print(line, style=style or None, highlight=False)
        if emulator is not None:
            _print_alarm_states(stack, emulator.endpoint_url)


def _print_alarm_states(stack: str, endpoint: str) -> None:
    """The stack's alarms as `local run` last evaluated them (moto keeps the state it was set to)."""
    states = alarm_states(aws_client("cloudwatch", region=_region(stack), endpoint_url=endpoint))
    counts = Counter(state["state"] for state in states)
    console.print(
        f"Alarms: {len(states)} ({', '.join(f'{n} {s}' for s, n in sorted(counts.items())) or 'none'}); "
        "evaluated only while `streamctl local run` (or the demo) runs"
    )
    firing = [state for state in states if state["state"] != "OK"]
    if firing:
        table = Table("alarm", "state", "reason", title="Alarms not OK")
        for state in firing:
            style = "red" if state["state"] == "ALARM" else "yellow"
            table.add_row(state["name"], f"[{style}]{state['state']}[/]", state["reason"])
        console.print(table)


@app.command()
def up(stack: StackOption = "dev") -> None:
    """Apply the Pulumi program to the emulator and write .local/<stack>/outputs.json."""
    endpoint = _endpoint(stack)
    try:
        deployment, _ = deploy(stack, endpoint)
    except FileExistsError as error:
        console.print(f"[red]{error}")
        raise typer.Exit(1) from None
    except (StackConfigError, ApiModelError) as error:
        typer.echo(str(error), err=True)  # every line whole: each names its key, resource and rule
        raise typer.Exit(2) from None
    console.print(
        f"Deployed {stack}: {len(deployment.resources) - len(deployment.not_emulated())} resources in the emulator, "
        f"{len(deployment.not_emulated())} not emulated (`streamctl local status`). "
        f"Outputs: {local_outputs_file(stack)}"
    )
    if deployment.authorization is not None:
        for style, line in StackAuthorization.from_document(deployment.authorization).summary():
            console.print(line, style=style or None, highlight=False)


@app.command()
def down(stack: StackOption = "dev") -> None:
    """Delete the stack's resources from the emulator."""
    _endpoint(stack)
    if not deployment_file(stack).exists():
        console.print(f"Stack {stack} is not deployed locally.")
        return
    try:
        failures = destroy(stack, region=_region(stack))
    except ProtectedResourcesError as error:
        typer.echo(str(error), err=True)  # every protected resource named, as `pulumi destroy` names it
        typer.echo("(locally, `streamctl local stop` discards the emulator and everything in it)", err=True)
        raise typer.Exit(1) from None
    for failure in failures:
        console.print(f"[red]could not delete {failure}", highlight=False)
    if failures:
        console.print(f"Stack {stack} is partly removed: run `streamctl local down --stack {stack}` again once fixed.")
        raise typer.Exit(1)
    console.print(f"Removed stack {stack} from the emulator.")


@app.command()
def run(
    stack: StackOption = "dev",
    duration: Annotated[float, typer.Option(help="Seconds to run; 0 runs until Ctrl-C.")] = 0.0,
    schedule_speedup: Annotated[
        float, typer.Option(help="Run rate() schedules and alarm periods this many times faster.")
    ] = 1.0,
) -> None:
    """Poll every event source mapping like Lambda and run scheduled functions, in this process."""
    endpoint = _endpoint(stack)
    host = FunctionHost(endpoint, LOCAL_STATE_DIR / stack / "logs", region=_region(stack))
    runtime = LocalRuntime(host, region=_region(stack), schedule_speedup=schedule_speedup)
    runtime.start()
    for note in runtime.notes:
        console.print(f"[yellow]{note}")
    console.print(
        f"Polling {len(runtime.pollers)} event source mappings, {len(runtime.schedules)} schedules; "
        f"handler logs in {host.log_dir / 'functions.log'}. Ctrl-C to stop."
    )
    deadline = time.monotonic() + duration if duration > 0 else None
    try:
        while deadline is None or time.monotonic() < deadline:
            remaining = 10.0 if deadline is None else deadline - time.monotonic()
            time.sleep(max(0.0, min(10.0, remaining)))
            _print_runtime_stats(runtime)
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
        host.close()


def _print_runtime_stats(runtime: LocalRuntime) -> None:
    for stream, stats in sorted(runtime.stats_by_stream().items()):
        console.print(
            f"{stream}: read {stats.read}, done {stats.completed}, invocations {stats.invocations}, "
            f"errors {stats.function_errors}, partial {stats.partial_failures}, to failure queue {stats.discarded}"
        )
    if runtime.alarms is not None:
        for transition in runtime.alarms.transitions[-20:]:
            style = "red" if transition.new == "ALARM" else "green"
            console.print(
                f"[{style}]alarm {transition.alarm}: {transition.old} -> {transition.new}[/] ({transition.reason})"
            )
        runtime.alarms.transitions.clear()
    for function, schedule in sorted(runtime.schedule_stats.items()):
        console.print(
            f"schedule -> {function}: {schedule.invocations} runs, {schedule.errors} errors {schedule.last_error or ''}"
        )


@app.command()
def invoke(
    function: Annotated[
        str, typer.Option("--function", help="Function name (or its suffix, e.g. acme-clicks-consumer).")
    ],
    event: Annotated[Path, typer.Option("--event", help="JSON event file.")],
    stack: StackOption = "dev",
) -> None:
    """Run one function once with an event file and print its response, like `sam local invoke`."""
    endpoint = _endpoint(stack)
    host = FunctionHost(endpoint, LOCAL_STATE_DIR / stack / "logs", region=_region(stack))
    try:
        payload = read_event(event)
        name = resolve_function(host, aws_client("lambda", region=_region(stack), endpoint_url=endpoint), function)
        invocation = invoke_once(host, name, payload)
    except InvokeError as error:
        console.print(f"[red]{error}")
        raise typer.Exit(2) from None
    finally:
        host.close()
    typer.echo(json.dumps(response_document(invocation), indent=2, default=str))
    Console(stderr=True).print(f"[dim]{name}: {invocation.duration_ms:.0f} ms, request {invocation.request_id}")
    if invocation.error is not None:
        raise typer.Exit(1)


@app.command()
def demo(
    stack: StackOption = "dev",
    events: Annotated[int, typer.Option(help="Records to produce across all streams.")] = 20_000,
    rate: Annotated[float, typer.Option(help="Records per second, all streams together.")] = 2_000.0,
    port: Annotated[int, typer.Option(help="Port for the emulator if none is running.")] = DEFAULT_PORT,
    keep: Annotated[bool, typer.Option(help="Leave the emulator and the stack running afterwards.")] = False,
) -> None:
    """Start the emulator, deploy, produce events with poison records, drain, report; exit 1 if anything is lost."""
    try:
        code = run_demo(DemoOptions(stack=stack, events=events, rate=rate, port=port, keep=keep), console)
    except (StackConfigError, ApiModelError) as error:  # refused before anything was deployed, as `local up` says
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(code)
