"""What a product's case may accept: every refusal of every human step, and the yes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.applicants import RegistrationKind
from models.case import (
    Application,
    CaseStage,
    Certificate,
    CloseSessionRequest,
    RecognitionDecision,
    ReviewAction,
    ReviewDecision,
    RevocationDecision,
    RevocationGround,
    SupplementSubmission,
    rejection_refusal,
)
from models.case_rules import (
    CaseState,
    application_refusal,
    close_refusal,
    recognition_refusal,
    reevaluation_opens,
    requested_documents_refusal,
    review_refusal,
    revocation_refusal,
    scorecard_refusal,
    session_refusal,
    supplement_refusal,
    upgrade_outcome,
    upgrade_refusal,
)
from models.catalogue import DocumentKind
from models.dossier import MAX_DOCUMENT_BYTES, DocumentRef, Dossier, document_size_refusal
from models.errors import Refusal
from models.rulebook import QD148_2023, Forward, NoCertificate, Recognise
from models.scorecard import Scorecard
from models.stars import Stars
from models.validity import validity_period
from tests.factories import council, document, honey_dossier

TODAY = date(2024, 10, 15)
SCORING = tuple(level.name for level in QD148_2023.levels if level.scores)


def case(**changes: Any) -> CaseState:
    fields: dict[str, Any] = {
        "stage": CaseStage.LOCAL_REVIEW,
        "level": "district",
        "dossier": honey_dossier(),
        "rulebook": QD148_2023,
        "councils": tuple(council(level) for level in SCORING),
        "today": TODAY,
    }
    return CaseState(**(fields | changes))


def refusal_type(refusal: Refusal | None) -> str | None:
    return refusal.type if refusal is not None else None


# ------------------------------------------------------------------ review


def review(action: ReviewAction, **changes: Any) -> ReviewDecision:
    reason = "Trùng sản phẩm" if action == ReviewAction.REJECT else ""
    return ReviewDecision(action=action, reviewer="Phòng Nông nghiệp", reason=reason, **changes)


@pytest.mark.parametrize("action", list(ReviewAction))
def test_a_complete_dossier_in_review_takes_any_decision(action: ReviewAction) -> None:
    documents = (DocumentKind.TEST_RESULTS,) if action == ReviewAction.REQUEST_SUPPLEMENT else ()
    assert review_refusal(review(action, documents_requested=documents), case()) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"stage": CaseStage.COUNCIL_SCORING},
        {"stage": CaseStage.CERTIFIED},
        {"review_pending": True},
    ],
)
def test_a_review_is_refused_outside_review_or_while_one_is_pending(
    changes: dict[str, Any],
) -> None:
    refusal = review_refusal(review(ReviewAction.ACCEPT), case(**changes))
    stage = changes.get("stage", CaseStage.LOCAL_REVIEW)
    assert refusal == Refusal(
        "WrongStage", f"this case is not awaiting a review decision (stage: {stage.value})"
    )


def test_no_accept_while_documents_are_missing() -> None:
    incomplete = case(dossier=honey_dossier(complete=False))
    assert review_refusal(review(ReviewAction.ACCEPT), incomplete) == Refusal(
        "IncompleteDossier",
        "the dossier cannot be accepted while documents are missing: test_results; "
        "request a supplement instead",
    )
    # The supplement asks for what is missing; a rejection needs nothing more.
    assert review_refusal(review(ReviewAction.REQUEST_SUPPLEMENT), incomplete) is None
    assert review_refusal(review(ReviewAction.REJECT), incomplete) is None


def test_a_supplement_of_a_complete_dossier_must_name_what_to_bring() -> None:
    assert review_refusal(review(ReviewAction.REQUEST_SUPPLEMENT), case()) == Refusal(
        "NothingToRequest",
        "nothing is missing from this dossier: name the documents to request "
        "in documents_requested",
    )


# A tab is refused on arrival as an invisible character (models.text), a blank line is not.
@pytest.mark.parametrize("reason", ["", "   ", "\n "])
def test_a_rejection_must_give_its_reason(reason: str) -> None:
    assert rejection_refusal(ReviewAction.REJECT, reason) == Refusal(
        "ReasonMissing", "a rejection must give its reason"
    )
    assert rejection_refusal(ReviewAction.REJECT, "Trùng sản phẩm") is None
    assert rejection_refusal(ReviewAction.ACCEPT, reason) is None
    assert rejection_refusal(ReviewAction.REQUEST_SUPPLEMENT, reason) is None
    # The decision itself is refused on arrival by the same rule.
    with pytest.raises(ValueError, match="a rejection must give its reason"):
        ReviewDecision(action=ReviewAction.REJECT, reviewer="Phòng Nông nghiệp", reason=reason)


@pytest.mark.parametrize("action", [ReviewAction.ACCEPT, ReviewAction.REJECT])
def test_documents_to_bring_go_only_with_a_supplement_request(action: ReviewAction) -> None:
    wanted = (DocumentKind.TEST_RESULTS,)
    assert requested_documents_refusal(action, wanted) == Refusal(
        "NotASupplementRequest",
        f"documents to bring are named only when requesting a supplement, not with {action.value}",
    )
    assert requested_documents_refusal(action, ()) is None
    assert requested_documents_refusal(ReviewAction.REQUEST_SUPPLEMENT, wanted) is None
    assert requested_documents_refusal(ReviewAction.REQUEST_SUPPLEMENT, ()) is None


@pytest.mark.parametrize("action", [ReviewAction.ACCEPT, ReviewAction.REJECT])
def test_the_case_refuses_documents_to_bring_with_a_decision_that_is_no_request(
    action: ReviewAction,
) -> None:
    # The validator asks the rule the CLI asks: an accept with documents is not
    # silently taken as a plain accept.
    decision = review(action, documents_requested=(DocumentKind.TEST_RESULTS,))
    assert review_refusal(decision, case()) == requested_documents_refusal(
        action, decision.documents_requested
    )


# -------------------------------------------------------------- supplement


@given(st.integers(-1, MAX_DOCUMENT_BYTES + 2))
def test_a_document_has_at_least_one_byte_and_at_most_200_mb(size: int) -> None:
    refusal = document_size_refusal("kiem-nghiem.pdf", size)
    if size <= 0:
        assert refusal == Refusal(
            "EmptyDocument", "kiem-nghiem.pdf is empty: hand in the document itself"
        )
    elif size > MAX_DOCUMENT_BYTES:
        assert refusal == Refusal(
            "DocumentTooLarge",
            f"kiem-nghiem.pdf has {size} bytes; a document may have at most 200 MB",
        )
    else:
        assert refusal is None


def test_the_document_limit_is_the_dossiers_own() -> None:
    assert MAX_DOCUMENT_BYTES == 200 * 1024 * 1024
    assert document_size_refusal("a.pdf", MAX_DOCUMENT_BYTES) is None
    assert document_size_refusal("a.pdf", MAX_DOCUMENT_BYTES + 1) is not None
    too_large = document(DocumentKind.TEST_RESULTS).model_dump() | {
        "size_bytes": MAX_DOCUMENT_BYTES + 1
    }
    with pytest.raises(ValueError, match="less than or equal to 209715200"):
        DocumentRef.model_validate(too_large)


SUPPLEMENT = SupplementSubmission(
    submitted_by="HTX Hợp Tiến", documents=(document(DocumentKind.TEST_RESULTS),)
)


def test_a_supplement_is_taken_only_when_one_was_requested_and_not_yet_brought() -> None:
    assert supplement_refusal(SUPPLEMENT, case(stage=CaseStage.AWAITING_SUPPLEMENT)) is None
    assert supplement_refusal(SUPPLEMENT, case()) == Refusal(
        "WrongStage", "no supplement has been requested for this case (stage: local_review)"
    )
    brought = case(stage=CaseStage.AWAITING_SUPPLEMENT, supplement_pending=True)
    assert refusal_type(supplement_refusal(SUPPLEMENT, brought)) == "WrongStage"


# ---------------------------------------------------------- council session


def in_session(**changes: Any) -> CaseState:
    return case(**({"stage": CaseStage.COUNCIL_SCORING, "session_open": True} | changes))


def card(member: str, level: str = "district", **parts: Any) -> Scorecard:
    values = {"part_a": 25, "part_b": 15, "part_c": 22, "mandatory_criteria_met": True} | parts
    return Scorecard(member_id=member, level=level, **values)


def test_the_session_must_be_open_and_at_the_level_named() -> None:
    assert session_refusal("district", in_session()) is None
    assert session_refusal("district", in_session(session_open=False)) == Refusal(
        "SessionClosed", "no council session is open for this case (stage: council_scoring)"
    )
    assert refusal_type(session_refusal("district", case(session_open=True))) == "SessionClosed"
    assert session_refusal("province", in_session()) == Refusal(
        "WrongLevel", "the open session is at district level, not province"
    )


def test_a_members_scorecard_within_the_maxima_is_taken() -> None:
    assert scorecard_refusal(card("district-m1"), in_session()) is None


def test_scorecards_outside_the_session_the_council_or_the_maxima_are_refused() -> None:
    assert refusal_type(scorecard_refusal(card("district-m1"), case())) == "SessionClosed"
    assert refusal_type(scorecard_refusal(card("province-m1", "province"), in_session())) == (
        "WrongLevel"
    )
    stranger = scorecard_refusal(card("ong-ba-lan"), in_session())
    assert stranger is not None and stranger.type == "ScorecardRefused"
    assert stranger.message.startswith("'ong-ba-lan' is not a member of the district council")
    too_many = scorecard_refusal(card("district-m1", part_a=41), in_session())
    assert too_many is not None and too_many.type == "ScorecardRefused"
    assert "part_a has 41 points but its maximum is 40" in too_many.message


def scored(*members: str) -> dict[str, Scorecard]:
    return {member: card(member) for member in members}


def test_a_session_closes_at_quorum_even_when_a_rescore_follows() -> None:
    close = CloseSessionRequest(level="district", closed_by="Thư ký hội đồng")
    quorum = scored("district-chair", "district-m1", "district-m2", "district-m3")
    assert close_refusal(close, in_session(scorecards=quorum)) is None
    apart = quorum | {"district-m4": card("district-m4", part_a=40, part_b=25, part_c=35)}
    assert close_refusal(close, in_session(scorecards=apart)) is None


def test_a_session_without_quorum_or_not_open_does_not_close() -> None:
    close = CloseSessionRequest(level="district", closed_by="Thư ký hội đồng")
    three = scored("district-chair", "district-m1", "district-m2")
    assert close_refusal(close, in_session(scorecards=three)) == Refusal(
        "QuorumMissing",
        "the session cannot close: quorum not reached: 3 of the 4 scorecards needed; "
        "not yet scored: district-m3, district-m4",
    )
    no_chair = scored("district-m1", "district-m2", "district-m3", "district-m4")
    refusal = close_refusal(close, in_session(scorecards=no_chair))
    assert refusal is not None and "the chair has not scored" in refusal.message
    assert refusal_type(close_refusal(close, case(scorecards=three))) == "SessionClosed"
    elsewhere = CloseSessionRequest(level="province", closed_by="Thư ký hội đồng")
    assert refusal_type(close_refusal(elsewhere, in_session(scorecards=three))) == "WrongLevel"


# ------------------------------------------------------------- recognition

RESULT_ON = date(2024, 9, 20)


def awaiting(**changes: Any) -> CaseState:
    return case(
        **(
            {
                "stage": CaseStage.AWAITING_RECOGNITION,
                "recognition_level": "district",
                "result_on": RESULT_ON,
            }
            | changes
        )
    )


def decision(decided_on: date = TODAY, level: str = "district") -> RecognitionDecision:
    return RecognitionDecision(
        level=level,
        authority="UBND huyện Bình Liêu",
        decision_number="125/QĐ-UBND",
        decided_on=decided_on,
        certificate_number="QN-OCOP-0215",
    )


def test_a_decision_for_the_awaited_level_dated_between_result_and_today_is_taken() -> None:
    assert recognition_refusal(decision(), awaiting()) is None


def test_recognition_is_refused_at_the_wrong_stage_or_level() -> None:
    assert recognition_refusal(decision(), case()) == Refusal(
        "WrongStage", "this case is not awaiting a recognition decision (stage: local_review)"
    )
    pending = awaiting(recognition_pending=True)
    assert refusal_type(recognition_refusal(decision(), pending)) == "WrongStage"
    assert recognition_refusal(decision(level="province"), awaiting()) == Refusal(
        "WrongLevel", "this product is to be recognised at district level, not province"
    )


def test_a_decision_before_the_result_or_in_the_future_is_refused() -> None:
    assert recognition_refusal(decision(date(2024, 9, 19)), awaiting()) == Refusal(
        "DecisionBeforeResult",
        "a decision dated 2024-09-19 precedes the council result it recognises (2024-09-20)",
    )
    assert recognition_refusal(decision(date(2024, 10, 16)), awaiting()) == Refusal(
        "DecisionInFuture", "a decision dated 2024-10-16 is in the future (today is 2024-10-15)"
    )


@given(st.dates(date(2024, 1, 1), date(2025, 12, 31)))
def test_exactly_the_days_from_the_result_to_today_are_accepted(day: date) -> None:
    refusal = recognition_refusal(decision(day), awaiting())
    if day < RESULT_ON:
        assert refusal_type(refusal) == "DecisionBeforeResult"
    elif day > TODAY:
        assert refusal_type(refusal) == "DecisionInFuture"
    else:
        assert refusal is None


# ------------------------------------------------- application and upgrade

PERIOD = validity_period(date(2024, 10, 15))
CERTIFICATE = Certificate(
    number="QN-OCOP-0215",
    stars=Stars.THREE,
    level="district",
    authority="UBND huyện Bình Liêu",
    decision_number="125/QĐ-UBND",
    valid_from=PERIOD.valid_from,
    valid_until=PERIOD.valid_until,
)


def certified(stars: Stars = Stars.THREE, **changes: Any) -> CaseState:
    fields: dict[str, Any] = {
        "stage": CaseStage.CERTIFIED,
        "round_active": False,
        "certificate": CERTIFICATE.model_copy(update={"stars": stars}),
        "current_stars": stars,
    }
    return case(**(fields | changes))


def application(
    kind: RegistrationKind = RegistrationKind.UPGRADE, stars: int = 3, **changes: Any
) -> Application:
    dossier = honey_dossier(registration_kind=kind, current_stars=stars)
    if changes:
        dossier = Dossier.model_validate(dossier.model_dump() | changes)
    return Application(dossier=dossier, cycle_year=2025)


def test_an_upgrade_of_a_certified_product_between_rounds_is_taken() -> None:
    assert application_refusal(application(), certified()) is None


@pytest.mark.parametrize(
    "changes",
    [{"round_active": True}, {"certificate": None}, {"application_pending": True}],
)
def test_an_application_needs_a_valid_certificate_and_no_round_in_progress(
    changes: dict[str, Any],
) -> None:
    assert application_refusal(application(), certified(**changes)) == Refusal(
        "WrongStage",
        "an application for upgrade or re-evaluation needs a valid certificate and no "
        "round in progress (stage: certified)",
    )


def test_an_application_must_be_for_this_product_and_state_its_stars() -> None:
    assert application_refusal(application(product_code="MAM-NGU"), certified()) == Refusal(
        "WrongProduct", "this case is product MO-BINHLIEU of quang-ninh, not MAM-NGU of quang-ninh"
    )
    wrong_stars = application_refusal(application(stars=4), certified())
    assert wrong_stars is not None and wrong_stars.type == "WrongStars"
    assert wrong_stars.message.startswith("the product holds 3★ now; the application says ")


def test_a_five_star_product_cannot_be_upgraded_but_can_be_reevaluated() -> None:
    five = certified(Stars.FIVE, today=PERIOD.valid_until)
    assert application_refusal(application(stars=5), five) == Refusal(
        "NoUpgrade", "a 5★ product cannot be upgraded"
    )
    reevaluation = application(RegistrationKind.REEVALUATION, stars=5)
    assert application_refusal(reevaluation, five) is None
    assert upgrade_refusal(RegistrationKind.UPGRADE, Stars.FIVE) == Refusal(
        "NoUpgrade", "a 5★ product cannot be upgraded"
    )
    for stars in (None, Stars.THREE, Stars.FOUR):
        assert upgrade_refusal(RegistrationKind.UPGRADE, stars) is None
    assert upgrade_refusal(RegistrationKind.REEVALUATION, Stars.FIVE) is None


def test_a_reevaluation_opens_its_window_days_before_expiry() -> None:
    opens = reevaluation_opens(CERTIFICATE, certified().policy)
    assert opens == PERIOD.expires_on - timedelta(days=180) == date(2027, 4, 19)
    early = application_refusal(
        application(RegistrationKind.REEVALUATION), certified(today=opens - timedelta(days=1))
    )
    assert early == Refusal(
        "TooEarly",
        "re-evaluation opens on 2027-04-19, 180 days before expiry; "
        "to seek more stars now, apply for an upgrade",
    )
    on_time = certified(today=opens)
    assert application_refusal(application(RegistrationKind.REEVALUATION), on_time) is None
    # An upgrade may come at any time of the certificate's validity.
    assert application_refusal(application(), certified(today=PERIOD.valid_from)) is None


@given(
    offset=st.integers(-400, 400),
    window=st.integers(1, 3650),
)
def test_reevaluation_is_refused_exactly_before_the_window(offset: int, window: int) -> None:
    state = certified()
    policy = state.policy.model_copy(update={"reevaluation_window_days": window})
    state = replace(state, policy=policy)
    opens = reevaluation_opens(CERTIFICATE, state.policy)
    refusal = application_refusal(
        application(RegistrationKind.REEVALUATION),
        replace(state, today=opens + timedelta(days=offset)),
    )
    assert (refusal_type(refusal) == "TooEarly") is (offset < 0)
    assert (refusal is None) is (offset >= 0)


@given(
    won=st.sampled_from([Stars.THREE, Stars.FOUR, Stars.FIVE]),
    held=st.sampled_from([None, Stars.THREE, Stars.FOUR, Stars.FIVE]),
    kind=st.sampled_from(list(RegistrationKind)),
)
def test_an_upgrade_is_recognised_only_above_the_stars_held(
    won: Stars, held: Stars | None, kind: RegistrationKind
) -> None:
    routing = Recognise(level="province", stars=won)
    outcome = upgrade_outcome(routing, kind, held)
    if kind == RegistrationKind.UPGRADE and held is not None and won <= held:
        assert outcome == NoCertificate(
            stars=won,
            reason=f"the upgrade needs more than the {int(held)}★ held now; "
            "the current certificate stays as it is",
        )
    else:
        assert outcome is routing


def test_routings_other_than_recognition_pass_an_upgrade_unchanged() -> None:
    forward = Forward(to_level="central")
    assert upgrade_outcome(forward, RegistrationKind.UPGRADE, Stars.FOUR) is forward
    none = NoCertificate(stars=Stars.TWO, reason="45 points is below the 50 needed for 3★")
    assert upgrade_outcome(none, RegistrationKind.UPGRADE, Stars.FOUR) is none


# -------------------------------------------------------------- revocation


def revocation(decided_on: date) -> RevocationDecision:
    return RevocationDecision(
        authority="UBND tỉnh Quảng Ninh",
        decision_number="77/QĐ-UBND",
        decided_on=decided_on,
        grounds=RevocationGround.FOOD_SAFETY,
    )


def test_a_valid_certificate_is_revoked_from_its_first_day_on() -> None:
    assert revocation_refusal(revocation(PERIOD.valid_from), certified()) is None
    # A round under way (an upgrade) does not shield the certificate it started from.
    assert revocation_refusal(revocation(TODAY), certified(round_active=True)) is None


def test_no_revocation_without_a_valid_certificate_or_before_it() -> None:
    assert revocation_refusal(revocation(TODAY), case()) == Refusal(
        "WrongStage", "there is no valid certificate to revoke (stage: local_review)"
    )
    revoked = certified(revoked=True, stage=CaseStage.REVOKED)
    assert revocation_refusal(revocation(TODAY), revoked) == Refusal(
        "WrongStage", "there is no valid certificate to revoke (stage: revoked)"
    )
    before = PERIOD.valid_from - timedelta(days=1)
    assert revocation_refusal(revocation(before), certified()) == Refusal(
        "DecisionBeforeCertificate",
        "a revocation dated 2024-10-14 precedes the certificate it revokes (2024-10-15)",
    )
