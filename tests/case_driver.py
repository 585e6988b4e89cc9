"""Drives a product's case the way the people around it would: reviewer, producer,
council members, secretary, authority. Tests read as the scenario they check."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from temporalio.client import Client, WorkflowHandle

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
from models.scorecard import PartMaxima, Scorecard
from tests.factories import scorecard_for_total
from tests.waiting import eventually
from workflows.product_lifecycle import ProductLifecycleWorkflow


class CaseDriver:
    def __init__(
        self,
        client: Client,
        handle: WorkflowHandle[ProductLifecycleWorkflow, Any],
        councils: dict[str, Council],
        maxima: PartMaxima,
    ) -> None:
        # The handle start_workflow returned: on the time-skipping server only its
        # result() lets time run ahead while the test waits.
        self.handle = handle
        # The case's latest run, whichever that is: a handle without a run id.
        self.latest = client.get_workflow_handle(handle.id)
        self.councils = councils
        self.maxima = maxima

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

    async def accept(self, reviewer: str = "Phòng Nông nghiệp huyện Bình Liêu") -> None:
        await self.handle.execute_update(
            ProductLifecycleWorkflow.review,
            ReviewDecision(action=ReviewAction.ACCEPT, reviewer=reviewer),
        )

    async def reject(self, reason: str) -> None:
        await self.handle.execute_update(
            ProductLifecycleWorkflow.review,
            ReviewDecision(action=ReviewAction.REJECT, reviewer="Phòng Nông nghiệp", reason=reason),
        )

    async def request_supplement(self, *documents: DocumentKind) -> None:
        await self.handle.execute_update(
            ProductLifecycleWorkflow.review,
            ReviewDecision(
                action=ReviewAction.REQUEST_SUPPLEMENT,
                reviewer="Phòng Nông nghiệp huyện Bình Liêu",
                reason="Thiếu phiếu kết quả kiểm nghiệm",
                documents_requested=documents,
            ),
        )

    async def supply(self, *documents: DocumentRef) -> None:
        await self.handle.execute_update(
            ProductLifecycleWorkflow.supply_supplement,
            SupplementSubmission(submitted_by="HTX Hợp Tiến", documents=documents),
        )

    async def submit(self, card: Scorecard) -> None:
        await self.handle.execute_update(
            ProductLifecycleWorkflow.submit_scorecard, ScorecardSubmission(scorecard=card)
        )

    async def score(self, level: str, *totals: int, mandatory: bool = True) -> None:
        """The first len(totals) members of the level's council, chair first, score."""
        members = self.councils[level].members
        for member, total in zip(members, totals, strict=False):
            await self.submit(
                scorecard_for_total(member.member_id, level, total, self.maxima, mandatory)
            )

    async def close(self, level: str) -> CloseSessionResult:
        return await self.handle.execute_update(
            ProductLifecycleWorkflow.close_session,
            CloseSessionRequest(level=level, closed_by=f"Thư ký hội đồng {level}"),
        )

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
        await self.handle.execute_update(
            ProductLifecycleWorkflow.recognise,
            RecognitionDecision(
                level=level,
                authority=authority or f"UBND {level}",
                decision_number=decision,
                decided_on=decided_on,
                certificate_number=certificate,
            ),
        )

    async def apply(self, application: Application) -> None:
        """Apply, then wait for the new round: it starts as a new run of the case.

        The wait reads the case's current run from the server rather than querying it:
        a query sent while the round continues as new can land on the closing run and
        go unanswered (seen once in CI as `Timeout expired`).
        """
        closing_run = (await self.latest.describe()).run_id
        await self.handle.execute_update(ProductLifecycleWorkflow.apply, application)

        async def next_run() -> bool | None:
            return True if (await self.latest.describe()).run_id != closing_run else None

        await eventually(next_run, f"{self.workflow_id} to open its next round")

    async def revoke(self, decided_on: date, grounds: RevocationGround) -> None:
        await self.handle.execute_update(
            ProductLifecycleWorkflow.revoke,
            RevocationDecision(
                authority="UBND tỉnh Quảng Ninh",
                decision_number="QD-THUHOI-07",
                decided_on=decided_on,
                grounds=grounds,
                details="Mẫu kiểm tra không đạt chỉ tiêu vi sinh",
            ),
        )
