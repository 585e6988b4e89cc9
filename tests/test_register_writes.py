"""What a case's transitions leave on the register: one product row and one round row kept
up to date through the case, each member's card once per attempt, and a retried write
that changes nothing — on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, select

from activities.register import RegisterActivities
from models.applicants import ApplicantKind, RegistrationKind
from models.case import CaseStage
from models.dossier import Applicant
from models.records import CaseRecord, ProductSnapshot, RoundSnapshot, ScorecardEntry
from models.register import (
    ApplicantRow,
    AuditEventRow,
    EvaluationRoundRow,
    ProductRow,
    ScorecardRow,
)
from models.scorecard import Scorecard
from models.stars import Stars
from tests.fixtures.database import Register

HANOI = timezone(timedelta(hours=7))
STARTED = datetime(2024, 3, 5, 9, 0, tzinfo=HANOI)


def transition(
    step: int,
    action: str,
    stage: CaseStage,
    *,
    level: str | None = "district",
    email: str = "hoptien@example.vn",
    scorecard: ScorecardEntry | None = None,
    stars: Stars | None = None,
) -> CaseRecord:
    return CaseRecord(
        key=f"case-mo:r1:{step:05d}:{action}",
        workflow_id="ocop-product-quang-ninh-mo-bl",
        case_id="case-mo",
        occurred_at=STARTED + timedelta(days=step),
        actor="UBND huyện Bình Liêu",
        action=action,
        product=ProductSnapshot(
            workflow_id="ocop-product-quang-ninh-mo-bl",
            province="quang-ninh",
            locality="binh-lieu",
            product_code="MO-BL",
            product_name="Mật ong Bình Liêu",
            group="food",
            product_set="raw_semi_processed",
            applicant=Applicant(name="HTX Hợp Tiến", kind=ApplicantKind.COOPERATIVE, email=email),
            current_stars=stars,
        ),
        round=RoundSnapshot(
            round_number=1,
            registration_kind=RegistrationKind.FIRST,
            rulebook_id="qd148-2023",
            cycle_year=2024,
            stage=stage,
            level=level,
            stars=stars,
            mean_score=Decimal("72.50") if stars else None,
            started_at=STARTED,
        ),
        scorecard=scorecard,
    )


def card(member: str, part_a: int) -> ScorecardEntry:
    return ScorecardEntry(
        attempt=1,
        scorecard=Scorecard(
            member_id=member,
            level="district",
            part_a=part_a,
            part_b=25,
            part_c=20,
            mandatory_criteria_met=True,
        ),
    )


async def test_a_case_keeps_one_product_row_and_one_round_row_brought_up_to_date(
    register: Register,
) -> None:
    write = RegisterActivities(register.sessions).record_case_event
    assert await write(transition(1, "submitted", CaseStage.LOCAL_REVIEW))
    # The producer changed the address on a later step; the round moved on.
    assert await write(
        transition(2, "accepted", CaseStage.COUNCIL_SCORING, email="banhang@hoptien.vn")
    )
    # A step that names no level keeps the one on record.
    recognised = transition(
        3,
        "recognised",
        CaseStage.CERTIFIED,
        level=None,
        stars=Stars.FOUR,
        email="banhang@hoptien.vn",
    )
    assert await write(recognised)

    async with register() as session:
        products = (await session.execute(select(ProductRow))).scalars().all()
        rounds = (await session.execute(select(EvaluationRoundRow))).scalars().all()
        emails = (await session.execute(select(ApplicantRow.email))).scalars().all()
        audit = await session.scalar(select(func.count()).select_from(AuditEventRow))
    assert [(p.product_code, p.current_stars) for p in products] == [("MO-BL", 4)]
    assert [(r.stage, r.level, r.stars, r.mean_score) for r in rounds] == [
        ("certified", "district", 4, Decimal("72.50"))
    ]
    assert emails == ["banhang@hoptien.vn"]
    assert audit == 3


async def test_a_retried_write_changes_nothing_not_even_a_later_step(register: Register) -> None:
    write = RegisterActivities(register.sessions).record_case_event
    accepted = transition(2, "accepted", CaseStage.COUNCIL_SCORING)
    assert await write(accepted)
    assert await write(transition(3, "recognised", CaseStage.CERTIFIED, stars=Stars.THREE))
    # The first write's attempt, retried after the case had moved on.
    assert await write(accepted) is False

    async with register() as session:
        stage = await session.scalar(select(EvaluationRoundRow.stage))
        audit = await session.scalar(select(func.count()).select_from(AuditEventRow))
    assert (stage, audit) == ("certified", 2)


async def test_each_members_card_is_kept_once_per_attempt(register: Register) -> None:
    write = RegisterActivities(register.sessions).record_case_event
    assert await write(transition(1, "submitted", CaseStage.COUNCIL_SCORING))
    assert await write(
        transition(2, "scored", CaseStage.COUNCIL_SCORING, scorecard=card("member-1", 30))
    )
    assert await write(
        transition(3, "scored", CaseStage.COUNCIL_SCORING, scorecard=card("member-2", 28))
    )
    # member-1's card of the same attempt again, corrected: the row is brought up to date.
    assert await write(
        transition(4, "scored", CaseStage.COUNCIL_SCORING, scorecard=card("member-1", 31))
    )

    async with register() as session:
        cards = (
            await session.execute(
                select(ScorecardRow.member_id, ScorecardRow.part_a, ScorecardRow.total).order_by(
                    ScorecardRow.member_id
                )
            )
        ).all()
    assert cards == [("member-1", 31, 76), ("member-2", 28, 73)]
