"""The certificate's decisions: ``ocop recognise`` grants it, ``apply`` opens a new round
(upgrade or re-evaluation) on it, ``revoke`` withdraws it."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer

from cli.case.inputs import bad_input, build, choice, no_extra, parse_date
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
from cli.common import load_model
from contracts import case
from infra.waiting import StillWaitingError, poll_until
from models.case import (
    Application,
    CaseStatus,
    RecognitionDecision,
    RevocationDecision,
    RevocationGround,
)
from models.clock import VIETNAM
from models.dossier import Dossier

NEW_ROUND_SECONDS = 5.0
"""How long `apply` waits for the new round to answer before it says where the case is."""

# ----------------------------------------------------------------- recognise


@case_app.command("recognise", rich_help_panel=PANEL)
def recognise_command(
    level: Annotated[
        str, typer.Option(metavar="LEVEL", help="The recognising level, e.g. district.")
    ],
    authority: Annotated[
        str, typer.Option(metavar="NAME", help="Who decides, e.g. 'UBND huyện Bình Liêu'.")
    ],
    decision: Annotated[
        str, typer.Option(metavar="NUMBER", help="The decision's number, e.g. 125/QĐ-UBND.")
    ],
    on: Annotated[str, typer.Option("--date", metavar="YYYY-MM-DD", help="The decision's date.")],
    certificate: Annotated[str, typer.Option(metavar="NUMBER", help="The certificate's number.")],
    province: ProvinceArg = None,
    product_code: CodeArg = None,
    workflow_id: IdOption = None,
) -> None:
    """Record the recognition decision; the product gets its certificate (36 months)."""
    target, positionals = find_target(province, product_code, workflow_id)
    no_extra(positionals, "recognise")
    recognition = build(
        RecognitionDecision,
        {
            "level": level.strip(),
            "authority": authority,
            "decision_number": decision.strip(),
            "decided_on": parse_date(on, "--date"),
            "certificate_number": certificate.strip(),
        },
    )
    _, status = act(target, "ocop recognise", CaseStep(case.RECOGNISE, recognition))
    issued = status.certificate
    if issued is None:
        say(f"Recognition of {target.label} recorded; {where_now(status)}.")
        return
    say(
        f"{target.title} recognised {int(issued.stars)}★ at {issued.level} level "
        f"by decision {issued.decision_number} of {issued.authority}: certificate "
        f"{issued.number}, valid {issued.valid_from.isoformat()} to "
        f"{issued.valid_until.isoformat()}."
    )


# --------------------------------------------------------------------- apply


@case_app.command("apply", rich_help_panel=PANEL)
def apply_command(
    province: ProvinceArg = None,
    product_code: CodeArg = None,
    dossier_file: Annotated[
        str | None,
        typer.Argument(
            metavar="DOSSIER.yaml",
            help="The new dossier; its registration_kind (upgrade or reevaluation) says "
            "which; see examples/reevaluation-mat-ong.yaml.",
            show_default=False,
        ),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            metavar="YEAR",
            help="The OCOP cycle year of the new round (default: the case's current year).",
            show_default=False,
        ),
    ] = None,
    workflow_id: IdOption = None,
) -> None:
    """Apply for an upgrade or a re-evaluation of a certified product: a new round."""
    target, positionals = find_target(province, product_code, workflow_id, dossier_file)
    if not positionals:
        bad_input("give the DOSSIER.yaml of the application")
    no_extra(positionals[1:], "apply")
    dossier = load_model(Path(positionals[0]), Dossier, "dossier fields")

    async def work(session: CaseSession) -> tuple[Application, CaseStatus]:
        before = await session.status()
        cycle_year = year if year is not None else before.as_of.astimezone(VIETNAM).year
        application = build(Application, {"dossier": dossier, "cycle_year": cycle_year})
        await session.take(CaseStep(case.APPLY, application))
        # The new round is a new run of the case: wait (briefly) until the case answers
        # in it. A status read meanwhile may still come from the closing run.
        status = before

        async def next_round() -> CaseStatus | None:
            nonlocal status
            status = await session.status()
            return status if status.round_number > before.round_number else None

        with contextlib.suppress(StillWaitingError):
            await poll_until(next_round, within=NEW_ROUND_SECONDS, what="the new round")
        return application, status

    application, status = with_case(target, "ocop apply", work)
    kind = application.dossier.registration_kind.value
    say(
        f"Application for {kind} of {target.label} received (cycle {application.cycle_year}); "
        f"{where_now(status)}."
    )


# -------------------------------------------------------------------- revoke


@case_app.command("revoke", rich_help_panel=PANEL)
def revoke_command(
    authority: Annotated[
        str, typer.Option(metavar="NAME", help="Who revokes, e.g. 'UBND tỉnh Quảng Ninh'.")
    ],
    decision: Annotated[
        str, typer.Option(metavar="NUMBER", help="The revocation decision's number.")
    ],
    on: Annotated[str, typer.Option("--date", metavar="YYYY-MM-DD", help="The decision's date.")],
    grounds: Annotated[
        str,
        typer.Option(
            metavar="GROUNDS",
            help="process_not_followed, food_safety, quality_mismatch, design_mismatch, "
            "ceased_production or other.",
        ),
    ],
    province: ProvinceArg = None,
    product_code: CodeArg = None,
    details: Annotated[
        str, typer.Option(metavar="TEXT", help="What was found (shown to the producer).")
    ] = "",
    workflow_id: IdOption = None,
) -> None:
    """Revoke the product's certificate by decision (thu hồi)."""
    target, positionals = find_target(province, product_code, workflow_id)
    no_extra(positionals, "revoke")
    revocation = build(
        RevocationDecision,
        {
            "authority": authority,
            "decision_number": decision.strip(),
            "decided_on": parse_date(on, "--date"),
            "grounds": choice(RevocationGround, grounds, "--grounds"),
            "details": details,
        },
    )
    _, status = act(target, "ocop revoke", CaseStep(case.REVOKE, revocation))
    say(
        f"Certificate of {target.label} revoked by decision {revocation.decision_number} "
        f"({revocation.grounds.value}); {where_now(status)}."
    )
