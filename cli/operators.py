"""Operators' commands: find cases, tell a case's story, prepare a production server.

- ``ocop list`` filters product cases on their custom search attributes through
  Temporal's visibility, with a count;
- ``ocop history PROVINCE CODE`` tells one case's story in words, from every run's
  history and the register (``presentation/story``);
- ``ocop admin search-attributes`` registers the search attributes on a server that
  ``ocop dev up`` did not start (idempotent);
- ``ocop admin unfreeze PROVINCE CODE`` resets a frozen case to its last completed step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import typer
from pydantic import BaseModel, TypeAdapter, ValidationError
from temporalio.client import Client

from cli.acting import read_through_api
from cli.certificates import certificates_app
from cli.common import EXIT_BAD_INPUT, JsonOption, console, fail, print_json, print_table, run
from cli.criteria_tables import criteria_app
from cli.keys import keys_app
from cli.payload_keys import payload_keys_app
from contracts import case as sa  # the search-attribute keys
from contracts.case import WORKFLOW_TYPE, product_workflow_id
from infra.devserver import SearchAttributeConflictError, register_search_attributes
from infra.settings import Settings
from infra.unfreeze import CannotUnfreezeError, unfreeze_case
from infra.visibility_query import STANDARD_ATTRIBUTES, QueryRefused, narrowing_query
from models.bounds import MAX_TITLE_CHARS
from models.case import CaseStage
from models.clock import VIETNAM, start_of_day
from models.dossier import Code
from models.rulebook import RULEBOOKS
from models.stars import CERTIFIED_STARS
from models.text import text_refusal

PANEL = "Operators"
operators_app = typer.Typer(rich_markup_mode="rich")
"""Merged into the top-level `ocop` command by starter.py."""
admin_app = typer.Typer(
    help="Prepare a production Temporal server for ocop.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
operators_app.add_typer(admin_app, name="admin", rich_help_panel=PANEL)
admin_app.add_typer(keys_app, name="keys")
admin_app.add_typer(payload_keys_app, name="payload-keys")
admin_app.add_typer(criteria_app, name="criteria")
admin_app.add_typer(certificates_app, name="certificates")

STAGES = tuple(stage.value for stage in CaseStage)
LEVELS = tuple(sorted({level.name for book in RULEBOOKS.values() for level in book.levels}))
MAX_EXPIRY_WINDOW_DAYS = 3650
_CODE = TypeAdapter(Code)
QUERY_ATTRIBUTES = frozenset({key.name for key in sa.SEARCH_ATTRIBUTES} | set(STANDARD_ATTRIBUTES))
"""What `--query` may name: ocop's search attributes and Temporal's own, not WorkflowType
(the command selects product cases itself)."""
QUERY_HELP = (
    "A visibility condition, e.g. \"OcopStage = 'certified' OR OcopStars >= 4\"; checked,"
    " bracketed and ANDed with the filters above, so it can only narrow them. Names: the"
    f" Ocop* search attributes and {', '.join(STANDARD_ATTRIBUTES)} (not WorkflowType)."
)


# ------------------------------------------------------------------------ queries


class FilterError(ValueError):
    """A filter value the visibility query cannot take; the message says what is accepted."""


@dataclass(frozen=True)
class CaseFilter:
    """What `ocop list` filters on; None means any."""

    province: str | None = None
    locality: str | None = None
    level: str | None = None
    stage: str | None = None
    stars: int | None = None
    year: int | None = None
    rulebook: str | None = None
    expiring_within: int | None = None
    raw: str | None = None


def quote(value: str) -> str:
    """A visibility-query string literal: single quotes, with backslash and quote escaped."""
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise FilterError(f"{value!r} contains control characters")
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _timestamp(day: date) -> str:
    """Midnight in Vietnam at the start of `day`: how `OcopValidUntil` stores a date."""
    return quote(start_of_day(day).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def _one_of(name: str, value: str, accepted: tuple[str, ...]) -> str:
    if value not in accepted:
        raise FilterError(f"unknown {name} {value!r}; accepted: {', '.join(accepted)}")
    return value


def _code(name: str, value: str) -> str:
    try:
        return _CODE.validate_python(value)
    except ValidationError:
        raise FilterError(
            f"{name} {value!r} is not a code: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (e.g. quang-ninh)"
        ) from None


def build_query(filters: CaseFilter, today: date) -> str:
    """The visibility query selecting the product cases that match `filters`.

    Only the current run of each case counts: runs a case continued from as new keep
    the search attributes of their round, and would list a product twice.
    """
    clauses = [f"WorkflowType = {quote(WORKFLOW_TYPE)}", "ExecutionStatus != 'ContinuedAsNew'"]
    stage = filters.stage
    if filters.expiring_within is not None:
        clauses += _expiring(filters.expiring_within, stage, today)
        stage = CaseStage.CERTIFIED.value
    if filters.province is not None:
        clauses.append(f"{sa.PROVINCE.name} = {quote(_code('province', filters.province))}")
    if filters.locality is not None:
        clauses.append(f"{sa.LOCALITY.name} = {quote(_code('locality', filters.locality))}")
    if filters.level is not None:
        clauses.append(f"{sa.LEVEL.name} = {quote(_one_of('level', filters.level, LEVELS))}")
    if stage is not None:
        clauses.append(f"{sa.STAGE.name} = {quote(_one_of('stage', stage, STAGES))}")
    clauses += _numbers(filters)
    if filters.rulebook is not None:
        rulebook = _one_of("rulebook", filters.rulebook, tuple(sorted(RULEBOOKS)))
        clauses.append(f"{sa.RULEBOOK.name} = {quote(rulebook)}")
    if filters.raw is not None:
        try:
            clauses.append(f"({narrowing_query(filters.raw, QUERY_ATTRIBUTES)})")
        except QueryRefused as refused:
            raise FilterError(str(refused)) from None
    return " AND ".join(clauses)


def _expiring(days: int, stage: str | None, today: date) -> list[str]:
    """The clauses of `--expiring-within DAYS`: certificates valid until today + DAYS."""
    if not 0 <= days <= MAX_EXPIRY_WINDOW_DAYS:
        raise FilterError(f"--expiring-within takes 0 to {MAX_EXPIRY_WINDOW_DAYS} days, got {days}")
    if stage is not None and stage != CaseStage.CERTIFIED.value:
        raise FilterError(
            f"--expiring-within lists certified products; it cannot be combined with "
            f"--stage {stage}"
        )
    return [
        f"{sa.VALID_UNTIL.name} >= {_timestamp(today)}",
        f"{sa.VALID_UNTIL.name} <= {_timestamp(today + timedelta(days=days))}",
    ]


def _numbers(filters: CaseFilter) -> list[str]:
    """The clauses on numbers: the stars held, the cycle year."""
    clauses = []
    if filters.stars is not None:
        if filters.stars not in CERTIFIED_STARS:
            raise FilterError(
                f"a product holds 3, 4 or 5 stars (only those are certified), got {filters.stars}"
            )
        clauses.append(f"{sa.STARS.name} = {filters.stars}")
    if filters.year is not None:
        if not 2018 <= filters.year <= 2100:
            raise FilterError(f"cycle years run from 2018 to 2100, got {filters.year}")
        clauses.append(f"{sa.CYCLE_YEAR.name} = {filters.year}")
    return clauses


class CaseRow(BaseModel):
    """One product case as visibility shows it."""

    workflow_id: str
    run_id: str
    status: str | None
    province: str | None
    locality: str | None
    stage: str | None
    level: str | None
    stars: int | None
    cycle_year: int | None
    rulebook: str | None
    valid_until: date | None


class CaseList(BaseModel):
    query: str
    count: int
    cases: list[CaseRow]


async def find_cases(client: Client, query: str, limit: int | None = None) -> CaseList:
    """Count and list the cases matching `query` (valid-until first, then by id)."""
    count = await client.count_workflows(query)
    rows: list[CaseRow] = []
    async for execution in client.list_workflows(query, limit=limit):
        attributes = execution.typed_search_attributes
        valid_until = attributes.get(sa.VALID_UNTIL)
        rows.append(
            CaseRow(
                workflow_id=execution.id,
                run_id=execution.run_id,
                status=execution.status.name.lower() if execution.status else None,
                province=attributes.get(sa.PROVINCE),
                locality=attributes.get(sa.LOCALITY),
                stage=attributes.get(sa.STAGE),
                level=attributes.get(sa.LEVEL),
                stars=attributes.get(sa.STARS),
                cycle_year=attributes.get(sa.CYCLE_YEAR),
                rulebook=attributes.get(sa.RULEBOOK),
                valid_until=valid_until.astimezone(VIETNAM).date() if valid_until else None,
            )
        )
    rows.sort(key=lambda row: (row.valid_until or date.max, row.workflow_id))
    return CaseList(query=query, count=count.count, cases=rows)


def today_in_vietnam() -> date:
    return datetime.now(VIETNAM).date()


# ----------------------------------------------------------------------- commands


@operators_app.command("list", rich_help_panel=PANEL)
def list_cases(
    province: Annotated[str | None, typer.Option(help="Province code, e.g. quang-ninh.")] = None,
    locality: Annotated[
        str | None, typer.Option(help="District or commune code, e.g. binh-lieu.")
    ] = None,
    level: Annotated[
        str | None, typer.Option(help=f"Level the case is at: {', '.join(LEVELS)}.")
    ] = None,
    stage: Annotated[str | None, typer.Option(help=f"Stage: {', '.join(STAGES)}.")] = None,
    stars: Annotated[
        int | None, typer.Option(help="Stars the product holds now: 3, 4 or 5.")
    ] = None,
    year: Annotated[int | None, typer.Option(help="Cycle year of the current round.")] = None,
    rulebook: Annotated[
        str | None, typer.Option(help=f"Rulebook: {', '.join(sorted(RULEBOOKS))}.")
    ] = None,
    expiring_within: Annotated[
        int | None,
        typer.Option(
            "--expiring-within",
            metavar="DAYS",
            help="Certified products whose certificate ends within DAYS from today.",
        ),
    ] = None,
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%d"],
            help="The day --expiring-within counts from (default: today in Vietnam).",
        ),
    ] = None,
    query: Annotated[
        str | None,
        typer.Option(
            "--query",
            metavar="RAW",
            help=QUERY_HELP,
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="List at most this many cases.")] = 500,
    as_json: JsonOption = False,
) -> None:
    """List product cases by province, locality, level, stage, stars, year or expiry, with a count.

    Awaiting provincial scoring in one province: [bold]ocop list --province quang-ninh
    --stage council_scoring --level province[/]. Certificates ending within 90 days:
    [bold]ocop list --expiring-within 90[/].
    """
    filters = CaseFilter(
        province=province,
        locality=locality,
        level=level,
        stage=stage,
        stars=stars,
        year=year,
        rulebook=rulebook,
        expiring_within=expiring_within,
        raw=query,
    )
    try:
        visibility_query = build_query(filters, as_of.date() if as_of else today_in_vietnam())
    except FilterError as error:
        fail(str(error), EXIT_BAD_INPUT)

    async def action(client: Client, _: Settings) -> CaseList:
        return await find_cases(client, visibility_query, limit)

    found = run(action)
    if as_json:
        print_json(found)
        return
    shown = len(found.cases)
    title = f"{found.count} case(s) match" + (f" (showing {shown})" if shown < found.count else "")
    print_table(
        title,
        ("Workflow id", "Province", "Locality", "Stage", "Level", "Stars", "Valid until", "Run"),
        [
            (
                row.workflow_id,
                row.province,
                row.locality,
                row.stage,
                row.level,
                f"{row.stars}★" if row.stars else "",
                row.valid_until.isoformat() if row.valid_until else "",
                row.status,
            )
            for row in found.cases
        ],
    )
    console.print(f"[dim]query: {visibility_query}[/]", highlight=False, soft_wrap=True)


@operators_app.command("history", rich_help_panel=PANEL)
def history(
    province: Annotated[
        str | None, typer.Argument(help="Province code of the product, e.g. quang-ninh.")
    ] = None,
    code: Annotated[str | None, typer.Argument(help="The product's code.")] = None,
    workflow_id: Annotated[
        str | None, typer.Option("--id", help="The case's workflow id, instead of PROVINCE CODE.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Tell a case's story in words: every round, human step, email, timer and retry.

    Merges the workflow's history across its runs (rounds) with the register's audit and
    the mail ledger; works for running and closed cases. The story names producers and
    officials, so it is read through the API with an operator's token (`ocop login`).
    """
    if workflow_id is None:
        if province is None or code is None:
            fail("name the product as PROVINCE CODE, or the case as --id WORKFLOW_ID", 2)
        workflow_id = product_workflow_id(province, code)
    elif province is not None:
        fail("give either PROVINCE CODE or --id, not both", EXIT_BAD_INPUT)
    answer = read_through_api(
        "ocop history",
        f"/api/v1/cases/{workflow_id}/history",
        "shows producers' and officials' personal data and needs an operator's sign-in",
    )
    if as_json:
        print_json(answer["story"])
        return
    for line in answer["lines"]:
        typer.echo(line)


@admin_app.command("search-attributes")
def search_attributes() -> None:
    """Register ocop's custom search attributes on the configured namespace (idempotent).

    For a server `ocop dev up` did not start, e.g. the one in docker-compose.yml: safe to
    run at every deployment; a type clash with an existing attribute is refused.
    """

    async def action(client: Client, settings: Settings) -> tuple[str, list[str]]:
        namespace = settings.temporal_namespace
        return namespace, await register_search_attributes(client, namespace)

    try:
        namespace, added = run(action)
    except SearchAttributeConflictError as error:
        fail(str(error))
    if added:
        console.print(f"Registered in namespace {namespace}: {', '.join(added)}", highlight=False)
    else:
        console.print(
            f"All {len(sa.SEARCH_ATTRIBUTES)} ocop search attributes were already registered in "
            f"namespace {namespace}; nothing to do.",
            highlight=False,
        )


@admin_app.command("unfreeze")
def unfreeze(
    province: Annotated[str, typer.Argument(help="Province code of the product, e.g. quang-ninh.")],
    code: Annotated[str, typer.Argument(help="The product's code.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why, for the case's history (no personal data).")
    ],
) -> None:
    """Reset a frozen case (its workflow task failing again and again) to its last step.

    What froze it, typically an oversized Update from a client other than ocop's, was
    only in the server's memory and is dropped; everything the case decided is kept, and
    signals since are applied again. A case that is not frozen is refused.
    """
    refusal = text_refusal(reason)
    if refusal is not None:
        fail(f"--reason {refusal}", EXIT_BAD_INPUT)
    if not reason.strip() or len(reason) > MAX_TITLE_CHARS:
        fail(f"--reason: say why in 1 to {MAX_TITLE_CHARS} characters", EXIT_BAD_INPUT)
    try:
        workflow_id = product_workflow_id(_code("PROVINCE", province), _code("CODE", code))
    except FilterError as error:
        fail(str(error), EXIT_BAD_INPUT)

    async def action(client: Client, _: Settings) -> str:
        return await unfreeze_case(client, workflow_id, reason.strip())

    try:
        run_id = run(action)
    except CannotUnfreezeError as error:
        fail(f"{workflow_id}: {error}")
    console.print(
        f"{workflow_id} was reset to its last completed step (new run {run_id}); it answers again.",
        highlight=False,
    )
