"""The baseline: a bare-Temporal workflow with the same human steps as one round.

Start, a review Update, three scorecard Updates, a close Update and a recognise Update;
six no-op activities and three short timers in between; every payload through the same
data converter as the project's. It decides nothing and writes nothing: what it costs
is what Temporal itself costs for a round's shape.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from temporalio import activity, workflow

SKELETON_TYPE: Final = "BenchRoundSkeleton"
# The skeleton's own contract: its names, one place (not the project's contracts).
REVIEW: Final = "skeleton_review"
SCORECARD: Final = "skeleton_scorecard"
CLOSE: Final = "skeleton_close"
RECOGNISE: Final = "skeleton_recognise"
NOOP: Final = "skeleton_noop"
TIMER: Final = timedelta(milliseconds=10)
STEP: Final = timedelta(seconds=30)


@activity.defn(name=NOOP)
async def noop(step: str) -> str:
    return step


@workflow.defn(name=SKELETON_TYPE)
class RoundSkeleton:
    def __init__(self) -> None:
        self.reviewed = False
        self.cards = 0
        self.closed = False
        self.recognised = False
        self.acted = 0

    @workflow.run
    async def run(self) -> int:
        await self._do("received")
        await workflow.wait_condition(lambda: self.reviewed)
        await self._do("accepted")
        await workflow.sleep(TIMER)
        self.acted += 1
        await workflow.wait_condition(lambda: self.cards >= 3 and self.closed)
        await self._do("result")
        await workflow.sleep(TIMER)
        self.acted += 1
        await workflow.wait_condition(lambda: self.recognised)
        await self._do("recognised")
        await self._do("certificate")
        await workflow.sleep(TIMER)
        self.acted += 1
        await self._do("mailed")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.acted

    async def _do(self, step: str) -> None:
        await workflow.execute_activity(noop, step, start_to_close_timeout=STEP)

    @workflow.update(name=REVIEW)
    async def review(self, decision: str) -> int:
        self.reviewed = True
        seen = self.acted
        await workflow.wait_condition(lambda: self.acted > seen)
        return self.acted

    @workflow.update(name=SCORECARD)
    async def scorecard(self, total: int) -> int:
        self.cards += 1
        return self.cards

    @workflow.update(name=CLOSE)
    async def close(self, level: str) -> int:
        self.closed = True
        seen = self.acted
        await workflow.wait_condition(lambda: self.acted > seen)
        return self.acted

    @workflow.update(name=RECOGNISE)
    async def recognise(self, number: str) -> int:
        self.recognised = True
        seen = self.acted
        await workflow.wait_condition(lambda: self.acted > seen)
        return self.acted
