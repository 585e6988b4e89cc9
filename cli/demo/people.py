"""The people around the demo's cases: producers, the district office, the councils.

They act the way the command line lets them, through the workflows' Updates: a
producer submits to the province's cycle, the district office reviews, council members
send scorecards and the secretary closes the session, the province revokes. What the
system does by itself (batch decisions, reminders, lapses) is told by `narrator`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.markup import escape
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError

from cli.demo.province import (
    RULEBOOK,
    Entry,
    document,
    dossier,
    member_totals,
    scorecard,
)
from cli.demo.stack import DemoError
from infra.cases import case_handle, explain_refusal
from models.applicants import RegistrationKind
from models.case import (
    CaseStage,
    CaseStatus,
    CloseSession,
    ReviewAction,
    ReviewDecision,
    RevocationDecision,
    RevocationGround,
    ScorecardSubmission,
    SupplementSubmission,
    product_workflow_id,
)
from models.catalogue import DOCUMENT_LABELS_VI
from models.clock import VIETNAM, BusinessClock, start_of_day
from models.council import Council, CouncilResult
from models.cycle import CycleReport, SubmissionReceipt
from models.dossier import Dossier
from workflows.annual_cycle import AnnualCycleWorkflow
from workflows.product_lifecycle import ProductLifecycleWorkflow

console = Console(soft_wrap=True, highlight=False)

LEVEL_EN = {"district": "district", "province": "provincial", "central": "central"}
LEVEL_VI = {"district": "huyện", "province": "tỉnh", "central": "trung ương"}


def stars(value: int | None) -> str:
    return f"{int(value)}★" if value is not None else "—"


def say(day: date, who: str, text: str) -> None:
    """One dated line of the story; `text` may hold Rich markup, `who` may not."""
    console.print(f"[dim]{day.isoformat()}[/]  [bold]{escape(who):<34.34}[/] {text}")


# --------------------------------------------------------------------------- the clock


@dataclass(frozen=True)
class DemoClock:
    """The province's compressed calendar, as its first cycle keeps it."""

    clock: BusinessClock

    @property
    def speed(self) -> float:
        return self.clock.speed

    def now(self) -> datetime:
        return self.clock.business_now(datetime.now(UTC))

    def today(self) -> date:
        return self.now().astimezone(VIETNAM).date()

    def real_seconds(self, business_days: float) -> float:
        return business_days * 86_400 / self.speed

    async def sleep_until(self, moment: datetime | date) -> None:
        target = moment if isinstance(moment, datetime) else start_of_day(moment)
        remaining = (target - self.now()).total_seconds() / self.speed
        if remaining > 0:
            await asyncio.sleep(remaining)

    async def pause(self, business_days: float) -> None:
        await asyncio.sleep(self.real_seconds(business_days))


async def workflow_clock(
    handle: WorkflowHandle[Any, Any], business_start: datetime, speed: float
) -> BusinessClock:
    """A workflow's clock starts at its first workflow task (`workflow.now()` there).

    Read from the history, not a query: a query answers with the time of the last
    workflow task, which stands still while the workflow sleeps.
    """
    for _ in range(100):
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                return BusinessClock(
                    real_origin=event.event_time.ToDatetime(tzinfo=UTC),
                    business_origin=business_start,
                    speed=speed,
                )
        await asyncio.sleep(0.05)
    raise DemoError(f"{handle.id} has not started its first workflow task")


# ------------------------------------------------------------------------ a product


class ProductCase:
    """One product of the province and the people who act on its case."""

    def __init__(
        self,
        client: Client,
        province: str,
        entry: Entry,
        clock: DemoClock,
        councils: dict[str, Council],
    ) -> None:
        self.client = client
        self.entry = entry
        self.province = province
        self.clock = clock
        self.councils = councils
        self.workflow_id = product_workflow_id(province, entry.code)
        self.handle: WorkflowHandle[ProductLifecycleWorkflow, Any] = case_handle(
            client, self.workflow_id
        )

    @property
    def name(self) -> str:
        return self.entry.name

    def say(self, text: str, day: date | None = None) -> None:
        say(day or self.clock.today(), self.entry.name, text)

    async def status(self) -> CaseStatus:
        return await self.handle.query(ProductLifecycleWorkflow.status)

    async def follow(
        self,
        until: Callable[[CaseStatus], bool],
        what: str,
        business_days: float,
        poll: float = 0.2,
    ) -> CaseStatus:
        """Poll the case until `until` holds; give up (clearly) well after it should have."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.clock.real_seconds(business_days) * 3 + 30
        while True:
            status = await self.status()
            if until(status):
                return status
            if loop.time() > deadline:
                raise DemoError(
                    f"{self.name}: still waiting for {what} after {business_days:.0f} business "
                    f"days (stage {status.stage.value})"
                )
            await asyncio.sleep(poll)

    async def _update(self, what: str, call: Any, argument: Any) -> Any:
        try:
            return await self.handle.execute_update(call, argument)
        except WorkflowUpdateFailedError as error:
            raise DemoError(f"{self.name}: {what} was refused: {explain_refusal(error)}") from None

    # -- the producer

    async def submit(
        self, cycle: WorkflowHandle[AnnualCycleWorkflow, CycleReport], dossier: Dossier
    ) -> SubmissionReceipt:
        try:
            receipt = await cycle.execute_update(AnnualCycleWorkflow.submit, dossier)
        except WorkflowUpdateFailedError as error:
            raise DemoError(
                f"{self.name}: the {cycle.id} cycle refused the dossier: {explain_refusal(error)}"
            ) from None
        return receipt

    async def submit_first(self, cycle: WorkflowHandle[AnnualCycleWorkflow, CycleReport]) -> None:
        await self.submit(cycle, dossier(self.entry, self.province))
        await self.follow(lambda s: s.stage == CaseStage.LOCAL_REVIEW, "the district review", 10)

    async def submit_reevaluation(
        self, cycle: WorkflowHandle[AnnualCycleWorkflow, CycleReport], held: int
    ) -> None:
        application = dossier(self.entry, self.province, RegistrationKind.REEVALUATION, held)
        await self.submit(cycle, application)
        await self.follow(
            lambda s: s.round_number >= 2 and s.stage == CaseStage.LOCAL_REVIEW,
            "the re-evaluation round to open",
            10,
        )
        self.say(
            f"applies for [cyan]re-evaluation[/] of its {stars(held)} in the {cycle.id[-4:]} cycle"
        )

    # -- the district office

    def _reviewer(self) -> str:
        return f"Phòng Nông nghiệp, UBND {self.entry.district.name}"

    async def review(self, first: bool = True) -> bool:
        """The district reviews the dossier; False when the case ends here.

        Only first dossiers go wrong in this story: re-evaluations arrive complete.
        """
        entry = self.entry
        if first and entry.rejected:
            decision = ReviewDecision(
                action=ReviewAction.REJECT, reviewer=self._reviewer(), reason=entry.rejected
            )
            await self._update("rejecting the dossier", ProductLifecycleWorkflow.review, decision)
            self.say(f"[red]rejected[/] by the district: {escape(entry.rejected)}")
            return False
        if first and entry.missing is not None:
            label = DOCUMENT_LABELS_VI[entry.missing]
            request = ReviewDecision(
                action=ReviewAction.REQUEST_SUPPLEMENT,
                reviewer=self._reviewer(),
                reason=f"Hồ sơ còn thiếu: {label}",
                documents_requested=(entry.missing,),
            )
            await self._update("the supplement request", ProductLifecycleWorkflow.review, request)
            if not entry.supplies:
                self.say(f"[yellow]supplement requested[/] ({escape(label)}); nothing arrives")
                await self.follow(
                    lambda s: s.stage == CaseStage.RETURNED, "the dossier to be returned", 20
                )
                self.say("[red]returned[/]: the supplement did not arrive within 15 days")
                return False
            supplement = SupplementSubmission(
                submitted_by=entry.applicant, documents=(document(entry.missing, entry.code),)
            )
            await self._update(
                "the supplement", ProductLifecycleWorkflow.supply_supplement, supplement
            )
            self.say(f"[yellow]supplement requested[/] ({escape(label)}) and brought the same week")
        accept = ReviewDecision(action=ReviewAction.ACCEPT, reviewer=self._reviewer())
        await self._update("accepting the dossier", ProductLifecycleWorkflow.review, accept)
        return True

    # -- the councils

    async def score(self, level: str, quality: int) -> tuple[CouncilResult, CaseStatus]:
        """The council scores until its totals agree, then its secretary closes the session."""
        council = self.councils[level]
        for attempt in (1, 2):
            totals = member_totals(self.entry, level, quality, attempt)
            for member, total in zip(council.members, totals, strict=False):
                card = scorecard(
                    member.member_id, level, total, RULEBOOK.maxima, self.entry.mandatory_met
                )
                await self._update(
                    f"the scorecard of {member.member_id}",
                    ProductLifecycleWorkflow.submit_scorecard,
                    ScorecardSubmission(scorecard=card),
                )
            closed = await self._update(
                f"closing the {level} council session",
                ProductLifecycleWorkflow.close_session,
                CloseSession(level=level, closed_by=f"Thư ký Hội đồng OCOP cấp {LEVEL_VI[level]}"),
            )
            if closed.result is None:
                spread = max(totals) - min(totals)
                self.say(
                    f"[magenta]{LEVEL_EN[level]} council re-scores[/]: totals {min(totals)}–"
                    f"{max(totals)} are {spread} points apart (more than "
                    f"{RULEBOOK.council.max_divergence})"
                )
                continue
            return closed.result, await self.status()
        raise DemoError(f"{self.name}: the {level} council never agreed")

    async def evaluate(self, quality: int) -> str:
        """Score at every level the case reaches; return where the round ended up."""
        while True:
            status = await self.status()
            if status.stage != CaseStage.COUNCIL_SCORING or status.level is None:
                raise DemoError(f"{self.name}: expected a council, found {status.stage.value}")
            level = status.level
            await self.clock.pause(3)
            result, status = await self.score(level, quality)
            points = f"{result.mean} points, {stars(result.stars)}"
            reached = LEVEL_EN.get(status.level or level, status.level or level)
            if status.stage == CaseStage.COUNCIL_SCORING and status.level != level:
                self.say(f"{LEVEL_EN[level]} council: {points} — sent up to the {reached} council")
                continue
            if status.stage == CaseStage.AWAITING_RECOGNITION:
                return f"{LEVEL_EN[level]} council: {points} — awaits the {reached} decision"
            if status.stage == CaseStage.NOT_CERTIFIED:
                reason = "" if self.entry.mandatory_met else " (mandatory 3★ criteria not met)"
                return f"[red]not certified[/]: {LEVEL_EN[level]} council {points}{reason}"
            return f"{LEVEL_EN[level]} council: {points} — {status.stage.value}"

    # -- later years

    async def certified(self, decisions: dict[str, date], round_number: int = 1) -> CaseStatus:
        """Sleep until the awaited level's decision date, then see the certificate arrive.

        No polling meanwhile: every query is a workflow task for the worker, and three
        dozen cases asking ten times a second would starve the cases that work.
        """
        status = await self.status()
        level = status.level or ""
        if status.stage == CaseStage.AWAITING_RECOGNITION and level in decisions:
            await self.clock.sleep_until(start_of_day(decisions[level]) + timedelta(hours=12))
        return await self.follow(
            lambda s: (
                s.round_number >= round_number
                and s.stage == CaseStage.CERTIFIED
                and s.certificate is not None
            ),
            "its recognition decision",
            20,
            poll=0.25,
        )

    async def revoke(self, authority: str, number: str, details: str) -> None:
        decision = RevocationDecision(
            authority=authority,
            decision_number=number,
            decided_on=self.clock.today(),
            grounds=RevocationGround.QUALITY_MISMATCH,
            details=details,
        )
        held = (await self.status()).certificate
        await self._update("the revocation", ProductLifecycleWorkflow.revoke, decision)
        certificate = f"certificate {escape(held.number)} ({stars(held.stars)}) " if held else ""
        self.say(
            f"[red]revoked[/] by {escape(authority)} (decision {escape(number)}): "
            f"{certificate}— {escape(details)}"
        )

    async def mail_sent(self) -> None:
        await self.follow(lambda s: s.emails_queued == 0, "its emails to be sent", 30, poll=0.25)


def business_start_of(day: date, hour: int = 8) -> datetime:
    return start_of_day(day) + timedelta(hours=hour)
