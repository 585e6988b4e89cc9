"""What a council's people see of a case: the scorecard form with the rulebook's maxima,
and for the chair and the secretary who has scored, the quorum and the spread of totals.

Who may score or close is the access rules' answer (`models.actors`), the quorum and
the divergence the council rules' (`models.council`): the page asks them, never redoes
them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select

from api.services import Services
from models import actors as access
from models.actors import Actor, CaseAccess
from models.case import CaseStage, CaseStatus, MemberScore
from models.council import (
    Council,
    CouncilMember,
    CouncilRules,
    QuorumMissing,
    needs_rescore,
    quorum_missing_of,
)
from models.errors import DomainError
from models.register import AuditEventRow, ScorecardDraftRow
from models.rulebook import rulebook
from models.scorecard import MAXIMA_2023, PartMaxima
from models.transitions import CaseTransition


@dataclass(frozen=True)
class SessionView:
    council: Council
    rules: CouncilRules
    maxima: PartMaxima
    roster: list[tuple[CouncilMember, MemberScore | None]]
    quorum: QuorumMissing | None
    spread: int | None
    too_wide: bool
    may_score: bool
    may_close: bool
    draft: dict[str, Any] = field(default_factory=dict)
    rescore_spread: int | None = None


def _rules(status: CaseStatus) -> tuple[CouncilRules, PartMaxima]:
    try:
        book = rulebook(status.rulebook)
    except DomainError:  # a case on a rulebook of its own: the defaults
        return CouncilRules(), MAXIMA_2023
    return book.council, book.maxima


def my_draft(actor: Actor, status: CaseStatus) -> Select[ScorecardDraftRow]:
    """This member's draft for the case's session now (its level and attempt)."""
    return select(ScorecardDraftRow).where(
        ScorecardDraftRow.workflow_id == status.workflow_id,
        ScorecardDraftRow.level == (status.level or ""),
        ScorecardDraftRow.attempt == status.session_attempt,
        ScorecardDraftRow.subject == actor.subject,
    )


async def draft_of(svc: Services, actor: Actor, status: CaseStatus) -> dict[str, Any]:
    async with svc.sessions() as session:
        row = await session.scalar(my_draft(actor, status))
    return dict(row.fields) if row is not None else {}


async def session_view(
    svc: Services, actor: Actor, found: CaseAccess, status: CaseStatus
) -> SessionView | None:
    """The council session of the case's level, as this person may act on it; None when
    the case is not being scored or they sit on no council of it."""
    if status.stage != CaseStage.COUNCIL_SCORING or status.level is None:
        return None
    council = next((c for c in found.councils if c.level == status.level), None)
    if council is None:
        return None
    member_id = actor.scope.member_id or ""
    may_score = access.scorecard_refusal(actor, council, status.level, member_id) is None
    may_close = access.close_session_refusal(actor, council) is None
    if not (may_score or may_close):
        return None
    rules, maxima = _rules(status)
    scores = {score.member_id: score for score in status.scores}
    totals = [score.total for score in status.scores]
    return SessionView(
        council=council,
        rules=rules,
        maxima=maxima,
        roster=[(m, scores.get(m.member_id)) for m in council.members],
        quorum=quorum_missing_of(council, rules, scores.keys()),
        spread=max(totals) - min(totals) if totals else None,
        too_wide=bool(totals) and needs_rescore(rules, totals),
        may_score=may_score,
        may_close=may_close,
        draft=await draft_of(svc, actor, status) if may_score else {},
        rescore_spread=await _last_spread(svc, status) if status.session_attempt > 1 else None,
    )


async def _last_spread(svc: Services, status: CaseStatus) -> int | None:
    """How far apart the totals were when the council was last asked to re-score."""
    async with svc.sessions() as session:
        row = await session.scalar(
            select(AuditEventRow)
            .where(
                AuditEventRow.workflow_id == status.workflow_id,
                AuditEventRow.action == CaseTransition.RESCORE_REQUESTED.value,
            )
            .order_by(AuditEventRow.occurred_at.desc(), AuditEventRow.id.desc())
            .limit(1)
        )
    spread = row.details.get("spread") if row is not None else None
    return spread if isinstance(spread, int) else None
