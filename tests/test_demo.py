"""The README's first command, on five of its products: the demo's story still holds.

`run_demo` runs as `ocop demo` does, on the session's dev server (which it finds
answering and reuses), its own worker, a fresh SQLite register and the test SMTP
server. Five products cover every ending: a 3★ whose re-evaluation keeps it (after a
supplement), a 3★ raised to 4★ by re-evaluation in the 2027 cycle, a 4★ revoked in
2025, a 2★ not certified, and a 3★ that lapses after its reminders. The calendar is
paced: it moves on only once every step of its moment is done, so no window can be
missed however slow the machine, and the run takes as long as the steps take.
"""

from __future__ import annotations

import uuid
from email.header import decode_header, make_header
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cli.demo.command import run_demo
from cli.demo.province import ENTRIES
from cli.demo.showcase import PortalAccount
from cli.identity import dev_password
from infra.database import create_engine
from infra.settings import Settings
from models.register import CertificateRow, ProductRow
from tests.fixtures.smtp import SmtpTestServer
from tests.plaintext import clear_payloads, readable_without_key
from tests.portal.forms import Browser, text_of

# About 30 s on two idle cores; a saturated machine takes a few times as long.
pytestmark = [pytest.mark.devserver, pytest.mark.timeout(600)]

FIVE = tuple(
    entry
    for entry in ENTRIES
    if entry.code
    in {"MO-BINHLIEU", "MAM-NGU-DAIYEN", "VIETCOR-VIENNANG", "DUA-CHUA-HH", "DAU-SO-BL"}
)


def subjects(server: SmtpTestServer, address: str) -> list[str]:
    return [str(make_header(decode_header(m["Subject"]))) for m in server.messages_to(address)]


async def test_the_demo_runs_a_province_year_and_the_certificates_after_it(
    dev_server_env: WorkflowEnvironment,
    smtp_server: SmtpTestServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = dev_server_env.client
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'register.db'}",
        temporal_address=client.service_client.config.target_host,
        temporal_namespace=client.namespace,
        task_queue=f"demo-{uuid.uuid4().hex[:8]}",
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
    )

    seen: dict[str, str] = {}

    async def portal_people_see_their_work(
        base_url: str, accounts: tuple[PortalAccount, ...]
    ) -> None:
        password = dev_password(settings)
        for account in accounts:
            async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as http:
                home = await Browser(http).sign_in(account.username, password)
                seen[account.actor.role.value + ":" + account.username] = text_of(home.text)

    story = await run_demo(
        settings,
        days_per_second=None,
        time_limit=300,
        entries=FIVE,
        afterwards=portal_people_see_their_work,
    )

    shown = capsys.readouterr().out
    # The portal is left with work for each role, and the accounts to see it with.
    assert "Portal http://127.0.0.1:" in shown and "password" in shown
    pages = {key.split(":")[0]: page for key, page in seen.items()}
    assert "Trà hoa vàng Bình Liêu" in pages["producer"], pages["producer"]
    assert "Mật ong rừng Bình Liêu" in pages["producer"]
    assert "Trà hoa vàng Bình Liêu" in pages["reviewer"], pages["reviewer"]
    assert "Miến dong Bình Liêu" in pages["council_member"], pages["council_member"]
    assert "Miến dong Bình Liêu" in pages["council_secretary"]
    assert "Rượu men lá Bình Liêu" in pages["authority"], pages["authority"]
    assert "reused the Temporal server" in shown
    # The cycle refused a second copy, another province's dossier and a late one.
    assert "refused: sản phẩm MO-BINHLIEU đã đăng ký trong chu trình OCOP 2024" in shown
    assert "refused: hồ sơ thuộc tỉnh Hải Dương (hai-duong)" in shown
    assert "refused: đã hết thời gian nhận hồ sơ" in shown
    # Batch decisions bear their calendar dates and each district's own numbering.
    assert "2024-10-15  UBND huyện Bình Liêu" in shown
    assert "2024-11-15  UBND tỉnh Quảng Ninh" in shown

    first = story.reports[2024]
    assert (first.closed, first.submissions, first.certified) == (True, 5, 4)
    assert first.by_stars == {3: 3, 4: 1}
    assert [d.number for d in first.decisions if d.level == "province"] == [
        f"{2650 + story.run.shift}/2024/QĐ-UBND"
    ]
    later = {outcome.case.entry.code: outcome.later for outcome in story.outcomes}
    assert later["MAM-NGU-DAIYEN"] == "re-evaluated in 2027: 3★ → 4★ (raised)"
    assert later["MO-BINHLIEU"] == "re-evaluated in 2027: 3★ → 3★ (kept)"
    assert later["VIETCOR-VIENNANG"] == "revoked on a post-inspection"
    assert story.reports[2027].by_stars == {3: 1, 4: 1}
    # 2027 runs under Decision 1489/2025: communes review with their local-origin
    # findings, the province's council scores and the province decides.
    assert story.reports[2027].rulebook == "qd1489-2025"
    assert "the commune accepts the dossier with its local-origin assessment" in shown
    assert {d.level for d in story.reports[2027].decisions} == {"province"}

    # The lapse came after the reminders, and the producer was told of each.
    assert story.narrator is not None and story.narrator.lapsed == 1
    dau_so = next(o.case for o in story.outcomes if o.case.entry.code == "DAU-SO-BL")
    engine = create_engine(settings.register_url)
    try:
        async with engine.connect() as connection:
            held = await connection.execute(
                select(CertificateRow.status)
                .join(ProductRow, ProductRow.id == CertificateRow.product_id)
                .where(ProductRow.product_code == "DAU-SO-BL")
            )
            assert list(held.scalars()) == ["lapsed"]
    finally:
        await engine.dispose()
    letters = subjects(smtp_server, dau_so.entry.email)
    assert sum("nhắc" in s.lower() or "hết hạn" in s.lower() for s in letters) >= 3, letters
    # The administrators received both cycle reports.
    admin = f"vpdp@{story.run.province}.example.vn"
    assert len([s for s in subjects(smtp_server, admin) if "2024" in s or "2027" in s]) >= 2

    # Every history the run wrote, read without the payload key: no producer's email, name
    # or phone, and no payload in clear but the search attributes.
    histories = await every_history(client, story.run.province)
    assert len(histories) >= len(FIVE) + 2  # each case's runs, two cycles at least
    for workflow_id, text in histories:
        assert clear_payloads(text) == [], workflow_id
        readable = readable_without_key(text)
        for entry in FIVE:
            for personal in (entry.email, entry.applicant, entry.phone):
                assert personal not in readable, f"{personal!r} in clear in {workflow_id}"


async def every_history(client: Client, province: str) -> list[tuple[str, str]]:
    """Each run's history (JSON) of the province's cycles and cases."""
    found = []
    async for execution in client.list_workflows(
        f"WorkflowId STARTS_WITH 'ocop-cycle-{province}' "
        f"OR WorkflowId STARTS_WITH 'ocop-product-{province}'"
    ):
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        found.append((execution.id, (await handle.fetch_history()).to_json()))
    return found
