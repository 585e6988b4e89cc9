"""`ocop admin criteria`: the province's tables of criteria — load one, list them.

A table (YAML or JSON, the shape of `examples/criteria/minh-hoa-thuc-pham.yaml`) is
checked and kept in the data folder by its content's SHA-256; a cycle that names its id
in `criteria_tables` is pinned to the content current when it opens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import console, load_model, print_table, settings
from infra.criteria_store import CriteriaStore
from models.criteria import CriteriaSet

criteria_app = typer.Typer(
    help="The province's tables of criteria, which cycles score on.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


@criteria_app.command("load")
def load_command(
    table_file: Annotated[
        Path, typer.Argument(metavar="TABLE.yaml", help="A table of criteria.", show_default=False)
    ],
) -> None:
    """Check a table and keep it; cycles opened from now on take this content."""
    table = load_model(table_file, CriteriaSet, "id, title, source, product_groups, criteria")
    ref = CriteriaStore(settings().data_dir).save(table)
    console.print(
        f"table {ref.id} loaded ({len(table.criteria)} criteria, "
        f"{len(table.mandatory())} mandatory for 3★), sha256 {ref.sha256}",
        highlight=False,
    )


@criteria_app.command("list")
def list_command() -> None:
    """The tables loaded, each with the digest of its current content."""
    store = CriteriaStore(settings().data_dir)
    rows = []
    for ref in store.tables():
        table = store.load(ref)
        rows.append((ref.id, table.title, ", ".join(table.product_groups), ref.sha256 or ""))
    print_table("Bảng tiêu chí / tables of criteria", ("id", "title", "groups", "sha256"), rows)
