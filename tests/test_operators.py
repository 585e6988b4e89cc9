"""Operators: find cases through visibility, tell a case's whole story, audit every step.

The dev-server tests run the real worker, SMTP and register. Visibility on the dev
server is eventually consistent, so list checks poll (bounded) until the count and the
rows settle; cases that need time to pass run on a compressed business calendar and
are waited for through their `status` query.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from temporalio.client import Client
from typer.testing import CliRunner

from cli.operators import (
    CaseFilter,
    CaseList,
    FilterError,
    build_query,
    find_cases,
    quote,
    today_in_vietnam,
)
from contracts.case import CALENDAR_MOVED
from models import register as tables
from models.actors import actor_label
from models.applicants import RegistrationKind
from models.case import (
    Application,
    CasePolicy,
    CaseStage,
    CaseStatus,
    LifecycleInput,
    RevocationGround,
)
from models.catalogue import DocumentKind
from models.clock import VIETNAM, CalendarMove
from models.rulebook import QD148_2023, QD1489_2025, Rulebook
from presentation.story import case_story, render_story
from tests.case_driver import CaseDriver
from tests.factories import PRODUCER_EMAIL, case_input, document, honey_dossier
from tests.fixtures import operators as operator_fixtures
from tests.fixtures.lifecycle import CaseWorld
from tests.fixtures.operators import OperatorsWorld
from tests.signing import member, reviewer, secretary
from tests.waiting import eventually

# The fixtures of the real stack (tests/fixtures/operators.py), made visible to pytest.
operators_world = operator_fixtures.operators_world
sqlite_operators_world = operator_fixtures.sqlite_operators_world

REVIEWER = "Phòng Nông nghiệp huyện Bình Liêu"
# How the register and the story name the verified actors the case driver signs as.
SIGNED_REVIEWER = actor_label(reviewer("quang-ninh", "binh-lieu", REVIEWER))
SIGNED_PRODUCER = "HTX Hợp Tiến (producer, "
SIGNED_SECRETARY = actor_label(secretary("quang-ninh", "district"))


def signed_member(member_id: str) -> str:
    return actor_label(member("quang-ninh", "district", member_id))


def _today(status: CaseStatus) -> date:
    return status.as_of.astimezone(VIETNAM).date()


# ---------------------------------------------------------------- visibility queries


def test_filters_become_one_visibility_query() -> None:
    query = build_query(
        CaseFilter(province="quang-ninh", stage="council_scoring", level="province", stars=4),
        date(2026, 1, 1),
    )
    assert query == (
        "WorkflowType = 'ProductLifecycleWorkflow' AND ExecutionStatus != 'ContinuedAsNew'"
        " AND OcopProvince = 'quang-ninh' AND OcopLevel = 'province'"
        " AND OcopStage = 'council_scoring' AND OcopStars = 4"
    )


def test_expiring_within_means_certified_and_valid_until_inside_the_window() -> None:
    query = build_query(CaseFilter(expiring_within=90, year=2024), date(2026, 11, 25))
    # Dates are stored as midnight in Vietnam (UTC+7), i.e. 17:00 UTC the day before.
    assert "OcopValidUntil >= '2026-11-24T17:00:00Z'" in query
    assert "OcopValidUntil <= '2027-02-22T17:00:00Z'" in query
    assert "OcopStage = 'certified'" in query
    assert "OcopCycleYear = 2024" in query
    with pytest.raises(FilterError, match="cannot be combined with --stage local_review"):
        build_query(CaseFilter(expiring_within=90, stage="local_review"), date(2026, 1, 1))


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (CaseFilter(stage="scoring"), "accepted: submitted, local_review, awaiting_supplement"),
        (CaseFilter(level="ward"), "accepted: central, commune, district, province"),
        (CaseFilter(rulebook="qd999"), "accepted: qd148-2023, qd1489-2025"),
        (CaseFilter(stars=2), "3, 4 or 5 stars"),
        (CaseFilter(year=1999), "2018 to 2100"),
        (CaseFilter(province="quang ninh' OR 1=1"), "is not a code"),
        (CaseFilter(expiring_within=-1), "0 to 3650 days"),
        (CaseFilter(raw="  "), "--query is empty"),
    ],
)
def test_bad_filters_are_refused_naming_what_is_accepted(filters: CaseFilter, message: str) -> None:
    with pytest.raises(FilterError, match=message.replace("(", r"\(")):
        build_query(filters, date(2026, 1, 1))


def test_values_are_quoted_and_escaped() -> None:
    assert quote("quang-ninh") == "'quang-ninh'"
    assert quote("a'b") == r"'a\'b'"
    assert quote("a\\' OR 'x") == r"'a\\\' OR \'x'"
    with pytest.raises(FilterError, match="control characters"):
        quote("a\nb")


BREAK_OUT = "WorkflowId != '') OR (WorkflowType = 'AnnualCycleWorkflow'"


def test_a_query_that_closes_the_filters_bracket_is_refused() -> None:
    with pytest.raises(FilterError, match=r"--query: a '\)' closes a bracket"):
        build_query(CaseFilter(raw=BREAK_OUT), date(2026, 1, 1))


def test_a_query_is_anded_as_one_bracketed_expression() -> None:
    query = build_query(
        CaseFilter(province="quang-ninh", raw="OcopStage = 'certified' OR OcopStars >= 4"),
        date(2026, 1, 1),
    )
    assert query.endswith(
        "AND OcopProvince = 'quang-ninh' AND (OcopStage = 'certified' OR OcopStars >= 4)"
    )


def test_ocop_list_refuses_a_query_that_breaks_out_of_the_product_filter() -> None:
    from starter import app  # the whole command line

    # Nothing listens on port 1: the refusal must come before any connection.
    env = {"OCOP_TEMPORAL_ADDRESS": "127.0.0.1:1", "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["list", "--query", BREAK_OUT], env=env)
    assert result.exit_code == 2, result.output
    assert "--query" in result.output and "closes a bracket" in result.output
    assert "WorkflowType" in result.output  # the excerpt shows where


# ------------------------------------------------------------------ lists (devserver)


async def _listed(client: Client, filters: CaseFilter, expected: set[str]) -> CaseList:
    """Poll visibility until the filter's count and rows are exactly `expected`."""
    query = build_query(filters, today_in_vietnam())
    seen: list[CaseList] = []

    async def exactly() -> CaseList | None:
        seen[:] = [await find_cases(client, query)]
        ids = {row.workflow_id for row in seen[0].cases}
        return seen[0] if ids == expected and seen[0].count == len(expected) else None

    def listed() -> str:
        ids = sorted(row.workflow_id for row in seen[0].cases) if seen else "nothing yet"
        return f"{filters} to list exactly {sorted(expected)}; it listed {ids}"

    return await eventually(exactly, listed, poll=0.1)


async def _certify(
    world: OperatorsWorld, case: CaseDriver, tag: str, cycle_year: int | None = None
) -> CaseStatus:
    await case.accept()
    await case.score_and_close("district", 62, 63, 61, 62, 64)
    status = await world.until(
        case, lambda s: s.stage == CaseStage.AWAITING_RECOGNITION, "district result"
    )
    await case.recognise("district", _today(status), decision=f"QD-{tag}", certificate=f"CN-{tag}")
    return await world.until(case, lambda s: s.stage == CaseStage.CERTIFIED, "certificate")


@pytest.mark.devserver
async def test_list_filters_return_exactly_the_matching_cases(
    sqlite_operators_world: OperatorsWorld,
) -> None:
    world = sqlite_operators_world
    tag = uuid.uuid4().hex[:6]
    p1, p2 = f"tinh-{tag}-a", f"tinh-{tag}-b"
    now = datetime.now(UTC)

    def case(
        province: str,
        locality: str,
        *,
        complete: bool = True,
        rulebook: Rulebook = QD148_2023,
        cycle_year: int = 2024,
        business_start: datetime | None = None,
    ) -> LifecycleInput:
        """A case of its own province and locality; its calendar starts at `business_start`."""
        dossier = honey_dossier(complete=complete, locality=locality)
        return case_input(
            dossier=dossier.model_copy(update={"province": province}), rulebook=rulebook
        ).model_copy(update={"cycle_year": cycle_year, "business_start": business_start})

    # Speed 1 and official deadlines: nothing moves unless a person acts. Certificates
    # are valid 36 months from a decision taken on the case's business "today", so a
    # calendar started ~35 months ago yields one that ends in ~45 days.
    review = await world.open_case(case(p1, "loc-1"))
    supplement = await world.open_case(case(p1, "loc-2", complete=False, rulebook=QD1489_2025))
    provincial = await world.open_case(case(p1, "loc-1"))
    expiring = await world.open_case(
        case(p2, "loc-3", business_start=now - timedelta(days=1096 - 45))
    )
    fresh = await world.open_case(case(p2, "loc-4", cycle_year=2025))
    expired = await world.open_case(
        case(p2, "loc-4", business_start=now - timedelta(days=1096 + 40))
    )

    async def to_provincial_scoring() -> None:
        await provincial.accept()
        await provincial.score_and_close("district", 75, 76, 74, 75, 77)
        await world.until(
            provincial,
            lambda s: s.stage == CaseStage.COUNCIL_SCORING and s.level == "province",
            "provincial scoring",
        )

    await asyncio.gather(
        supplement.request_supplement(DocumentKind.TEST_RESULTS),
        to_provincial_scoring(),
        _certify(world, expiring, f"{tag}-1"),
        _certify(world, fresh, f"{tag}-2"),
        _certify(world, expired, f"{tag}-3"),
    )
    ids = {
        name: driver.workflow_id
        for name, driver in {
            "review": review,
            "supplement": supplement,
            "provincial": provincial,
            "expiring": expiring,
            "fresh": fresh,
            "expired": expired,
        }.items()
    }

    def of(*names: str) -> set[str]:
        return {ids[name] for name in names}

    client = world.client
    await _listed(client, CaseFilter(province=p1), of("review", "supplement", "provincial"))
    awaiting_provincial_scoring = await _listed(
        client,
        CaseFilter(province=p1, stage="council_scoring", level="province"),
        of("provincial"),
    )
    assert awaiting_provincial_scoring.cases[0].locality == "loc-1"
    await _listed(client, CaseFilter(province=p1, locality="loc-1"), of("review", "provincial"))
    await _listed(
        client,
        CaseFilter(province=p1, rulebook="qd1489-2025", level="commune"),
        of("supplement"),
    )
    await _listed(client, CaseFilter(province=p1, stage="awaiting_supplement"), of("supplement"))
    await _listed(client, CaseFilter(province=p2, stars=3), of("expiring", "fresh", "expired"))
    await _listed(client, CaseFilter(province=p2, year=2025), of("fresh"))
    expiring_soon = await _listed(
        client, CaseFilter(province=p2, expiring_within=90), of("expiring")
    )
    valid_until = expiring_soon.cases[0].valid_until
    assert valid_until is not None
    assert 40 <= (valid_until - today_in_vietnam()).days <= 50
    await _listed(client, CaseFilter(province=p2, expiring_within=20), set())
    await _listed(
        client,
        CaseFilter(raw=f"OcopProvince IN ('{p1}', '{p2}') AND OcopLocality = 'loc-4'"),
        of("fresh", "expired"),
    )

    # The same through the command line, as an operator types it.
    listed = await world.ocop("list", "--province", p2, "--expiring-within", "90", "--json")
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    assert data["count"] == 1
    assert [row["workflow_id"] for row in data["cases"]] == [ids["expiring"]]
    table = await world.ocop("list", "--province", p1, "--stage", "council_scoring")
    assert table.exit_code == 0, table.output
    assert "1 case(s) match" in table.output and ids["provincial"] in table.output
    refused = await world.ocop("list", "--stage", "scoring")
    assert refused.exit_code == 2
    assert "accepted: submitted, local_review" in refused.output
    registered = await world.ocop("admin", "search-attributes")
    assert registered.exit_code == 0, registered.output
    assert "already registered" in registered.output
    unknown = await world.ocop("history", p1, "NO-SUCH-PRODUCT", operator_of=p1)
    assert unknown.exit_code == 1
    assert "neither Temporal nor the register knows it" in unknown.output
    # A running case's story, told while it waits for its provincial council.
    told = await world.ocop("history", "--id", ids["provincial"], operator_of=p1)
    assert told.exit_code == 0, told.output
    assert "Province council session opened" in told.output
    # The story names people: without a sign-in, or as another province's operator,
    # nothing of it is shown.
    unsigned = await world.ocop("history", "--id", ids["provincial"])
    assert unsigned.exit_code == 1 and "needs an operator's sign-in" in unsigned.output
    assert "Province council" not in unsigned.output
    elsewhere = await world.ocop("history", "--id", ids["provincial"], operator_of=p2)
    assert elsewhere.exit_code == 1 and f"their scope is '{p2}'" in elsewhere.output


# ---------------------------------------------------------------- history (devserver)

POLICY = CasePolicy(
    # The test moves the case's calendar itself, as a rehearsal's pacer does: nothing
    # here depends on how fast the machine answers.
    paced_calendar=True,
    reminder_days=(365, 90),
    reevaluation_window_days=400,
)


def _in_order(lines: list[str], *phrases: str) -> list[int]:
    """Where each phrase first occurs, each after the previous one; fail showing the story."""
    found: list[int] = []
    position = -1
    for phrase in phrases:
        index = next((i for i in range(position + 1, len(lines)) if phrase in lines[i]), None)
        assert index is not None, (
            f"{phrase!r} does not follow line {position} in the story:\n" + "\n".join(lines)
        )
        found.append(index)
        position = index
    return found


def _line(lines: list[str], phrase: str) -> int:
    index = next((i for i, line in enumerate(lines) if phrase in line), None)
    assert index is not None, f"{phrase!r} is not in the story:\n" + "\n".join(lines)
    return index


@pytest.mark.devserver
async def test_history_tells_a_whole_life_in_order_across_rounds(
    operators_world: OperatorsWorld,
) -> None:
    world, smtp = operators_world, operators_world.smtp
    tag = uuid.uuid4().hex[:6]
    case = await world.open_case(case_input(dossier=honey_dossier(complete=False), policy=POLICY))
    await case.mail_sent()

    # Round 1. The producer's mailbox refuses the supplement request for good (550) ...
    smtp.reject_recipient(PRODUCER_EMAIL)
    await case.request_supplement(DocumentKind.TEST_RESULTS)
    await case.mail_sent()
    assert ("supplement_requested", PRODUCER_EMAIL, "failed") in await world.ledger(
        case.workflow_id
    )
    smtp.clear_failures()
    # ... and the next email meets a temporary failure (421): the activity retries it.
    smtp.fail_next(421)
    await case.supply(document(DocumentKind.TEST_RESULTS))
    await case.accept(REVIEWER)
    # Totals 20 points apart: the council must discuss and re-score.
    rescore = await case.score_and_close("district", 55, 60, 62, 58, 75)
    assert rescore.outcome == "rescore_required"
    await case.score_and_close("district", 60, 62, 61, 63, 64)
    status = await world.until(
        case, lambda s: s.stage == CaseStage.AWAITING_RECOGNITION, "the district result"
    )
    await case.recognise("district", _today(status), f"QD-{tag}-1", f"CN-{tag}-1")
    # The calendar moves on to the first expiry reminder; the producer then re-applies.
    waiting = await case.status()
    assert waiting.next_deadline is not None
    await case.handle.signal(CALENDAR_MOVED.name, CalendarMove(to=waiting.next_deadline.due))
    status = await world.until(
        case,
        lambda s: s.certificate is not None and 365 in s.certificate.reminders_sent,
        "the expiry reminder a year before expiry",
    )
    dossier = honey_dossier(registration_kind=RegistrationKind.REEVALUATION, current_stars=3)
    await case.apply(
        Application(
            dossier=dossier.model_copy(update={"product_code": status.product_code}),
            cycle_year=2027,
        )
    )

    # Round 2, a new run of the same case: re-evaluated, re-certified, then revoked.
    await case.accept(REVIEWER)
    await case.score_and_close("district", 64, 65, 63, 64, 66)
    status = await world.until(
        case, lambda s: s.stage == CaseStage.AWAITING_RECOGNITION, "the round 2 result"
    )
    await case.recognise("district", _today(status), f"QD-{tag}-2", f"CN-{tag}-2")
    status = await world.until(case, lambda s: s.stage == CaseStage.CERTIFIED, "round 2")
    await case.revoke(_today(status), RevocationGround.FOOD_SAFETY)
    final = await case.outcome()
    assert final.stage == CaseStage.REVOKED

    story = await case_story(world.client, case.workflow_id, world.sessions)
    lines = render_story(story)
    assert story.runs == 2 and story.status == "completed"
    _in_order(
        lines,
        "── Round 1 ──",
        "Case opened: first evaluation under rulebook qd148-2023, cycle 2024.",
        "Dossier submitted by HTX Hợp Tiến for first evaluation; the district review opens.",
        f"sent to {PRODUCER_EMAIL} (250 ",
        f"{SIGNED_REVIEWER} asked for a supplement (test_results) by ",
        f"to {PRODUCER_EMAIL} FAILED: 550 Mailbox unavailable",
        f"Supplement given by {SIGNED_PRODUCER}",
        f"Dossier accepted at the district review by {SIGNED_REVIEWER}.",
        "District council session opened; members invited to score.",
        f"{signed_member('district-chair')} scored 55/100 at district level (attempt 1): "
        "A 22 + B 14 + C 19.",
        f"{signed_member('district-m4')} scored 75/100 at district level (attempt 1)",
        f"{SIGNED_SECRETARY} closed the district council session; it must re-score: "
        "members' totals range from 55 to 75 points",
        "District council session reopened for a re-score (attempt 2): members' totals range",
        f"{signed_member('district-chair')} scored 60/100 at district level (attempt 2)",
        "closed the district council session — mean 62.00 points: 3★.",
        "District council result: mean 62.00 points, 3★: recognised at district level.",
        f"Decision QD-{tag}-1 of UBND district (",
        "The paced calendar moved on to",
        "Expiry reminder: 365 days before expiry.",
        "applied for re-evaluation (cycle 2027); the case continues in a new run.",
        "Round 1 closes; the case continues as new for the next round.",
        "── Round 2 ──",
        "Round 2 opens in a new run of the case: re-evaluation under rulebook qd148-2023",
        "Dossier submitted by HTX Hợp Tiến for re-evaluation",
        f"Dossier accepted at the district review by {SIGNED_REVIEWER}.",
        "District council result: mean 64.40 points, 3★",
        f"Certificate CN-{tag}-1 superseded: replaced by certificate CN-{tag}-2.",
        f"Decision QD-{tag}-2 of UBND district (",
        f"Certificate CN-{tag}-2 revoked by decision QD-THUHOI-07 of UBND tỉnh Quảng Ninh (",
        "The case closed at stage revoked.",
    )
    # The 421 answer made the supplement email's activity run twice; the story says so
    # where the second attempt succeeded, after the supplement came in.
    retried = _line(lines, 'Sending the "supplement_received" email succeeded on attempt 2')
    assert "421" in lines[retried]
    assert retried > _line(lines, f"Supplement given by {SIGNED_PRODUCER}")
    assert "Expiry reminder" in lines[_line(lines, "The paced calendar moved on to") + 1]
    # The register's transitions are told in the order (and business time) they happened.
    recorded = [entry.at for entry in story.entries if "register" in entry.sources]
    assert recorded == sorted(recorded) and len(recorded) >= 30
    assert not [line for line in lines if "not found in the register" in line]

    # The command line tells the same story, in words and in JSON.
    told = await world.ocop("history", "--id", case.workflow_id, operator_of="quang-ninh")
    assert told.exit_code == 0, told.output
    assert "FAILED: 550 Mailbox unavailable" in told.output
    as_json = await world.ocop(
        "history", "--id", case.workflow_id, "--json", operator_of="quang-ninh"
    )
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert len(data["entries"]) == len(story.entries)
    failed = [e for e in data["entries"] if e["details"].get("status") == "failed"]
    assert [(e["details"]["event"], e["details"]["smtp_response"][:3]) for e in failed] == [
        ("supplement_requested", "550")
    ]


# ----------------------------------------------------------------- audit (time-skipping)


async def _certified(world: CaseWorld) -> CaseDriver:
    case = await world.open_case(case_input(dossier=honey_dossier(complete=False)))
    await case.request_supplement(DocumentKind.TEST_RESULTS)
    await case.supply(document(DocumentKind.TEST_RESULTS))
    await case.accept(REVIEWER)
    await case.score_and_close("district", 55, 60, 62, 58, 75)
    await case.score_and_close("district", 60, 62, 61, 63, 64)
    status = await case.status()
    await case.recognise("district", _today(status), "QD-AUDIT-1", "CN-AUDIT-1")
    return case


async def _audit(world: CaseWorld, workflow_id: str) -> list[tables.AuditEventRow]:
    async with world.sessions() as session:
        rows = await session.scalars(
            select(tables.AuditEventRow)
            .where(tables.AuditEventRow.workflow_id == workflow_id)
            .order_by(tables.AuditEventRow.id)
        )
        return list(rows)


async def test_every_human_action_reaches_the_register_with_actor_time_and_reason(
    case_world: CaseWorld,
) -> None:
    case = await _certified(case_world)
    status = await case.status()
    await case.revoke(_today(status), RevocationGround.FOOD_SAFETY)
    await case.mail_sent()
    rows = await _audit(case_world, case.workflow_id)
    by_action: dict[str, list[tables.AuditEventRow]] = {}
    for row in rows:
        by_action.setdefault(row.action, []).append(row)
        assert row.actor and row.occurred_at.tzinfo is not None
    [request] = by_action["supplement_requested"]
    # Each names its verified actor: name, role and subject, as signed.
    assert (request.actor, request.reason) == (SIGNED_REVIEWER, "Thiếu phiếu kết quả kiểm nghiệm")
    assert by_action["supplement_received"][0].actor.startswith(SIGNED_PRODUCER)
    assert by_action["review_accepted"][0].actor == SIGNED_REVIEWER
    scorers = {(row.actor, row.details["attempt"]) for row in by_action["scorecard_submitted"]}
    members = ["district-chair", *(f"district-m{i}" for i in range(1, 5))]
    expected = {(signed_member(m), attempt) for m in members for attempt in (1, 2)}
    assert scorers == expected
    [rescore] = by_action["rescore_requested"]
    assert "55 to 75 points" in (rescore.reason or "")
    assert by_action["recognised"][0].actor.startswith("UBND district (authority, ")
    [revoked] = by_action["certificate_revoked"]
    assert revoked.actor.startswith("UBND tỉnh Quảng Ninh (authority, ")
    assert revoked.reason == "food_safety: Mẫu kiểm tra không đạt chỉ tiêu vi sinh"
    times = [row.occurred_at for row in rows]
    assert times == sorted(times)


async def test_closing_a_council_session_is_audited_with_who_closed_it(
    case_world: CaseWorld,
) -> None:
    case = await _certified(case_world)
    rows = await _audit(case_world, case.workflow_id)
    reopened, closed = [row for row in rows if row.action == "session_closed"]
    assert reopened.actor == closed.actor == SIGNED_SECRETARY
    assert "re-score" in (reopened.reason or "") and "3★" in (closed.reason or "")


async def test_an_application_is_audited_in_the_round_it_is_filed(
    case_world: CaseWorld,
) -> None:
    case = await _certified(case_world)
    status = await case.status()
    dossier = honey_dossier(registration_kind=RegistrationKind.UPGRADE, current_stars=3)
    await case.apply(
        Application(
            dossier=dossier.model_copy(update={"product_code": status.product_code}),
            cycle_year=2024,
        )
    )
    await case.mail_sent()
    rows = await _audit(case_world, case.workflow_id)
    recognised = next(i for i, row in enumerate(rows) if row.action == "recognised")
    in_round_1 = [row for row in rows[recognised + 1 :] if row.details.get("round") == 1]
    assert any(row.actor.startswith(SIGNED_PRODUCER) for row in in_round_1)
