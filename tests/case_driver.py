"""Drives a product's case the way the people around it would: reviewer, producer,
council members, secretary, authority. Tests read as the scenario they check."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.client import Client, WorkflowHandle

from contracts import case
from contracts.refs import UpdateRef, query
from models.actors import Actor, CaseAccess
from models.case import (
    Application,
    CaseStage,
    CaseStatus,
    CloseSessionRequest,
    CloseSessionResult,
    RecognitionDecision,
    ReviewAction,
    ReviewDecision,
    RevocationDecision,
    RevocationGround,
    ScorecardSubmission,
    SupplementSubmission,
)
from models.catalogue import DocumentKind
from models.council import Council
from models.dossier import DocumentRef
from models.local_assessment import LocalAssessment
from models.scorecard import PartMaxima, Scorecard
from tests.factories import scorecard_for_total
from tests.signing import act, member, producer, reviewer, secretary
from tests.signing import authority as authority_actor
from tests.waiting import eventually
from workflows.product_lifecycle import ProductLifecycleWorkflow

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out")


class CaseDriver:
    def __init__(
        self,
        client: Client,
        handle: WorkflowHandle[ProductLifecycleWorkflow, Any],
        councils: dict[str, Council],
        maxima: PartMaxima,
        clock: Callable[[], Awaitable[datetime]] | None = None,
    ) -> None:
        # The handle start_workflow returned: on the time-skipping server only its
        # result() lets time run ahead while the test waits.
        self.handle = handle
        # The case's latest run, whichever that is: a handle without a run id.
        self.latest = client.get_workflow_handle(handle.id)
        self.councils = councils
        self.maxima = maxima
        # The time the workflow sees, for signing: the test server's when it skips time.
        self.clock = clock

    async def _act(self, actor: Actor, ref: UpdateRef[In, Out], payload: In) -> Out:
        now = await self.clock() if self.clock is not None else None
        return await act(self.handle, actor, ref, payload, now=now)

    async def act_as(self, actor: Actor, ref: UpdateRef[In, Out], payload: In) -> Out:
        """Any step, signed by whoever the test names."""
        return await self._act(actor, ref, payload)

    async def access(self) -> CaseAccess:
        return await query(self.handle, case.ACCESS_FACTS)

    async def _dossier_place(self) -> tuple[str, str]:
        facts = (await self.access()).facts
        return facts.province, facts.locality

    @property
    def workflow_id(self) -> str:
        return self.handle.id

    async def status(self) -> CaseStatus:
        return await self.handle.query(ProductLifecycleWorkflow.status)

    async def outcome(self) -> CaseStatus:
        """Wait for the case to end (skipping time on the test server); its final status."""
        final: CaseStatus = await self.handle.result()
        return final

    async def mail_sent(self, within: float | None = None) -> None:
        """Wait until the case has recorded every transition and handed over every email.

        In tests the hard timeout bounds the wait; `within` is for callers without one
        (the benchmarks)."""

        async def settled() -> bool | None:
            status = await self.status()
            return None if status.emails_queued or status.register_writes_pending else True

        async with asyncio.timeout(within):
            await eventually(settled, f"{self.workflow_id} to hand over its emails and records")

    async def stage(self) -> CaseStage:
        return (await self.status()).stage

    async def accept(
        self,
        reviewer: str = "Phòng Nông nghiệp huyện Bình Liêu",
        local_assessment: LocalAssessment | None = None,
    ) -> CaseStage:
        """The locality's office accepts the dossier; the stage the case moved to. Under
        the 2025 rules the commune gives its local-origin assessment with it."""
        decision = ReviewDecision(
            action=ReviewAction.ACCEPT, reviewer=reviewer, local_assessment=local_assessment
        )
        return await self._review(decision)

    async def _review(self, decision: ReviewDecision) -> CaseStage:
        province, locality = await self._dossier_place()
        signer = reviewer(province, locality, decision.reviewer)
        return await self._act(signer, case.REVIEW, decision)

    async def reject(self, reason: str) -> None:
        await self._review(
            ReviewDecision(action=ReviewAction.REJECT, reviewer="Phòng Nông nghiệp", reason=reason)
        )

    async def request_supplement(self, *documents: DocumentKind) -> None:
        await self._review(
            ReviewDecision(
                action=ReviewAction.REQUEST_SUPPLEMENT,
                reviewer="Phòng Nông nghiệp huyện Bình Liêu",
                reason="Thiếu phiếu kết quả kiểm nghiệm",
                documents_requested=documents,
            ),
        )

    async def supply(self, *documents: DocumentRef) -> None:
        supplement = SupplementSubmission(submitted_by="HTX Hợp Tiến", documents=documents)
        await self._act(
            await self.producer(supplement.submitted_by), case.SUPPLY_SUPPLEMENT, supplement
        )

    async def producer(self, name: str = "Chủ thể") -> Actor:
        """The case's producer, as the API would sign for them."""
        facts = (await self.access()).facts
        return producer(facts.province, facts.applicant, name)

    async def submit(self, card: Scorecard) -> None:
        province, _ = await self._dossier_place()
        signer = member(province, card.level, card.member_id)
        await self._act(signer, case.SUBMIT_SCORECARD, ScorecardSubmission(scorecard=card))

    async def score(self, level: str, *totals: int, mandatory: bool = True) -> None:
        """The first len(totals) members of the level's council, chair first, score."""
        members = self.councils[level].members
        for on_roster, total in zip(members, totals, strict=False):
            await self.submit(
                scorecard_for_total(on_roster.member_id, level, total, self.maxima, mandatory)
            )

    async def close(self, level: str) -> CloseSessionResult:
        province, _ = await self._dossier_place()
        request = CloseSessionRequest(level=level, closed_by=f"Thư ký hội đồng {level}")
        return await self._act(secretary(province, level), case.CLOSE_SESSION, request)

    async def score_and_close(self, level: str, *totals: int) -> CloseSessionResult:
        await self.score(level, *totals)
        return await self.close(level)

    async def recognise(
        self,
        level: str,
        decided_on: date,
        decision: str = "QD-1024",
        certificate: str = "CN-001",
        authority: str | None = None,
    ) -> None:
        signer = authority or f"UBND {level}"
        recognition = RecognitionDecision(
            level=level,
            authority=signer,
            decision_number=decision,
            decided_on=decided_on,
            certificate_number=certificate,
        )
        await self._act(authority_actor(level, signer), case.RECOGNISE, recognition)

    async def apply(self, application: Application) -> None:
        """Apply, then wait for the new round: it starts as a new run of the case.

        The wait reads the case's current run from the server rather than querying it:
        a query sent while the round continues as new can land on the closing run and
        go unanswered (seen once in CI as `Timeout expired`).
        """
        closing_run = (await self.latest.describe()).run_id
        signer = await self.producer(application.dossier.applicant.name)
        await self._act(signer, case.APPLY, application)

        async def next_run() -> bool | None:
            return True if (await self.latest.describe()).run_id != closing_run else None

        await eventually(next_run, f"{self.workflow_id} to open its next round")

    async def revoke(self, decided_on: date, grounds: RevocationGround) -> None:
        revocation = RevocationDecision(
            authority="UBND tỉnh Quảng Ninh",
            decision_number="QD-THUHOI-07",
            decided_on=decided_on,
            grounds=grounds,
            details="Mẫu kiểm tra không đạt chỉ tiêu vi sinh",
        )
        level = (await self.access()).certificate_level or "province"
        await self._act(authority_actor(level, revocation.authority), case.REVOKE, revocation)
