"""The people around the demo's cases: producers, the district office, the councils.

They act through the HTTP API, each with a token of their own account (`door.py`): a
producer submits to the province's cycle, the district office reviews, council members
send scorecards and the secretary closes the session, the province revokes. Each is
the role of their step, scoped to its case (`cli/demo/cast.py` names who that is). What the
system does by itself (batch decisions, reminders, lapses) is told by `narrator`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from rich.markup import escape
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from cli.api_client import StepRefused
from cli.common import new_console
from cli.demo import cast
from cli.demo.chronicle import Chronicle
from cli.demo.door import ApiDoor, cycle_year
from cli.demo.pacer import Pacer
from cli.demo.province import (
    RULEBOOK,
    Entry,
    commune_office,
    document,
    dossier,
    local_assessment,
    member_totals,
    scorecard,
)
from cli.demo.stack import DemoError
from contracts import case
from contracts.case import product_workflow_id
from contracts.refs import UpdateRef, query
from infra.cases import case_handle
from infra.waiting import StillWaitingError, is_busy, poll_until
from models.actors import Actor, CaseAccess, Role, Scope, applicant_key
from models.applicants import RegistrationKind
from models.case import (
    CaseStage,
    CaseStatus,
    CloseSessionRequest,
    ReviewAction,
    ReviewDecision,
    RevocationDecision,
    RevocationGround,
    ScorecardSubmission,
    SupplementSubmission,
)
from models.clock import start_of_day
from models.council import Council, CouncilResult
from models.cycle import CycleReport
from models.cycle_calendar import DECISION_TIME
from models.cycle_messages import SubmissionReceipt
from models.dates import format_day
from models.dossier import Dossier, Language
from models.labels import Form, label, level_label
from models.rulebook import rulebook
from workflows.annual_cycle import AnnualCycleWorkflow
from workflows.product_lifecycle import ProductLifecycleWorkflow

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out")

console = new_console(highlight=False, soft_wrap=True)


def level_en(level: str) -> str:
    """A level's own word in English ("provincial"), from the label catalogue."""
    return level_label(level, Language.EN, Form.BARE)


FOLLOW_SLOWEST = 2.0
"""Following a case asks quickly at first, then less often, up to every 2 s."""
FOLLOW_GIVE_UP_SECONDS = 180.0
"""How long a case may take to act on what it was just told while the calendar stands
still. Nothing in the story depends on it: it only turns a hang into a clear error."""


def stars(value: int | None) -> str:
    return f"{int(value)}★" if value is not None else "—"


def business_start_of(day: date, hour: int = 8) -> datetime:
    return start_of_day(day) + timedelta(hours=hour)


# ------------------------------------------------------------------------ a product


class ProductCase:
    """One product of the province and the people who act on its case."""

    give_up_seconds = FOLLOW_GIVE_UP_SECONDS
    """How long a question to the case may go unanswered (a national year's benchmark
    waits longer: thousands of cases act at one decision moment)."""

    def __init__(
        self,
        client: Client,
        door: ApiDoor,
        province: str,
        entry: Entry,
        pacer: Pacer,
        chronicle: Chronicle,
        councils: dict[str, Council],
    ) -> None:
        self.client = client
        self.door = door
        self.entry = entry
        self.province = province
        self.pacer = pacer
        self.chronicle = chronicle
        self.councils = councils
        self.workflow_id = product_workflow_id(province, entry.code)
        self.handle: WorkflowHandle[ProductLifecycleWorkflow, Any] = case_handle(
            client, self.workflow_id
        )

    @property
    def name(self) -> str:
        return self.entry.name

    def say(self, text: str, when: datetime | date | None = None) -> None:
        self.chronicle.say(when or self.pacer.now, self.entry.name, text)

    def failure(self, step: str, reason: str, workflow_id: str | None = None) -> DemoError:
        """What failed, where: the product, its workflow, the step and the business date."""
        return DemoError(
            f"{self.name} ({workflow_id or self.workflow_id}), {step} on "
            f"{format_day(self.pacer.today())}: {reason}"
        )

    async def at(self, moment: datetime) -> None:
        """Wait for the calendar to stand at `moment`; the case is moved there with it."""
        await self.pacer.at(moment, self.workflow_id)

    async def pause(self, business_days: int) -> None:
        await self.at(self.pacer.now + timedelta(days=business_days))

    async def status(self) -> CaseStatus:
        try:
            return await self.handle.query(ProductLifecycleWorkflow.status)
        except RPCError as error:
            raise self.failure("reading its status", error.message) from None

    async def follow(
        self, until: Callable[[CaseStatus], bool], what: str, poll: float = 0.1
    ) -> CaseStatus:
        """Poll the case until `until` holds, which needs no time to pass on the calendar."""
        seen: list[CaseStatus] = []

        async def reached() -> CaseStatus | None:
            try:
                seen.append(await self.handle.query(ProductLifecycleWorkflow.status))
            except RPCError as error:
                if is_busy(error):  # a saturated worker let one question time out
                    return None
                raise self.failure("reading its status", error.message) from None
            return seen[-1] if until(seen[-1]) else None

        try:
            return await poll_until(
                reached, within=self.give_up_seconds, every=poll, what=what, slowest=FOLLOW_SLOWEST
            )
        except StillWaitingError:
            where = f"still at {seen[-1].stage.value}" if seen else "not answering"
            raise self.failure(
                f"waiting for {what}",
                f"the case is {where} after {self.give_up_seconds:.0f} s; "
                "run with --verbose to see the worker's log",
            ) from None

    async def _access_facts(self) -> CaseAccess:
        """The case's facts a step's actor is scoped to, asked again while it is busy."""

        async def answered() -> CaseAccess | None:
            try:
                return await query(self.handle, case.ACCESS_FACTS)
            except RPCError as error:
                if is_busy(error):
                    return None
                raise

        return await poll_until(answered, within=self.give_up_seconds, every=0.5, what="facts")

    async def _update(
        self,
        what: str,
        ref: UpdateRef[In, Out],
        argument: In,
        actor: Callable[[CaseAccess], Actor],
    ) -> Out:
        try:
            access = await self._access_facts()
            return await self.door.step(self.workflow_id, ref, argument, actor(access))
        except StepRefused as error:
            raise self.failure(what, f"refused: {error}") from None
        except RPCError as error:
            raise self.failure(what, error.message) from None
        except StillWaitingError:
            raise self.failure(
                what, f"the case answered nothing for {self.give_up_seconds:.0f} s"
            ) from None

    # -- the producer

    async def submit(
        self, cycle: WorkflowHandle[AnnualCycleWorkflow, CycleReport], dossier: Dossier
    ) -> SubmissionReceipt:
        try:
            producer = cast.person(
                Role.PRODUCER,
                dossier.applicant.name,
                Scope(
                    province=dossier.province,
                    applicant=applicant_key(str(dossier.applicant.email)),
                ),
            )
            receipt = await self.door.submit(self.province, cycle_year(cycle.id), dossier, producer)
        except StepRefused as error:
            raise self.failure("submitting the dossier", f"refused: {error}", cycle.id) from None
        except RPCError as error:
            raise self.failure("submitting the dossier", error.message, cycle.id) from None
        return receipt

    async def submit_first(self, cycle: WorkflowHandle[AnnualCycleWorkflow, CycleReport]) -> None:
        await self.submit(cycle, dossier(self.entry, self.province))
        await self.follow(lambda s: s.stage == CaseStage.LOCAL_REVIEW, "the district review")

    async def submit_reevaluation(
        self, cycle: WorkflowHandle[AnnualCycleWorkflow, CycleReport], held: int
    ) -> None:
        application = dossier(self.entry, self.province, RegistrationKind.REEVALUATION, held)
        await self.submit(cycle, application)
        await self.follow(
            lambda s: s.round_number >= 2 and s.stage == CaseStage.LOCAL_REVIEW,
            "the re-evaluation round to open",
        )
        self.say(
            f"applies for [cyan]re-evaluation[/] of its {stars(held)} in the {cycle.id[-4:]} cycle"
        )

    # -- the district office

    def _reviewer(self) -> str:
        return f"Phòng Nông nghiệp, UBND {self.entry.district.name}"

    def _office(self) -> Callable[[CaseAccess], Actor]:
        return cast.reviewer(self._reviewer())

    async def review(self, first: bool = True) -> bool:
        """The district reviews the dossier; False when the case ends here.

        Only first dossiers go wrong in this story: re-evaluations arrive complete.
        """
        entry = self.entry
        if first and entry.rejected:
            decision = ReviewDecision(
                action=ReviewAction.REJECT, reviewer=self._reviewer(), reason=entry.rejected
            )
            await self._update("rejecting the dossier", case.REVIEW, decision, self._office())
            self.say(f"[red]rejected[/] by the district: {escape(entry.rejected)}")
            return False
        if first and entry.missing is not None:
            doc = label(entry.missing)
            request = ReviewDecision(
                action=ReviewAction.REQUEST_SUPPLEMENT,
                reviewer=self._reviewer(),
                reason=f"Hồ sơ còn thiếu: {doc}",
                documents_requested=(entry.missing,),
            )
            await self._update("the supplement request", case.REVIEW, request, self._office())
            request_day = self.pacer.now
            if not entry.supplies:
                self.say(f"[yellow]supplement requested[/] ({escape(doc)}); nothing arrives")
                window = (await self.status()).next_deadline
                if window is None:
                    raise self.failure("the supplement request", "the case set no deadline")
                # The case returns the dossier at its deadline; see it a day later.
                await self.at(window.due + timedelta(days=1))
                returned = await self.follow(
                    lambda s: s.stage == CaseStage.RETURNED, "the dossier to be returned"
                )
                ended = returned.rounds[-1].ended_at if returned.rounds else window.due
                days = (window.due - request_day).days
                self.say(
                    f"[red]returned[/]: the supplement did not arrive within {days} days", ended
                )
                return False
            supplement = SupplementSubmission(
                submitted_by=entry.applicant, documents=(document(entry.missing, entry.code),)
            )
            producer = cast.producer(entry.applicant)
            await self._update("the supplement", case.SUPPLY_SUPPLEMENT, supplement, producer)
            self.say(f"[yellow]supplement requested[/] ({escape(doc)}) and brought the same week")
        status = await self.status()
        if rulebook(status.rulebook).levels[0].assesses_local_origin:
            # Under the 2025 rules the commune reviews, with its local-origin findings.
            office = commune_office(entry.district)
            accept = ReviewDecision(
                action=ReviewAction.ACCEPT,
                reviewer=office,
                local_assessment=local_assessment(office, entry.code),
            )
            await self._update("accepting the dossier", case.REVIEW, accept, cast.reviewer(office))
            self.say("the commune accepts the dossier with its local-origin assessment")
            return True
        accept = ReviewDecision(action=ReviewAction.ACCEPT, reviewer=self._reviewer())
        await self._update("accepting the dossier", case.REVIEW, accept, self._office())
        return True

    # -- the councils

    async def score_some(
        self, level: str, quality: int, members: int, attempt: int = 1
    ) -> tuple[int, ...]:
        """The first `members` of the council score (the session stays open for any
        others); the totals they gave."""
        council = self.councils[level]
        totals = member_totals(self.entry, level, quality, attempt)[:members]
        for member, total in zip(council.members, totals, strict=False):
            card = scorecard(
                member.member_id, level, total, RULEBOOK.maxima, self.entry.mandatory_met
            )
            await self._update(
                f"the scorecard of {member.member_id}",
                case.SUBMIT_SCORECARD,
                ScorecardSubmission(scorecard=card),
                cast.council_member(member.member_id, level, member.name),
            )
        return totals

    async def score(self, level: str, quality: int) -> tuple[CouncilResult, CaseStatus]:
        """The council scores until its totals agree, then its secretary closes the session."""
        council = self.councils[level]
        for attempt in (1, 2):
            totals = await self.score_some(level, quality, len(council.members), attempt)
            secretary = f"Thư ký Hội đồng OCOP {level_label(level)}"
            closed = await self._update(
                f"closing the {level} council session",
                case.CLOSE_SESSION,
                CloseSessionRequest(level=level, closed_by=secretary),
                cast.secretary(secretary, level),
            )
            if closed.result is None:
                spread = max(totals) - min(totals)
                self.say(
                    f"[magenta]{level_en(level)} council re-scores[/]: totals {min(totals)}–"
                    f"{max(totals)} are {spread} points apart (more than "
                    f"{RULEBOOK.council.max_divergence})"
                )
                continue
            return closed.result, await self.status()
        raise self.failure(f"the {level} council", "its members never agreed")

    async def evaluate(self, quality: int) -> str:
        """Score at every level the case reaches; return where the round ended up."""
        while True:
            status = await self.status()
            if status.stage != CaseStage.COUNCIL_SCORING or status.level is None:
                found = status.stage.value
                raise self.failure("the councils", f"expected a council, found {found}")
            level = status.level
            await self.pause(3)
            result, status = await self.score(level, quality)
            points = f"{result.mean} points, {stars(result.stars)}"
            reached = level_en(status.level or level)
            if status.stage == CaseStage.COUNCIL_SCORING and status.level != level:
                self.say(f"{level_en(level)} council: {points} — sent up to the {reached} council")
                continue
            if status.stage == CaseStage.AWAITING_RECOGNITION:
                return f"{level_en(level)} council: {points} — awaits the {reached} decision"
            if status.stage == CaseStage.NOT_CERTIFIED:
                reason = "" if self.entry.mandatory_met else " (mandatory 3★ criteria not met)"
                return f"[red]not certified[/]: {level_en(level)} council {points}{reason}"
            return f"{level_en(level)} council: {points} — {status.stage.value}"

    # -- later years

    async def certified(self, decisions: dict[str, date], round_number: int = 1) -> CaseStatus:
        """Wait for the awaited level's decision moment, then see the certificate arrive."""
        status = await self.status()
        level = status.level or ""
        if status.stage == CaseStage.AWAITING_RECOGNITION and level in decisions:
            await self.at(start_of_day(decisions[level]) + DECISION_TIME)
        return await self.follow(
            lambda s: (
                s.round_number >= round_number
                and s.stage == CaseStage.CERTIFIED
                and s.certificate is not None
            ),
            "its recognition decision",
        )

    async def revoke(self, authority: str, number: str, details: str) -> None:
        decision = RevocationDecision(
            authority=authority,
            decision_number=number,
            decided_on=self.pacer.today(),
            grounds=RevocationGround.QUALITY_MISMATCH,
            details=details,
        )
        held = (await self.status()).certificate
        await self._update("the revocation", case.REVOKE, decision, cast.authority(authority))
        certificate = f"certificate {escape(held.number)} ({stars(held.stars)}) " if held else ""
        self.say(
            f"[red]revoked[/] by {escape(authority)} (decision {escape(number)}): "
            f"{certificate}— {escape(details)}"
        )

    async def mail_sent(self) -> None:
        await self.follow(lambda s: s.emails_queued == 0, "its emails to be sent")
