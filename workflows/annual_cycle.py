"""The annual cycle: one workflow per province and year (`ocop-cycle-{province}-{year}`).

It receives submissions through the `submit` Update (refused, before they touch
history, outside the window, for a product already in the cycle or for a dossier that
does not belong here), starts or continues each product's own lifecycle workflow
through an activity, and keeps only the latest `CaseProgress` each case signals.
On each level's recognition date it issues one numbered decision per authority for
every product awaiting recognition there and fans the `recognise` Update out to them
through an activity. At the close (an administrator's `close` Update, or the end of
the calendar) it emails the report to the administrators and records it.

Scale: no child workflows, one small record per product, and continue-as-new when
the server suggests it or the history passes `max_history_events`, after every
running handler has finished.

Its names (Updates, query, signal, workflow type) are `contracts/cycle.py`'s; its
activities are called through `workflows/cycle_steps.py`, and the pure rules it applies
are in `models/cycle_*.py`. The yearly launcher is `workflows/cycle_launcher.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date, datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows import cycle_steps
from workflows.calendar import KeepsBusinessCalendar
from workflows.cycle_batches import IssuesBatchDecisions, sooner
from workflows.cycle_progress import ProgressGate
from workflows.handlers import update_handler
from workflows.refusal import refuse
from workflows.signed_actions import SignedActions, as_sent

with workflow.unsafe.imports_passed_through():
    from pydantic import JsonValue

    from contracts import cycle
    from contracts.case import product_workflow_id
    from contracts.cycle import cycle_workflow_id
    from models.actors import actor_label, cycle_administration_refusal, submission_refusal
    from models.assertions import SignedAction
    from models.case import CaseStage
    from models.clock import BusinessClock, start_of_day
    from models.cycle import (
        CaseProgress,
        CycleReport,
        DecisionSummary,
        build_report,
    )
    from models.cycle_calendar import DECISION_TIME, decision_day, recognising_levels
    from models.cycle_messages import (
        CaseOpened,
        CloseCycle,
        CycleAuditEntry,
        CycleCaseRequest,
        OpenAction,
        SubmissionReceipt,
        case_request,
    )
    from models.cycle_rules import cycle_close_refusal, cycle_submission_refusal
    from models.cycle_settings import CycleCarried, CycleInput, cycle_dossier_number
    from models.dossier import Dossier

PATCH_DECISIONS_ON_CALENDAR_DATE = "decisions-on-calendar-date"

_DUE_SLACK = timedelta(milliseconds=1)


def _due_within(delay: timedelta | None) -> bool:
    """Whether a moment this far off counts as come (None: a paced calendar holds before it)."""
    return delay is not None and delay <= _DUE_SLACK


@workflow.defn(name=cycle.WORKFLOW_TYPE)
class AnnualCycleWorkflow(KeepsBusinessCalendar, IssuesBatchDecisions):
    @workflow.init
    def __init__(self, input: CycleInput) -> None:
        self._input = input
        carried = input.carried
        if carried is None:
            now = workflow.now()
            carried = CycleCarried(
                clock=BusinessClock.anchored(
                    now,
                    input.business_start or now,
                    input.policy.clock_speed,
                    input.policy.paced_calendar,
                ),
                run_number=1,
            )
        self._clock = carried.clock
        self._run_number = carried.run_number
        self._products: dict[str, CaseProgress] = {
            progress.product_code.lower(): progress
            for progress in map(CaseProgress.from_row, carried.products)
        }
        self._decisions: list[DecisionSummary] = list(carried.decisions)
        self._levels_done: set[str] = set(carried.levels_done)
        self._issued: dict[str, int] = dict(carried.issued)
        # Listed in a decision but not recognised (their case had gone, or refused it):
        # not listed again by the closing decisions.
        self._skipped: set[str] = set(carried.skipped)
        # Submissions whose case is being opened: a second one for them is a duplicate.
        self._pending: dict[str, int] = {}
        # Checks each case_progress against the case the cycle opened for its product.
        self._progress_gate = ProgressGate(input.province, carried, self._products)
        self._close: CloseCycle | None = None
        self._closing = False
        self._final: CycleReport | None = None
        # Letters to the administrators about products a decision could not recognise.
        self._alerts: set[asyncio.Task[None]] = set()
        self.action_nonces = dict(carried.action_nonces)
        self._signed = SignedActions(lambda: self)
        # Numbers already given; a run from before numbering gave none, so its products
        # are counted to keep the next numbers after them.
        self._dossiers_numbered = (
            carried.dossiers_numbered
            if carried.dossiers_numbered is not None
            else len(self._products)
        )

    # ------------------------------------------------------------------ run

    @workflow.run
    async def run(self, input: CycleInput) -> CycleReport:
        while True:
            if self._close is None and self._business_now() >= self._end_moment():
                self._close = CloseCycle(closed_by="system", reason="the cycle's calendar ended")
            if self._close is not None:
                break
            for level in self._due_levels():
                await self._recognise_level(level, self._decision_day(level))
            await self._retry_unrecognised()
            if self._history_full():
                await self._continue_as_new()
                continue
            clock = self._clock
            delay = sooner(clock.real_delay(workflow.now(), self._next_moment()), self._retry_in())
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda held=clock: (  # type: ignore[misc]
                        self._close is not None or self._history_full() or self._clock is not held
                    ),
                    # A paced calendar brings the next moment only by a move (no timer).
                    timeout=None if delay is None else max(delay, _DUE_SLACK),
                )
        return await self._finish()

    async def _finish(self) -> CycleReport:
        """Let submissions under way finish, recognise whoever still waits, then report."""
        closing = self._close
        assert closing is not None
        self._closing = True
        await workflow.wait_condition(lambda: not self._pending)
        for level in recognising_levels(self._input.rulebook):
            await self._recognise_level(level, self._today())
        await self._retry_unrecognised(closing=True)
        await workflow.wait_condition(lambda: not self._alerts)
        report = self._report(closed=True)
        self._final = report
        await self._record(
            "cycle_report",
            actor=closing.closed_by,
            reason=closing.reason,
            details=report.model_dump(mode="json"),
        )
        await cycle_steps.send_report(
            workflow.info().workflow_id,
            report,
            closing,
            self._today(),
            self._input.administrators,
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return report

    async def _continue_as_new(self) -> None:
        """Hand the state to a fresh run once every handler has finished (unless closing)."""
        await workflow.wait_condition(
            lambda: (
                (workflow.all_handlers_finished() and not self._alerts) or self._close is not None
            )
        )
        if self._close is not None:
            return
        carried = CycleCarried(
            clock=self._clock,
            run_number=self._run_number + 1,
            products=tuple(progress.row() for progress in self._products.values()),
            decisions=tuple(self._decisions),
            levels_done=tuple(sorted(self._levels_done)),
            issued=dict(self._issued),
            skipped=tuple(sorted(self._skipped)),
            action_nonces=self.action_nonces,
            dossiers_numbered=self._dossiers_numbered,
            **self._progress_gate.carried(),
        )
        workflow.continue_as_new(self._input.model_copy(update={"carried": carried}))

    async def _record(
        self,
        action: str,
        *,
        actor: str,
        reason: str = "",
        details: dict[str, JsonValue] | None = None,
        key: str | None = None,
    ) -> None:
        cycle_id = workflow.info().workflow_id
        await cycle_steps.record(
            CycleAuditEntry(
                key=f"{cycle_id}:{key or action}",
                workflow_id=cycle_id,
                occurred_at=self._business_now(),
                actor=actor,
                action=action,
                reason=reason,
                details=details or {},
            )
        )

    # -------------------------------------------------------------- updates

    @update_handler(cycle.SUBMIT)
    async def submit(
        self, dossier: Dossier, signed: SignedAction | None = None
    ) -> SubmissionReceipt:
        dossier = as_sent(Dossier, dossier)
        # The producer's verified hand goes with the request: an application on a
        # running case is signed again, in their name, by the cycle's activity.
        actor = self._signed.accepted(signed)
        code = dossier.product_code.lower()
        # Given before the case opens, so two submissions at once never share a number;
        # one the case then refuses leaves a gap, as a paper register would.
        self._dossiers_numbered += 1
        number = cycle_dossier_number(self._input, self._dossiers_numbered)
        self._pending[code] = self._pending.get(code, 0) + 1
        try:
            if self._input.start_cases:
                request = self._case_request(dossier, number)
                if actor is not None:
                    case = request.case.model_copy(update={"submitted_by": actor_label(actor)})
                    request = request.model_copy(update={"actor": actor, "case": case})
                opened = await cycle_steps.open_case(request)
            else:
                opened = CaseOpened(
                    workflow_id=product_workflow_id(dossier.province, dossier.product_code),
                    action=OpenAction.RECORDED,
                )
        except ActivityError as error:
            self._progress_gate.not_opened(code)
            cause = error.cause
            if isinstance(cause, ApplicationError):
                raise ApplicationError(
                    cause.message, type=cause.type or "CaseRefused", non_retryable=True
                ) from None
            raise ApplicationError(
                f"không mở được hồ sơ của sản phẩm {dossier.product_code}, đề nghị gửi lại sau — "
                f"the product's case could not be opened ({error.message}); try again later",
                type="CaseNotOpened",
            ) from None
        finally:
            self._pending[code] -= 1
            if not self._pending[code]:
                del self._pending[code]
        submitted = CaseProgress(
            workflow_id=opened.workflow_id,
            product_code=dossier.product_code,
            locality=dossier.locality,
            applicant_kind=dossier.applicant.kind,
            registration_kind=dossier.registration_kind,
            stage=CaseStage.SUBMITTED,
            level=self._input.rulebook.levels[0].name,
            stars=dossier.current_stars,
        )
        if self._progress_gate.checking():
            # What the case said meanwhile is kept if it is this case's, in its round.
            self._progress_gate.opened(submitted, opened, self._products)
        else:  # the case may already have told us its first stage: keep what it said
            self._products.setdefault(code, submitted)
        return SubmissionReceipt(
            cycle=workflow.info().workflow_id,
            product_code=dossier.product_code,
            product_name=dossier.product_name,
            workflow_id=opened.workflow_id,
            action=opened.action,
            received_on=self._today(),
            dossier_number=number,
        )

    @submit.validator
    def _validate_submission(self, dossier: Dossier, signed: SignedAction | None = None) -> None:
        actor = self._signed.verified(signed, cycle.SUBMIT.name, dossier)
        refuse(submission_refusal(actor, dossier))
        refuse(
            cycle_submission_refusal(
                self._input,
                dossier,
                self._today(),
                closing=self._close is not None or self._closing,
                pending=self._pending,
                products=self._products,
            )
        )

    @update_handler(cycle.CLOSE)
    async def close(self, request: CloseCycle, signed: SignedAction | None = None) -> CycleReport:
        request = as_sent(CloseCycle, request)
        actor = self._signed.accepted(signed)
        if actor is not None:  # the report and the audit name the verified administrator
            request = request.model_copy(update={"closed_by": actor_label(actor)})
        if self._close is None:
            self._close = request
        await workflow.wait_condition(lambda: self._final is not None)
        assert self._final is not None
        return self._final

    @close.validator
    def _validate_close(self, request: CloseCycle, signed: SignedAction | None = None) -> None:
        actor = self._signed.verified(signed, cycle.CLOSE.name, request)
        refuse(cycle_administration_refusal(actor, self._input.province))
        refuse(cycle_close_refusal(self._close))

    @workflow.signal(name=cycle.CASE_PROGRESS.name)
    def case_progress(self, progress: CaseProgress) -> None:
        if self._progress_gate.checking():  # only the cycle's own cases, in their round
            self._progress_gate.take(progress, self._products, self._pending)
            return
        code = progress.product_code.lower()
        known = self._products.get(code)
        if known is not None and progress.round_number < known.round_number:
            return  # a late word from an earlier round
        self._products[code] = progress

    @workflow.query(name=cycle.REPORT.name)
    def report(self) -> CycleReport:
        return self._final or self._report(closed=False)

    # -------------------------------------------------------------- helpers

    def _case_request(self, dossier: Dossier, number: str) -> CycleCaseRequest:
        return case_request(
            self._input,
            dossier,
            cycle_workflow_id=workflow.info().workflow_id,
            case_id=str(workflow.uuid4()),
            clock=self._clock,
            dossier_number=number,
        )

    def _report(self, *, closed: bool) -> CycleReport:
        return build_report(
            self._input,
            self._products,
            self._decisions,
            self._today(),
            cycle_id=cycle_workflow_id(self._input.province, self._input.year),
            closed=closed,
            run_number=self._run_number,
            forged_progress_ignored=self._progress_gate.ignored,
        )

    def _history_full(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self._input.max_history_events
        )

    def _business_now(self) -> datetime:
        return self._clock.business_now(workflow.now())

    def _today(self) -> date:
        return self._clock.business_today(workflow.now())

    def _decision_day(self, level: str) -> date:
        """Decisions reached late still bear the calendar's date (see `decision_day`)."""
        if workflow.patched(PATCH_DECISIONS_ON_CALENDAR_DATE):
            return decision_day(self._input.calendar, level, self._today())
        return self._today()

    def _decision_moment(self, level: str) -> datetime:
        return start_of_day(self._input.calendar.recognition[level]) + DECISION_TIME

    def _end_moment(self) -> datetime:
        return start_of_day(self._input.calendar.closes_on + timedelta(days=1))

    def _due_levels(self) -> list[str]:
        now = workflow.now()
        return [
            level
            for level in recognising_levels(self._input.rulebook)
            if level not in self._levels_done
            and _due_within(self._clock.real_delay(now, self._decision_moment(level)))
        ]

    def _next_moment(self) -> datetime:
        moments = [
            self._decision_moment(level)
            for level in recognising_levels(self._input.rulebook)
            if level not in self._levels_done
        ]
        return min([*moments, self._end_moment()])
