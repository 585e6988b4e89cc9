"""One product's whole life on the real stack, as its producer's inbox tells it.

Everything is real here: Temporal's dev server, the worker `worker.build_worker`
builds, the register (SQLite and PostgreSQL, through `register_url`) and an SMTP
server. The calendar is paced (`CasePolicy.paced_calendar`): it stands still while the
test acts and moves only when the test moves it, as the demo's pacer does, so the
certificate's 36 months pass in two moves and no deadline depends on how fast the
machine is. Every wait polls the `status` query for the state it expects (never a
fixed sleep, never a wall-clock margin: the suite's hard timeout names a hang).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from contracts.case import CALENDAR_MOVED, product_workflow_id
from infra.cases import open_case
from infra.settings import Settings
from models import register as tables
from models.applicants import RegistrationKind
from models.case import (
    Application,
    CasePolicy,
    CaseStage,
    CaseStatus,
    DecisionKind,
    RevocationGround,
)
from models.catalogue import DocumentKind
from models.clock import VIETNAM, CalendarMove
from models.stars import Stars
from tests.case_driver import CaseDriver
from tests.factories import PRODUCER_EMAIL, case_input, document, honey_dossier
from tests.fixtures.database import Register
from tests.fixtures.lifecycle import EVENT_HEADER
from tests.fixtures.smtp import CapturedMessage, SmtpTestServer
from tests.waiting import eventually
from worker import build_worker

# About 15 s a database on two idle cores; a saturated machine takes a few times as long.
pytestmark = [pytest.mark.devserver, pytest.mark.timeout(300)]

POLICY = CasePolicy(paced_calendar=True, reminder_days=(180, 90))

POLL_SECONDS = 0.02


def _today(status: CaseStatus) -> date:
    """The case's business date: where its paced calendar stands."""
    return _today_of(status.as_of)


def _today_of(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


async def _until(case: CaseDriver, check: Callable[[CaseStatus], bool]) -> CaseStatus:
    """Poll the `status` query until `check` holds (the calendar stands still meanwhile)."""

    async def shown() -> CaseStatus | None:
        status = await case.status()
        return status if check(status) else None

    return await eventually(shown, f"{case.workflow_id} to reach the awaited state", POLL_SECONDS)


async def _move_to_next_deadline(case: CaseDriver) -> CaseStatus:
    """Move the case's calendar to its next deadline, as the rehearsal's pacer would."""
    status = await case.status()
    assert status.next_deadline is not None, status.stage
    await case.handle.signal(CALENDAR_MOVED.name, CalendarMove(to=status.next_deadline.due))
    return status


def _inbox(smtp: SmtpTestServer, address: str) -> list[CapturedMessage]:
    return smtp.messages_to(address)


def _body(message: CapturedMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def _certificates(register: Register, workflow_id: str) -> list[tuple[str, int, str]]:
    async with register.sessions() as session:
        rows = await session.execute(
            select(
                tables.CertificateRow.number,
                tables.CertificateRow.stars,
                tables.CertificateRow.status,
            )
            .join(tables.ProductRow)
            .where(tables.ProductRow.workflow_id == workflow_id)
            .order_by(tables.CertificateRow.id)
        )
        return [(number, stars, status) for number, stars, status in rows]


async def _ledger(register: Register, workflow_id: str) -> list[str]:
    async with register.sessions() as session:
        rows = await session.scalars(
            select(tables.NotificationRow.status).where(
                tables.NotificationRow.workflow_id == workflow_id
            )
        )
        return list(rows)


async def test_a_product_lives_from_submission_to_revocation_on_the_real_stack(
    dev_server_env: WorkflowEnvironment,
    smtp_server: SmtpTestServer,
    register: Register,
    tmp_path: Path,
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=register.url,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
    )
    client = dev_server_env.client
    task_queue = f"e2e-{uuid.uuid4().hex[:8]}"
    first = case_input(dossier=honey_dossier(complete=False), policy=POLICY)
    workflow_id = (
        product_workflow_id(first.dossier.province, first.dossier.product_code)
        + f"-{uuid.uuid4().hex[:6]}"
    )

    async with build_worker(client, settings, register.sessions, task_queue=task_queue):
        handle = await open_case(client, first, task_queue, workflow_id=workflow_id)
        case = CaseDriver(
            client, handle, {c.level: c for c in first.councils}, first.rulebook.maxima
        )
        try:
            # Round 1: the district asks for the missing test results, then scores 75.75
            # (≥ 70: up to the province), where the council's 79.50 earns 4★.
            await _until(case, lambda s: s.stage == CaseStage.LOCAL_REVIEW)
            await case.request_supplement(DocumentKind.TEST_RESULTS)
            await case.supply(document(DocumentKind.TEST_RESULTS, "kiem-nghiem-2024.pdf"))
            await case.accept()
            await case.score_and_close("district", 76, 74, 78, 75)
            closed = await case.score_and_close("province", 80, 78, 79, 81)
            assert closed.result is not None and closed.result.stars == Stars.FOUR
            status = await case.status()
            assert (status.stage, status.level) == (CaseStage.AWAITING_RECOGNITION, "province")
            await case.recognise(
                "province",
                _today(status),
                decision="215/QĐ-UBND",
                certificate="QN-OCOP-0215",
                authority="UBND tỉnh Quảng Ninh",
            )
            status = await case.status()
            first_certificate = status.certificate
            assert first_certificate is not None and first_certificate.stars == Stars.FOUR

            # The certificate's years pass in two moves; both reminders come on their days.
            expires_on = first_certificate.valid_until + timedelta(days=1)
            for days_before in (180, 90):
                waiting = await _move_to_next_deadline(case)
                assert waiting.next_deadline is not None
                assert _today_of(waiting.next_deadline.due) == expires_on - timedelta(
                    days=days_before
                )
                status = await _until(
                    case,
                    lambda s, n=days_before: (  # type: ignore[misc]
                        s.certificate is not None and n in s.certificate.reminders_sent
                    ),
                )
            assert status.certificate is not None
            assert status.certificate.reminders_sent == (180, 90)
            await case.apply(
                Application(
                    dossier=honey_dossier(
                        registration_kind=RegistrationKind.REEVALUATION, current_stars=4
                    ),
                    cycle_year=_today(status).year,
                )
            )

            # Round 2, the re-evaluation: the district council's 62 is 3★ now.
            await _until(case, lambda s: s.round_number == 2 and s.stage == CaseStage.LOCAL_REVIEW)
            await case.accept()
            closed = await case.score_and_close("district", 62, 60, 65, 61)
            assert closed.result is not None and closed.result.stars == Stars.THREE
            status = await case.status()
            await case.recognise(
                "district",
                _today(status),
                decision="88/QĐ-UBND",
                certificate="BL-OCOP-0088",
                authority="UBND huyện Bình Liêu",
            )
            status = await case.status()
            assert status.certificate is not None
            assert (status.certificate.number, status.certificate.stars) == (
                "BL-OCOP-0088",
                Stars.THREE,
            )

            # A post-inspection finds the quality short: the province revokes.
            await case.revoke(_today(status), RevocationGround.QUALITY_MISMATCH)
            final = await handle.result()
        finally:
            with contextlib.suppress(RPCError):  # ended already: nothing to stop
                await handle.terminate("test finished")

    # The final status query: no certificate, both rounds and all three decisions told.
    assert final.stage == CaseStage.REVOKED
    assert (final.round_number, final.registration_kind) == (2, RegistrationKind.REEVALUATION)
    assert final.certificate is None and final.current_stars is None
    assert final.emails_queued == 0
    assert [(d.kind, d.number) for d in final.decisions] == [
        (DecisionKind.RECOGNITION, "215/QĐ-UBND"),
        (DecisionKind.RECOGNITION, "88/QĐ-UBND"),
        (DecisionKind.REVOCATION, "QD-THUHOI-07"),
    ]
    assert [(r.registration_kind, r.outcome, r.stars) for r in final.rounds] == [
        (RegistrationKind.FIRST, CaseStage.CERTIFIED, Stars.FOUR),
        (RegistrationKind.REEVALUATION, CaseStage.CERTIFIED, Stars.THREE),
    ]

    # The producer's complete inbox, in order: nothing missing, nothing twice.
    inbox = _inbox(smtp_server, PRODUCER_EMAIL)
    assert [str(m[EVENT_HEADER]) for m in inbox] == [
        "dossier_received",
        "supplement_requested",
        "supplement_received",
        "review_accepted",  # sent to the district council
        "council_result",  # district: 75.75 points
        "forwarded",
        "council_result",  # province: 79.50 points, 4★
        "recognised",
        "expiry_reminder",  # 180 days before expiry
        "expiry_reminder",  # 90 days before expiry
        "dossier_received",  # the re-evaluation dossier
        "review_accepted",
        "council_result",  # district: 62 points, 3★
        "recognised",
        "certificate_revoked",
    ]
    assert len({m["Message-ID"] for m in inbox}) == len(inbox)
    supplement, recognised, reminder, recognised_again, revoked = (
        inbox[1],
        inbox[7],
        inbox[8],
        inbox[13],
        inbox[14],
    )
    assert "Đề nghị bổ sung hồ sơ" in str(supplement["Subject"])
    assert "Phiếu kết quả kiểm nghiệm" in _body(supplement)
    assert str(recognised["Subject"]) == (
        "Sản phẩm “Mật ong rừng Bình Liêu” được công nhận sản phẩm OCOP 4 sao"
    )
    assert "QN-OCOP-0215" in _body(recognised)
    assert "hết hạn sau" in str(reminder["Subject"])
    assert first_certificate.valid_until.strftime("%d/%m/%Y") in str(reminder["Subject"])
    assert "bị hạ hạng từ 4 sao xuống 3 sao" in " ".join(_body(recognised_again).split())
    assert str(revoked["Subject"]).startswith("Thu hồi giấy chứng nhận OCOP")
    assert "QD-THUHOI-07" in _body(revoked)

    # The register: the first certificate superseded by the second, which was revoked.
    assert await _certificates(register, workflow_id) == [
        ("QN-OCOP-0215", 4, "superseded"),
        ("BL-OCOP-0088", 3, "revoked"),
    ]
    ledger = await _ledger(register, workflow_id)
    assert ledger and set(ledger) == {"sent"}
