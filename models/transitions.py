"""The one vocabulary of what happens to a case: register actions, email kinds, templates.

Every transition a product's case makes has one word here. The same word is

- the **register's action** (`audit_events.action`, the last part of the transition's
  key `{case_id}:r{round}:{seq}:{action}`), as the lifecycle workflow writes it;
- the **kind** of the email it sends, if any (`models.events`, the `X-Ocop-Event`
  header and the notification ledger's `event_type`);
- the **name of the email's templates**, `activities/templates/{vi,en}/<word>.j2`;
- what the operator's story (`presentation/story`) dispatches its sentences on.

Two transitions happen more than once per round and carry their occasion in the
action: an expiry reminder says how many days before expiry it was sent
(`expiry_reminder_90`) and an overdue step names its stage (`local_review_overdue`).
`action()` builds those and `parse_action()` reads them back; their email kind is the
bare word.

The values are part of recorded histories and of rows already written: a value here is
never changed, only added. Emails of older versions used other kinds for five of these
(`LEGACY_KINDS`); `canonical_kind()` reads them as today's words.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class CaseTransition(StrEnum):
    """A transition of a product's case, as the register records it."""

    # The dossier and its review
    DOSSIER_RECEIVED = "dossier_received"
    APPLICATION_RECEIVED = "application_received"
    """An upgrade or re-evaluation applied for on a certified case (a new round)."""
    REVIEW_ACCEPTED = "review_accepted"
    REVIEW_REJECTED = "review_rejected"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    SUPPLEMENT_RECEIVED = "supplement_received"
    SUPPLEMENT_MISSED = "supplement_missed"
    """The supplement did not arrive by its deadline: the dossier is returned."""
    # Council scoring
    COUNCIL_SESSION_OPENED = "council_session_opened"
    COUNCIL_MEETING_SCHEDULED = "council_meeting_scheduled"
    """The product is on the agenda of a dated council meeting."""
    SCORECARD_SUBMITTED = "scorecard_submitted"
    SCORECARD_REPLACED = "scorecard_replaced"
    SESSION_CLOSED = "session_closed"
    RESCORE_REQUESTED = "rescore_requested"
    COUNCIL_RESULT = "council_result"
    FORWARDED = "forwarded"
    # Decisions and the certificate's life
    RECOGNISED = "recognised"
    CERTIFICATE_SUPERSEDED = "certificate_superseded"
    CERTIFICATE_LOADED = "certificate_loaded"
    """A certificate issued before ocop-flow, loaded from the register: the case starts with it."""
    EXPIRY_REMINDER = "expiry_reminder"
    """Recorded as `expiry_reminder_<days before expiry>`."""
    CERTIFICATE_LAPSED = "certificate_lapsed"
    CERTIFICATE_EXPIRED = "certificate_expired"
    """Its months ran out while a re-evaluation was under way; the round goes on."""
    CERTIFICATE_REVOKED = "certificate_revoked"
    ROUND_ENDED = "round_ended"
    OVERDUE = "overdue"
    """A human step passed its deadline; recorded as `<stage>_overdue`."""
    DEADLINE_EXTENDED = "deadline_extended"
    """A step was given more time, with a reason (its step and dates in the details)."""


class CycleTransition(StrEnum):
    """What a province's annual cycle records in the register under its own id."""

    RECOGNITION_DECISION = "recognition_decision"
    RECOGNITION_INCOMPLETE = "recognition_incomplete"
    CYCLE_REPORT = "cycle_report"


EmailKind = CaseTransition | CycleTransition
"""The kind of an email: the transition that sent it."""

LEGACY_KINDS: Final[dict[str, EmailKind]] = {
    "dossier_rejected": CaseTransition.REVIEW_REJECTED,
    "dossier_returned": CaseTransition.SUPPLEMENT_MISSED,
    "step_overdue": CaseTransition.OVERDUE,
    "scoring_result": CaseTransition.COUNCIL_RESULT,
    "lapsed": CaseTransition.CERTIFICATE_LAPSED,
    "revoked": CaseTransition.CERTIFICATE_REVOKED,
}
"""Email kinds written before the vocabulary was one, and the word each became.

They are in recorded histories (the input of `send_notification`) and in the ledger
rows of older emails (migration 0002 rewrites those)."""

_SUFFIXED: Final = CaseTransition.EXPIRY_REMINDER
_PREFIXED: Final = CaseTransition.OVERDUE


def action(transition: CaseTransition, occasion: str | int | None = None) -> str:
    """The register's action for `transition`.

    An expiry reminder needs the days before expiry (`expiry_reminder_90`), an overdue
    step its stage (`local_review_overdue`); no other transition takes an occasion.
    """
    if transition in (_SUFFIXED, _PREFIXED):
        if occasion is None or str(occasion) == "":
            raise ValueError(f"the {transition} action names its occasion")
        if transition == _SUFFIXED:
            return f"{transition.value}_{occasion}"
        return f"{occasion}_{transition.value}"
    if occasion is not None:
        raise ValueError(f"the {transition} action takes no occasion")
    return transition.value


def parse_action(recorded: str) -> tuple[CaseTransition, str | None] | None:
    """(transition, occasion) of a register action; None for a word this version lacks."""
    try:
        return CaseTransition(recorded), None
    except ValueError:
        pass
    head, _, days = recorded.rpartition("_")
    if head == _SUFFIXED.value and days:
        return _SUFFIXED, days
    stage, _, tail = recorded.rpartition("_")
    if tail == _PREFIXED.value and stage:
        return _PREFIXED, stage
    return None


def canonical_kind(kind: str) -> str:
    """An email kind in today's words (a legacy kind mapped, anything else as given)."""
    known = LEGACY_KINDS.get(kind)
    return known.value if known is not None else kind
