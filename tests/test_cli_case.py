"""The per-case command line against the real stack: Temporal's dev server, the worker
`worker.build_worker` builds, a SQLite register, an SMTP server and the HTTP API, through
which each person's command goes with their own token (the example case's people, as
`ocop dev up` seeds them).

Each `ocop` command runs through Typer's CliRunner in a helper thread (the command
calls `asyncio.run`, which must not run in the thread of pytest-asyncio's loop; that
loop meanwhile runs the worker). The case's calendar runs at real speed from
1 March 2024, so no deadline passes while the test runs and decisions are dated that day.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.client import Client, WorkflowQueryRejectedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner, Result

import cli.common
from api.local import LocalApi, Person, served_locally
from cli.identity import DEV_ACCOUNTS
from contracts.case import product_workflow_id
from infra.database import create_engine, migrate, session_factory
from infra.settings import Settings
from models.actors import Role, Scope
from starter import app
from tests.cli_output import ok, refused
from tests.fixtures.smtp import SmtpTestServer
from tests.signing import KEYS
from tests.waiting import eventually
from worker import build_worker
from workflows.product_lifecycle import ProductLifecycleWorkflow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PROVINCE = "quang-ninh"
# The example case's people, by the usernames `ocop dev up` seeds (cli/identity.py).
REVIEWER = "phong-nn-binh-lieu"
PRODUCER = "hoptien"
SECRETARY = "thu-ky-bl"
AUTHORITY = "ubnd-binh-lieu"
TODAY = "2024-03-01"  # the case's business date (business_start in the example)

DISTRICT = ["bl-chair", "bl-agri", "bl-econ", "bl-health", "bl-culture"]


STRANGER: Person = (
    "stranger",
    "Người ngoài hội đồng",
    Role.COUNCIL_MEMBER,
    Scope(province=PROVINCE, level="district", member_id="stranger"),
)


@dataclass
class CliWorld:
    env: dict[str, str]
    client: Client
    folder: Path
    api: LocalApi
    runner: CliRunner = field(default_factory=CliRunner)
    workflow_ids: list[str] = field(default_factory=list)

    async def ocop(self, *args: str, who: str | None = None) -> Result:
        """Run `ocop ARGS…` in a thread of its own, signed in as the account `who`."""
        env = {**self.env, "OCOP_TOKEN": self.api.token(who) if who else ""}
        return await asyncio.to_thread(self.runner.invoke, app, list(args), env=env)

    def case_file(self, code: str, **changes: Any) -> Path:
        """The example case, for a product code of this test (the dev server is shared)."""
        data = yaml.safe_load((EXAMPLES / "case-mat-ong-binh-lieu.yaml").read_text("utf-8"))
        data["dossier"]["product_code"] = code
        data.update(changes)
        self.workflow_ids.append(product_workflow_id(PROVINCE, code))
        return self.write(f"case-{code}.yaml", data)

    def write(self, name: str, data: Any) -> Path:
        path = self.folder / name
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path

    def scorecard(self, member: str, a: int, b: int, c: int, **extra: Any) -> Path:
        data = yaml.safe_load((EXAMPLES / "scorecard-district-chair.yaml").read_text("utf-8"))
        data.update(member_id=member, part_a=a, part_b=b, part_c=c, **extra)
        return self.write(f"scorecard-{member}-{uuid.uuid4().hex[:4]}.yaml", data)


@pytest.fixture
async def world(
    dev_server_env: WorkflowEnvironment, smtp_server: SmtpTestServer, tmp_path: Path
) -> AsyncIterator[CliWorld]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'register.db'}"
    await migrate(url)
    engine = create_engine(url)
    task_queue = f"cli-case-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        data_dir=tmp_path,
        database_url=url,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        task_queue=task_queue,  # where the API starts what it starts
    )
    client = dev_server_env.client
    env = {
        "OCOP_TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "OCOP_TEMPORAL_NAMESPACE": client.namespace,
        "OCOP_TASK_QUEUE": task_queue,
        "OCOP_DATA_DIR": str(tmp_path),
        "OCOP_DATABASE_URL": url,
    }
    sessions = session_factory(engine)
    try:
        async with (
            served_locally(
                settings, client, sessions, KEYS, [*DEV_ACCOUNTS, STRANGER], "mật-khẩu"
            ) as api,
            build_worker(client, settings, sessions, task_queue=task_queue),
        ):
            env["OCOP_API_URL"] = api.base_url
            world = CliWorld(env=env, client=client, folder=tmp_path, api=api)
            yield world
            for workflow_id in world.workflow_ids:
                await _settle_and_end(client, workflow_id)
    finally:
        await engine.dispose()


async def _settle_and_end(client: Client, workflow_id: str) -> None:
    """End a case once it has recorded and mailed everything (no activity left mid-way)."""
    handle = client.get_workflow_handle(workflow_id)

    async def settled() -> bool | None:
        status = await handle.query(ProductLifecycleWorkflow.status)
        return None if status.emails_queued or status.register_writes_pending else True

    # Best effort, on the dev server (nothing there outlives a case ended mid-way): a
    # case that does not settle within ~5 s is ended all the same, failing nothing.
    with contextlib.suppress(RPCError, WorkflowQueryRejectedError, TimeoutError):
        async with asyncio.timeout(5):
            await eventually(settled, f"{workflow_id} to settle before it is ended")
    with contextlib.suppress(RPCError):  # ended already, or never opened
        await handle.terminate("test finished")


def code() -> str:
    return f"MO-BL-{uuid.uuid4().hex[:6].upper()}"


@pytest.mark.devserver
async def test_under_the_2025_rules_the_commune_accepts_with_its_local_assessment(
    world: CliWorld,
) -> None:
    product = code()
    at = (PROVINCE, product)
    ok(await world.ocop("open", str(world.case_file(product, rulebook="qd1489-2025"))))
    results = world.folder / "phieu-kiem-nghiem.pdf"
    results.write_bytes(b"%PDF-1.7 phieu ket qua kiem nghiem mat ong" * 100)
    ok(
        await world.ocop(
            "review", *at, "request-supplement", "--reason", "Thiếu kiểm nghiệm", who=REVIEWER
        )
    )
    ok(await world.ocop("supply", *at, str(results), "--kind", "test-results", who=PRODUCER))
    refused(
        await world.ocop("review", *at, "accept", who=REVIEWER),
        1,
        "its assessment of the four local-origin criteria",
    )
    assessment = EXAMPLES / "local-assessment-binh-lieu.yaml"
    ok(
        await world.ocop(
            "review", *at, "accept", "--local-assessment", str(assessment), who=REVIEWER
        ),
        "accepted; now in council scoring at province level",
    )
    shown = await world.ocop("status", *at, "--json", who=REVIEWER)
    found = json.loads(shown.stdout)["local_assessment"]
    assert found["assessed_by"] == "UBND xã Bình Liêu"
    assert found["report"]["file_name"] == "bien-ban-danh-gia-xa-binh-lieu.pdf"


@pytest.mark.devserver
async def test_a_case_from_opening_to_certificate_upgrade_and_revocation(
    world: CliWorld,
) -> None:
    product = code()
    case_file = world.case_file(product)
    workflow_id = product_workflow_id(PROVINCE, product)
    at = (PROVINCE, product)

    refused(await world.ocop("status", *at), 1, f"no case exists for product {product}")
    ok(await world.ocop("open", str(case_file)), f"Opened case {workflow_id}", "district review")
    refused(await world.ocop("open", str(case_file)), 1, "already has an open case")

    # The district review: the test results are missing, so they are asked for and supplied.
    refused(
        await world.ocop("review", *at, "accept", who=REVIEWER),
        1,
        "refused: the dossier cannot be accepted while documents are missing: test_results",
    )
    ok(
        await world.ocop(
            "review", *at, "request-supplement", "--reason", "Thiếu kiểm nghiệm", who=REVIEWER
        ),
        "supplement requested (documents: test_results)",
        "now awaiting a supplement from the producer at district level",
    )
    results = world.folder / "phieu-kiem-nghiem.pdf"
    results.write_bytes(b"%PDF-1.7 phieu ket qua kiem nghiem mat ong" * 100)
    ok(
        await world.ocop("supply", *at, str(results), "--kind", "test-results", who=PRODUCER),
        "received: phieu-kiem-nghiem.pdf (test_results); still missing: nothing",
        "now in dossier review at district level",
    )
    ok(
        await world.ocop("review", *at, "accept", who=REVIEWER),
        "accepted; now in council scoring at district level",
    )

    # Scorecards: refusals first, then each member's own card, with their own token.
    async def score(member: str, a: int, b: int, c: int, *, who: str | None = None) -> Result:
        card = str(world.scorecard(member, a, b, c))
        return await world.ocop("score", *at, card, who=who or member)

    refused(await score("bl-chair", 45, 15, 20), 1, "part_a has 45 points but its maximum is 40")
    refused(await score("stranger", 20, 15, 20), 1, "is not on the roster of the district council")
    refused(await score("bl-chair", -1, 15, 20), 2, "part_a: Input should be greater than or")
    # The chair cannot send another member's card, nor can anyone without a token.
    refused(await score("bl-agri", 26, 15, 21, who="bl-chair"), 1, "refused:", "bl-agri")
    refused(
        await world.ocop("score", *at, str(world.scorecard("bl-agri", 26, 15, 21))),
        1,
        "ocop score is a person's step and needs their sign-in: run `ocop login`",
    )
    ok(await score("bl-chair", 20, 12, 18), "= 50 points")
    ok(await score("bl-agri", 26, 15, 21), "= 62 points")
    refused(
        await world.ocop("close-session", *at, "--level", "district", who=SECRETARY),
        1,
        "quorum not reached: 2 of the 4 scorecards needed",
    )
    for member, parts in (
        ("bl-econ", (27, 16, 21)),  # 64
        ("bl-health", (27, 17, 22)),  # 66
        ("bl-culture", (28, 18, 24)),  # 70
    ):
        last = ok(await score(member, *parts))
    assert "5 scorecards in for session attempt 1" in last
    refused(
        await world.ocop("close-session", *at, "--level", "province", who=SECRETARY),
        1,
        "belongs to the 'district' council, not the 'province' one",
    )
    refused(
        await world.ocop("close-session", *at, "--level", "district", who="bl-agri"),
        1,
        "refused:",
    )
    ok(
        await world.ocop("close-session", *at, "--level", "district", who=SECRETARY),
        "The district council must re-score: members' totals range from 50 to 70 points",
        "Session attempt 2 is open",
    )

    # The re-score, each member on their own (by workflow id, as an operator might).
    for count, (member, parts) in enumerate(
        zip(
            DISTRICT,
            [(26, 15, 19), (26, 15, 21), (27, 16, 21), (26, 15, 20), (27, 16, 20)],
            strict=True,
        ),
        start=1,
    ):
        in_so_far = "1 scorecard in" if count == 1 else f"{count} scorecards in"
        card = str(world.scorecard(member, *parts))
        ok(
            await world.ocop("score", "--id", workflow_id, card, who=member),
            f"Scorecard of {member} at district level",
            f"{in_so_far} for session attempt 2;",
        )
    ok(
        await world.ocop("close-session", *at, "--level", "district", who=SECRETARY),
        "The district council's result: mean 62.00 points → 3★",
        "bl-chair 60",
        "now awaiting a recognition decision at district level",
    )

    # Recognition: refused for the wrong level or a date to come, then recorded.
    decision = ["--authority", "UBND huyện Bình Liêu", "--decision", "1024/QĐ-UBND"]
    certificate = ["--certificate", "BL-OCOP-2024-017"]
    provincial = ["--authority", "UBND tỉnh Quảng Ninh", "--decision", "1024/QĐ-UBND"]
    refused(
        await world.ocop(
            "recognise",
            *at,
            "--level",
            "province",
            *provincial,
            "--date",
            TODAY,
            *certificate,
            who="ubnd-quang-ninh",
        ),
        1,
        "to be recognised at district level, not province",
    )
    refused(
        await world.ocop(
            "recognise",
            *at,
            "--level",
            "district",
            *decision,
            "--date",
            "2030-01-01",
            *certificate,
            who=AUTHORITY,
        ),
        1,
        "a decision dated 2030-01-01 is in the future (today is 2024-03-01)",
    )
    ok(
        await world.ocop(
            "recognise",
            *at,
            "--level",
            "district",
            *decision,
            "--date",
            TODAY,
            *certificate,
            who=AUTHORITY,
        ),
        "recognised 3★ at district level by decision 1024/QĐ-UBND",
        "certificate BL-OCOP-2024-017, valid 2024-03-01 to 2027-03-01",
    )

    # Reading: a view for people, the model for programs.
    view = ok(await world.ocop("status", *at), "Mật ong rừng Bình Liêu", "certified", "Decisions")
    assert "BL-OCOP-2024-017" in view and "1024/QĐ-UBND" in view
    status = json.loads(ok(await world.ocop("status", "--id", workflow_id, "--json")))
    assert (status["stage"], status["current_stars"]) == ("certified", 3)
    assert status["certificate"]["number"] == "BL-OCOP-2024-017"
    assert status["last_result"]["mean"] == "62.00"
    assert [r["outcome"] for r in status["rounds"]] == ["certified"]

    # Re-evaluation is years away; an upgrade may be sought at once: round 2.
    reevaluation = yaml.safe_load((EXAMPLES / "reevaluation-mat-ong.yaml").read_text("utf-8"))
    reevaluation["product_code"] = product
    refused(
        await world.ocop("apply", *at, str(world.write("reeval.yaml", reevaluation)), who=PRODUCER),
        1,
        "re-evaluation opens on 2026-",
        "apply for an upgrade",
    )
    upgrade = {**reevaluation, "registration_kind": "upgrade"}
    ok(
        await world.ocop(
            "apply", *at, str(world.write("upgrade.yaml", upgrade)), "--year", "2025", who=PRODUCER
        ),
        f"Application for upgrade of product {product} of {PROVINCE} received (cycle 2025)",
        "now in dossier review at district level (round 2)",
    )

    # A post-inspection: the district that issued the 3★ certificate revokes it.
    revoke = ["--authority", "UBND huyện Bình Liêu", "--decision", "QD-THUHOI-07"]
    refused(
        await world.ocop("revoke", *at, *revoke, "--date", TODAY, "--grounds", "bad-honey"),
        2,
        "--grounds: 'bad-honey' is not accepted; accepted values: process_not_followed, "
        "food_safety, quality_mismatch",
    )
    refused(
        await world.ocop(
            "revoke", *at, *revoke, "--date", "2024-02-01", "--grounds", "other", who=AUTHORITY
        ),
        1,
        "precedes the certificate it revokes",
    )
    ok(
        await world.ocop(
            "revoke",
            *at,
            *revoke,
            "--date",
            TODAY,
            "--grounds",
            "quality-mismatch",
            "--details",
            "Mẫu kiểm tra không đạt chỉ tiêu vi sinh",
            who=AUTHORITY,
        ),
        "revoked by decision QD-THUHOI-07 (quality_mismatch)",
    )
    status = json.loads(ok(await world.ocop("status", *at, "--json")))
    assert status["certificate"] is None and status["round_number"] == 2
    assert [d["kind"] for d in status["decisions"]] == ["recognition", "revocation"]

    # Every human step names its verified actor: the token's holder, by name, role and
    # subject (nothing the command line was told).
    history = ok(await world.ocop("history", *at, who="operator"))
    for signed in (
        "Phòng Nông nghiệp huyện Bình Liêu (reviewer, local-phong-nn-binh-lieu)",
        "HTX Hợp Tiến (producer, local-hoptien)",
        "Trưởng phòng Nông nghiệp và PTNT (council_member, local-bl-agri)",
        "Thư ký Hội đồng OCOP huyện Bình Liêu (council_secretary, local-thu-ky-bl)",
        "Chủ tịch UBND huyện Bình Liêu (authority, local-ubnd-binh-lieu)",
    ):
        assert signed in history, f"{signed!r} not in:\n{history}"
    assert "unverified" not in history


@pytest.mark.devserver
async def test_bad_input_is_one_line_and_exit_2(world: CliWorld, tmp_path: Path) -> None:
    at = (PROVINCE, "MO-NONE")
    missing = str(tmp_path / "missing.yaml")
    refused(await world.ocop("open", missing), 2, "cannot read", "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("dossier: [unclosed\n", encoding="utf-8")
    refused(
        await world.ocop("open", str(broken)),
        2,
        "broken.yaml is not valid YAML: expected ',' or ']', but got '<stream end>' (line 2",
    )
    refused(
        await world.ocop("open", str(world.case_file(code(), rulebook="qd-2099"))),
        2,
        "unknown rulebook 'qd-2099'; accepted: qd148-2023, qd1489-2025",
    )
    bad_email = yaml.safe_load((EXAMPLES / "case-mat-ong-binh-lieu.yaml").read_text("utf-8"))
    bad_email["dossier"]["applicant"]["email"] = "not-an-email"
    refused(
        await world.ocop("open", str(world.write("bad-email.yaml", bad_email))),
        2,
        "dossier.applicant.email: value is not a valid email address",
    )
    refused(
        await world.ocop("review", *at, "approve"),
        2,
        "ACTION: 'approve' is not accepted; accepted values: accept, request-supplement, reject",
    )
    refused(await world.ocop("review", *at), 2, "ACTION is missing")
    refused(await world.ocop("review", PROVINCE), 2, "name the product")
    refused(
        await world.ocop("review", *at, "request-supplement", "--document", "x"),
        2,
        "--document: 'x' is not accepted; accepted values: registration_form",
    )
    refused(
        await world.ocop("review", *at, "reject"),
        2,
        "a rejection must give its reason",
    )
    # Who acts is the token's holder: the command line cannot be told a name.
    told = await world.ocop("review", *at, "accept", "--by", "Ai đó")
    assert told.exit_code == 2 and "No such option: --by" in told.output, told.output
    document = tmp_path / "kiem-nghiem.pdf"
    document.write_bytes(b"%PDF")
    refused(
        await world.ocop("supply", *at, missing, "--kind", "test_results"),
        2,
        "cannot read",
        "missing.yaml",
    )
    refused(await world.ocop("supply", *at, str(document)), 2, "--kind")
    refused(
        await world.ocop(
            "supply",
            *at,
            str(document),
            str(document),
            "--kind",
            "test_results",
            "--kind",
            "barcode",
            "--kind",
            "other",
        ),
        2,
        "2 files but 3 --kind options",
    )
    empty = tmp_path / "empty.pdf"
    empty.touch()
    refused(
        await world.ocop("supply", *at, str(empty), "--kind", "test_results"),
        2,
        "empty.pdf is empty",
    )
    refused(await world.ocop("supply", *at), 2, "no documents")
    refused(
        await world.ocop(
            "recognise",
            *at,
            "--level",
            "district",
            "--authority",
            "UBND",
            "--decision",
            "1/QĐ",
            "--date",
            "1/3/2024",
            "--certificate",
            "C-1",
        ),
        2,
        "--date: '1/3/2024' is not a date; write it as YYYY-MM-DD",
    )
    refused(
        await world.ocop(
            "recognise",
            *at,
            "--level",
            "district",
            "--authority",
            "UBND",
            "--decision",
            "#1",
            "--date",
            TODAY,
            "--certificate",
            "C-1",
        ),
        2,
        "--decision: '#1' is not a decision number such as 125/QĐ-UBND",
    )
    card = world.scorecard("bl-chair", 20, 10, 20)
    card.write_text(card.read_text("utf-8") + "bonus: 5\n", encoding="utf-8")
    refused(await world.ocop("score", *at, str(card)), 2, "bonus: Extra inputs are not permitted")
    refused(await world.ocop("apply", *at), 2, "DOSSIER.yaml")
    refused(
        await world.ocop("status", "--id", "ocop-product-x", "extra"),
        2,
        "unexpected argument 'extra'",
    )


@pytest.mark.devserver
async def test_unknown_and_ended_cases_and_supplements_from_yaml(world: CliWorld) -> None:
    # Every command that acts on a case says so when the product has none.
    unknown = (PROVINCE, "MO-NONE")
    for who, *command in (
        [REVIEWER, "review", *unknown, "accept"],
        [SECRETARY, "close-session", *unknown, "--level", "district"],
        [
            AUTHORITY,
            "recognise",
            *unknown,
            "--level",
            "district",
            "--authority",
            "UBND",
            "--decision",
            "1/QĐ",
            "--date",
            TODAY,
            "--certificate",
            "C-1",
        ],
        [
            AUTHORITY,
            "revoke",
            *unknown,
            "--authority",
            "UBND",
            "--decision",
            "2/QĐ",
            "--date",
            TODAY,
            "--grounds",
            "other",
        ],
    ):
        refused(
            await world.ocop(*command, who=who),
            1,
            "no case exists for product MO-NONE of quang-ninh",
        )
    refused(
        await world.ocop("status", "--id", "ocop-product-nowhere-x"),
        1,
        "no case has workflow id ocop-product-nowhere-x",
    )

    # A supplement listed in YAML: one local file (hashed here), one reference kept elsewhere.
    product = code()
    at = (PROVINCE, product)
    ok(await world.ocop("open", str(world.case_file(product))))
    ok(
        await world.ocop(
            "review",
            *at,
            "request-supplement",
            "--document",
            "test_results",
            "--document",
            "barcode",
            who=REVIEWER,
        )
    )
    (world.folder / "kiem-nghiem.pdf").write_bytes(b"%PDF kiem nghiem")
    refs = world.write(
        "supplement.yaml",
        [
            {"path": "kiem-nghiem.pdf", "kind": "test_results"},
            {
                "file_name": "ma-vach-gs1.pdf",
                "kind": "barcode",
                "sha256": "ab" * 32,
                "size_bytes": 20480,
            },
        ],
    )
    ok(
        await world.ocop("supply", *at, "--refs", str(refs), who=PRODUCER),
        "kiem-nghiem.pdf (test_results), ma-vach-gs1.pdf (barcode); still missing: nothing",
    )
    refused(
        await world.ocop("supply", *at, "--refs", str(refs), who=PRODUCER),
        1,
        "refused: no supplement has been requested for this case (stage: local_review)",
    )

    # A rejected case has ended: it says so, and its status still reads.
    ok(
        await world.ocop("review", *at, "reject", "--reason", "Trùng sản phẩm", who=REVIEWER),
        "rejected; now rejected",
    )
    ended = world.client.get_workflow_handle(product_workflow_id(PROVINCE, product))
    await ended.result()  # its last emails are out
    refused(
        await world.ocop("review", *at, "accept", who=REVIEWER),
        1,
        f"the case of product {product} of {PROVINCE} has ended (stage rejected, round 1)",
    )
    ok(await world.ocop("status", *at), "rejected")


@pytest.mark.devserver
async def test_a_case_without_a_worker_is_one_line_not_a_hang(
    world: CliWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = f"nobody-{uuid.uuid4().hex[:6]}"
    world.env["OCOP_TASK_QUEUE"] = queue
    product = code()
    at = (PROVINCE, product)
    ok(await world.ocop("open", str(world.case_file(product))))
    case = world.client.get_workflow_handle(world.workflow_ids.pop())  # ended here, not queried
    no_worker = (
        f"no worker seems to be polling task queue {queue}; start one with `ocop dev up` "
        f"or `python worker.py` (OCOP_TASK_QUEUE={queue})"
    )
    try:
        # A query gets a few seconds (a worker answers one in well under a second). The
        # line itself shows it was the command's own limit: the RPC's deadline would end
        # in an RPC error, not in this line.
        line = refused(await world.ocop("status", *at), 1)
        assert line == (
            f"error: no worker answered within {cli.common.QUERY_TIMEOUT:g} s: {no_worker}"
        )

        # An Update: the same line, and how to see later whether it was applied after all
        # (it used to end in a traceback: the SDK turns the cancelled call into its own error).
        monkeypatch.setattr(cli.common, "UPDATE_TIMEOUT", 1.0)
        # Through the API the command cannot see the task queue: it says what it can.
        line = refused(await world.ocop("review", *at, "accept", who=REVIEWER), 1)
        assert line == (
            "error: no answer within 1 s: no worker seems to be answering for the case "
            "(start one with `ocop dev up` or `python worker.py`); the update may still be "
            f"applied when a worker starts: check with `ocop status {PROVINCE} {product}`"
        )
    finally:
        await case.terminate("no worker")


# ------------------------------------------------- files that cannot be read


def _offline(*args: str) -> Result:
    """`ocop ARGS…` with Temporal unreachable: only checks made before connecting pass."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"OCOP_TEMPORAL_ADDRESS": f"127.0.0.1:{port}", "COLUMNS": "200"}
    return CliRunner().invoke(app, list(args), env=env)


UNREADABLE: dict[str, tuple[bytes | None, str]] = {
    "missing": (None, "cannot read {path}: No such file or directory"),
    "broken-yaml": (
        b"member_id: bl-chair\npart_a: [20\npart_b: 15\n",
        # PyYAML's own message takes five lines; the line and column are what matter.
        "{path} is not valid YAML: expected ',' or ']', but got ':' (line 3, column 7)",
    ),
    "broken-json": (
        b'{"member_id": "bl-chair",}',
        "{path} is not valid JSON: Expecting property name enclosed in double quotes: "
        "line 1 column 26 (char 25)",
    ),
    "not-text": (
        "member_id: bl-chair\ncomment: Hợp Tiến\n".encode("utf-16"),  # as Notepad saves
        "{path} is not a UTF-8 text file (JSON or YAML)",
    ),
    "empty": (b"", "{path}: "),
    "a-list": (b"- bl-chair\n- bl-agri\n", "{path}: expected a mapping of"),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_a_file_that_cannot_be_read_is_one_line_naming_it(case: str, tmp_path: Path) -> None:
    content, message = UNREADABLE[case]
    # Brackets in a name, as in a draft, are printed as they are (no markup, no backslash).
    path = tmp_path / f"{case} [draft]{'.json' if case == 'broken-json' else '.yaml'}"
    if content is not None:
        path.write_bytes(content)
    expected = f"error: {message.format(path=path)}"
    at = (PROVINCE, "MO-NONE")

    for command in (["open", str(path)], ["score", *at, str(path)], ["apply", *at, str(path)]):
        line = refused(_offline(*command), 2, expected)
        assert "\\" not in line, line
    if case not in ("a-list", "empty"):  # a list is what --refs takes
        refused(_offline("supply", *at, "--refs", str(path)), 2, expected)
