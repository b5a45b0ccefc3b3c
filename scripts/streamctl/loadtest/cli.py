"""`streamctl loadtest ...` commands."""

from __future__ import annotations

import secrets
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from functions.aws_limits import KINESIS_PUT_PAYLOAD_UNIT_BYTES
from streamctl.loadtest.manifest import RunManifest, load_manifest, manifest_path, save_manifest
from streamctl.loadtest.partition_keys import PartitionKeyStrategyName
from streamctl.loadtest.producer import RetryPolicy
from streamctl.loadtest.report import RunSummary, run_summary_table, verification_dict, verification_table
from streamctl.loadtest.runner import LoadRun, LoadSpec, start_run
from streamctl.loadtest.targets import LoadTarget, resolve_target
from streamctl.loadtest.verify import Verification, verify_run

app = typer.Typer(help="Drive a stack with load and verify what reached the lake.", no_args_is_help=True)
console = Console()

StackOption = Annotated[str, typer.Option(help="Stack whose outputs name the targets (local or Pulumi).")]


def new_run_id() -> str:
    return f"lt-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def _fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _target(stack: str, tenant: str, stream: str) -> LoadTarget:
    try:
        return resolve_target(stack, tenant, stream)
    except subprocess.CalledProcessError as error:
        raise _fail(f"`pulumi stack output` failed for stack {stack!r}: {(error.stderr or '').strip()}") from error
    except (FileNotFoundError, RuntimeError, KeyError, ValueError) as error:
        raise _fail(str(error.args[0] if isinstance(error, KeyError) else error)) from error


def _progress(run: LoadRun) -> Table:
    totals = run.totals()
    elapsed = (datetime.now(UTC) - run.started_at).total_seconds()
    table = Table(title=f"run {run.spec.run_id}", show_header=True)
    for column in ("elapsed", "sent", "records/s", "throttled", "retried", "failed"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{elapsed:,.0f} / {run.spec.duration_s:,.0f} s",
        f"{totals.user_records_sent:,}",
        f"{totals.user_records_sent / elapsed:,.0f}" if elapsed > 0 else "0",
        f"{totals.throttled_entries:,}",
        f"{totals.retried_entries:,}",
        f"{totals.user_records_failed:,}",
    )
    return table


def _write_json(path: Path | None, document: dict[str, object]) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))


@app.command("run")
def run_command(
    stack: StackOption,
    tenant: Annotated[str, typer.Option(help="Tenant that owns the stream.")],
    stream: Annotated[str, typer.Option(help="Stream name within the tenant (as in the stack outputs).")],
    rate: Annotated[float, typer.Option(help="Events per second, summed over writers.")] = 1000.0,
    duration: Annotated[float, typer.Option(help="Seconds to send for.")] = 60.0,
    record_bytes: Annotated[int, typer.Option(help="Encoded size of each event in bytes.")] = 1024,
    aggregate: Annotated[
        bool,
        typer.Option(
            help="KPL-aggregate events (aws-kinesis-agg). Every sub-record lands on the shard of its "
            "aggregate's first partition key."
        ),
    ] = False,
    aggregate_bytes: Annotated[
        int, typer.Option(help="Aggregate size limit incl. partition key; 25 KB fills one PUT payload unit.")
    ] = KINESIS_PUT_PAYLOAD_UNIT_BYTES,
    linger_ms: Annotated[float, typer.Option(help="Longest time a partial aggregate waits.")] = 100.0,
    keys: Annotated[PartitionKeyStrategyName, typer.Option(help="Partition-key strategy.")] = (
        PartitionKeyStrategyName.RANDOM
    ),
    entities: Annotated[int, typer.Option(help="Distinct entities for per-entity and zipf keys.")] = 10_000,
    zipf_exponent: Annotated[float, typer.Option(help="Skew of zipf keys (higher: hotter shards).")] = 1.1,
    writers: Annotated[int, typer.Option(help="Writer threads (always 1 against local mode).")] = 1,
    max_attempts: Annotated[int, typer.Option(help="Attempts per entry before it counts as failed.")] = 8,
    seed: Annotated[int | None, typer.Option(help="Seed for reproducible partition keys.")] = None,
    run_id: Annotated[str | None, typer.Option(help="Run id (default: generated).")] = None,
    manifest: Annotated[Path | None, typer.Option(help="Where to write the run manifest for verify.")] = None,
    report_json: Annotated[Path | None, typer.Option(help="Also write the summary as JSON here.")] = None,
) -> None:
    """Send events to a stream at a steady rate and summarize what Kinesis accepted."""
    target = _target(stack, tenant, stream)
    if target.is_local and writers > 1:
        raise _fail(
            "local mode takes one writer per stream (moto's Kinesis loses records under concurrent writes "
            "to one shard): drop --writers"
        )
    try:
        spec = LoadSpec(
            run_id=run_id or new_run_id(),
            tenant=tenant,
            stream_name=target.stream_outputs.stream_name,
            rate=rate,
            duration_s=duration,
            record_bytes=record_bytes,
            aggregate=aggregate,
            aggregate_bytes=aggregate_bytes,
            linger_s=linger_ms / 1000,
            key_strategy=keys,
            entities=entities,
            zipf_exponent=zipf_exponent,
            writers=writers,
            seed=seed,
            retry=RetryPolicy(max_attempts=max_attempts),
        )
    except ValueError as error:
        raise _fail(str(error)) from error
    run = start_run(spec, lambda: target.client("kinesis"))
    try:
        with Live(_progress(run), console=console, refresh_per_second=4, transient=True) as live:
            while run.is_running():
                run.wait(0.25)
                live.update(_progress(run))
    except KeyboardInterrupt:
        run.stop.set()
        run.wait()
    run.wait()
    elapsed = ((run.ended_at or datetime.now(UTC)) - run.started_at).total_seconds()
    summary = RunSummary.from_stats(spec.run_id, run.totals(), elapsed, spec.rate)
    manifest_file = manifest or manifest_path(spec.run_id)
    save_manifest(run.manifest(stack, stream), manifest_file)
    console.print(run_summary_table(summary))
    console.print(f"manifest: {manifest_file}")
    console.print(f"verify with: streamctl loadtest verify --stack {stack} --run-id {spec.run_id}")
    _write_json(report_json, summary.as_dict())
    errors = run.errors()
    for writer_error in errors:
        console.print(f"[red]error:[/red] {writer_error}")
    if errors or summary.failed:
        raise typer.Exit(1)


@app.command("verify")
def verify_command(
    stack: StackOption,
    run_id: Annotated[str, typer.Option(help="The run to verify (printed by `loadtest run`).")],
    manifest: Annotated[Path | None, typer.Option(help="The run's manifest (default: where run wrote it).")] = None,
    wait: Annotated[
        float, typer.Option(help="Keep checking for up to this many seconds until none are missing.")
    ] = 0.0,
    poll_interval: Annotated[float, typer.Option(help="Seconds between checks while waiting.")] = 15.0,
    report_json: Annotated[Path | None, typer.Option(help="Also write the verification as JSON here.")] = None,
) -> None:
    """Count the run's events in the lake and quarantine; exit 1 when any accepted event is missing."""
    manifest_file = manifest or manifest_path(run_id)
    if not manifest_file.exists():
        raise _fail(f"no manifest for run {run_id!r} at {manifest_file}: pass --manifest with the file `run` wrote")
    try:
        run_manifest = load_manifest(manifest_file)
    except ValueError as error:
        raise _fail(str(error)) from error
    if run_manifest.run_id != run_id:
        raise _fail(f"{manifest_file} is the manifest of run {run_manifest.run_id!r}, not {run_id!r}")
    target = _target(stack, run_manifest.tenant, run_manifest.stream)
    verification = verify_until(target, run_manifest, wait_s=wait, poll_interval_s=poll_interval)
    console.print(verification_table(verification))
    _write_json(report_json, verification_dict(verification))
    if not verification.passed:
        raise typer.Exit(1)


def verify_until(
    target: LoadTarget, run_manifest: RunManifest, *, wait_s: float, poll_interval_s: float
) -> Verification:
    """Verify, and while events are missing re-check until `wait_s` has passed (Firehose buffers)."""
    s3, cloudwatch = target.client("s3"), target.client("cloudwatch")
    outputs = target.stream_outputs
    deadline = time.monotonic() + wait_s
    while True:
        verification = verify_run(
            run_manifest,
            s3=s3,
            cloudwatch=cloudwatch,
            bucket=target.outputs.lake_bucket,
            lake_prefix=outputs.lake_prefix,
            quarantine_prefix=outputs.quarantine_prefix,
        )
        if verification.passed or time.monotonic() >= deadline:
            return verification
        console.print(f"{verification.missing:,} of {verification.expected:,} not in the lake yet; checking again")
        time.sleep(min(poll_interval_s, max(0.0, deadline - time.monotonic())))
