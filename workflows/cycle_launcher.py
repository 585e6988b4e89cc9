"""The yearly launcher: what a province's Schedule (`ocop cycle schedule`) starts.

It opens the coming year's cycle from the province's standing settings, through the
`start_cycle` activity, and leaves a cycle already started (or already run) alone.
"""

from __future__ import annotations

from temporalio import workflow

from workflows import cycle_steps

with workflow.unsafe.imports_passed_through():
    from contracts import cycle
    from models.clock import VIETNAM
    from models.cycle_calendar import scheduled_cycle_year
    from models.cycle_settings import ScheduledCycles, ScheduledOpening, cycle_input

PATCH_SIGNED_SCHEDULE = "signed-schedule"


@workflow.defn(name=cycle.LAUNCHER_WORKFLOW_TYPE)
class CycleLauncherWorkflow:
    """Started by the yearly Schedule: opens the province's cycle for the coming year."""

    @workflow.run
    async def run(self, request: ScheduledCycles) -> str:
        today = workflow.now().astimezone(VIETNAM).date()
        opening = cycle_input(request.province, scheduled_cycle_year(today), request.settings)
        if workflow.patched(PATCH_SIGNED_SCHEDULE):
            # Opened in the name of the administrator who signed the schedule, or not at all.
            return await cycle_steps.start_scheduled_cycle(
                ScheduledOpening(schedule=request, opening=opening)
            )
        return await cycle_steps.start_cycle(opening)
