"""The Updates a running cycle takes from the command line: ``ocop cycle close`` and
``ocop submit`` (a producer's dossier)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from temporalio.client import Client

from cli.acting import SIGNED_IN, on_cycle
from cli.common import JsonOption, load_model, print_json, print_table, run, validated
from cli.cycle.report import counted, print_report
from cli.cycle.target import (
    ProvinceArg,
    ProvinceOption,
    YearArg,
    YearOption,
    cycle_app,
    update_open_cycle,
)
from cli.cycle.wording import say, when
from contracts import cycle
from infra.settings import Settings
from models.cycle import CycleReport
from models.cycle_messages import CloseCycle, SubmissionReceipt
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

    closed = f"the {year} cycle of {province} is closed already; see `ocop cycle report`"
    step = on_cycle(cycle.CLOSE, request, "ocop cycle close")

    async def action(client: Client, config: Settings) -> CycleReport:
        closing = update_open_cycle(
            client,
            province,
            year,
            step,
            closed,
            f"`ocop cycle status {province} {year}`",
        )
        return await counted(closing, config)  # as `ocop cycle report` shows it

    report = run(action)
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

    closed = (
        f"chu trình OCOP {year} của {province} đã kết thúc — the {year} cycle of {province} "
        "is closed"
    )

    # The signed-in producer submits it: the API refuses a dossier of someone else's.
    step = on_cycle(cycle.SUBMIT, dossier, "ocop submit")

    async def action(client: Client, _: Settings) -> SubmissionReceipt:
        return await update_open_cycle(
            client,
            province,
            year,
            step,
            closed,
            f"`ocop cycle report {province} {year}`",
        )

    receipt = run(action)
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
            ("product", f"{receipt.product_code} · {receipt.product_name}"),
            ("case", receipt.workflow_id),
            ("next", f"ocop status {dossier.province} {receipt.product_code}"),
        ],
    )
