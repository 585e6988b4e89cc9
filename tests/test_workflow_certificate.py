"""A certificate's life, the workflow alone (fake activities): reminders and lapse at
expiry, revocation, a new round through `apply`, and letters held back by an outage.

End to end, with the register and SMTP: tests/test_lifecycle_certificate.py.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from models.applicants import RegistrationKind
from models.case import Application, CaseStage, DecisionKind, RevocationGround
from models.clock import VIETNAM, start_of_day
from models.events import ExpiryReminder, Revoked
from models.records import CertificateStatus
from models.stars import Stars
from models.transitions import CaseTransition
from tests.case_driver import CaseDriver
from tests.factories import PRODUCER_EMAIL, case_input, honey_dossier
from tests.fixtures.fakes import FakeWorld
from tests.updates import refused
from tests.waiting import eventually

DECIDED = date(2024, 3, 1)


async def certified(world: FakeWorld) -> CaseDriver:
    """A honey case recognised 3★ by the district on 1 March 2024, valid to 1 March 2027."""
    case = await world.open_case(case_input())
    await case.accept()
    await case.score_and_close("district", 62, 60, 65, 61)
    await case.recognise("district", DECIDED, decision="125/QĐ-UBND", certificate="BL-01")
    return case


def day(moment: datetime) -> date:
    """The business date of a moment, in Vietnam."""
    return moment.astimezone(VIETNAM).date()


def application(kind: RegistrationKind, cycle_year: int) -> Application:
    dossier = honey_dossier(registration_kind=kind, current_stars=3)
    return Application(dossier=dossier, cycle_year=cycle_year)


async def test_reminders_90_and_30_days_ahead_then_the_certificate_lapses(
    fake_world: FakeWorld,
) -> None:
    case = await certified(fake_world)

    final = await case.outcome()  # three years, skipped

    assert final.stage == CaseStage.LAPSED
    assert (final.certificate, final.current_stars, final.next_deadline) == (None, None, None)
    fakes = fake_world.fakes
    life = fakes.records(case.workflow_id)[-3:]
    assert [(r.action, day(r.occurred_at)) for r in life] == [
        ("expiry_reminder_90", date(2026, 12, 2)),
        ("expiry_reminder_30", date(2027, 1, 31)),
        ("certificate_lapsed", date(2027, 3, 2)),
    ]
    lapse = life[-1].certificate
    assert lapse is not None
    assert (lapse.status, lapse.ended_on) == (CertificateStatus.LAPSED, date(2027, 3, 1))
    assert fakes.inbox(PRODUCER_EMAIL)[-3:] == [
        "expiry_reminder",
        "expiry_reminder",
        "certificate_lapsed",
    ]
    reminders = [
        n.event
        for n in fakes.letters(case.workflow_id)
        if n.event.kind == CaseTransition.EXPIRY_REMINDER
    ]
    assert [r.days_left for r in reminders if isinstance(r, ExpiryReminder)] == [90, 30]


async def test_a_revocation_ends_the_certificate_at_once_and_no_reminder_follows(
    fake_world: FakeWorld,
) -> None:
    case = await certified(fake_world)
    await fake_world.skip_to(case, start_of_day(date(2025, 1, 15)))

    await case.revoke(date(2025, 1, 15), RevocationGround.FOOD_SAFETY)
    final = await case.outcome()

    assert final.stage == CaseStage.REVOKED and final.certificate is None
    assert [d.kind for d in final.decisions] == [DecisionKind.RECOGNITION, DecisionKind.REVOCATION]
    fakes = fake_world.fakes
    revoked = fakes.records(case.workflow_id)[-1]
    assert revoked.action == "certificate_revoked"
    assert revoked.certificate is not None
    assert (revoked.certificate.status, revoked.certificate.ended_on) == (
        CertificateStatus.REVOKED,
        date(2025, 1, 15),
    )
    assert not any(a.startswith("expiry_reminder") for a in fakes.actions(case.workflow_id))
    letter = fakes.letters(case.workflow_id)[-1]
    assert [r.email for r in letter.recipients] == [PRODUCER_EMAIL]
    assert isinstance(letter.event, Revoked) and letter.event.certificate_number == "BL-01"


async def test_a_reevaluation_opens_round_two_and_its_recognition_supersedes_the_certificate(
    fake_world: FakeWorld,
) -> None:
    case = await certified(fake_world)
    await fake_world.skip_to(case, start_of_day(date(2026, 12, 10)))  # after the 90-day reminder

    await case.apply(application(RegistrationKind.REEVALUATION, 2026))

    status = await case.status()
    assert (status.round_number, status.stage) == (2, CaseStage.LOCAL_REVIEW)
    assert status.certificate is not None and status.certificate.number == "BL-01"  # still valid
    fakes = fake_world.fakes
    round_one = [r.action for r in fakes.records(case.workflow_id) if r.round.round_number == 1]
    assert round_one[-2:] == ["expiry_reminder_90", "application_received"]
    await case.accept()
    await case.score_and_close("district", 63, 61, 64, 60)
    await case.recognise(
        "district", date(2026, 12, 10), decision="301/QĐ-UBND", certificate="BL-02"
    )

    status = await case.status()
    assert status.certificate is not None
    assert (status.certificate.number, status.certificate.valid_until) == (
        "BL-02",
        date(2029, 12, 10),
    )
    assert [r.round_number for r in status.rounds] == [1, 2]
    round_two = [r for r in fakes.records(case.workflow_id) if r.round.round_number == 2]
    assert round_two[0].action == "dossier_received"
    assert [r.action for r in round_two[-2:]] == ["certificate_superseded", "recognised"]
    superseded = round_two[-2].certificate
    assert superseded is not None
    assert (superseded.certificate.number, superseded.status) == (
        "BL-01",
        CertificateStatus.SUPERSEDED,
    )
    assert "expiry_reminder_30" not in fakes.actions(case.workflow_id)  # the old certificate's


async def test_a_reevaluation_before_its_window_is_refused_and_nothing_is_recorded(
    fake_world: FakeWorld,
) -> None:
    case = await certified(fake_world)
    before = fake_world.fakes.actions(case.workflow_id)

    early = await refused(case.apply(application(RegistrationKind.REEVALUATION, 2024)))

    assert "re-evaluation opens on 2026-09-03" in early
    assert fake_world.fakes.actions(case.workflow_id) == before
    assert (await case.status()).stage == CaseStage.CERTIFIED


async def test_an_upgrade_that_does_not_beat_the_stars_held_keeps_the_certificate(
    fake_world: FakeWorld,
) -> None:
    case = await certified(fake_world)
    await fake_world.skip_to(case, start_of_day(date(2025, 6, 1)))
    await case.apply(application(RegistrationKind.UPGRADE, 2025))
    await case.accept()

    await case.score_and_close("district", 66, 64, 65, 63)

    status = await case.status()
    assert status.stage == CaseStage.CERTIFIED
    assert status.certificate is not None and status.certificate.number == "BL-01"
    assert status.current_stars == Stars.THREE
    assert "upgrade needs more than the 3★" in status.rounds[-1].reason
    round_two = [
        r.action for r in fake_world.fakes.records(case.workflow_id) if r.round.round_number == 2
    ]
    assert round_two[-2:] == ["council_result", "round_ended"]
    assert "recognised" not in round_two


async def test_a_mail_outage_holds_back_the_letters_but_never_the_case(
    fake_world: FakeWorld,
) -> None:
    mail = fake_world.fakes.mail
    mail.outage = "421 smtp.quangninh.example.vn: service not available"
    case = await fake_world.open_case(case_input())

    await case.accept()
    await case.score_and_close("district", 62, 60, 65, 61)

    status = await case.status()
    assert status.stage == CaseStage.AWAITING_RECOGNITION
    assert status.emails_queued > 0 and mail.calls == []

    async def refused_by_smtp() -> bool | None:
        return True if mail.failed else None

    await eventually(refused_by_smtp, "a letter to meet the outage")
    mail.outage = None
    await fake_world.env.sleep(timedelta(minutes=15))  # past the longest retry interval
    await case.mail_sent()
    # Every letter went out once the server was back, each inbox in the order of events.
    assert fake_world.fakes.inbox(PRODUCER_EMAIL) == [
        "dossier_received",
        "review_accepted",
        "council_result",
    ]
    assert fake_world.fakes.inbox("district.m1@example.vn") == ["council_session_opened"]
