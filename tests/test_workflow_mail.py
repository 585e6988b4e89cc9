"""A case's letters, the workflow alone (fake activities): how it schedules the email
activity, and that a letter refused for good never stops the letters after it.

What the activity itself does with SMTP is tests/test_mail_delivery.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.exceptions import ApplicationError

from activities.notify import PERMANENT_FAILURE_TYPE
from contracts import cycle as cycle_contract
from contracts.case import SEND_NOTIFICATION
from models.events import Notification
from tests.factories import ADMIN_EMAIL, PRODUCER_EMAIL, case_input
from tests.fixtures.cycle import ADMIN_EN_EMAIL
from tests.fixtures.fakes import FakeWorld
from tests.test_workflow_cycle import close, dossier, start, submit
from tests.updates import ok
from tests.waiting import eventually

REVIEWER = "Phòng Nông nghiệp huyện Bình Liêu"


async def test_the_email_activity_is_noticed_dead_after_its_heartbeat_timeout(
    fake_world: FakeWorld,
) -> None:
    """Before issue 11 it had none: a worker dying mid-send was retried after 120 s."""
    case = await fake_world.open_case(case_input())
    mail = fake_world.fakes.mail

    async def a_letter() -> list[Notification] | None:
        return mail.calls or None

    await eventually(a_letter, "the first letter")

    scheduled = [
        event.activity_task_scheduled_event_attributes
        async for event in case.handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and event.activity_task_scheduled_event_attributes.activity_type.name
        == SEND_NOTIFICATION.name
    ]

    assert scheduled
    for attributes in scheduled:
        heartbeat = attributes.heartbeat_timeout.ToTimedelta()
        assert timedelta(seconds=5) <= heartbeat <= timedelta(seconds=20)
        assert heartbeat < attributes.start_to_close_timeout.ToTimedelta()


async def test_a_letter_refused_for_good_does_not_stop_the_next_ones(
    fake_world: FakeWorld,
) -> None:
    """Before issue 11 the activity never failed for good; when it does, the case's mail
    loop must survive it (else every later letter would wait forever)."""
    refused: list[str] = []

    def refuse_the_first(notification: Notification) -> list[Any]:
        if not refused:
            refused.append(notification.key)
            raise ApplicationError(
                "550 Mailbox unavailable", type=PERMANENT_FAILURE_TYPE, non_retryable=True
            )
        return []

    fake_world.fakes.mail.answer = refuse_the_first
    case = await fake_world.open_case(case_input())
    mail = fake_world.fakes.mail

    async def letters(count: int) -> list[Notification] | None:
        return list(mail.calls) if len(mail.calls) >= count else None

    await eventually(lambda: letters(1), "the first letter, refused")

    await ok(case.accept(REVIEWER))

    first, later = (await eventually(lambda: letters(2), "a letter after the refused one"))[:2]
    assert first.key == refused[0] and later.key != first.key
    assert [str(r.email) for r in first.recipients] == [PRODUCER_EMAIL]
    # Each letter names who is alerted should one of its recipients be refused.
    assert {str(a.email) for a in later.administrators} == {ADMIN_EMAIL}


async def test_a_cycle_report_refused_for_good_still_closes_the_cycle(
    fake_world: FakeWorld,
) -> None:
    """Before issue 11 a non-retryable failure of the report's email failed the cycle."""

    def refuse(notification: Notification) -> list[Any]:
        raise ApplicationError(
            "535 Authentication failed", type=PERMANENT_FAILURE_TYPE, non_retryable=True
        )

    fake_world.fakes.mail.answer = refuse
    cycle = await start(fake_world)
    await submit(fake_world, cycle, dossier("MO-BINHLIEU"))

    report = await close(fake_world, cycle, cycle_contract.CLOSE.argument(closed_by=ADMIN_EMAIL))
    finished = await cycle.result()

    assert report.closed and finished["closed"]  # the run ends with the closed report
    [letter] = fake_world.fakes.mail.calls
    assert [str(a.email) for a in letter.administrators] == [ADMIN_EMAIL, ADMIN_EN_EMAIL]
    [scheduled] = [
        event.activity_task_scheduled_event_attributes
        async for event in cycle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and event.activity_task_scheduled_event_attributes.activity_type.name
        == SEND_NOTIFICATION.name
    ]
    assert (
        timedelta(seconds=5) <= scheduled.heartbeat_timeout.ToTimedelta() <= timedelta(seconds=20)
    )
