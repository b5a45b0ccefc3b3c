"""`streamctl replay`: rewind a consumer, re-drive failed batches, re-process quarantined records.

Every command prints what it does; with `--dry-run` it only reads and prints what it would do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from streamctl.replay.event_source_mapping import mapping_urn
from streamctl.replay.quarantine_replay import replay_quarantine
from streamctl.replay.redrive import redrive_failures
from streamctl.replay.rewind import MappingStrategy, apply_rewind, plan_rewind
from streamctl.replay.target import ReplayClients, ReplayTarget

app = typer.Typer(
    help="Replay and backfill: rewind a consumer, re-drive failed batches, re-process quarantine.",
    no_args_is_help=True,
)
console = Console()

StackOption = Annotated[str, typer.Option("--stack", help="Stack name (dev, staging, prod).")]
TenantOption = Annotated[str, typer.Option("--tenant", help="Tenant that owns the stream.")]
StreamOption = Annotated[str, typer.Option("--stream", help="Stream name within the tenant.")]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Only read, and print what would be done.")]


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 timestamp; naive ones are UTC."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 timestamp such as 2026-11-26T06:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _target(stack: str, tenant: str, stream: str) -> ReplayTarget:
    try:
        return ReplayTarget.load(stack, tenant, stream)
    except (KeyError, FileNotFoundError) as error:
        raise typer.BadParameter(str(error).strip("\"'")) from None


def _print(lines: list[str], dry_run: bool) -> None:
    if dry_run:
        console.print("[bold]dry run[/bold]: nothing is changed")
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)  # commands stay copy-pasteable


@app.command("rewind")
def rewind_command(
    stack: StackOption,
    tenant: TenantOption,
    stream: StreamOption,
    to_timestamp: Annotated[
        str | None, typer.Option("--to-timestamp", help="Re-process everything that arrived at or after this time.")
    ] = None,
    to_sequence: Annotated[
        str | None, typer.Option("--to-sequence", help="Re-process from this sequence number of --shard.")
    ] = None,
    shard: Annotated[str | None, typer.Option("--shard", help="Shard of --to-sequence.")] = None,
    mapping: Annotated[
        MappingStrategy,
        typer.Option(help="How the event source mapping is re-created: by Pulumi (printed command) or boto3 now."),
    ] = MappingStrategy.PULUMI,
    dry_run: DryRunOption = False,
) -> None:
    """Move the consumer back: disable its mapping, rewind checkpoints, re-create the mapping."""
    if (to_timestamp is None) == (to_sequence is None):
        raise typer.BadParameter("give exactly one of --to-timestamp or --to-sequence")
    if to_sequence is not None and shard is None:
        raise typer.BadParameter("--to-sequence needs --shard (sequence numbers belong to one shard)")
    target = _target(stack, tenant, stream)
    clients = ReplayClients.for_stack(stack)
    urn = mapping_urn(stack, target.consumer_function) if mapping is MappingStrategy.PULUMI else None
    try:
        plan = plan_rewind(
            clients,
            target,
            strategy=mapping,
            to_timestamp=parse_timestamp(to_timestamp) if to_timestamp else None,
            to_sequence=to_sequence,
            shard=shard,
            mapping_urn=urn,
        )
    except (ValueError, LookupError) as error:
        raise typer.BadParameter(str(error)) from None
    _print(plan.describe(), dry_run)
    if dry_run:
        return
    created = apply_rewind(clients, plan)
    if created is not None:
        console.print(f"created event source mapping {created['UUID']}", highlight=False)
    else:
        console.print("checkpoints rewound; the mapping is disabled until the Pulumi command above re-creates it")


@app.command("redrive")
def redrive_command(
    stack: StackOption,
    tenant: TenantOption,
    stream: StreamOption,
    limit: Annotated[int, typer.Option(min=1, help="Most on-failure messages to handle in this run.")] = 100,
    accept_expired: Annotated[
        bool, typer.Option(help="Put back what is left of ranges whose first records expired, and delete them.")
    ] = False,
    dry_run: DryRunOption = False,
) -> None:
    """Re-read the ranges named by on-failure queue messages and put their records back on the stream."""
    target = _target(stack, tenant, stream)
    report = redrive_failures(
        ReplayClients.for_stack(stack), target, dry_run=dry_run, limit=limit, accept_expired=accept_expired
    )
    _print(report.describe(), dry_run)


@app.command("quarantine")
def quarantine_command(
    stack: StackOption,
    tenant: TenantOption,
    stream: StreamOption,
    day: Annotated[str | None, typer.Option(help="Only objects of this arrival day (YYYY-MM-DD).")] = None,
    reason_contains: Annotated[
        str | None, typer.Option(help="Only records whose quarantine reason contains this text.")
    ] = None,
    include_still_rejected: Annotated[
        bool, typer.Option(help="Also put back records the current consumer code still rejects.")
    ] = False,
    include_replayed: Annotated[bool, typer.Option(help="Also re-read objects tagged as replayed.")] = False,
    dry_run: DryRunOption = False,
) -> None:
    """Put quarantined records back on their stream after a fix, and tag their objects as replayed."""
    target = _target(stack, tenant, stream)
    try:
        report = replay_quarantine(
            ReplayClients.for_stack(stack),
            target,
            dry_run=dry_run,
            day=day,
            reason_contains=reason_contains,
            include_still_rejected=include_still_rejected,
            include_replayed=include_replayed,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    _print(report.describe(), dry_run)
