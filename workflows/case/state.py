"""The case's one state object: what lives across rounds, and what one run holds.

`LifecycleState.carried` is the `CarriedState` a run receives in its `LifecycleInput`
and hands the next run on continue-as-new, so the carried payload keeps exactly the
shape recorded histories contain. `LifecycleState.round` starts empty with every run.
Both are plain data (dataclasses of pydantic models), serialisable by the pydantic data
converter; the workflow's helpers read and change them, and nothing else holds state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.case import (
        Application,
        CarriedState,
        CaseStage,
        Certificate,
        NextDeadline,
        RecognitionDecision,
        ReviewDecision,
        SupplementSubmission,
    )
    from models.catalogue import DocumentKind
    from models.clock import BusinessClock
    from models.council import CouncilResult, MeetingSlot, RescoreRequired
    from models.deadlines import GrantedExtension
    from models.dossier import Dossier
    from models.local_assessment import LocalAssessment
    from models.scorecard import Scorecard
    from models.working_days import ReviewClock


@dataclass
class Requests:
    """Human requests an Update handler accepted and the case has not acted on yet.

    A handler fills its slot and the main coroutine empties it when it acts: that is
    what lets the handler return, and what makes the rules refuse a second request.
    """

    review: ReviewDecision | None = None
    supplement: SupplementSubmission | None = None
    recognition: RecognitionDecision | None = None
    application: Application | None = None


@dataclass
class Session:
    """The council session at the round's current scoring level."""

    open: bool = False
    attempt: int = 0
    scorecards: dict[str, Scorecard] = field(default_factory=dict)
    meeting: MeetingSlot | None = None
    """The dated meeting whose agenda holds the product: it is scored there."""
    # Set by `close_session`, taken up (and emptied) by the main coroutine.
    result: CouncilResult | None = None
    rescore: RescoreRequired | None = None


@dataclass
class RoundState:
    """What this run holds: its evaluation round, then the certificate's life after it."""

    dossier: Dossier
    started_at: datetime
    level: str | None
    # Every round opens with the first level's review; a reviewer may act at once.
    stage: CaseStage = CaseStage.LOCAL_REVIEW
    next_deadline: NextDeadline | None = None
    active: bool = True
    """True until the round has ended; the certificate's life follows."""
    requested_documents: tuple[DocumentKind, ...] = ()
    review_clock: ReviewClock | None = None
    """The review's working days, on a case with a working calendar."""
    session: Session = field(default_factory=Session)
    last_result: CouncilResult | None = None
    recognition_level: str | None = None
    result_on: date | None = None
    revoked: bool = False
    local_assessment: LocalAssessment | None = None
    """The commune's assessment of the four local-origin criteria (2025 rules)."""
    expired_certificate: Certificate | None = None
    """The certificate that ran out while this round re-evaluates it."""
    extensions: list[GrantedExtension] = field(default_factory=list)
    review_escalated: bool = False
    """The review passed its deadline: the province's coordination office may take it."""
    requests: Requests = field(default_factory=Requests)
    signed_by: dict[str, str] = field(default_factory=dict)
    """The verified actor of each human action accepted this round, by the Update's name."""

    def actor_of(self, action: str, claimed: str) -> str:
        """Who the register names for an action: its verified actor, else who it claimed
        (an action recorded before actions were signed)."""
        return self.signed_by.get(action, claimed)


@dataclass
class LifecycleState:
    carried: CarriedState
    round: RoundState

    @property
    def clock(self) -> BusinessClock:
        return self.carried.clock

    def carried_to_next_round(self) -> CarriedState:
        """What the next run starts from: everything carried, one round on."""
        return self.carried.model_copy(update={"round_number": self.carried.round_number + 1})
