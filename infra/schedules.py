"""A province's yearly Schedule: each year on its day it opens that year's cycle.

Shared by `ocop cycle schedule` and the API. The Schedule starts the launcher workflow
with the administrator's signed request (`ScheduledCycles.scheduled_by`), so each year's
cycle is opened in their name; a schedule set again replaces the one before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from contracts.cycle import LAUNCHER_WORKFLOW_TYPE, launcher_workflow_id, schedule_id
from models.clock import VIETNAM
from models.cycle_settings import ScheduledCycles


@dataclass(frozen=True)
class YearlyLaunch:
    """When, each year, in Vietnam's time."""

    month: int
    day: int
    hour: int
    minute: int


@dataclass(frozen=True)
class ScheduleSet:
    schedule_id: str
    created: bool
    next_runs: list[str]


async def set_yearly_schedule(
    client: Client,
    task_queue: str,
    launch: ScheduledCycles,
    when: YearlyLaunch,
    *,
    trigger_now: bool = False,
) -> ScheduleSet:
    """Create or replace the province's Schedule; `trigger_now` opens the coming cycle too."""
    province = launch.province
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            LAUNCHER_WORKFLOW_TYPE,
            launch,
            id=launcher_workflow_id(province),
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    month=[ScheduleRange(when.month)],
                    day_of_month=[ScheduleRange(when.day)],
                    hour=[ScheduleRange(when.hour)],
                    minute=[ScheduleRange(when.minute)],
                    comment=f"OCOP cycle of {province}",
                )
            ],
            time_zone_name="Asia/Ho_Chi_Minh",
        ),
        policy=SchedulePolicy(catchup_window=timedelta(days=7)),
    )
    identifier = schedule_id(province)
    try:
        handle = await client.create_schedule(identifier, schedule)
        created = True
    except ScheduleAlreadyRunningError:
        handle = client.get_schedule_handle(identifier)

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await handle.update(replace)
        created = False
    if trigger_now:
        await handle.trigger()
    description = await handle.describe()
    return ScheduleSet(
        schedule_id=identifier,
        created=created,
        next_runs=[
            moment.astimezone(VIETNAM).isoformat()
            for moment in description.info.next_action_times[:3]
        ],
    )
