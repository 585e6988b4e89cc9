"""The rows every transition of a case writes — product, applicant, round, scorecard,
audit event — as statements built once, at import, and executed with each record's values.

A transition is written by every Update of a round, so this is the register's hot path:
built for each record, the statements cost more CPU than SQLite took to run them
(SQLAlchemy's coercion and cache keys, then the ORM's unit of work). Prebuilt Core
statements with bound parameters skip both; the rare writes (decisions, certificates,
claims) stay with the ORM in `activities.register`.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models import register as tables
from models.records import CaseRecord

AUDIT: Final[Table] = tables.AuditEventRow.__table__  # type: ignore[assignment]
PRODUCTS: Final[Table] = tables.ProductRow.__table__  # type: ignore[assignment]
APPLICANTS: Final[Table] = tables.ApplicantRow.__table__  # type: ignore[assignment]
ROUNDS: Final[Table] = tables.EvaluationRoundRow.__table__  # type: ignore[assignment]
SCORECARDS: Final[Table] = tables.ScorecardRow.__table__  # type: ignore[assignment]

APPLICANT_FIELDS: Final = ("name", "kind", "email", "phone", "preferred_language")
PRODUCT_FIELDS: Final = (
    "workflow_id",
    "name",
    "locality",
    "group_code",
    "set_code",
    "current_stars",
)
ROUND_FIELDS: Final = ("stage", "outcome", "mean_score", "stars", "ended_at")
ROUND_KEY: Final = ("registration_kind", "rulebook_id", "cycle_year", "started_at")
CARD_FIELDS: Final = (
    "part_a",
    "part_b",
    "part_c",
    "total",
    "mandatory_criteria_met",
    "comment",
    "submitted_at",
)


def _bound(*names: str) -> dict[str, Any]:
    """`column = :column` for each name, the values given when the statement runs."""
    return {name: bindparam(name) for name in names}


_RECORDED = select(AUDIT.c.id).where(AUDIT.c.event_key == bindparam("event_key"))
_UPDATE_PRODUCT = (
    update(PRODUCTS)
    .where(
        PRODUCTS.c.province == bindparam("key_province"),
        PRODUCTS.c.product_code == bindparam("key_product_code"),
    )
    .values(_bound(*PRODUCT_FIELDS))
    .returning(PRODUCTS.c.id, PRODUCTS.c.applicant_id)
)
_UPDATE_APPLICANT = (
    update(APPLICANTS)
    .where(APPLICANTS.c.id == bindparam("key_id"))
    .values(_bound(*APPLICANT_FIELDS))
)
_INSERT_APPLICANT = insert(APPLICANTS).values(_bound(*APPLICANT_FIELDS)).returning(APPLICANTS.c.id)
_INSERT_PRODUCT = (
    insert(PRODUCTS)
    .values(_bound("province", "product_code", "applicant_id", *PRODUCT_FIELDS))
    .returning(PRODUCTS.c.id)
)
_ROUND_WHERE = (
    ROUNDS.c.product_id == bindparam("key_product_id"),
    ROUNDS.c.round_number == bindparam("key_round_number"),
)
_UPDATE_ROUND = (
    update(ROUNDS).where(*_ROUND_WHERE).values(_bound(*ROUND_FIELDS)).returning(ROUNDS.c.id)
)
# A snapshot without a level (a step between levels) keeps the one on record.
_UPDATE_ROUND_AND_LEVEL = (
    update(ROUNDS)
    .where(*_ROUND_WHERE)
    .values(_bound(*ROUND_FIELDS, "level"))
    .returning(ROUNDS.c.id)
)
_INSERT_ROUND = (
    insert(ROUNDS)
    .values(_bound("product_id", "round_number", "level", *ROUND_KEY, *ROUND_FIELDS))
    .returning(ROUNDS.c.id)
)
_UPDATE_CARD = (
    update(SCORECARDS)
    .where(
        SCORECARDS.c.round_id == bindparam("key_round_id"),
        SCORECARDS.c.level == bindparam("key_level"),
        SCORECARDS.c.member_id == bindparam("key_member_id"),
        SCORECARDS.c.attempt == bindparam("key_attempt"),
    )
    .values(_bound(*CARD_FIELDS))
    .returning(SCORECARDS.c.id)
)
_INSERT_CARD = insert(SCORECARDS).values(
    _bound("round_id", "level", "member_id", "attempt", *CARD_FIELDS)
)
_INSERT_AUDIT = insert(AUDIT).values(
    _bound(
        "event_key",
        "workflow_id",
        "product_id",
        "actor",
        "action",
        "reason",
        "details",
        "occurred_at",
    )
)


async def already_recorded(connection: AsyncConnection, key: str) -> bool:
    """Whether the transition with this key is on the register (a retry finds it)."""
    return await connection.scalar(_RECORDED, {"event_key": key}) is not None


async def write_product(connection: AsyncConnection, record: CaseRecord) -> int:
    """The product's row by its natural key (a later case reopens the same row), brought
    up to the snapshot with its applicant; its id."""
    snapshot = record.product
    applicant = {
        "name": snapshot.applicant.name,
        "kind": snapshot.applicant.kind.value,
        "email": str(snapshot.applicant.email),
        "phone": snapshot.applicant.phone,
        "preferred_language": snapshot.applicant.preferred_language.value,
    }
    product = {
        "workflow_id": snapshot.workflow_id,
        "name": snapshot.product_name,
        "locality": snapshot.locality,
        "group_code": snapshot.group,
        "set_code": snapshot.product_set,
        "current_stars": snapshot.current_stars,
    }
    key = {"key_province": snapshot.province, "key_product_code": snapshot.product_code}
    found = (await connection.execute(_UPDATE_PRODUCT, key | product)).first()
    if found is not None:
        await connection.execute(_UPDATE_APPLICANT, {"key_id": found.applicant_id} | applicant)
        product_id: int = found.id
        return product_id
    applicant_id = (await connection.execute(_INSERT_APPLICANT, applicant)).scalar_one()
    created = await connection.execute(
        _INSERT_PRODUCT,
        {
            "province": snapshot.province,
            "product_code": snapshot.product_code,
            "applicant_id": applicant_id,
        }
        | product,
    )
    new_id: int = created.scalar_one()
    return new_id


async def write_round(connection: AsyncConnection, record: CaseRecord, product_id: int) -> int:
    """The round's row by product and round number, brought up to the snapshot; its id."""
    snapshot = record.round
    fields: dict[str, object] = {
        "stage": snapshot.stage.value,
        "outcome": snapshot.outcome,
        "mean_score": snapshot.mean_score,
        "stars": snapshot.stars,
        "ended_at": snapshot.ended_at,
    }
    key = {"key_product_id": product_id, "key_round_number": snapshot.round_number}
    if snapshot.level:
        found = await connection.scalar(
            _UPDATE_ROUND_AND_LEVEL, key | fields | {"level": snapshot.level}
        )
    else:
        found = await connection.scalar(_UPDATE_ROUND, key | fields)
    if found is not None:
        round_id: int = found
        return round_id
    created = await connection.execute(
        _INSERT_ROUND,
        {
            "product_id": product_id,
            "round_number": snapshot.round_number,
            "level": snapshot.level or "",
            "registration_kind": snapshot.registration_kind.value,
            "rulebook_id": snapshot.rulebook_id,
            "cycle_year": snapshot.cycle_year,
            "started_at": snapshot.started_at,
        }
        | fields,
    )
    new_id: int = created.scalar_one()
    return new_id


async def write_scorecard(connection: AsyncConnection, record: CaseRecord, round_id: int) -> None:
    """A member's card of one re-scoring attempt: written again, it is brought up to date."""
    entry = record.scorecard
    assert entry is not None
    card = entry.scorecard
    fields = {
        "part_a": card.part_a,
        "part_b": card.part_b,
        "part_c": card.part_c,
        "total": card.total,
        "mandatory_criteria_met": card.meets_mandatory,
        "comment": card.comment or None,
        "submitted_at": record.occurred_at,
    }
    key = {"level": card.level, "member_id": card.member_id, "attempt": entry.attempt}
    found = await connection.scalar(
        _UPDATE_CARD,
        {f"key_{name}": value for name, value in key.items()} | {"key_round_id": round_id} | fields,
    )
    if found is None:
        await connection.execute(_INSERT_CARD, {"round_id": round_id} | key | fields)


async def write_audit(connection: AsyncConnection, record: CaseRecord, product_id: int) -> None:
    """The transition's audit event, under its idempotency key."""
    await connection.execute(
        _INSERT_AUDIT,
        {
            "event_key": record.key,
            "workflow_id": record.workflow_id,
            "product_id": product_id,
            "actor": record.actor[:200],
            "action": record.action,
            "reason": record.reason or None,
            "details": {"case_id": record.case_id, "round": record.round.round_number}
            | record.details,
            "occurred_at": record.occurred_at,
        },
    )
