"""`streamctl`: the one command line of the platform, a subcommand per job."""

from __future__ import annotations

import typer

from streamctl.cost.cli import cost_command
from streamctl.lake.cli import app as lake_app
from streamctl.loadtest.cli import app as loadtest_app
from streamctl.local import app as local_app
from streamctl.plan import plan_command
from streamctl.replay.cli import app as replay_app

app = typer.Typer(
    name="streamctl",
    help="Plan, run locally, load-test, replay, query the lake and price the streaming platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("plan")(plan_command)
app.add_typer(local_app, name="local")
app.add_typer(loadtest_app, name="loadtest")
app.add_typer(replay_app, name="replay")
app.add_typer(lake_app, name="lake")
app.command("cost")(cost_command)


if __name__ == "__main__":  # pragma: no cover
    app()
