"""What a product's case may accept: one named pure function per human step.

Each `*_refusal` function takes the request and a `CaseState` (where the case stands,
what it holds, the rules it pinned and today's business date) and returns the
`Refusal` its Update validator raises, or None to let the step through. The messages
and types are those an operator reads in a refused Update ("WrongStage", "TooEarly", …).

`upgrade_outcome` is not a refusal but the routing rule an upgrade adds: it runs in the
workflow's main coroutine and is replayed, so what it returns for an input must not
change (see docs/architecture.md, *Rulebooks*).

No I/O, no clock, no Temporal: the workflow reads its state and the clock, these
functions only decide.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from models.applicants import RegistrationKind
from models.bounds import MAX_DOCUMENTS
from models.case import (
    Application,
    CasePolicy,
    CaseStage,
    Certificate,
    CloseSessionRequest,
    RecognitionDecision,
    ReviewAction,
    ReviewDecision,
    RevocationDecision,
    SupplementSubmission,
)
from models.case_tables import next_round_table, table_refusal
from models.catalogue import DocumentKind
from models.council import Council, quorum_missing
from models.criteria import CriteriaSet, scorecard_on_table_refusal
from models.dossier import Dossier, missing_documents, with_documents
from models.errors import DomainError, Refusal
from models.local_assessment import local_assessment_refusal
from models.rulebook import NoCertificate, Recognise, Routing, Rulebook
from models.scorecard import Scorecard
from models.stars import TOP_STARS, Stars
from models.validity import ValidityPeriod


@dataclass(frozen=True, kw_only=True)
class CaseState:
    """What the case's rules look at, as the case stands when a request arrives.

    The `*_pending` flags say that a request of that kind has been accepted and the
    case has not acted on it yet: a second one is refused meanwhile.
    """

    stage: CaseStage
    level: str | None = None
    dossier: Dossier
    rulebook: Rulebook
    councils: Sequence[Council]
    criteria: CriteriaSet | None = None
    policy: CasePolicy = field(default_factory=CasePolicy)
    today: date
    round_active: bool = True
    session_open: bool = False
    scorecards: Mapping[str, Scorecard] = field(default_factory=dict)
    recognition_level: str | None = None
    result_on: date | None = None
    certificate: Certificate | None = None
    current_stars: Stars | None = None
    revoked: bool = False
    review_pending: bool = False
    supplement_pending: bool = False
    recognition_pending: bool = False
    application_pending: bool = False

    def council(self, level: str) -> Council:
        return next(council for council in self.councils if council.level == level)


# ------------------------------------------------------------------ local review


def review_refusal(decision: ReviewDecision, case: CaseState) -> Refusal | None:
    """Only a case in review takes a decision; no accept while documents are missing,
    and a supplement must name what to bring when nothing is missing."""
    if case.stage != CaseStage.LOCAL_REVIEW or case.review_pending:
        return Refusal(
            "WrongStage",
            f"this case is not awaiting a review decision (stage: {case.stage.value})",
        )
    not_a_request = requested_documents_refusal(decision.action, decision.documents_requested)
    if not_a_request is not None:
        return not_a_request
    level = case.rulebook.level(case.level) if case.level else case.rulebook.levels[0]
    local = local_assessment_refusal(
        level.assesses_local_origin,
        decision.action == ReviewAction.ACCEPT,
        decision.local_assessment,
    )
    if local is not None:
        return local
    missing = missing_documents(case.dossier)
    if decision.action == ReviewAction.ACCEPT and missing:
        return Refusal(
            "IncompleteDossier",
            "the dossier cannot be accepted while documents are missing: "
            + ", ".join(missing)
            + "; request a supplement instead",
        )
    if (
        decision.action == ReviewAction.REQUEST_SUPPLEMENT
        and not decision.documents_requested
        and not missing
    ):
        return Refusal(
            "NothingToRequest",
            "nothing is missing from this dossier: name the documents to request "
            "in documents_requested",
        )
    return None


def requested_documents_refusal(
    action: ReviewAction, documents_requested: Collection[DocumentKind]
) -> Refusal | None:
    """Documents to bring are named only by a request for a supplement."""
    if documents_requested and action != ReviewAction.REQUEST_SUPPLEMENT:
        return Refusal(
            "NotASupplementRequest",
            "documents to bring are named only when requesting a supplement, "
            f"not with {action.value}",
        )
    return None


def supplement_refusal(supplement: SupplementSubmission, case: CaseState) -> Refusal | None:
    """A supplement is taken only while one has been requested and not yet brought, and
    only if the dossier then holds at most `MAX_DOCUMENTS` documents."""
    if case.stage != CaseStage.AWAITING_SUPPLEMENT or case.supplement_pending:
        return Refusal(
            "WrongStage",
            f"no supplement has been requested for this case (stage: {case.stage.value})",
        )
    after = len(with_documents(case.dossier, supplement.documents).documents)
    if after > MAX_DOCUMENTS:
        return Refusal(
            "TooManyDocuments",
            f"with this supplement the dossier would hold {after} documents; at most "
            f"{MAX_DOCUMENTS} are accepted (a document sent again under its file name "
            "replaces the earlier one)",
        )
    return None


# --------------------------------------------------------------- council session


def session_refusal(level: str, case: CaseState) -> Refusal | None:
    """Scorecards and a close go to the open council session, at its level."""
    if not case.session_open or case.stage != CaseStage.COUNCIL_SCORING:
        return Refusal(
            "SessionClosed",
            f"no council session is open for this case (stage: {case.stage.value})",
        )
    if level != case.level:
        return Refusal("WrongLevel", f"the open session is at {case.level} level, not {level}")
    return None


def scorecard_refusal(card: Scorecard, case: CaseState) -> Refusal | None:
    """A scorecard for the open session, from a member of its council, within the maxima."""
    refusal = session_refusal(card.level, case)
    if refusal is not None:
        return refusal
    try:
        case.council(card.level).member(card.member_id)
        card.check_against(case.rulebook.maxima)
    except DomainError as error:
        return Refusal("ScorecardRefused", str(error))
    return scorecard_on_table_refusal(case.criteria, card)


def close_refusal(request: CloseSessionRequest, case: CaseState) -> Refusal | None:
    """The open session closes only at quorum (`has_quorum`); a re-score is an outcome."""
    refusal = session_refusal(request.level, case)
    if refusal is not None:
        return refusal
    missing = quorum_missing(case.council(request.level), case.rulebook.council, case.scorecards)
    if missing is not None:
        return Refusal("QuorumMissing", f"the session cannot close: {missing.explain()}")
    return None


# ------------------------------------------------------------------- recognition


def recognition_refusal(decision: RecognitionDecision, case: CaseState) -> Refusal | None:
    """A decision for a case awaiting one, at its level, dated between the result and today."""
    if case.stage != CaseStage.AWAITING_RECOGNITION or case.recognition_pending:
        return Refusal(
            "WrongStage",
            f"this case is not awaiting a recognition decision (stage: {case.stage.value})",
        )
    if decision.level != case.recognition_level:
        return Refusal(
            "WrongLevel",
            f"this product is to be recognised at {case.recognition_level} level, "
            f"not {decision.level}",
        )
    if case.result_on is not None and decision.decided_on < case.result_on:
        return Refusal(
            "DecisionBeforeResult",
            f"a decision dated {decision.decided_on.isoformat()} precedes the council result "
            f"it recognises ({case.result_on.isoformat()})",
        )
    if decision.decided_on > case.today:
        return Refusal(
            "DecisionInFuture",
            f"a decision dated {decision.decided_on.isoformat()} is in the future "
            f"(today is {case.today.isoformat()})",
        )
    return None


# ------------------------------------------------------- re-evaluation and upgrade


def upgrade_refusal(kind: RegistrationKind, current_stars: Stars | None) -> Refusal | None:
    """A product at the top rating (5★) has nothing to be upgraded to."""
    if kind == RegistrationKind.UPGRADE and current_stars == TOP_STARS:
        return Refusal("NoUpgrade", f"a {int(TOP_STARS)}★ product cannot be upgraded")
    return None


def reevaluation_opens(certificate: Certificate, policy: CasePolicy) -> date:
    """The first day a re-evaluation may be applied for: the window before expiry."""
    expires_on = ValidityPeriod(
        valid_from=certificate.valid_from, valid_until=certificate.valid_until
    ).expires_on
    return expires_on - timedelta(days=policy.reevaluation_window_days)


def application_refusal(application: Application, case: CaseState) -> Refusal | None:
    """An upgrade or re-evaluation: for this product, on a valid certificate between
    rounds, stating the stars it holds; a re-evaluation only within its window."""
    certificate = case.certificate
    if case.round_active or certificate is None or case.application_pending:
        return Refusal(
            "WrongStage",
            "an application for upgrade or re-evaluation needs a valid certificate and no "
            f"round in progress (stage: {case.stage.value})",
        )
    dossier, own = application.dossier, case.dossier
    if (dossier.province, dossier.product_code) != (own.province, own.product_code):
        return Refusal(
            "WrongProduct",
            f"this case is product {own.product_code} of {own.province}, "
            f"not {dossier.product_code} of {dossier.province}",
        )
    if dossier.current_stars != case.current_stars:
        return Refusal(
            "WrongStars",
            f"the product holds {int(certificate.stars)}★ now; the application says "
            f"{dossier.current_stars}",
        )
    if dossier.registration_kind == RegistrationKind.REEVALUATION:
        opens = reevaluation_opens(certificate, case.policy)
        if case.today < opens:
            return Refusal(
                "TooEarly",
                f"re-evaluation opens on {opens.isoformat()}, "
                f"{case.policy.reevaluation_window_days} days before expiry; "
                "to seek more stars now, apply for an upgrade",
            )
    rules = application.rulebook or case.rulebook
    table = table_refusal(next_round_table(application, case.criteria, rules), rules, dossier)
    if table is not None:
        return Refusal("CriteriaRefused", table)
    return upgrade_refusal(dossier.registration_kind, case.current_stars)


def upgrade_outcome(
    routing: Routing, kind: RegistrationKind, current_stars: Stars | None
) -> Routing:
    """Where a council result sends an upgrade: recognition only above the stars held.

    Any other routing, and any other registration, is returned as it came.
    """
    if (
        isinstance(routing, Recognise)
        and kind == RegistrationKind.UPGRADE
        and current_stars is not None
        and routing.stars <= current_stars
    ):
        return NoCertificate(
            stars=routing.stars,
            reason=(
                f"the upgrade needs more than the {int(current_stars)}★ held now; "
                "the current certificate stays as it is"
            ),
        )
    return routing


# -------------------------------------------------------------------- revocation


def revocation_refusal(decision: RevocationDecision, case: CaseState) -> Refusal | None:
    """Only a valid certificate can be revoked, and not by a decision older than it."""
    certificate = case.certificate
    if certificate is None or case.revoked:
        return Refusal(
            "WrongStage",
            f"there is no valid certificate to revoke (stage: {case.stage.value})",
        )
    if decision.decided_on < certificate.valid_from:
        return Refusal(
            "DecisionBeforeCertificate",
            f"a revocation dated {decision.decided_on.isoformat()} precedes the "
            f"certificate it revokes ({certificate.valid_from.isoformat()})",
        )
    return None
