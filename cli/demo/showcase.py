"""What the demo leaves for the portal: three dossiers of a 2028 cycle standing at three
people's steps, and an account per role to see them with.

The rehearsal's calendar stands still once the story ends, so the dossiers wait where
they are left — one for the commune's review, one half-scored by its council, one for
the authority's decision — and the seeded accounts (one password, the dev stack's, in
`data/dev-accounts.json`) sign in to the portal to take the next step. The producer is
HTX Hợp Tiến, whose honey's whole story the demo told: its certificate is there too.
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from rich import box
from rich.markup import escape
from rich.table import Table
from temporalio.client import Client

from api.accounts import HASHER
from cli.demo.cast import administrator, person
from cli.demo.chronicle import Chronicle
from cli.demo.door import ApiDoor
from cli.demo.pacer import Pacer
from cli.demo.people import ProductCase
from cli.demo.province import ENTRIES, Entry, cycle_settings, dossier
from cli.demo.stack import DemoError
from models.actors import Actor, Role, Scope, applicant_key
from models.applicants import ApplicantKind
from models.case import CaseStage, CaseStatus
from models.cycle_calendar import CycleTargets
from models.cycle_decisions import authority_for
from models.cycle_settings import CycleSettings, cycle_input
from workflows.annual_cycle import AnnualCycleWorkflow

YEAR: Final = 2028
HONEY: Final = ENTRIES[0]  # Mật ong rừng Bình Liêu, HTX Hợp Tiến


def _entry(code: str, name: str, quality: int) -> Entry:
    """A new dossier of HTX Hợp Tiến at Bình Liêu, opened on the calendar's last day."""
    return Entry(
        code,
        name,
        HONEY.applicant,
        ApplicantKind.COOPERATIVE,
        "binh-lieu",
        "food",
        "processed_food",
        date(YEAR, 1, 1),
        quality,
    )


SHOWCASE: Final = (
    _entry("TRA-HOAVANG-BL", "Trà hoa vàng Bình Liêu", 63),
    _entry("MIEN-DONG-BL", "Miến dong Bình Liêu", 66),
    _entry("RUOU-MEN-LA-BL", "Rượu men lá Bình Liêu", 64),
)
SCORED_BEFORE_THE_PORTAL: Final = 2


@dataclass(frozen=True)
class PortalAccount:
    username: str
    actor: Actor
    sees: str


async def _open_cycle(
    door: ApiDoor, client: Client, province: str, run: int, pacer: Pacer
) -> tuple[str, CycleSettings]:
    settings = cycle_settings(run, province, YEAR, CycleTargets(submissions=3))
    today = pacer.today()
    cycle = cycle_input(
        province, YEAR, settings, calendar={"submission_opens": today}, business_start=pacer.now
    )
    workflow_id = await door.open_cycle(cycle, administrator(province))
    return workflow_id, settings


async def leave_work(
    client: Client, door: ApiDoor, province: str, run: int, pacer: Pacer, chronicle: Chronicle
) -> tuple[PortalAccount, ...]:
    """The three dossiers at their steps; the accounts that see them."""
    workflow_id, settings = await _open_cycle(door, client, province, run, pacer)
    cycle = client.get_workflow_handle_for(AnnualCycleWorkflow.run, workflow_id)
    rosters = {council.level: council for council in settings.councils}
    cases = [ProductCase(client, door, province, e, pacer, chronicle, rosters) for e in SHOWCASE]
    for case in cases:  # every dossier is HTX Hợp Tiến's: one producer sees all three
        form = dossier(case.entry, province)
        applicant = form.applicant.model_copy(update={"email": HONEY.email})
        await case.submit(cycle, form.model_copy(update={"applicant": applicant}))
        await case.follow(lambda s: s.stage == CaseStage.LOCAL_REVIEW, "the review")
    waiting_review, half_scored, scored = cases
    for case in (half_scored, scored):
        if not await case.review():
            raise DemoError(f"{case.name}: the showcase dossier was not accepted")
    level = (await half_scored.status()).level or ""
    await half_scored.score_some(level, half_scored.entry.quality, SCORED_BEFORE_THE_PORTAL)
    await scored.score(level, scored.entry.quality)
    awaiting = await scored.follow(
        lambda s: s.stage == CaseStage.AWAITING_RECOGNITION, "the recognition decision"
    )
    return _accounts(province, settings, await waiting_review.status(), awaiting)


def _accounts(
    province: str, settings: CycleSettings, reviewed: CaseStatus, awaiting: CaseStatus
) -> tuple[PortalAccount, ...]:
    place = Scope(province=province)
    level = awaiting.level or ""
    signer = authority_for(settings, level, awaiting.locality)
    council = next(c for c in settings.councils if c.level == level)
    members = tuple(
        PortalAccount(
            f"hoi-dong-{index}.{province}",
            person(
                Role.COUNCIL_MEMBER,
                member.name,
                Scope(province=province, level=level, member_id=member.member_id),
            ),
            "Miến dong Bình Liêu: chấm điểm (2 của 5 thành viên đã chấm)",
        )
        for index, member in enumerate(council.members[SCORED_BEFORE_THE_PORTAL:], start=1)
    )
    return (
        PortalAccount(
            f"chu-the.{province}",
            person(
                Role.PRODUCER,
                HONEY.applicant,
                Scope(province=province, applicant=applicant_key(HONEY.email)),
            ),
            "4 sản phẩm, giấy chứng nhận của Mật ong rừng Bình Liêu (PDF)",
        ),
        PortalAccount(
            f"tham-dinh.{province}",
            person(
                Role.REVIEWER,
                f"Phòng chuyên môn — {reviewed.locality}",
                Scope(province=province, locality=reviewed.locality),
            ),
            f"{reviewed.product_name}: thẩm định hồ sơ",
        ),
        *members,
        PortalAccount(
            f"thu-ky.{province}",
            person(
                Role.COUNCIL_SECRETARY,
                "Thư ký Hội đồng OCOP",
                Scope(province=province, level=level),
            ),
            "ai đã chấm, số phiếu, chênh lệch; kết thúc phiên",
        ),
        PortalAccount(
            f"ubnd.{province}",
            person(
                Role.AUTHORITY,
                f"Chủ tịch {signer.authority}",
                Scope(
                    province=province,
                    level=level,
                    authority=signer.authority,
                    localities=signer.localities,
                ),
            ),
            f"{awaiting.product_name}: ban hành quyết định công nhận",
        ),
        PortalAccount(
            f"van-phong.{province}",
            person(Role.ADMINISTRATOR, "Văn phòng Điều phối OCOP", place),
            "chu trình của tỉnh",
        ),
    )


async def enrol_accounts(door: ApiDoor, accounts: tuple[PortalAccount, ...], password: str) -> None:
    password_hash = HASHER.hash(password)
    for account in accounts:
        await door.keep_account(account.username, account.actor, password_hash)


def print_portal(
    console: Any, base_url: str, accounts: tuple[PortalAccount, ...], password: str, kept: Path
) -> None:
    """Where the portal is and who may sign in to it, with what each one sees."""
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    for column in ("Tài khoản / account", "Vai trò / role", "Việc đang chờ / what is waiting"):
        table.add_column(column)
    for account in accounts:
        table.add_row(escape(account.username), account.actor.role.value, escape(account.sees))
    console.print(f"\n[bold]Portal[/] {base_url}/portal/  ·  password {password} (in {kept})")
    console.print(table)


async def serve_until_stopped(console: Any) -> None:
    """Keep the stack and its portal up until Ctrl-C (or SIGTERM)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    console.print("[dim]The portal stays up on the rehearsal's calendar; Ctrl-C stops it.[/]")
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
