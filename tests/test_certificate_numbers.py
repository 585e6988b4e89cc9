"""The register is the one source of truth for certificate numbers.

A recognition whose number another product holds is refused to its caller (the Update
fails, not the case), the case stays awaiting recognition, and the workflow and the
register agree on who holds every number. On SQLite and on PostgreSQL: the real worker,
register and SMTP, on a time-skipping server.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.register import RegisterActivities
from contracts.case import product_workflow_id
from infra.refusals import explain_refusal
from infra.settings import Settings
from models.case import CaseStage
from models.certificate_numbers import (
    CERTIFICATE_NUMBER_TAKEN,
    CLAIMS_RECORD,
    CertificateClaim,
    number_taken_refusal,
)
from models.register import AuditEventRow, CertificateRow, ProductRow
from tests.case_driver import CaseDriver
from tests.factories import case_input, honey_dossier
from tests.fixtures.database import Register
from tests.fixtures.smtp import SmtpTestServer
from tests.test_register import recognition_record
from worker import build_worker
from workflows.product_lifecycle import ProductLifecycleWorkflow

DECIDED = date(2024, 3, 1)  # the cases' business day (tests.factories.START)
AUTHORITY = "UBND district"
NUMBER = "125/2024/QĐ-UBND-001"


@pytest_asyncio.fixture(loop_scope="session")
async def real_world(
    time_skipping_env: WorkflowEnvironment,
    register: Register,
    smtp_server: SmtpTestServer,
    tmp_path: Path,
) -> AsyncIterator[tuple[Client, str, Register]]:
    """The real worker on this test's server, its register on SQLite or PostgreSQL."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=register.url,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
    )
    task_queue = f"numbers-{uuid.uuid4().hex[:8]}"
    client = time_skipping_env.client
    async with build_worker(client, settings, register.sessions, task_queue=task_queue):
        yield client, task_queue, register


async def awaiting(client: Client, task_queue: str, code: str) -> CaseDriver:
    dossier = honey_dossier().model_copy(update={"product_code": code})
    case = case_input(dossier)
    handle = await client.start_workflow(
        ProductLifecycleWorkflow.run,
        case,
        id=product_workflow_id(dossier.province, code),
        task_queue=task_queue,
    )
    driver = CaseDriver(client, handle, {c.level: c for c in case.councils}, case.rulebook.maxima)
    await driver.accept()
    await driver.score_and_close("district", 62, 60, 65, 61)
    assert await driver.stage() == CaseStage.AWAITING_RECOGNITION
    return driver


async def holders(register: Register, number: str) -> list[str]:
    async with register() as session:
        rows = await session.scalars(
            select(ProductRow.product_code)
            .join(CertificateRow, CertificateRow.product_id == ProductRow.id)
            .where(CertificateRow.number == number)
        )
        return list(rows)


async def test_a_number_another_product_holds_is_refused_to_the_caller_and_the_case_waits(
    real_world: tuple[Client, str, Register],
) -> None:
    client, task_queue, register = real_world
    honey = await awaiting(client, task_queue, "MO-BINHLIEU")
    noodles = await awaiting(client, task_queue, "MIEN-DONG")
    await honey.recognise("district", DECIDED, certificate=NUMBER, authority=AUTHORITY)
    assert await honey.stage() == CaseStage.CERTIFIED

    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await noodles.recognise("district", DECIDED, certificate=NUMBER, authority=AUTHORITY)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == CERTIFICATE_NUMBER_TAKEN
    refusal = explain_refusal(failed.value)

    # Clear, in Vietnamese then English, naming the number, not the product holding it.
    assert f"số giấy chứng nhận {NUMBER}" in refusal
    assert f"certificate number {NUMBER} of {AUTHORITY} already belongs to another product" in (
        refusal
    )
    assert "MO-BINHLIEU" not in refusal and "Hợp Tiến" not in refusal
    status = await noodles.status()
    assert status.stage == CaseStage.AWAITING_RECOGNITION
    assert status.certificate is None
    # The workflow and the register agree: the number is the honey's alone.
    assert await holders(register, NUMBER) == ["MO-BINHLIEU"]
    honey_status = await honey.status()
    assert honey_status.certificate is not None and honey_status.certificate.number == NUMBER
    async with register() as session:
        conflicts = list(
            await session.scalars(
                select(AuditEventRow.workflow_id).where(
                    AuditEventRow.action == "certificate_number_conflict"
                )
            )
        )
    assert conflicts == [noodles.workflow_id]

    # The case goes on: with a number of its own it is recognised.
    other = "125/2024/QĐ-UBND-002"
    await noodles.recognise("district", DECIDED, certificate=other, authority=AUTHORITY)
    assert await noodles.stage() == CaseStage.CERTIFIED
    await noodles.mail_sent()
    assert await holders(register, other) == ["MIEN-DONG"]


def claim(code: str, number: str = NUMBER) -> CertificateClaim:
    return CertificateClaim(
        authority=AUTHORITY,
        number=number,
        province="quang-ninh",
        product_code=code,
        workflow_id=product_workflow_id("quang-ninh", code),
        case_id=f"case-{code}",
        round_number=1,
        claimed_at=datetime(2024, 10, 15, 5, 0, tzinfo=UTC),
    )


async def test_a_claim_is_granted_once_per_number_and_again_to_the_same_product(
    register: Register,
) -> None:
    activities = RegisterActivities(register.sessions)

    assert (await activities.claim_certificate_number(claim("MO-BINHLIEU"))).granted
    assert (await activities.claim_certificate_number(claim("MO-BINHLIEU"))).granted  # a retry
    assert not (await activities.claim_certificate_number(claim("MIEN-DONG"))).granted
    assert not (await activities.claim_certificate_number(claim("MIEN-DONG"))).granted
    async with register() as session:
        conflicts = list(
            await session.scalars(
                select(AuditEventRow.event_key).where(
                    AuditEventRow.action == "certificate_number_conflict"
                )
            )
        )
    assert len(conflicts) == 1  # written once however often it is asked


async def test_a_certificate_on_the_register_before_claims_existed_holds_its_number(
    register: Register,
) -> None:
    activities = RegisterActivities(register.sessions)
    assert await activities.record_case_event(recognition_record("MO-BINHLIEU", "125-001"))
    binh_lieu = recognition_record("MO-BINHLIEU", "125-001").decision
    assert binh_lieu is not None
    legacy = claim("MIEN-DONG-BL", "125-001").model_copy(update={"authority": binh_lieu.authority})

    assert not (await activities.claim_certificate_number(legacy)).granted
    mine = legacy.model_copy(update={"product_code": "MO-BINHLIEU"})
    assert (await activities.claim_certificate_number(mine)).granted


def test_the_refusal_names_the_number_in_both_languages() -> None:
    refusal = number_taken_refusal(NUMBER, AUTHORITY)
    assert refusal.type == CERTIFICATE_NUMBER_TAKEN
    vietnamese, english = refusal.message.split(" — ")
    assert NUMBER in vietnamese and "sản phẩm khác" in vietnamese
    assert NUMBER in english and "another product" in english


async def test_claims_are_the_registers_own_lines_not_a_cases_story(register: Register) -> None:
    activities = RegisterActivities(register.sessions)
    await activities.claim_certificate_number(claim("MO-BINHLIEU"))
    async with register() as session:
        row = await session.scalar(
            select(AuditEventRow).where(AuditEventRow.action == "certificate_number_claimed")
        )
    assert row is not None and row.workflow_id == CLAIMS_RECORD
    assert row.details["workflow_id"] == product_workflow_id("quang-ninh", "MO-BINHLIEU")


async def test_two_products_racing_for_a_number_cannot_both_win(register: Register) -> None:
    activities = RegisterActivities(register.sessions)
    codes = [f"P{n:02d}" for n in range(1, 7)]

    results = await asyncio.gather(
        *(activities.claim_certificate_number(claim(code)) for code in codes)
    )

    assert sum(result.granted for result in results) == 1
