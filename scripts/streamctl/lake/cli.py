"""`streamctl lake query`: SQL over the lake, in the stack's Athena workgroup or, for a local stack, in DuckDB."""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from emulator.environment import use_emulator
from streamctl.aws_clients import aws_client
from streamctl.lake.athena_engine import run_athena_query
from streamctl.lake.local_engine import run_local_query
from streamctl.lake.pruning import LakeQueryError
from streamctl.lake.table import LakeTableError
from streamctl.stack_outputs import load_stack_outputs, local_endpoint_url, local_outputs_file

app = typer.Typer(
    help="Query the data lake through the Glue table and the views in docs/athena/.", no_args_is_help=True
)
console = Console()
stderr = Console(stderr=True)


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def render(columns: list[str], rows: list[tuple[Any, ...]], output: OutputFormat) -> str | Table:
    """The rows as a rich table, a JSON array of objects, or CSV with a header."""
    if output is OutputFormat.JSON:
        return json.dumps([dict(zip(columns, row, strict=True)) for row in rows], indent=2, default=str)
    if output is OutputFormat.CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    table = Table(*columns)
    for row in rows:
        table.add_row(*("NULL" if value is None else str(value) for value in row))
    return table


@app.command("query")
def query_command(
    stack: Annotated[str, typer.Option("--stack", help="Stack name (dev, staging, prod).")],
    sql: Annotated[str, typer.Option("--sql", help="One Athena (Trino) SQL statement; views of docs/athena/ usable.")],
    output: Annotated[OutputFormat, typer.Option("--format", help="How rows are printed.")] = OutputFormat.TABLE,
) -> None:
    """Run SQL over the lake: locally (DuckDB over the emulator's objects) when the stack is deployed locally,
    else in the stack's Athena workgroup. Prints the rows, then what was read (stderr for json and csv)."""
    try:
        outputs = load_stack_outputs(stack)
    except FileNotFoundError as error:
        raise typer.BadParameter(str(error), param_hint="--stack") from None
    endpoint = local_endpoint_url() if local_outputs_file(stack).exists() else None
    if local_outputs_file(stack).exists() and endpoint is None:
        raise typer.BadParameter(
            f"stack {stack!r} is deployed locally but the emulator is not running (`streamctl local start`)",
            param_hint="--stack",
        )
    try:
        if endpoint is not None:
            use_emulator(endpoint, outputs.region)  # local mode's fake credentials, never the shell's
            s3 = aws_client("s3", region=outputs.region, endpoint_url=endpoint)
            glue = aws_client("glue", region=outputs.region, endpoint_url=endpoint)
            local = run_local_query(sql, s3, glue, outputs.glue_database)
            columns, rows, summary = local.columns, local.rows, f"local lake (DuckDB): {local.stats.summary()}"
        else:
            athena = aws_client("athena", region=outputs.region)
            remote = run_athena_query(sql, athena, outputs.athena_workgroup, outputs.glue_database)
            columns, rows, summary = remote.columns, remote.rows, remote.summary()
    except (LakeQueryError, LakeTableError) as error:
        stderr.print(f"[red]{error}", highlight=False)
        raise typer.Exit(2) from None
    rendered = render(columns, rows, output)
    if isinstance(rendered, Table):
        console.print(rendered)
        console.print(f"{len(rows)} rows; {summary}", highlight=False)
    else:
        typer.echo(rendered)
        stderr.print(f"{len(rows)} rows; {summary}", highlight=False)
