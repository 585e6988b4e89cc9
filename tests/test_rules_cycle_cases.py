"""What the cycle opens for a submission, and what its activities decide about a
product's running case: whether it is this submission's own (a retried attempt), and
whether a batch decision may recognise it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from models.applicants import RegistrationKind
from models.case import CaseStage, CaseStatus, Certificate
from models.clock import BusinessClock
from models.cycle_decisions import PlannedDecision
from models.cycle_messages import case_request
from models.cycle_rules import (
    batch_recognition_refusal,
    recognised_by,
    round_of_cycle,
    started_by_cycle,
)
from models.cycle_settings import case_policy
from models.errors import Refusal
from models.stars import Stars
from tests.factories import honey_dossier
from tests.test_rules_cycle_refusals import cycle, status

THIS_CYCLE = "ocop-cycle-quang-ninh-2025"
LAST_CYCLE = "ocop-cycle-quang-ninh-2024"
DECISION = PlannedDecision(
    level="province",
    authority="UBND tỉnh Quảng Ninh",
    authority_key="province:UBND tỉnh Quảng Ninh",
    number="3/2025/QĐ-UBND",
    decided_on=date(2025, 11, 15),
    items=(),
)


def certificate(decision_number: str, authority: str) -> Certificate:
    return Certificate(
        number=f"{decision_number}-001",
        stars=Stars.FOUR,
        level="province",
        authority=authority,
        decision_number=decision_number,
        valid_from=date(2025, 11, 15),
        valid_until=date(2028, 11, 15),
    )


def in_round_of(cycle_workflow_id: str | None) -> CaseStatus:
    return status(CaseStage.LOCAL_REVIEW).model_copy(
        update={"cycle_workflow_id": cycle_workflow_id}
    )


# ------------------------------------------------------------ what a submission opens

CLOCK = BusinessClock.anchored(
    datetime(2025, 3, 4, 2, tzinfo=UTC), datetime(2025, 3, 4, 2, tzinfo=UTC), 1.0, False
)


def test_a_first_submission_opens_a_case_on_the_cycles_clock_and_policy() -> None:
    the_cycle = cycle()
    request = case_request(
        the_cycle, honey_dossier(), cycle_workflow_id=THIS_CYCLE, case_id="c-7", clock=CLOCK
    )
    assert request.application is None
    assert request.cycle_workflow_id == request.case.cycle_workflow_id == THIS_CYCLE
    assert request.case.policy == case_policy(the_cycle)
    assert (request.case.cycle_year, request.case.councils) == (2024, the_cycle.councils)
    carried = request.case.carried
    assert carried is not None
    assert (carried.case_id, carried.clock, carried.round_number) == ("c-7", CLOCK, 1)


def test_an_upgrade_also_brings_the_application_a_certified_case_takes() -> None:
    the_cycle = cycle()
    upgrade = honey_dossier(registration_kind=RegistrationKind.UPGRADE, current_stars=3)
    request = case_request(
        the_cycle, upgrade, cycle_workflow_id=THIS_CYCLE, case_id="c-8", clock=CLOCK
    )
    application = request.application
    assert application is not None
    assert (application.dossier, application.cycle_workflow_id) == (upgrade, THIS_CYCLE)
    assert application.policy == request.case.policy == case_policy(the_cycle)
    assert (application.cycle_year, application.rulebook) == (2024, the_cycle.rulebook)


# --------------------------------------------------------- is it this submission's?


def test_a_case_whose_memo_names_the_cycle_was_started_by_it() -> None:
    assert started_by_cycle(THIS_CYCLE, THIS_CYCLE)
    assert not started_by_cycle(LAST_CYCLE, THIS_CYCLE)
    assert not started_by_cycle(None, THIS_CYCLE)  # started by `ocop submit`: no memo


def test_only_a_round_the_cycle_opened_is_its_own() -> None:
    assert round_of_cycle(in_round_of(THIS_CYCLE), THIS_CYCLE)
    assert not round_of_cycle(in_round_of(LAST_CYCLE), THIS_CYCLE)
    assert not round_of_cycle(in_round_of(None), THIS_CYCLE)


# ------------------------------------------------------------- batch recognition


def test_a_case_holding_this_decisions_certificate_was_recognised_by_it() -> None:
    recognised = status(CaseStage.CERTIFIED, certificate(DECISION.number, DECISION.authority))
    assert recognised_by(recognised, DECISION)


def test_a_decision_numbered_alike_by_another_authority_is_another_decision() -> None:
    elsewhere = status(CaseStage.CERTIFIED, certificate(DECISION.number, "UBND huyện Bình Liêu"))
    assert not recognised_by(elsewhere, DECISION)
    earlier = status(CaseStage.CERTIFIED, certificate("9/2024/QĐ-UBND", DECISION.authority))
    assert not recognised_by(earlier, DECISION)
    assert not recognised_by(status(CaseStage.AWAITING_RECOGNITION), DECISION)


@given(st.sampled_from(CaseStage), st.sampled_from(["district", "province", "central", None]))
def test_a_decision_recognises_only_a_case_awaiting_at_its_level(
    stage: CaseStage, level: str | None
) -> None:
    case = status(stage).model_copy(update={"level": level})
    refusal = batch_recognition_refusal(case, DECISION)
    if stage == CaseStage.AWAITING_RECOGNITION and level == DECISION.level:
        assert refusal is None
    else:
        assert refusal == Refusal(
            "NotAwaitingRecognition",
            f"not awaiting recognition at province (stage {stage.value} at {level})",
        )
