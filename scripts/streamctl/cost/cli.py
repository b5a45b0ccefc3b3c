"""`streamctl cost`: price a stack's configuration for a given traffic."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console

from functions import pricing
from infra.config import StackConfigError, config_from_pulumi_values
from infra.mock_runtime import load_stack_config
from streamctl.cost.model import AdvantageAccount, stack_costs
from streamctl.cost.report import as_json, print_report
from streamctl.cost.traffic import TrafficError, load_traffic, uniform_traffic


def cost_command(
    stack: Annotated[str, typer.Option("--stack", help="Stack whose Pulumi.<stack>.yaml is priced.")],
    traffic: Annotated[
        Path | None, typer.Option("--traffic", help="YAML/JSON traffic file (see docs/cost.md).", dir_okay=False)
    ] = None,
    mb_per_s: Annotated[
        float | None, typer.Option("--mb-per-s", min=0, help="The same average MB/s (10^6 bytes) on every stream.")
    ] = None,
    record_bytes: Annotated[int, typer.Option(min=1, help="Average record size with --mb-per-s.")] = 1024,
    account_mib_per_s: Annotated[
        float,
        typer.Option(
            "--account-mib-per-s",
            min=0,
            help="On-demand ingest (MiB/s) of the account's streams outside this stack: it counts towards the "
            "On-demand Advantage commitment.",
        ),
    ] = 0.0,
    commitment_mib_per_s: Annotated[
        float,
        typer.Option(
            "--commitment-mib-per-s",
            min=0,
            help="Size of the Advantage minimum throughput commitment (not found on AWS's pages read; docs/cost.md).",
        ),
    ] = pricing.KINESIS_ADVANTAGE_COMMITMENT_MIB_PER_S,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Monthly cost per tenant and stream; provisioned + scaler vs. On-demand Standard vs. Advantage per stream and
    for the account."""
    if (traffic is None) == (mb_per_s is None):
        raise typer.BadParameter("give exactly one of --traffic FILE or --mb-per-s N")
    try:
        config = config_from_pulumi_values(load_stack_config(stack), stack=stack)
    except (FileNotFoundError, StackConfigError) as error:
        raise typer.BadParameter(str(error)) from None
    streams = [(tenant, stream) for tenant, stream, _ in config.streams()]
    try:
        per_stream = (
            load_traffic(traffic, streams)
            if traffic is not None
            else uniform_traffic(streams, mb_per_s or 0.0, record_bytes)
        )
    except TrafficError as error:
        raise typer.BadParameter(str(error)) from None
    costs = stack_costs(config, per_stream, account_mib_per_s, commitment_mib_per_s)
    account = AdvantageAccount.for_stack([c.traffic for c in costs], account_mib_per_s, commitment_mib_per_s)
    if json_output:
        typer.echo(orjson.dumps(as_json(stack, costs, account), option=orjson.OPT_INDENT_2).decode())
    else:
        print_report(Console(), stack, costs, account)
