"""`streamctl loadtest ...` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="Drive a stack with load and verify what reached the lake.", no_args_is_help=True)
