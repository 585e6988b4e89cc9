"""The Updates a running cycle takes from the command line: ``ocop cycle close`` and
``ocop submit`` (a producer's dossier)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.acting import SIGNED_IN, on_cycle
from cli.common import JsonOption, load_model, print_json, print_table, validated
from cli.cycle.report import print_report
from cli.cycle.target import (
    ProvinceArg,
    ProvinceOption,
    YearArg,
    YearOption,
    cycle_app,
)
from cli.cycle.wording import say, when
from contracts import cycle
from models.cycle_messages import CloseCycle
from models.dossier import Dossier

# ------------------------------------------------------------------------ close


@cycle_app.command("close")
def close_command(
    province: ProvinceArg,
    year: YearArg,
    reason: Annotated[str, typer.Option("--reason", help="A note for the report.")] = "",
    json_output: JsonOption = False,
) -> None:
    """Close the cycle: closing decisions for products still awaiting, then the report
    is emailed to the administrators and recorded in the register."""
    request = validated(CloseCycle, {"closed_by": SIGNED_IN, "reason": reason}, "--reason")

    # The API's answer counts the ledger's mail figures, as `ocop cycle report` does.
    report = on_cycle(
        province,
        year,
        cycle.CLOSE,
        request,
        "ocop cycle close",
        closed=f"the {year} cycle of {province} is closed already; see `ocop cycle report`",
        check=f"`ocop cycle status {province} {year}`",
    )
    if json_output:
        print_json(report)
        return
    say(
        f"Đã kết thúc chu trình — cycle {report.cycle} closed; "
        "the report goes to the administrators."
    )
    print_report(report)


# ----------------------------------------------------------------------- submit


def submit(
    dossier_file: Annotated[
        Path,
        typer.Argument(
            metavar="DOSSIER",
            help="The dossier (JSON or YAML); see examples/dossier-*.yaml.",
            show_default=False,
        ),
    ],
    province: ProvinceOption,
    year: YearOption,
    json_output: JsonOption = False,
) -> None:
    """Submit a producer's dossier to the province's cycle of a year.

    The cycle refuses it outside its submission window, for a product already in the
    cycle, or for a dossier of another province or locality; an accepted dossier opens
    the product's case (or a re-evaluation / upgrade round on its certified case).
    """
    dossier = load_model(dossier_file, Dossier, "dossier fields")

    # The signed-in producer submits it: the API refuses a dossier of someone else's.
    receipt = on_cycle(
        province,
        year,
        cycle.SUBMIT,
        dossier,
        "ocop submit",
        closed=(
            f"chu trình OCOP {year} của {province} đã kết thúc — the {year} cycle of "
            f"{province} is closed"
        ),
        check=f"`ocop cycle report {province} {year}`",
    )
    if json_output:
        print_json(receipt)
        return
    say(
        f"Đã tiếp nhận hồ sơ sản phẩm “{receipt.product_name}” ngày {when(receipt.received_on)} "
        f"— dossier received ({receipt.action.value})."
    )
    print_table(
        receipt.cycle,
        ("", ""),
        [
            ("dossier number", receipt.dossier_number or "—"),
            ("product", f"{receipt.product_code} · {receipt.product_name}"),
            ("case", receipt.workflow_id),
            (
                "next",
                f"ocop status {receipt.dossier_number}"
                if receipt.dossier_number
                else f"ocop status {dossier.province} {receipt.product_code}",
            ),
        ],
    )
