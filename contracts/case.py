"""The product case's contract: one workflow per product, for as long as it is in OCOP.

Names here are part of every recorded history (Update and activity names, search
attributes): changing one is a change to live workflows, not a rename.
"""

from __future__ import annotations

from typing import Final

from temporalio.common import SearchAttributeKey

from contracts.refs import ActivityRef, QueryRef, SignalRef, UpdateRef
from models.actors import CaseAccess
from models.case import (
    Application,
    CaseStage,
    CaseStatus,
    CloseSessionRequest,
    CloseSessionResult,
    MemberScore,
    RecognitionDecision,
    ReviewDecision,
    RevocationDecision,
    ScorecardSubmission,
    SupplementSubmission,
)
from models.certificate_numbers import CertificateClaim, CertificateClaimResult
from models.clock import CalendarMove
from models.council import MeetingSlot
from models.deadlines import DeadlineExtension, GrantedExtension
from models.events import Notification
from models.records import CaseRecord

WORKFLOW_TYPE: Final = "ProductLifecycleWorkflow"
DEFAULT_TASK_QUEUE: Final = "ocop"


def product_workflow_id(province: str, product_code: str) -> str:
    """One stable id per product, so a second submission finds the first case."""
    return f"ocop-product-{province}-{product_code}".lower()


def batch_recognition_update_id(decision_number: str, certificate_number: str) -> str:
    """The id of a batch decision's `recognise` Update on one product: asked again (a slow
    case, a retried batch), the same id finds the Update already sent instead of a second."""
    return f"recognise:{decision_number}:{certificate_number}"


# ---------------------------------------------------------------- Updates
# What people do to a case. Each validator refuses bad input before it reaches history.

REVIEW: Final = UpdateRef("review", ReviewDecision, CaseStage)
SUPPLY_SUPPLEMENT: Final = UpdateRef("supply_supplement", SupplementSubmission, CaseStage)
SUBMIT_SCORECARD: Final = UpdateRef("submit_scorecard", ScorecardSubmission, MemberScore)
CLOSE_SESSION: Final = UpdateRef("close_session", CloseSessionRequest, CloseSessionResult)
RECOGNISE: Final = UpdateRef("recognise", RecognitionDecision, CaseStage)
APPLY: Final = UpdateRef("apply", Application, CaseStage)
REVOKE: Final = UpdateRef("revoke", RevocationDecision, CaseStage)
EXTEND_DEADLINE: Final = UpdateRef("extend_deadline", DeadlineExtension, GrantedExtension)
JOIN_MEETING: Final = UpdateRef("join_meeting", MeetingSlot, MeetingSlot)

UPDATES: Final = (
    REVIEW,
    SUPPLY_SUPPLEMENT,
    SUBMIT_SCORECARD,
    CLOSE_SESSION,
    RECOGNISE,
    APPLY,
    REVOKE,
)

# ----------------------------------------------------------- queries, signals

STATUS: Final = QueryRef("status", CaseStatus)
ACCESS_FACTS: Final = QueryRef("access_facts", CaseAccess)
"""Who may act on the case: its place, applicant and councils (for the API's checks)."""
CALENDAR_MOVED: Final = SignalRef("calendar_moved", CalendarMove)
"""A paced calendar's pacer moves the case's business time on (cycles take it too)."""

# -------------------------------------------------------------- activities

RECORD_CASE_EVENT: Final = ActivityRef("record_case_event", CaseRecord, bool)
"""Write one transition to the register; False when it was written before."""
WRITE_CASE_RECORD: Final = ActivityRef("write_case_record", CaseRecord, CaseRecord)
"""The same write as a local activity: it answers with the record it wrote, so the
history's marker keeps what the scheduled activity's input used to (the story reads it)."""
SEND_NOTIFICATION: Final = ActivityRef("send_notification", Notification, list)
"""Deliver one event's email to its recipients, through the notification ledger."""
REGISTER_WRITES: Final = frozenset({RECORD_CASE_EVENT.name, WRITE_CASE_RECORD.name})
"""The activities that write a transition, scheduled (earlier rounds) or local."""
CLAIM_CERTIFICATE_NUMBER: Final = ActivityRef(
    "claim_certificate_number", CertificateClaim, CertificateClaimResult
)
"""Claim a certificate number in the register before a recognition changes the case;
not granted when another product holds it."""

# ------------------------------------------------------- memo, search attributes

CYCLE_MEMO: Final = "ocop_cycle"
"""Memo key: the annual cycle that started the case (a retried start finds its own)."""
HELD_CERTIFICATE_MEMO: Final = "ocop_held_certificate"
"""Memo of a case loaded from the national register: the number of the certificate it was
loaded with, so a second load of the file finds it without asking the worker."""

PROVINCE = SearchAttributeKey.for_keyword("OcopProvince")
LOCALITY = SearchAttributeKey.for_keyword("OcopLocality")
LEVEL = SearchAttributeKey.for_keyword("OcopLevel")
STAGE = SearchAttributeKey.for_keyword("OcopStage")
STARS = SearchAttributeKey.for_int("OcopStars")
CYCLE_YEAR = SearchAttributeKey.for_int("OcopCycleYear")
RULEBOOK = SearchAttributeKey.for_keyword("OcopRulebook")
VALID_UNTIL = SearchAttributeKey.for_datetime("OcopValidUntil")
DOSSIER_NUMBER = SearchAttributeKey.for_keyword("OcopDossierNumber")

SEARCH_ATTRIBUTES: Final = (
    PROVINCE,
    LOCALITY,
    LEVEL,
    STAGE,
    STARS,
    CYCLE_YEAR,
    RULEBOOK,
    VALID_UNTIL,
    DOSSIER_NUMBER,
)
