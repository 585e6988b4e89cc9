"""The annual cycle's contract: one workflow per province and year, from the call for
dossiers to the last decision, and the yearly launcher its Schedule starts.

Names here are part of every recorded history: changing one changes live workflows.
"""

from __future__ import annotations

from typing import Final

from contracts.refs import ActivityRef, QueryRef, SignalRef, UpdateRef
from models.cycle import CaseProgress, CycleReport
from models.cycle_decisions import RecognitionBatch, RecognitionBatchResult
from models.cycle_messages import (
    CaseOpened,
    CloseCycle,
    CycleAuditEntry,
    CycleCaseRequest,
    SubmissionReceipt,
)
from models.cycle_settings import CycleInput, ScheduledOpening
from models.dossier import Dossier

WORKFLOW_TYPE: Final = "AnnualCycleWorkflow"
LAUNCHER_WORKFLOW_TYPE: Final = "CycleLauncherWorkflow"


def cycle_workflow_id(province: str, year: int) -> str:
    """One cycle per province and year: the id makes a second start find the first."""
    return f"ocop-cycle-{province}-{year}".lower()


def launcher_workflow_id(province: str) -> str:
    """The launcher run the yearly Schedule starts for a province (the Schedule adds a time)."""
    return f"ocop-cycle-launch-{province}".lower()


def schedule_id(province: str) -> str:
    """The yearly Schedule that opens a province's next cycle."""
    return f"ocop-cycle-schedule-{province}".lower()


# ---------------------------------------------------------------- Updates

SUBMIT: Final = UpdateRef("submit", Dossier, SubmissionReceipt)
"""A producer's dossier for this year's cycle; the receipt names the case it opened."""
CLOSE: Final = UpdateRef("close", CloseCycle, CycleReport)

# ------------------------------------------------- standing signed actions
# Not Updates: signed into the cycle's input (`CycleInput.opened_by`) and the schedule's
# (`ScheduledCycles.scheduled_by`), and checked when the cycle signs in their name.

OPEN_CYCLE: Final = "open_cycle"
"""An administrator opens the year's cycle (signed over the cycle's input)."""
SCHEDULE_CYCLES: Final = "schedule_cycles"
"""An administrator sets the province's yearly schedule (signed over its request)."""

# ----------------------------------------------------------- queries, signals

REPORT: Final = QueryRef("report", CycleReport)
CASE_PROGRESS: Final = SignalRef("case_progress", CaseProgress)
"""Sent by each of the cycle's cases at every stage change."""

# -------------------------------------------------------------- activities

OPEN_CYCLE_CASE: Final = ActivityRef("open_cycle_case", CycleCaseRequest, CaseOpened)
RECOGNISE_BATCH: Final = ActivityRef("recognise_batch", RecognitionBatch, RecognitionBatchResult)
RECORD_CYCLE_EVENT: Final = ActivityRef("record_cycle_event", CycleAuditEntry, bool)
START_CYCLE: Final = ActivityRef("start_cycle", CycleInput, str)
"""Start the year's cycle unless it exists; the launcher's only step (before schedules
were signed)."""
START_SCHEDULED_CYCLE: Final = ActivityRef("start_scheduled_cycle", ScheduledOpening, str)
"""Start the year's cycle of a signed schedule, signed in its administrator's name."""
