"""The council's session: ``ocop score`` sends members' scorecards, ``close-session``
closes it (a result, or a re-score when the totals diverge)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.acting import SIGNED_IN
from cli.case.inputs import bad_input, build, no_extra
from cli.case.target import (
    PANEL,
    CodeArg,
    IdOption,
    ProvinceArg,
    case_app,
    find_target,
)
from cli.case.through_api import CaseSession, CaseStep, act, with_case
from cli.case.wording import say, where_now
from cli.common import JsonOption, load_model, plural, print_json
from contracts import case
from models.case import (
    CaseStatus,
    CloseSessionRequest,
    CloseSessionResult,
    ScorecardSubmission,
)
from models.scorecard import Scorecard

# --------------------------------------------------------------------- score


@case_app.command("score", rich_help_panel=PANEL)
def score_command(
    province: ProvinceArg = None,
    product_code: CodeArg = None,
    scorecards: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="SCORECARD.yaml",
            help="A council member's scorecard (member_id, level, part_a, part_b, part_c, "
            "mandatory_criteria_met, comment); several files are sent in order.",
            show_default=False,
        ),
    ] = None,
    workflow_id: IdOption = None,
) -> None:
    """Send your scorecard as the signed-in council member; sending it again replaces it."""
    target, paths = find_target(province, product_code, workflow_id, *(scorecards or ()))
    if not paths:
        bad_input("give at least one SCORECARD.yaml (see examples/scorecard-district-chair.yaml)")
    cards = [load_model(Path(path), Scorecard, "scorecard fields") for path in paths]

    async def work(session: CaseSession) -> CaseStatus:
        for card in cards:
            score = await session.take(
                CaseStep(case.SUBMIT_SCORECARD, ScorecardSubmission(scorecard=card))
            )
            met = "met" if score.mandatory_criteria_met else "NOT met"
            say(
                f"Scorecard of {score.member_id} at {card.level} level for {target.label}: "
                f"A {score.part_a} + B {score.part_b} + C {score.part_c} = {score.total} "
                f"points; mandatory 3★ criteria {met}."
            )
        return await session.status()

    status = with_case(target, "ocop score", work)
    say(
        f"{plural(len(status.scores), 'scorecard')} in for session attempt "
        f"{status.session_attempt}; "
        f"{where_now(status)}."
    )


# ------------------------------------------------------------- close-session


@case_app.command("close-session", rich_help_panel=PANEL)
def close_session_command(
    level: Annotated[
        str, typer.Option("--level", metavar="LEVEL", help="The session's level, e.g. district.")
    ],
    province: ProvinceArg = None,
    product_code: CodeArg = None,
    as_json: JsonOption = False,
    workflow_id: IdOption = None,
) -> None:
    """Close the council session: the result (mean, stars), or a re-score when totals diverge."""
    target, positionals = find_target(province, product_code, workflow_id)
    no_extra(positionals, "close-session")
    request = build(CloseSessionRequest, {"level": level.strip(), "closed_by": SIGNED_IN})
    closed, status = act(target, "ocop close-session", CaseStep(case.CLOSE_SESSION, request))
    if as_json:
        print_json(closed)
        return
    say(_session_outcome(request.level, closed, status))


def _session_outcome(level: str, closed: CloseSessionResult, status: CaseStatus) -> str:
    result = closed.result
    if result is None:
        return (
            f"The {level} council must re-score: {closed.explanation}. Session attempt "
            f"{status.session_attempt} is open: every member sends a scorecard again."
        )
    met = "met" if result.mandatory_criteria_met else "NOT met"
    totals = ", ".join(f"{member} {total}" for member, total in result.member_totals.items())
    return (
        f"The {level} council's result: mean {result.mean} points → {int(result.stars)}★ "
        f"(mandatory 3★ criteria {met}; totals: {totals}); {where_now(status)}."
    )
