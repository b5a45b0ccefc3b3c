"""Render stream costs: a table per stream with tenant subtotals, the mode comparison, or JSON."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rich.console import Console
from rich.table import Table

from functions import pricing
from streamctl.cost.model import (
    AccountPlan,
    AdvantageAccount,
    StreamCost,
    account_plans,
    advantage_break_even_mib_per_s,
)

MIB_PER_S_MONTH = 1024**2 * pricing.HOURS_PER_MONTH * 3600
"""Bytes one MiB/s writes in a 730-hour month."""

MODE_NAMES = {
    "provisioned": "provisioned + scaler",
    "on_demand": "On-demand Standard",
    "on_demand_advantage": "On-demand Advantage",
}


def _usd(value: float | None) -> str:
    return "n/a" if value is None else f"${value:,.2f}"


def cost_table(stack: str, costs: list[StreamCost]) -> Table:
    table = Table(
        title=f"Monthly cost of stack {stack} (730 h, {pricing.PRICES_REGION} prices of {pricing.PRICES_CHECKED})"
    )
    for column in (
        "tenant/stream",
        "MB/s",
        "mode",
        "shards",
        "Kinesis",
        "Firehose",
        "Lambda",
        "DynamoDB",
        "CloudWatch",
        "S3",
        "total",
    ):
        table.add_column(column, justify="left" if column in {"tenant/stream", "mode"} else "right")
    by_tenant: dict[str, list[StreamCost]] = defaultdict(list)
    for cost in costs:
        by_tenant[cost.tenant].append(cost)
    for tenant, streams in by_tenant.items():
        for c in streams:
            table.add_row(
                f"{c.tenant}/{c.stream}",
                f"{c.traffic.mb_per_s:g}",
                c.kinesis.mode,
                str(c.kinesis.shards),
                _usd(c.kinesis.total_usd),
                _usd(c.firehose_usd),
                _usd(c.lambda_usd),
                _usd(c.dynamodb_usd),
                _usd(c.cloudwatch_usd),
                _usd(c.s3_usd),
                _usd(c.total_usd),
            )
        table.add_row(
            f"[bold]{tenant}[/bold]",
            *[""] * 9,
            f"[bold]{_usd(sum(c.total_usd for c in streams))}[/bold]",
            end_section=True,
        )
    table.add_row("[bold]stack[/bold]", *[""] * 9, f"[bold]{_usd(sum(c.total_usd for c in costs))}[/bold]")
    return table


def comparison_table(costs: list[StreamCost]) -> Table:
    table = Table(title="Kinesis: provisioned versus on-demand (stream charges only)")
    for column in ("tenant/stream", "MB/s", "provisioned", "on-demand", "cheaper", "on-demand / provisioned"):
        table.add_column(column, justify="left" if column in {"tenant/stream", "cheaper"} else "right")
    for c in costs:
        provisioned, on_demand = (
            (c.kinesis, c.alternative) if c.kinesis.mode == "provisioned" else (c.alternative, c.kinesis)
        )
        ratio = on_demand.total_usd / provisioned.total_usd if provisioned.total_usd else float("inf")
        table.add_row(
            f"{c.tenant}/{c.stream}",
            f"{c.traffic.mb_per_s:g}",
            f"{_usd(provisioned.total_usd)} ({provisioned.shards} shards)",
            _usd(on_demand.total_usd),
            c.cheaper_mode + (" (configured)" if c.cheaper_mode == c.kinesis.mode else " [bold](switch?)[/bold]"),
            f"{ratio:.1f}x",
        )
    return table


def three_mode_table(costs: list[StreamCost], account: AdvantageAccount) -> Table:
    table = Table(
        title=f"Kinesis per stream in each mode (provisioned with its scaler; Advantage at {account.ingested_gib:,.0f} "
        f"GiB/month of account ingest, a {account.commitment_mib_per_s:g} MiB/s commitment)"
    )
    for column in ("tenant/stream", "MB/s", *MODE_NAMES.values(), "cheapest"):
        table.add_column(column, justify="left" if column in {"tenant/stream", "cheapest"} else "right")
    for c in costs:
        usd = c.mode_usd()
        table.add_row(
            f"{c.tenant}/{c.stream}",
            f"{c.traffic.mb_per_s:g}",
            *(_usd(usd[mode]) for mode in MODE_NAMES),
            MODE_NAMES[c.cheapest_mode],
        )
    return table


def account_table(plans: list[AccountPlan]) -> Table:
    table = Table(title="The account's Kinesis bill for the stack's streams, by plan")
    for column in ("plan", "Kinesis + scaler", "modes"):
        table.add_column(column, justify="right" if column == "Kinesis + scaler" else "left")
    cheapest = min(plans, key=lambda plan: plan.usd)
    for plan in plans:
        counts = {MODE_NAMES[m]: list(plan.modes.values()).count(m) for m in MODE_NAMES if m in plan.modes.values()}
        table.add_row(
            plan.name + (" [bold](cheapest)[/bold]" if plan is cheapest else ""),
            _usd(plan.usd),
            ", ".join(f"{n} {name}" for name, n in counts.items()),
        )
    return table


def advantage_summary(costs: list[StreamCost], account: AdvantageAccount) -> str:
    break_even = advantage_break_even_mib_per_s(len(costs), account.commitment_mib_per_s)
    stack_mib_per_s = account.ingested_gib * pricing.GIB / MIB_PER_S_MONTH - account.outside_mib_per_s
    return (
        f"account on-demand ingest: {stack_mib_per_s:,.2f} MiB/s from the stack + {account.outside_mib_per_s:g} MiB/s "
        f"outside it (--account-mib-per-s); with these {len(costs)} streams on demand, Advantage beats On-demand "
        f"Standard from {break_even:,.2f} MiB/s of aggregate ingest (a {account.commitment_mib_per_s:g} MiB/s "
        "commitment, a parameter: --commitment-mib-per-s; docs/cost.md)"
    )


def print_report(console: Console, stack: str, costs: list[StreamCost], account: AdvantageAccount) -> None:
    console.print(cost_table(stack, costs))
    console.print(comparison_table(costs))
    console.print(three_mode_table(costs, account))
    console.print(account_table(account_plans(costs, account)))
    console.print(advantage_summary(costs, account), highlight=False)
    for c in costs:
        for note in c.notes:
            console.print(f"note: {c.tenant}/{c.stream}: {note}", highlight=False)
    lake = sum(c.lake_gb_per_month for c in costs)
    console.print(f"the lake grows by {lake:,.1f} GiB a month (S3 Standard, compressed)", highlight=False)
    console.print(
        f"prices: {pricing.PRICES_SOURCE}, checked {pricing.PRICES_CHECKED}; assumptions: docs/cost.md", highlight=False
    )


def as_json(stack: str, costs: list[StreamCost], account: AdvantageAccount) -> dict[str, Any]:
    def kinesis(cost: Any) -> dict[str, Any]:
        return {
            "mode": cost.mode,
            "shards": cost.shards,
            "stream_usd": cost.stream_usd,
            "data_usd": cost.data_usd,
            "retention_usd": cost.retention_usd,
            "total_usd": cost.total_usd,
        }

    streams = [
        {
            "tenant": c.tenant,
            "stream": c.stream,
            "traffic": c.traffic.model_dump(),
            "kinesis": kinesis(c.kinesis),
            "alternative": kinesis(c.alternative),
            "cheaper_mode": c.cheaper_mode,
            "advantage": kinesis(c.advantage),
            "scaler_usd": c.scaler_usd,
            "mode_usd": c.mode_usd(),
            "cheapest_mode": c.cheapest_mode,
            "firehose_usd": c.firehose_usd,
            "firehose_unpacked_usd": c.firehose_unpacked_usd,
            "lambda_usd": c.lambda_usd,
            "dynamodb_usd": c.dynamodb_usd,
            "cloudwatch_usd": c.cloudwatch_usd,
            "s3_usd": c.s3_usd,
            "lake_gib_per_month": c.lake_gb_per_month,
            "consumer_invocations": c.invocations,
            "total_usd": c.total_usd,
            "notes": c.notes,
        }
        for c in costs
    ]
    tenants: dict[str, float] = defaultdict(float)
    for c in costs:
        tenants[c.tenant] += c.total_usd
    return {
        "stack": stack,
        "prices_checked": pricing.PRICES_CHECKED.isoformat(),
        "streams": streams,
        "tenants": dict(tenants),
        "total_usd": sum(c.total_usd for c in costs),
        "account": {
            "ingested_gib_per_month": account.ingested_gib,
            "outside_mib_per_s": account.outside_mib_per_s,
            "commitment_mib_per_s": account.commitment_mib_per_s,
            "commitment_shortfall_gib": account.shortfall_gib,
            "advantage_break_even_mib_per_s": advantage_break_even_mib_per_s(len(costs), account.commitment_mib_per_s),
            "plans": [
                {
                    "name": plan.name,
                    "usd": plan.usd,
                    "modes": plan.modes,
                    "unallocated_shortfall_usd": plan.unallocated_shortfall_usd,
                }
                for plan in account_plans(costs, account)
            ],
            "cheapest_plan": min(account_plans(costs, account), key=lambda plan: plan.usd).name,
        },
    }


DOCS_STACKS = ("dev", "prod")
DOCS_MB_PER_S = (0.5, 2.0, 10.0)
"""docs/cost.md's three-mode table: every stream of each stack at these averages, 1 KiB records, peak = average."""


def plans_markdown_rows(stack: str, mb_per_s: float, costs: list[StreamCost], account: AdvantageAccount) -> list[str]:
    """One docs row: the account plans' bills, each stream's cheapest mode, the break-even aggregate."""
    plans = {plan.name: plan for plan in account_plans(costs, account)}
    cheapest = min(plans.values(), key=lambda plan: plan.usd)
    per_stream = ", ".join(sorted({MODE_NAMES[c.cheapest_mode] for c in costs}))
    columns = (
        "all provisioned + scaler",
        "all On-demand Standard",
        "all On-demand Advantage",
        "cheapest per stream, with commitment",
    )
    cells = [
        f"{stack} ({len(costs)})",
        f"{mb_per_s:g}",
        f"{account.outside_mib_per_s:g}",
        *(_usd(plans[name].usd) for name in columns),
        cheapest.name,
        per_stream,
        f"{advantage_break_even_mib_per_s(len(costs), account.commitment_mib_per_s):.2f}",
    ]
    return ["| " + " | ".join(cells) + " |"]


def docs_three_mode_table() -> str:
    """The table docs/cost.md shows (a test checks it is this output)."""
    from infra.config import config_from_pulumi_values
    from infra.mock_runtime import load_stack_config
    from streamctl.cost.model import stack_costs
    from streamctl.cost.traffic import uniform_traffic

    header = [
        "| stack (streams) | MB/s per stream | MiB/s outside | all provisioned + scaler | all Standard | all Advantage "
        "| Advantage where it beats provisioned | cheapest plan | cheapest per stream | Advantage beats Standard from "
        "(MiB/s) |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    rows: list[str] = []
    for stack in DOCS_STACKS:
        config = config_from_pulumi_values(load_stack_config(stack), stack=stack)
        streams = [(tenant, stream) for tenant, stream, _ in config.streams()]
        for mb_per_s in DOCS_MB_PER_S:
            for outside in (0.0, 100.0):
                costs = stack_costs(config, uniform_traffic(streams, mb_per_s, 1024), outside)
                account = AdvantageAccount.for_stack([c.traffic for c in costs], outside)
                rows += plans_markdown_rows(stack, mb_per_s, costs, account)
    return "\n".join(header + rows)
