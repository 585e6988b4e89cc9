"""The bounds are proved, not guessed: the largest input each model accepts is small enough.

Each `largest_*` builds the biggest instance its model accepts: every free string at
its maximum length in four-byte UTF-8 characters (the most a character takes), every
pattern-bound string at its longest form, every email at 254 bytes, every list at its
maximum count. If a field loses its limit or a limit grows, the model either refuses
these builders' extra-large neighbours (`test_one_more_is_refused`) or the encoded
size goes over `MAX_REQUEST_BYTES` here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from contracts.wire import DATA_CONVERTER
from models.bounds import (
    MAX_ADMINISTRATORS,
    MAX_AUTHORITIES,
    MAX_COUNCIL_MEMBERS,
    MAX_DOCUMENTS,
    MAX_DOCUMENTS_REQUESTED,
    MAX_FREE_TEXT_CHARS,
    MAX_ID_CHARS,
    MAX_LEVELS,
    MAX_LOCALITIES,
    MAX_NAME_CHARS,
    MAX_PERSON_NAME_CHARS,
    MAX_REMINDERS,
    MAX_REQUEST_BYTES,
    MAX_TITLE_CHARS,
    MAX_WORKFLOW_ID_CHARS,
    TEMPORAL_PAYLOAD_ERROR_BYTES,
    TEMPORAL_PAYLOAD_WARN_BYTES,
    request_size_refusal,
)
from models.case import (
    Application,
    CasePolicy,
    CaseStage,
    CloseSessionRequest,
    Contact,
    LifecycleInput,
    RecognitionDecision,
    ReviewAction,
    ReviewDecision,
    RevocationDecision,
    RevocationGround,
    ScorecardSubmission,
    SupplementSubmission,
)
from models.case_rules import CaseState, supplement_refusal
from models.catalogue import DocumentKind
from models.council import Council, CouncilMember, CouncilRole
from models.cycle_messages import CloseCycle, CycleCaseRequest
from models.cycle_settings import (
    CycleInput,
    CycleSettings,
    DecisionAuthority,
    ScheduledCycles,
    cycle_input,
)
from models.dossier import Applicant, DocumentRef, Dossier
from models.errors import Refusal
from models.rulebook import QD148_2023, LevelRule, Rulebook
from models.scorecard import Scorecard
from models.stars import Stars
from tests.factories import council, document, honey_dossier

WIDE = "𝔸"  # MATHEMATICAL DOUBLE-STRUCK CAPITAL A: a letter of four bytes in UTF-8


def text(chars: int) -> str:
    return WIDE * chars


def code(chars: int = 64) -> str:
    return "c" * chars


def number() -> str:
    return WIDE * 64  # DocumentNumber: \w[\w./ -]{0,63}


def email(tag: int = 0) -> str:
    local = f"{tag:064d}"
    return f"{local}@{'b' * 63}.{'b' * 63}.{'c' * 57}.com"  # 254 bytes


def encoded_bytes(value: Any) -> int:
    return sum(p.ByteSize() for p in DATA_CONVERTER.payload_converter.to_payloads([value]))


def ident(tag: int) -> str:
    label = f"{tag:03d}"
    return label + WIDE * (MAX_ID_CHARS - len(label))


# ---------------------------------------------------------------- the builders


def largest_document(tag: int) -> DocumentRef:
    label = f"{tag:03d}"
    return DocumentRef(
        file_name=label + text(MAX_NAME_CHARS - len(label)),
        kind=DocumentKind.TOURISM_OPERATING_CONDITIONS,
        sha256="f" * 64,
        size_bytes=200 * 1024 * 1024,
    )


def largest_dossier() -> Dossier:
    return Dossier(
        province=code(),
        locality=code(),
        product_code=code(),
        product_name=text(MAX_NAME_CHARS),
        applicant=Applicant(
            name=text(MAX_NAME_CHARS),
            kind="cooperative_group",
            email=email(),
            phone="+" + "9" * 20,
            preferred_language="en",
        ),
        group="food",
        product_set="processed_food",
        registration_kind="reevaluation",
        self_assessed_score=100,
        current_stars=5,
        documents=tuple(largest_document(i) for i in range(MAX_DOCUMENTS)),
    )


def largest_rulebook() -> Rulebook:
    levels = [
        LevelRule(
            name=ident(i),
            authority_vi=text(MAX_NAME_CHARS),
            authority_en=text(MAX_NAME_CHARS),
            reviews_dossier=True,
            scores=True,
            recognises=frozenset({Stars.THREE, Stars.FOUR, Stars.FIVE}),
            forward_at=Decimal("99.99"),
        )
        for i in range(MAX_LEVELS)
    ]
    return Rulebook(
        id="r" * MAX_ID_CHARS,
        title=text(MAX_TITLE_CHARS),
        effective_from=date(2025, 7, 6),
        levels=tuple(levels),
    )


def largest_council(level: str) -> Council:
    members = [
        CouncilMember(
            member_id=ident(i),
            name=text(MAX_PERSON_NAME_CHARS),
            email=email(i),
            role=CouncilRole.CHAIR if i == 0 else CouncilRole.MEMBER,
        )
        for i in range(MAX_COUNCIL_MEMBERS)
    ]
    return Council(level=level, members=tuple(members))


def largest_councils(book: Rulebook) -> tuple[Council, ...]:
    return tuple(largest_council(level.name) for level in book.levels)


def largest_contacts() -> tuple[Contact, ...]:
    return tuple(
        Contact(name=text(MAX_PERSON_NAME_CHARS), email=email(i), language="en")
        for i in range(MAX_ADMINISTRATORS)
    )


def largest_policy() -> CasePolicy:
    return CasePolicy(
        review_deadline_days=3650,
        supplement_deadline_days=3650,
        council_deadline_days=3650,
        recognition_deadline_days=3650,
        reminder_days=tuple(range(3650, 3650 - MAX_REMINDERS, -1)),
        reevaluation_window_days=3650,
        clock_speed=123456789.123456,
        paced_calendar=True,
    )


def largest_case_input() -> LifecycleInput:
    book = largest_rulebook()
    return LifecycleInput(
        dossier=largest_dossier(),
        rulebook=book,
        policy=largest_policy(),
        councils=largest_councils(book),
        administrators=largest_contacts(),
        cycle_year=2100,
        business_start=datetime(2100, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        cycle_workflow_id=text(MAX_WORKFLOW_ID_CHARS),
    )


def largest_application() -> Application:
    book = largest_rulebook()
    return Application(
        dossier=largest_dossier(),
        cycle_year=2100,
        rulebook=book,
        councils=largest_councils(book),
        cycle_workflow_id=text(MAX_WORKFLOW_ID_CHARS),
        policy=largest_policy(),
    )


def largest_settings() -> CycleSettings:
    book = largest_rulebook()
    per_authority = MAX_LOCALITIES // MAX_AUTHORITIES
    authorities = [
        DecisionAuthority(
            level=book.levels[i % MAX_LEVELS].name,
            authority=text(MAX_NAME_CHARS),
            prefix=WIDE * 24,
            first_number=99_999,
            localities=tuple(
                code(60) + f"{i * per_authority + j:04d}" for j in range(per_authority)
            ),
        )
        for i in range(MAX_AUTHORITIES)
    ]
    return CycleSettings(
        rulebook=book,
        councils=largest_councils(book),
        administrators=largest_contacts(),
        targets={k: 1_000_000 for k in ("submissions", "three_stars_or_more")},
        policy=largest_policy(),
        authorities=tuple(authorities),
        localities=tuple(code(60) + f"{i:04d}" for i in range(MAX_LOCALITIES)),
        recognition_concurrency=500,
        fanout_chunk=5000,
        max_history_events=40_000,
    )


def largest_cycle_input() -> CycleInput:
    settings = largest_settings()
    dates = {level.name: date(2100, 10, 15) for level in settings.rulebook.levels}
    return cycle_input(
        code(), 2100, settings, calendar={"recognition": dates}, business_start=datetime.now(UTC)
    )


LARGEST: dict[str, Any] = {
    "ReviewDecision": lambda: ReviewDecision(
        action=ReviewAction.REQUEST_SUPPLEMENT,
        reviewer=text(MAX_NAME_CHARS),
        reason=text(MAX_FREE_TEXT_CHARS),
        documents_requested=(DocumentKind.TOURISM_OPERATING_CONDITIONS,) * MAX_DOCUMENTS_REQUESTED,
    ),
    "SupplementSubmission": lambda: SupplementSubmission(
        submitted_by=text(MAX_NAME_CHARS),
        documents=tuple(largest_document(i) for i in range(MAX_DOCUMENTS)),
    ),
    "ScorecardSubmission": lambda: ScorecardSubmission(
        scorecard=Scorecard(
            member_id=ident(0),
            level=ident(1),
            part_a=100,
            part_b=100,
            part_c=100,
            mandatory_criteria_met=False,
            comment=text(MAX_FREE_TEXT_CHARS),
        )
    ),
    "CloseSessionRequest": lambda: CloseSessionRequest(
        level=ident(0), closed_by=text(MAX_NAME_CHARS)
    ),
    "RecognitionDecision": lambda: RecognitionDecision(
        level=ident(0),
        authority=text(MAX_NAME_CHARS),
        decision_number=number(),
        decided_on=date(2100, 1, 1),
        certificate_number=number(),
    ),
    "RevocationDecision": lambda: RevocationDecision(
        authority=text(MAX_NAME_CHARS),
        decision_number=number(),
        decided_on=date(2100, 1, 1),
        grounds=RevocationGround.PROCESS_NOT_FOLLOWED,
        details=text(MAX_FREE_TEXT_CHARS),
    ),
    "Application": largest_application,
    "LifecycleInput": largest_case_input,
    "Dossier": largest_dossier,
    "CloseCycle": lambda: CloseCycle(
        closed_by=text(MAX_NAME_CHARS), reason=text(MAX_FREE_TEXT_CHARS)
    ),
    "CycleSettings": largest_settings,
    "CycleInput": largest_cycle_input,
    "ScheduledCycles": lambda: ScheduledCycles(province=code(), settings=largest_settings()),
}


@pytest.mark.parametrize("model", sorted(LARGEST))
def test_the_largest_accepted_request_fits_under_the_cap(model: str) -> None:
    largest = LARGEST[model]()
    size = encoded_bytes(largest)
    assert size <= MAX_REQUEST_BYTES, f"{model}: {size} bytes"
    assert request_size_refusal(size, model) is None


def test_the_cap_leaves_room_under_temporals_limits() -> None:
    # An Update's acceptance echoes the request: still under the warn limit.
    assert MAX_REQUEST_BYTES * 2 <= TEMPORAL_PAYLOAD_WARN_BYTES
    # The cycle's open_cycle_case request holds a case's input and an application.
    internal = CycleCaseRequest(
        cycle_workflow_id=text(MAX_WORKFLOW_ID_CHARS),
        case=largest_case_input(),
        application=largest_application(),
    )
    assert encoded_bytes(internal) < TEMPORAL_PAYLOAD_WARN_BYTES < TEMPORAL_PAYLOAD_ERROR_BYTES


def test_a_request_over_the_cap_is_refused_with_its_size_and_the_limit() -> None:
    refusal = request_size_refusal(3 * 1024 * 1024, "the review request")
    assert refusal is not None
    assert "the review request" in refusal and "3072 KB" in refusal and "256 KB" in refusal


def _one_more(model: type[BaseModel], data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(data)


def test_one_more_is_refused() -> None:
    """Each limit the builders reach is a limit: one more character or item is refused."""
    dossier = largest_dossier().model_dump()
    _one_more(Dossier, {**dossier, "product_name": text(MAX_NAME_CHARS + 1)})
    extra = largest_document(MAX_DOCUMENTS).model_dump()
    _one_more(Dossier, {**dossier, "documents": [*dossier["documents"], extra]})
    council = largest_council("district").model_dump()
    member = {**council["members"][1], "member_id": "one-more"}
    _one_more(Council, {**council, "members": [*council["members"], member]})
    _one_more(
        ReviewDecision,
        {"action": "reject", "reviewer": "x", "reason": text(MAX_FREE_TEXT_CHARS + 1)},
    )
    card = {"member_id": "x" * (MAX_ID_CHARS + 1), "level": "district", "part_a": 1}
    _one_more(Scorecard, {**card, "part_b": 1, "part_c": 1, "mandatory_criteria_met": True})
    _one_more(
        CloseSessionRequest, {"level": "x" * (MAX_ID_CHARS + 1), "closed_by": "Thư ký hội đồng"}
    )
    _one_more(Contact, {"name": text(MAX_PERSON_NAME_CHARS + 1), "email": email()})


def test_a_supplement_may_not_take_the_dossier_over_its_document_limit() -> None:
    dossier = honey_dossier()  # the food group's required documents
    held = len(dossier.documents)
    waiting = CaseState(
        stage=CaseStage.AWAITING_SUPPLEMENT,
        level="district",
        dossier=dossier,
        rulebook=QD148_2023,
        councils=(council("district"),),
        today=date(2024, 3, 15),
    )

    def supplement(count: int) -> SupplementSubmission:
        refs = tuple(document(DocumentKind.OTHER, f"bo-sung-{i:02d}.pdf") for i in range(count))
        return SupplementSubmission(submitted_by="HTX Hợp Tiến", documents=refs)

    assert supplement_refusal(supplement(MAX_DOCUMENTS - held), waiting) is None
    assert supplement_refusal(supplement(MAX_DOCUMENTS - held + 1), waiting) == Refusal(
        "TooManyDocuments",
        f"with this supplement the dossier would hold {MAX_DOCUMENTS + 1} documents; at most "
        f"{MAX_DOCUMENTS} are accepted (a document sent again under its file name replaces "
        "the earlier one)",
    )
    # Documents handed in again under their names replace the old ones: no growth.
    again = SupplementSubmission(submitted_by="HTX Hợp Tiến", documents=dossier.documents)
    assert supplement_refusal(again, waiting) is None
