"""Writes each transition of a case to the register, once.

One activity, one transaction: the product and its applicant, the evaluation round,
a scorecard, a decision, a certificate change and the audit event all land together.
The audit event's key is the transition's idempotency key, so a retried or replayed
activity finds it and writes nothing more.

`claim_certificate_number` is asked before a recognition changes its case: it claims
the number for the product (one audit line under the number's own UNIQUE key, so two
products racing for a number cannot both win), grants it again to the same product (a
retry), and refuses it when the line, or a certificate already on the register, names
another product. The refusal is written to the audit log too, for the operators.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities import register_rows as rows
from contracts import case
from models import register as tables
from models.certificate_numbers import (
    CLAIMS_RECORD,
    CertificateClaim,
    CertificateClaimResult,
    claim_holder,
    claim_key,
    same_holder,
)
from models.records import CaseRecord, CertificateStatus


class RegisterActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @activity.defn(name=case.RECORD_CASE_EVENT.name)
    async def record_case_event(self, record: CaseRecord) -> bool:
        """Write the transition; False when it had been written already."""
        try:
            async with self._sessions.begin() as session:
                if await _already_recorded(session, record.key):
                    return False
                await _write(session, record)
        except IntegrityError:
            # A concurrent attempt of the same activity won the race: nothing to add.
            async with self._sessions() as session:
                if await _already_recorded(session, record.key):
                    return False
            raise
        return True

    @activity.defn(name=case.WRITE_CASE_RECORD.name)
    async def write_case_record(self, record: CaseRecord) -> CaseRecord:
        """Write the transition (a retry finds it written) and answer with it."""
        await self.record_case_event(record)
        return record

    @activity.defn(name=case.CLAIM_CERTIFICATE_NUMBER.name)
    async def claim_certificate_number(self, claim: CertificateClaim) -> CertificateClaimResult:
        """Claim the number for the product; not granted when another product holds it."""
        key = claim_key(claim.authority, claim.number)
        try:
            async with self._sessions.begin() as session:
                held = await _number_held(session, key, claim)
                if held is None:
                    product = await _product_id(session, claim)
                    session.add(
                        tables.AuditEventRow(
                            event_key=key,
                            workflow_id=CLAIMS_RECORD,
                            product_id=product,
                            actor="register",
                            action="certificate_number_claimed",
                            reason=None,
                            details=claim_holder(claim),
                            occurred_at=claim.claimed_at,
                        )
                    )
                    return CertificateClaimResult(granted=True)
        except IntegrityError:
            # Another product's claim (or this one's earlier attempt) won the race.
            async with self._sessions() as session:
                held = await _number_held(session, key, claim)
            if held is None:
                raise
        if not held:
            await self._record_conflict(claim)
        return CertificateClaimResult(granted=held)

    async def _record_conflict(self, claim: CertificateClaim) -> None:
        conflict = (
            f"{claim.workflow_id}:r{claim.round_number}:certificate-claim-refused:{claim.number}"
        )
        try:
            async with self._sessions.begin() as session:
                if await _already_recorded(session, conflict):
                    return
                session.add(
                    tables.AuditEventRow(
                        event_key=conflict[:255],
                        workflow_id=claim.workflow_id,
                        product_id=await _product_id(session, claim),
                        actor="register",
                        action="certificate_number_conflict",
                        reason=(
                            f"certificate {claim.number} of {claim.authority} already belongs "
                            "to another product; the recognition was refused"
                        ),
                        details=claim_holder(claim),
                        occurred_at=claim.claimed_at,
                    )
                )
        except IntegrityError:
            return  # written by a concurrent attempt


async def _number_held(session: AsyncSession, key: str, claim: CertificateClaim) -> bool | None:
    """None: nobody holds the number; True: this product does; False: another does."""
    recorded = await session.scalar(
        select(tables.AuditEventRow.details).where(tables.AuditEventRow.event_key == key)
    )
    if recorded is not None:
        return same_holder(recorded, claim)
    # A certificate written before numbers were claimed.
    owner = await session.scalar(
        select(tables.ProductRow)
        .join(tables.CertificateRow, tables.CertificateRow.product_id == tables.ProductRow.id)
        .where(
            tables.CertificateRow.issuing_authority == claim.authority,
            tables.CertificateRow.number == claim.number,
        )
    )
    if owner is None:
        return None
    return same_holder({"province": owner.province, "product_code": owner.product_code}, claim)


async def _product_id(session: AsyncSession, claim: CertificateClaim) -> int | None:
    found: int | None = await session.scalar(
        select(tables.ProductRow.id).where(
            tables.ProductRow.province == claim.province,
            tables.ProductRow.product_code == claim.product_code,
        )
    )
    return found


async def _already_recorded(session: AsyncSession, key: str) -> bool:
    return await rows.already_recorded(await session.connection(), key)


async def _write(session: AsyncSession, record: CaseRecord) -> None:
    connection = await session.connection()
    product_id = await rows.write_product(connection, record)
    round_id = await rows.write_round(connection, record, product_id)
    if record.scorecard is not None:
        await rows.write_scorecard(connection, record, round_id)
    decision_id = None
    if record.decision is not None:
        decision_id = await _upsert_decision(session, record, product_id)
    if record.certificate is not None:
        await _upsert_certificate(session, record, product_id, decision_id)
    await rows.write_audit(connection, record, product_id)


async def _upsert_decision(session: AsyncSession, record: CaseRecord, product_id: int) -> int:
    decision = record.decision
    assert decision is not None
    row = await session.scalar(
        select(tables.DecisionRow).where(
            tables.DecisionRow.issuing_authority == decision.authority,
            tables.DecisionRow.number == decision.number,
        )
    )
    if row is None:
        row = tables.DecisionRow(
            issuing_authority=decision.authority,
            number=decision.number,
            decided_on=decision.decided_on,
            level=decision.level,
            kind=decision.kind.value,
        )
        session.add(row)
        await session.flush()
    link = await session.get(tables.DecisionProductRow, (row.id, product_id))
    if link is None:
        session.add(tables.DecisionProductRow(decision_id=row.id, product_id=product_id))
    return row.id


async def _upsert_certificate(
    session: AsyncSession, record: CaseRecord, product_id: int, decision_id: int | None
) -> None:
    change = record.certificate
    assert change is not None
    certificate = change.certificate
    row = await session.scalar(
        select(tables.CertificateRow).where(
            tables.CertificateRow.issuing_authority == certificate.authority,
            tables.CertificateRow.number == certificate.number,
        )
    )
    if row is not None and row.product_id != product_id:
        # A mistyped or reused number: the certificate belongs to another product. Its row
        # stays as it is; the clash is recorded for operators and the case goes on.
        owner = await session.get(tables.ProductRow, row.product_id)
        session.add(
            tables.AuditEventRow(
                event_key=f"{record.key}:certificate-conflict",
                workflow_id=record.workflow_id,
                product_id=product_id,
                actor="register",
                action="certificate_number_conflict",
                reason=(
                    f"certificate {certificate.number} of {certificate.authority} already "
                    f"belongs to product {owner.product_code if owner else row.product_id} "
                    f"({owner.province if owner else '?'}); not recorded for this product"
                ),
                details={"certificate_number": certificate.number, "status": change.status.value},
                occurred_at=record.occurred_at,
            )
        )
        return
    if row is None:
        issuing = await session.scalar(
            select(tables.DecisionRow.id).where(
                tables.DecisionRow.issuing_authority == certificate.authority,
                tables.DecisionRow.number == certificate.decision_number,
            )
        )
        row = tables.CertificateRow(
            product_id=product_id,
            decision_id=issuing if issuing is not None else decision_id,
            number=certificate.number,
            issuing_authority=certificate.authority,
            level=certificate.level,
            stars=int(certificate.stars),
            valid_from=certificate.valid_from,
            valid_until=certificate.valid_until,
        )
        session.add(row)
    row.status = change.status.value
    row.ended_on = change.ended_on
    row.end_reason = change.end_reason
    if change.status == CertificateStatus.REVOKED and decision_id is not None:
        row.ended_by_decision_id = decision_id
    await session.flush()
