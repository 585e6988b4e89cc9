"""``ocop extend``: give the step a case waits on more working days, with a reason."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from cli.acting import SIGNED_IN
from cli.case.inputs import bad_input, build, choice, no_extra
from cli.case.target import PANEL, CodeArg, IdOption, ProvinceArg, case_app, find_target
from cli.case.through_api import CaseStep, act
from cli.case.wording import say, where_now
from contracts import case
from models.clock import VIETNAM
from models.dates import format_day
from models.deadlines import MAX_EXTENSION_DAYS, DeadlineExtension, DeadlineStep


def _day(moment: datetime) -> str:
    return format_day(moment.astimezone(VIETNAM).date())


@case_app.command("extend", rich_help_panel=PANEL)
def extend_command(
    province: ProvinceArg = None,
    product_code: CodeArg = None,
    step: Annotated[
        str | None,
        typer.Argument(
            metavar="STEP", help="review, supplement or council-scoring.", show_default=False
        ),
    ] = None,
    working_days: Annotated[
        int,
        typer.Option(
            "--days",
            metavar="N",
            help=f"Working days to add (1 to {MAX_EXTENSION_DAYS}).",
            show_default=False,
        ),
    ] = 0,
    reason: Annotated[
        str,
        typer.Option(
            metavar="TEXT", help="Why (required; kept in the register, sent to the producer)."
        ),
    ] = "",
    workflow_id: IdOption = None,
) -> None:
    """Extend the deadline of the step the case is at, before it passes."""
    target, positionals = find_target(province, product_code, workflow_id, step)
    if not positionals:
        bad_input("STEP is missing; accepted values: review, supplement, council-scoring")
    chosen = choice(DeadlineStep, positionals[0], "STEP", hyphens=True)
    no_extra(positionals[1:], "extend")
    if not 1 <= working_days <= MAX_EXTENSION_DAYS:
        bad_input(f"--days: give 1 to {MAX_EXTENSION_DAYS} working days")
    if not reason.strip():
        bad_input("an extension must give its reason: add --reason '…'")
    request = build(
        DeadlineExtension,
        {"step": chosen, "working_days": working_days, "reason": reason, "extended_by": SIGNED_IN},
    )
    granted, status = act(target, "ocop extend", CaseStep(case.EXTEND_DEADLINE, request))
    say(
        f"{chosen.value.replace('_', ' ').capitalize()} of {target.label} extended by "
        f"{granted.working_days} working days, from {_day(granted.due_before)} to "
        f"{_day(granted.due_after)}; {where_now(status)}."
    )
