"""`make demo`: emulator, deploy, ~20,000 events across tenants with a few poison records, drain, report, lake query.

After the drain the demo redelivers one batch (duplicates, as a consumer retry writes them), audits the lake, and
ends with the lake read by `streamctl lake query`'s engine (`emulator.demo_lake`). Exit code 0 only when nothing is
lost and the lake query's counts agree with the report. `--keep` leaves the emulator and the stack running
(`streamctl lake query`, `streamctl local status`; `streamctl local stop` ends it). Otherwise the demo cleans up
what it started: the emulator (and with it every resource), or, when an emulator was already running, the stack
it deployed. IAM is enforced as decided at
deploy (`emulator.authorization`): a lake delivery AWS would refuse loses its events here too, and says why.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from emulator.authorization import StackAuthorization, published
from emulator.demo_lake import Redelivery, RedeliveryError, disagreements, query_lake, redeliver_batch, render_lake
from emulator.deployer import ProtectedResourcesError, deploy, deployment_file, destroy, forget_deployment
from emulator.environment import use_emulator
from emulator.function_host import FunctionHost
from emulator.report import RunAudit, audit_run, render_alarms, render_report
from emulator.runtime import LocalRuntime, MappingConfig
from emulator.server import DEFAULT_PORT, running_emulator, start_emulator, stop_emulator
from emulator.workload import RunProgress, StreamLoad, plan_load, produce_and_drain
from infra.mock_runtime import DEFAULT_REGION, load_stack_config
from streamctl.aws_clients import aws_client
from streamctl.lake.pruning import LakeQueryError
from streamctl.lake.table import LakeTableError
from streamctl.stack_outputs import LOCAL_STATE_DIR, StackOutputs


@dataclass(frozen=True)
class DemoOptions:
    stack: str = "dev"
    events: int = 20_000
    poison_per_stream: int = 4
    rate: float = 2_000.0
    record_bytes: int = 512
    port: int = DEFAULT_PORT
    timeout_s: float = 600.0
    keep: bool = False
    redeliver: tuple[str, str] | None = None  # (tenant, stream) whose batch is redelivered; None: the first stream


class ProgressDisplay:
    """Two bars per stream: records produced and records the consumers finished."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[tuple[str, str], TaskID] = {}

    def update(self, state: RunProgress) -> None:
        for stream, target in state.targets.items():
            for kind, value in (("produced", state.produced[stream]), ("consumed", state.consumed[stream])):
                key = (stream, kind)
                if key not in self.tasks:
                    self.tasks[key] = self.progress.add_task(f"{stream} {kind}", total=target)
                self.progress.update(self.tasks[key], completed=value)


def run_demo(options: DemoOptions, console: Console) -> int:
    region = str(load_stack_config(options.stack).get("aws:region") or DEFAULT_REGION)
    started = time.monotonic()
    emulator = running_emulator()
    started_emulator = emulator is None
    if emulator is None:
        console.print(f"Starting the emulator on 127.0.0.1:{options.port} ...")
        emulator = start_emulator(options.port)
        forget_deployment(options.stack)  # records of a previous emulator describe nothing now
    use_emulator(emulator.endpoint_url, region)
    host: FunctionHost | None = None
    try:
        if deployment_file(options.stack).exists():
            console.print(f"Removing the previous local deployment of {options.stack} ...")
            destroy(options.stack, region=region)
        console.print(
            f"Deploying stack {options.stack} onto the emulator (Pulumi program under emulator-backed mocks) ..."
        )
        deployment, program = deploy(options.stack, emulator.endpoint_url)
        console.print(
            f"  {len(deployment.resources) - len(deployment.not_emulated())} resources created, "
            f"{len(deployment.not_emulated())} not emulated (see `streamctl local status`)"
        )
        assert deployment.authorization is not None
        authorization = StackAuthorization.from_document(deployment.authorization)
        for style, line in authorization.summary():
            console.print(line, style=style or None, highlight=False)
        outputs = StackOutputs.model_validate(program.outputs)
        host = FunctionHost(emulator.endpoint_url, LOCAL_STATE_DIR / options.stack / "logs", region=region)
        runtime = LocalRuntime(host, region=region)
        runtime.start()
        loads = plan_load(outputs, options.events, poison_per_stream=options.poison_per_stream)
        run_id = f"demo-{uuid.uuid4().hex[:8]}"
        console.print(
            f"Producing {options.events} records ({sum(load.poison for load in loads)} poison) to "
            f"{len(loads)} streams at ~{options.rate:.0f}/s, run {run_id}; handler logs in {host.log_dir}"
        )
        kinesis = aws_client("kinesis", region=region, endpoint_url=emulator.endpoint_url)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=False) as progress:
            display = ProgressDisplay(progress)
            produced = produce_and_drain(
                kinesis,
                outputs,
                runtime,
                loads,
                run_id,
                rate=options.rate,
                record_bytes=options.record_bytes,
                timeout_s=options.timeout_s,
                on_progress=display.update,
            )
        runtime.stop()
        for stream, stats in runtime.stats_by_stream().items():
            console.print(
                f"  {stream}: {stats.invocations} invocations, {stats.partial_failures} partial failures, "
                f"{stats.function_errors} function errors, {stats.discarded} records sent to the failure queue"
            )
        fired = runtime.alarms.fired() if runtime.alarms is not None else []
        render_alarms(fired, runtime.alarms.rounds if runtime.alarms is not None else 0, console)
        if not produced.drained:
            console.print(f"[red]The consumers did not drain within {options.timeout_s:.0f}s.")
        s3 = aws_client("s3", region=region, endpoint_url=emulator.endpoint_url)
        dynamodb = aws_client("dynamodb", region=region, endpoint_url=emulator.endpoint_url)
        configs = {poller.config.stream_name: poller.config for poller in runtime.pollers.values()}
        factors = {name: config.parallelization_factor for name, config in configs.items()}
        redelivery = _redeliver(options, outputs, loads, configs, s3, emulator.endpoint_url, region, console)
        dropped = published(emulator.endpoint_url).get("dropped", {})
        audit = audit_run(outputs, produced.streams, s3, dynamodb, factors, authorization, dropped)
        audit.elapsed_s = time.monotonic() - started
        render_report(audit, console)
        if produced.unsent_record_ids:
            console.print(f"[red]{len(produced.unsent_record_ids)} records could not be put on the streams.")
        lake_agrees = _lake_query(audit, outputs, redelivery, region, emulator.endpoint_url, console)
        console.print(f"Demo: {time.monotonic() - started:.1f} s in all.")
        healthy = audit.lost == 0 and produced.drained and not produced.unsent_record_ids
        return 0 if healthy and redelivery is not None and lake_agrees else 1
    finally:
        if host is not None:
            host.close()
        if options.keep:
            console.print(
                f"Keeping the emulator and stack {options.stack}: query the lake with `streamctl lake query --stack "
                f'{options.stack} --sql "<SQL>"` (e.g. the one-hour query above); `streamctl local stop` ends it.',
                highlight=False,
            )
        elif started_emulator:
            stop_emulator(emulator)
            forget_deployment(options.stack)
            console.print("Stopped the emulator the demo started.")
        else:
            try:
                destroy(options.stack, region=region)
                console.print(f"Removed stack {options.stack} from the running emulator.")
            except ProtectedResourcesError as error:
                console.print(
                    f"Kept stack {options.stack}: {len(error.resources)} of its resources are protected "
                    "(`streamctl local stop` discards the emulator and everything in it)."
                )


def _redeliver(
    options: DemoOptions,
    outputs: StackOutputs,
    loads: list[StreamLoad],
    configs: dict[str, MappingConfig],
    s3: Any,
    endpoint_url: str,
    region: str,
    console: Console,
) -> Redelivery | None:
    """Inject duplicates: one consumer batch of the first stream delivered to the lake a second time."""
    tenant, stream = options.redeliver or (loads[0].tenant, loads[0].stream)
    config = configs.get(outputs.stream(tenant, stream).stream_name)
    firehose = aws_client("firehose", region=region, endpoint_url=endpoint_url)
    try:
        redelivery = redeliver_batch(
            s3, firehose, endpoint_url, outputs, tenant, stream, config.batch_size if config else 100
        )
    except RedeliveryError as error:
        console.print(f"[red]Could not inject duplicates: {error}", highlight=False)
        return None
    console.print(redelivery.describe(), style="yellow" if redelivery.hour_changed else None, highlight=False)
    return redelivery


def _lake_query(
    audit: RunAudit,
    outputs: StackOutputs,
    redelivery: Redelivery | None,
    region: str,
    endpoint_url: str,
    console: Console,
) -> bool:
    """The lake as `streamctl lake query` reads it, against the report; False (and why) when they disagree."""
    s3 = aws_client("s3", region=region, endpoint_url=endpoint_url)
    glue = aws_client("glue", region=region, endpoint_url=endpoint_url)
    hour_of = None
    if redelivery is not None and redelivery.redelivered_keys:
        hour_of = (redelivery.tenant, redelivery.stream, redelivery.redelivered_partitions[-1])
    try:
        lake = query_lake(s3, glue, outputs.glue_database, hour_of)
    except (LakeQueryError, LakeTableError) as error:
        console.print(f"[bold red]The lake query failed: {error}", highlight=False)
        return False
    render_lake(audit, lake, console)
    problems = disagreements(audit, lake)
    for problem in problems:
        console.print(f"[bold red]The lake query disagrees with the report: {problem}", highlight=False)
    return not problems
