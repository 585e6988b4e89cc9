"""What the system does by itself, told from the register as an operator would read it.

Batch decisions, expiry reminders, lapses and overdue steps need nobody to act, so the
demo learns of them the way an operator does: from the register's audit log. The
narrator tails it and folds what happened to many products on one day into one line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from rich.markup import escape
from sqlalchemy import or_, select

from cli.demo.chronicle import Chronicle
from cli.demo.people import level_en, stars
from infra.database import create_engine
from models.clock import VIETNAM
from models.register import AuditEventRow, ProductRow
from models.transitions import CaseTransition, CycleTransition

NAMES_SHOWN = 3
WAVE = timedelta(days=10)
"""A wave of reminders or lapses is told once this much business time passed quietly."""


@dataclass(frozen=True)
class AuditRow:
    id: int
    workflow_id: str
    action: str
    occurred_at: datetime
    details: dict[str, Any]
    product_name: str | None

    @property
    def day(self) -> date:
        return self.occurred_at.astimezone(VIETNAM).date()


def counted(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def listing(names: Sequence[str]) -> str:
    shown = ", ".join(escape(name) for name in names[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


class Narrator:
    """Tails the audit log of one province's cycles and cases."""

    def __init__(
        self,
        register_url: str,
        province: str,
        names: Mapping[str, str],
        chronicle: Chronicle,
    ) -> None:
        self._engine = create_engine(register_url)
        self._chronicle = chronicle
        self._province = province
        self._names = {code.lower(): name for code, name in names.items()}
        self._last_id = 0
        self.decisions = 0
        self.reminders = 0
        self.lapsed = 0
        self.overdue = 0
        self._waves: dict[str, list[AuditRow]] = defaultdict(list)

    async def at_hold(self, now: datetime) -> None:
        """At each moment the calendar stands still: tell what happened, print up to now."""
        self.tell(await self._new_rows(), now)
        opened = [wave[0].occurred_at for wave in self._waves.values() if wave]
        self._chronicle.flush(min([now, *opened]))

    async def close(self) -> None:
        """Tell every wave still open, print everything, let the register go."""
        try:
            self.tell(await self._new_rows(), None)
            self._chronicle.flush()
        finally:
            await self._engine.dispose()

    async def _new_rows(self) -> list[AuditRow]:
        ours = or_(
            AuditEventRow.workflow_id.like(f"ocop-product-{self._province}-%"),
            AuditEventRow.workflow_id.like(f"ocop-cycle-{self._province}-%"),
        )
        told = or_(
            AuditEventRow.action == CycleTransition.RECOGNITION_DECISION.value,
            AuditEventRow.action.like(f"{CaseTransition.EXPIRY_REMINDER.value}%"),
            AuditEventRow.action == CaseTransition.CERTIFICATE_LAPSED.value,
            AuditEventRow.action.like(f"%{CaseTransition.OVERDUE.value}"),
        )
        query = (
            select(
                AuditEventRow.id,
                AuditEventRow.workflow_id,
                AuditEventRow.action,
                AuditEventRow.occurred_at,
                AuditEventRow.details,
                ProductRow.name,
            )
            .outerjoin(ProductRow, ProductRow.id == AuditEventRow.product_id)
            .where(AuditEventRow.id > self._last_id, ours, told)
            .order_by(AuditEventRow.id)
        )
        async with self._engine.connect() as connection:
            rows = [AuditRow(*row) for row in await connection.execute(query)]
        if rows:
            self._last_id = rows[-1].id
        return rows

    def tell(self, rows: Sequence[AuditRow], now: datetime | None) -> None:
        """Decisions at once; reminders and lapses gathered until their wave has passed.

        Certificates of one decision expire together, those of the next decision a
        month later: one line per wave reads better than one per product.
        """
        for row in sorted(rows, key=lambda r: (r.occurred_at, r.id)):
            if row.action == CycleTransition.RECOGNITION_DECISION:
                self._decision(row)
            else:
                self._waves[row.action].append(row)
        for action in list(self._waves):
            if now is None or now - self._waves[action][-1].occurred_at > WAVE:
                self._tell_wave(action, self._waves.pop(action))

    def _tell_wave(self, action: str, wave: list[AuditRow]) -> None:
        # By name, not by arrival: two runs list a wave alike.
        names = sorted(row.product_name or row.workflow_id for row in wave)
        day, count = wave[0].day, len(wave)
        if action.startswith(CaseTransition.EXPIRY_REMINDER):
            self.reminders += count
            days = wave[0].details.get("days_before_expiry", action.rsplit("_", 1)[-1])
            self._chronicle.say(
                day,
                counted(count, "producer"),
                f"[yellow]expiry reminder[/], {days} days before: {listing(names)}",
            )
        elif action == CaseTransition.CERTIFICATE_LAPSED:
            self.lapsed += count
            self._chronicle.say(
                day,
                counted(count, "certificate"),
                f"[red]lapsed[/], nobody applied for re-evaluation: {listing(names)}",
            )
        else:
            # A step past its official deadline: on a busy machine the compressed calendar
            # outruns the people's Updates; the administrators were told by email.
            self.overdue += count
            step = escape(action.removesuffix("_overdue").replace("_", " "))
            self._chronicle.say(
                day,
                counted(count, "case"),
                f"[red]overdue[/] in {step}, the administrators are told: {listing(names)}",
            )

    def _decision(self, row: AuditRow) -> None:
        details = row.details
        products: list[dict[str, Any]] = list(details.get("products", []))
        recognised = [p for p in products if p.get("result") == "recognised"]
        others = [p for p in products if p.get("result") != "recognised"]
        self.decisions += details.get("part", 1) == 1
        by_stars: dict[int, list[str]] = defaultdict(list)
        for product in recognised:
            by_stars[int(product.get("stars") or 0)].append(self._name(product))
        what = "; ".join(
            f"{len(names)} × {stars(count)}: {listing(names)}"
            for count, names in sorted(by_stars.items(), reverse=True)
        )
        level = level_en(str(details.get("level")))
        self._chronicle.say(
            date.fromisoformat(str(details.get("decided_on"))),
            str(details.get("authority", "")),
            f"[green]decision {escape(str(details.get('number')))}[/] ({level}): {what}",
        )
        for product in others:
            self._chronicle.say(
                row.day,
                self._name(product),
                f"[red]listed, not recognised[/]: {escape(str(product.get('reason') or ''))}",
            )

    def _name(self, product: Mapping[str, Any]) -> str:
        code = str(product.get("product_code", ""))
        return self._names.get(code.lower(), code)
