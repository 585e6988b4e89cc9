"""One product's whole life on the real stack, as its producer's inbox tells it.

Everything is real here: Temporal's dev server, the worker `worker.build_worker`
builds, the register (SQLite and PostgreSQL, through `register_url`) and an SMTP
server. The calendar is compressed (`CasePolicy.clock_speed`), so the certificate's
36 months pass in about twenty seconds on real timers. Why the test looks the way it
does:

- one business day lasts ~17 ms, so every wait polls the `status` query for the state
  it expects (never a fixed sleep) and every deadline people must meet is far longer
  than the few Updates it takes to meet it;
- the producer applies for re-evaluation after the second reminder; the policy's
  reminders (180 and 90 days before expiry) leave 90 business days (~1.5 s) for that
  one Update to arrive before the certificate expires (the new round itself may run
  past that day: the case keeps the old certificate until the re-evaluation decides).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

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
    product_workflow_id,
)
from models.catalogue import DocumentKind
from models.clock import VIETNAM
from models.stars import Stars
from tests.case_driver import CaseDriver
from tests.factories import PRODUCER_EMAIL, case_input, document, honey_dossier
from tests.fixtures.database import Register
from tests.fixtures.lifecycle import EVENT_HEADER
from tests.fixtures.smtp import CapturedMessage, SmtpTestServer
from worker import build_worker

pytestmark = pytest.mark.devserver

SPEED = 5_000_000.0
"""Business seconds per real second: one business day ≈ 17 ms, 36 months ≈ 19 s."""

POLICY = CasePolicy(
    clock_speed=SPEED,
    # People answer within a few Updates (~0.1 s each, ~6 business days): deadlines of
    # half a year (~3 s) make an overdue escalation impossible, however busy the machine.
    review_deadline_days=180,
    supplement_deadline_days=180,
    council_deadline_days=180,
    recognition_deadline_days=180,
    reminder_days=(180, 90),
)

POLL_SECONDS = 0.02


def _real_seconds(business_days: float) -> float:
    return business_days * 86_400 / SPEED


def _today(status: CaseStatus) -> date:
    """The case's business date as of its last workflow task: never in its future."""
    return status.business_now.astimezone(VIETNAM).date()


async def _until(
    case: CaseDriver, check: Callable[[CaseStatus], bool], what: str, within: float
) -> CaseStatus:
    """Poll the `status` query until `check` holds, or fail saying where the case stands."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        status = await case.status()
        if check(status):
            return status
        if loop.time() > deadline:
            raise AssertionError(
                f"{what} did not happen within {within:.0f} s: the case is at "
                f"{status.stage.value} (round {status.round_number}, business day "
                f"{_today(status).isoformat()})"
            )
        await asyncio.sleep(POLL_SECONDS)


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
                tables.CertificateRecord.number,
                tables.CertificateRecord.stars,
                tables.CertificateRecord.status,
            )
            .join(tables.ProductRecord)
            .where(tables.ProductRecord.workflow_id == workflow_id)
            .order_by(tables.CertificateRecord.id)
        )
        return [(number, stars, status) for number, stars, status in rows]


async def _ledger(register: Register, workflow_id: str) -> list[str]:
    async with register.sessions() as session:
        rows = await session.scalars(
            select(tables.NotificationRecord.status).where(
                tables.NotificationRecord.workflow_id == workflow_id
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
        case = CaseDriver(handle, {c.level: c for c in first.councils}, first.rulebook.maxima)
        try:
            # Round 1: the district asks for the missing test results, then scores 75.75
            # (≥ 70: up to the province), where the council's 79.50 earns 4★.
            await _until(case, lambda s: s.stage == CaseStage.LOCAL_REVIEW, "the review", 10)
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

            # The certificate's years pass; both reminders come; the producer applies.
            expires_on = first_certificate.valid_until + timedelta(days=1)
            days_to_last_reminder = (expires_on - timedelta(days=90) - _today(status)).days
            status = await _until(
                case,
                lambda s: s.certificate is not None and 90 in s.certificate.reminders_sent,
                "the 90-day expiry reminder",
                _real_seconds(days_to_last_reminder) * 2 + 15,
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
            await _until(
                case,
                lambda s: s.round_number == 2 and s.stage == CaseStage.LOCAL_REVIEW,
                "the re-evaluation round",
                10,
            )
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
            final = await asyncio.wait_for(handle.result(), timeout=15)
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
        "scoring_result",  # district: 75.75 points
        "forwarded",
        "scoring_result",  # province: 79.50 points, 4★
        "recognised",
        "expiry_reminder",  # 180 days before expiry
        "expiry_reminder",  # 90 days before expiry
        "dossier_received",  # the re-evaluation dossier
        "scoring_result",  # district: 62 points, 3★
        "recognised",
        "revoked",
    ]
    assert len({m["Message-ID"] for m in inbox}) == len(inbox)
    supplement, recognised, reminder, recognised_again, revoked = (
        inbox[1],
        inbox[6],
        inbox[7],
        inbox[11],
        inbox[12],
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
