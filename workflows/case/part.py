"""What every part of a case's workflow works with: the input, the one state object,
business time, the transition recorder and the stage publisher."""

from __future__ import annotations

from temporalio import workflow

from workflows.case.recorder import TransitionRecorder
from workflows.case.stage import StagePublisher
from workflows.case.state import LifecycleState
from workflows.case.timekeeping import CaseTime

with workflow.unsafe.imports_passed_through():
    from models.case import LifecycleInput


class CasePart:
    """A part of the case's logic (a round, the certificate's life): it shares the state
    the workflow owns, never a copy, so continue-as-new carries what every part did."""

    def __init__(
        self,
        input: LifecycleInput,
        state: LifecycleState,
        time: CaseTime,
        recorder: TransitionRecorder,
        stage: StagePublisher,
    ) -> None:
        self._input = input
        self._state = state
        self._time = time
        self._record = recorder.record
        self._facts = recorder.facts
        self._stage = stage
