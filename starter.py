"""The `ocop` command line: administrators, producers' agents, council secretaries, operators."""

from __future__ import annotations

import typer

from cli.case import case_app
from cli.cycle import cycle_app, submit
from cli.demo import demo
from cli.dev import dev_app
from cli.operators import operators_app

app = typer.Typer(
    name="ocop",
    help="OCOP certification workflows: cycles, dossiers, councils, certificates.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(dev_app, name="dev")
app.add_typer(cycle_app, name="cycle")
app.command("submit")(submit)
app.add_typer(case_app)  # open, review, supply, score, close-session, … status
app.command("demo")(demo)
app.add_typer(operators_app)  # list, history, admin search-attributes


def main() -> None:
    app()


if __name__ == "__main__":
    main()
