"""What others read of a case, built from its state by pure functions.

Nothing here calls Temporal: the workflow id and the business time come in as
arguments, so each view is a function of the state and can be read (or tested) alone.
"""

from __future__ import annotations

from datetime import date, datetime

from temporalio import workflow

from workflows.case.state import LifecycleState

with workflow.unsafe.imports_passed_through():
    from models.case import CaseStage, CaseStatus, LifecycleInput, MemberScore
    from models.case_rules import CaseState
    from models.clock import VIETNAM
    from models.cycle import CaseProgress
    from models.dossier import missing_documents
    from models.records import ProductSnapshot, RoundSnapshot
    from models.scorecard import Scorecard
    from models.working_days import ReviewClockReading


def rules_view(state: LifecycleState, input: LifecycleInput, today: date) -> CaseState:
    """Where the case stands, for the rules deciding what it may accept now."""
    carried, this_round = state.carried, state.round
    session, requests = this_round.session, this_round.requests
    return CaseState(
        stage=this_round.stage,
        level=this_round.level,
        dossier=this_round.dossier,
        rulebook=input.rulebook,
        councils=input.councils,
        criteria=input.criteria,
        policy=input.policy,
        today=today,
        round_active=this_round.active,
        session_open=session.open,
        scorecards=session.scorecards,
        recognition_level=this_round.recognition_level,
        result_on=this_round.result_on,
        certificate=carried.certificate,
        current_stars=carried.current_stars,
        revoked=this_round.revoked,
        review_pending=requests.review is not None,
        supplement_pending=requests.supplement is not None,
        recognition_pending=requests.recognition is not None,
        application_pending=requests.application is not None,
    )


def member_score(card: Scorecard) -> MemberScore:
    return MemberScore(
        member_id=card.member_id,
        total=card.total,
        part_a=card.part_a,
        part_b=card.part_b,
        part_c=card.part_c,
        mandatory_criteria_met=card.meets_mandatory,
    )


def case_status(
    state: LifecycleState,
    input: LifecycleInput,
    *,
    workflow_id: str,
    as_of: datetime,
    emails_queued: int,
    register_writes_pending: int,
) -> CaseStatus:
    """The `status` query's answer."""
    carried, this_round = state.carried, state.round
    dossier = this_round.dossier
    return CaseStatus(
        workflow_id=workflow_id,
        case_id=carried.case_id,
        province=dossier.province,
        locality=dossier.locality,
        product_code=dossier.product_code,
        product_name=dossier.product_name,
        rulebook=input.rulebook.id,
        round_number=carried.round_number,
        dossier_number=input.dossier_number,
        registration_kind=dossier.registration_kind,
        cycle_year=input.cycle_year,
        stage=this_round.stage,
        level=this_round.level,
        session_attempt=this_round.session.attempt,
        scores=[member_score(card) for _, card in sorted(this_round.session.scorecards.items())],
        last_result=this_round.last_result,
        missing_documents=list(this_round.requested_documents or missing_documents(dossier))
        if this_round.active
        else [],
        certificate=carried.certificate,
        current_stars=carried.current_stars,
        next_deadline=this_round.next_deadline,
        decisions=list(carried.decisions),
        rounds=list(carried.rounds),
        as_of=as_of,
        emails_queued=emails_queued,
        register_writes_pending=register_writes_pending,
        cycle_workflow_id=input.cycle_workflow_id,
        clock=carried.clock,
        review_clock=_review_clock_reading(state, input, as_of),
        expired_certificate=this_round.expired_certificate,
        extensions=list(this_round.extensions),
        review_escalated=this_round.review_escalated,
        documents=list(dossier.documents),
        supplement_days=input.policy.supplement_deadline_days,
        supplement_in_working_days=input.policy.working_calendar is not None,
        local_assessment=this_round.local_assessment,
        council_meeting=this_round.session.meeting,
    )


def _review_clock_reading(
    state: LifecycleState, input: LifecycleInput, as_of: datetime
) -> ReviewClockReading | None:
    clock, calendar = state.round.review_clock, input.policy.working_calendar
    if clock is None or calendar is None:
        return None
    return clock.reading(calendar, as_of.astimezone(VIETNAM).date())


def product_snapshot(state: LifecycleState, workflow_id: str) -> ProductSnapshot:
    """The product as the register's row of this transition shows it."""
    dossier = state.round.dossier
    return ProductSnapshot(
        workflow_id=workflow_id,
        province=dossier.province,
        locality=dossier.locality,
        product_code=dossier.product_code,
        product_name=dossier.product_name,
        group=dossier.group,
        product_set=dossier.product_set,
        applicant=dossier.applicant,
        current_stars=state.carried.current_stars,
    )


def round_snapshot(state: LifecycleState, input: LifecycleInput) -> RoundSnapshot:
    """The round as the register's row of this transition shows it (ended or not)."""
    carried, this_round = state.carried, state.round
    rounds = carried.rounds
    last = rounds[-1] if rounds and rounds[-1].round_number == carried.round_number else None
    return RoundSnapshot(
        round_number=carried.round_number,
        registration_kind=this_round.dossier.registration_kind,
        rulebook_id=input.rulebook.id,
        cycle_year=input.cycle_year,
        stage=this_round.stage,
        level=this_round.level,
        mean_score=last.mean if last else None,
        stars=last.stars if last else None,
        outcome=last.outcome.value if last else None,
        started_at=this_round.started_at,
        ended_at=last.ended_at if last else None,
    )


def case_progress(state: LifecycleState, workflow_id: str) -> CaseProgress:
    """What the round's annual cycle is told at each stage change."""
    this_round, dossier = state.round, state.round.dossier
    return CaseProgress(
        workflow_id=workflow_id,
        product_code=dossier.product_code,
        locality=dossier.locality,
        applicant_kind=dossier.applicant.kind,
        registration_kind=dossier.registration_kind,
        round_number=state.carried.round_number,
        stage=this_round.stage,
        level=this_round.level,
        stars=state.carried.current_stars,
        awaiting_recognition=this_round.stage == CaseStage.AWAITING_RECOGNITION,
        event_seq=state.carried.event_seq,
    )
