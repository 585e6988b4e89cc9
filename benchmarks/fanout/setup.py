"""Bringing N products to the district's recognition: submitted through the cycle,
accepted by the district office, scored by its council, until every case is quiet.

Each case is driven the way its people would drive it, through the same Updates the
command line sends (`ProductCase`), each signed in its actor's name with the stack's key
file (`benchmarks/people.py`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client, WorkflowHandle

from benchmarks.fanout.figures import BenchmarkError, Options, Setup, lead_too_short
from benchmarks.fanout.province import LEVEL, SCORES, dossier, scorecard
from benchmarks.fanout.tools import bounded, progress, until
from benchmarks.people import member, producer, reviewer, secretary
from contracts import case
from contracts.cycle import SUBMIT
from infra.action_keys import ActionKeys
from infra.actions import act
from infra.cases import case_handle
from infra.waiting import StillWaitingError, poll_until
from models.case import CloseSessionRequest, ReviewAction, ReviewDecision, ScorecardSubmission
from models.council import Council
from models.cycle import CycleReport
from models.cycle_settings import CycleInput
from models.dossier import Dossier
from models.scorecard import PartMaxima
from workflows.annual_cycle import AnnualCycleWorkflow
from workflows.product_lifecycle import ProductLifecycleWorkflow

SETTLE_WITHIN_S = 120.0
"""How long a case may take to write its last step and hand its e-mails over."""


@dataclass(frozen=True)
class ProductCase:
    """One product's case, as the district office, its council and secretary act on it."""

    handle: WorkflowHandle[ProductLifecycleWorkflow, Any]
    dossier: Dossier
    council: Council
    maxima: PartMaxima
    keys: ActionKeys

    async def accept(self) -> None:
        office = reviewer(self.dossier.province, self.dossier.locality)
        decision = ReviewDecision(action=ReviewAction.ACCEPT, reviewer="Phòng Kinh tế huyện")
        await act(self.handle, self.keys, office, case.REVIEW, decision)

    async def score_and_close(self) -> None:
        """The first members of the council, chair first, send SCORES; the session closes."""
        province = self.dossier.province
        for on_roster, total in zip(self.council.members, SCORES, strict=False):
            card = ScorecardSubmission(scorecard=scorecard(on_roster.member_id, total, self.maxima))
            signer = member(province, LEVEL, on_roster.member_id)
            await act(self.handle, self.keys, signer, case.SUBMIT_SCORECARD, card)
        request = CloseSessionRequest(level=LEVEL, closed_by=f"Thư ký hội đồng {LEVEL}")
        await act(self.handle, self.keys, secretary(province, LEVEL), case.CLOSE_SESSION, request)

    async def settled(self) -> None:
        """Until the case has recorded every transition and handed over every e-mail."""

        async def quiet() -> bool | None:
            status = await self.handle.query(ProductLifecycleWorkflow.status)
            return None if status.emails_queued or status.register_writes_pending else True

        try:
            await poll_until(quiet, within=SETTLE_WITHIN_S, what=f"{self.handle.id} to settle")
        except StillWaitingError as error:
            raise BenchmarkError(str(error)) from None


async def set_up(
    client: Client,
    handle: WorkflowHandle[AnnualCycleWorkflow, CycleReport],
    cycle: CycleInput,
    options: Options,
    lead_s: float,
    started: list[str],
    keys: ActionKeys,
) -> Setup:
    """Submit N dossiers and score each case, until every case is quiet."""
    n, limit = options.products, options.setup_concurrency
    begin = time.perf_counter()
    dossiers = [dossier(cycle.province, i, options.districts) for i in range(1, n + 1)]

    def submit(item: Dossier) -> Callable[[], Awaitable[Any]]:
        return lambda: act(handle, keys, producer(item), SUBMIT, item)

    # The server admits a few Updates in flight per workflow (the dev server: 10).
    receipts = await bounded(options.submit_concurrency, (submit(item) for item in dossiers))
    started.extend(receipt.workflow_id for receipt in receipts)
    submitted = time.perf_counter()
    progress(f"{n} submissions in {submitted - begin:.1f} s ({n / (submitted - begin):.1f}/s)")

    council = next(c for c in cycle.councils if c.level == LEVEL)
    maxima = cycle.rulebook.maxima
    cases = [
        ProductCase(case_handle(client, receipt.workflow_id), item, council, maxima, keys)
        for receipt, item in zip(receipts, dossiers, strict=True)
    ]

    def review(case: ProductCase) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            await case.accept()
            await case.score_and_close()

        return job

    await bounded(limit, (review(case) for case in cases))
    reviewed = time.perf_counter()
    progress(f"{n} reviewed and scored in {reviewed - submitted:.1f} s")

    async def all_awaiting() -> bool:
        report = await handle.query(AnnualCycleWorkflow.report)
        if report.decisions:
            raise lead_too_short(lead_s, n, time.perf_counter() - begin)
        return report.awaiting_recognition.get(LEVEL, 0) == n

    await until(all_awaiting, f"{n} products awaiting recognition", within=60, every=0.2)

    # Every case has written its last step to the register and handed its e-mails over,
    # so the fan-out does not share the machine with the setup's leftovers.
    await bounded(limit, (case.settled for case in cases))
    settled = time.perf_counter()
    return Setup(submitted - begin, reviewed - submitted, settled - reviewed)
