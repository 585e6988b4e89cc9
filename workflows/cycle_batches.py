"""The annual cycle's batch decisions: one numbered decision per authority at each
level's date, fanned out to its cases, and what becomes of the products it could not
recognise.

A product a decision could not recognise (its case frozen, ended, refusing, too slow)
never holds the others: the decision is recorded with it listed and why, the
administrators are told, and the cycle asks it again later under the same decision
and certificate number (`retry_at` in `models/cycle_decisions.py` says when, and when
to give up). Cycles that started before that keep the behaviour they recorded
(`PATCH_RECOGNITION_LEFTOVERS`).

A mixin of `AnnualCycleWorkflow`, which owns the state it works on.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from temporalio import workflow

from workflows import cycle_steps

with workflow.unsafe.imports_passed_through():
    from pydantic import JsonValue

    from models.assertions import payload_digest
    from models.cycle import CaseProgress, DecisionSummary, UnrecognisedProduct
    from models.cycle_decisions import (
        PlannedDecision,
        RecognitionOutcome,
        awaiting_at,
        decision_parts,
        due_retries,
        merge_retry,
        next_retry,
        plan_decisions,
        recognised_progress,
        skipped_codes,
        summarise_decision,
        unrecognised_to_tell,
    )
    from models.cycle_settings import CycleInput, standing_payload

# Per-product heartbeats; products not recognised kept with why, told, and asked again.
PATCH_RECOGNITION_LEFTOVERS = "recognition-leftovers"


def sooner(delay: timedelta | None, other: timedelta | None) -> timedelta | None:
    """The nearer of two waits; None waits for a move (or for ever)."""
    if delay is None or other is None:
        return delay if other is None else other
    return min(delay, other)


class IssuesBatchDecisions:
    """The cycle's decisions and the products they could not recognise (yet)."""

    _input: CycleInput
    _products: dict[str, CaseProgress]
    _decisions: list[DecisionSummary]
    _levels_done: set[str]
    _issued: dict[str, int]
    _skipped: set[str]
    _alerts: set[asyncio.Task[None]]

    def _today(self) -> date:
        raise NotImplementedError

    def _business_now(self) -> datetime:
        raise NotImplementedError

    async def _record(
        self,
        action: str,
        *,
        actor: str,
        reason: str = "",
        details: dict[str, JsonValue] | None = None,
        key: str | None = None,
    ) -> None:
        raise NotImplementedError

    # ------------------------------------------------------- batch decisions

    async def _recognise_level(self, level: str, decided_on: date) -> None:
        """One decision per authority for every product awaiting recognition at `level`."""
        self._levels_done.add(level)
        awaiting = [
            progress
            for progress in awaiting_at(self._products.values(), level)
            if progress.product_code.lower() not in self._skipped
        ]
        if not awaiting:
            return
        leftovers = workflow.patched(PATCH_RECOGNITION_LEFTOVERS)
        for plan in plan_decisions(self._input, level, decided_on, awaiting, self._issued):
            outcomes = await self._fan_out(plan, leftovers)
            self._issued[plan.authority_key] = self._issued.get(plan.authority_key, 0) + 1
            summary = summarise_decision(plan, outcomes, workflow.now() if leftovers else None)
            self._decisions.append(summary)
            self._skipped.update(skipped_codes(outcomes))
            # Recognised products count as certified even if their signal is on its way.
            self._products.update(recognised_progress(self._products, outcomes))
            await self._record_decision(
                plan, outcomes, f"{level}: {len(plan.items)} products listed"
            )
            if leftovers:
                self._tell_unrecognised(summary, unrecognised_to_tell(None, summary), attempt=1)

    async def _retry_unrecognised(self, *, closing: bool = False) -> None:
        """Ask again the products a decision could not recognise, under the same decision
        and certificate numbers; the others are never held by them. Closing asks every
        product still waiting once more, then gives up on whoever still cannot answer."""
        now = workflow.now()
        for index, plan in due_retries(self._decisions, now, all_waiting=closing):
            before = self._decisions[index]
            asked = {item.product_code for item in plan.items}
            attempt = 1 + max(
                left.attempts for left in before.unrecognised if left.product_code in asked
            )
            outcomes = await self._fan_out(plan, True)
            after = merge_retry(before, plan, outcomes, None if closing else workflow.now())
            self._decisions[index] = after
            self._products.update(recognised_progress(self._products, outcomes))
            await self._record_decision(
                plan, outcomes, f"{plan.level}: {len(plan.items)} products asked again", attempt
            )
            self._tell_unrecognised(after, unrecognised_to_tell(before, after), attempt)

    async def _fan_out(self, plan: PlannedDecision, leftovers: bool) -> list[RecognitionOutcome]:
        return await cycle_steps.fan_out(
            plan,
            chunk=self._input.fanout_chunk,
            concurrency=self._input.recognition_concurrency,
            heartbeat_timeout=cycle_steps.FANOUT_HEARTBEAT
            if leftovers
            else cycle_steps.FANOUT_HEARTBEAT_BEFORE,
            # The activity signs the decision on each case only for a cycle an
            # administrator opened: it checks this signature against this input.
            opened_by=self._input.opened_by,
            opening_digest=payload_digest(standing_payload(self._input)),
            province=self._input.province,
        )

    async def _record_decision(
        self,
        plan: PlannedDecision,
        outcomes: list[RecognitionOutcome],
        reason: str,
        attempt: int = 1,
    ) -> None:
        for part in decision_parts(plan, outcomes, self._input.fanout_chunk, attempt):
            await self._record(
                "recognition_decision",
                actor=plan.authority,
                reason=reason,
                details=part.details,
                key=part.key,
            )

    def _tell_unrecognised(
        self, decision: DecisionSummary, products: tuple[UnrecognisedProduct, ...], attempt: int
    ) -> None:
        """Write to the administrators in the background: an SMTP outage holds no decision."""
        if not products or not self._input.administrators:
            return
        task = asyncio.create_task(
            cycle_steps.send_unrecognised(self._input, decision, products, attempt, self._today())
        )
        self._alerts.add(task)
        task.add_done_callback(self._alerts.discard)

    def _retry_in(self) -> timedelta | None:
        """How long until a product not recognised is to be asked again (None: none is)."""
        moment = next_retry(self._decisions)
        return None if moment is None else max(moment - workflow.now(), timedelta(0))
