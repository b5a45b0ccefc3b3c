"""`streamctl local ...` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="Run the platform on a local AWS emulator (moto server).", no_args_is_help=True)
