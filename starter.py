"""The `ocop` command line: administrators, producers' agents, council secretaries, operators."""

from __future__ import annotations

from typing import NoReturn

import typer

from cli.case import case_app
from cli.cycle import cycle_app, submit
from cli.demo import demo
from cli.dev import dev_app
from cli.identity import dev_token, login, whoami
from cli.meetings import meeting_app
from cli.operators import operators_app
from cli.process import run_and_exit

app = typer.Typer(
    name="ocop",
    help="OCOP certification workflows: cycles, dossiers, councils, certificates.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(dev_app, name="dev")
dev_app.command("token")(dev_token)
app.command("login")(login)
app.command("whoami")(whoami)
app.add_typer(cycle_app, name="cycle")
app.command("submit")(submit)
app.add_typer(case_app)  # open, review, supply, score, close-session, … status
app.add_typer(meeting_app, name="meeting")
app.command("demo")(demo)
app.add_typer(operators_app)  # list, history, admin search-attributes


def main() -> NoReturn:
    """The `ocop` console script: run the command, then end the process with its status.

    Not through the interpreter's finalization, where the Temporal SDK's threads can
    crash a process that has already printed its answer (issue 9; see cli.process).
    """
    run_and_exit(app)


if __name__ == "__main__":
    main()
