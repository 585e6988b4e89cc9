"""``ocop status``: a readable view of where a product's case stands."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from temporalio.client import Client

from cli.case.inputs import no_extra
from cli.case.target import (
    PANEL,
    CodeArg,
    IdOption,
    ProvinceArg,
    case_app,
    find_target,
    read_status,
)
from cli.case.wording import AT_LEVEL, deadline_text, on_date, stage_text
from cli.common import JsonOption, console, plural, print_json, run
from infra.settings import Settings
from models.case import CaseStatus
from models.dates import format_day

# -------------------------------------------------------------------- status


@case_app.command("status", rich_help_panel=PANEL)
def status_command(
    province: ProvinceArg = None,
    product_code: CodeArg = None,
    as_json: JsonOption = False,
    workflow_id: IdOption = None,
) -> None:
    """Where a product's case stands: stage, scores, result, certificate, deadline, history."""
    target, positionals = find_target(province, product_code, workflow_id)
    no_extra(positionals, "status")

    async def action(client: Client, _: Settings) -> CaseStatus:
        return await read_status(client, target)

    status = run(action)
    if as_json:
        print_json(status)
        return
    show_status(status)


def _stars(stars: int | None) -> str:
    return f"{int(stars)}★" if stars else "—"


def show_status(status: CaseStatus) -> None:
    """A readable view of a case: its facts, then scores, decisions and rounds."""
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column()
    for name, value in _facts(status):
        facts.add_row(name, Text(value))
    console.print(facts)

    if status.scores:
        console.print(_scores(status))
    if status.decisions:
        console.print(_decisions(status))
    if status.rounds:
        console.print(_rounds(status))


def _facts(status: CaseStatus) -> list[tuple[str, str]]:
    """The case's facts, one (name, value) row each."""
    stage = stage_text(status.stage)
    if status.level and status.stage in AT_LEVEL:
        stage += f" at {status.level} level"
    rows: list[tuple[str, str]] = [
        ("Product", f"{status.product_name} ({status.product_code})"),
        ("Province", f"{status.province} (locality {status.locality})"),
        ("Dossier", status.dossier_number or "— (not numbered by a cycle)"),
        ("Case", status.workflow_id),
        (
            "Round",
            f"{status.round_number}: {status.registration_kind.value}, "
            f"cycle {status.cycle_year}, rulebook {status.rulebook}",
        ),
        ("Stage", stage),
        ("Stars", _stars(status.current_stars)),
    ]
    certificate = status.certificate
    if certificate is not None:
        reminders = ", ".join(f"{days} days" for days in certificate.reminders_sent)
        rows.append(
            (
                "Certificate",
                f"{certificate.number}: {int(certificate.stars)}★ at {certificate.level} level, "
                f"valid {certificate.valid_from.isoformat()} to "
                f"{certificate.valid_until.isoformat()} (decision {certificate.decision_number}"
                f" of {certificate.authority})"
                + (f"; expiry reminders sent: {reminders}" if reminders else ""),
            )
        )
    expired = status.expired_certificate
    if expired is not None:
        rows.append(
            (
                "Certificate",
                f"{expired.number}: {int(expired.stars)}★, hết hiệu lực sau ngày "
                f"{format_day(expired.valid_until)}, đang đánh giá lại — expired after "
                f"{expired.valid_until.isoformat()}, re-evaluation in progress",
            )
        )
    clock = status.review_clock
    if clock is not None:
        rows.append(
            (
                "Review clock",
                f"{clock.days_used} of {clock.allowed_days} working days used, "
                f"{clock.days_stood_still} stood still (supplements), due "
                f"{format_day(clock.due_on)}" + ("" if clock.running else "; stopped now"),
            )
        )
    if status.next_deadline is not None:
        rows.append(("Next", deadline_text(status.next_deadline)))
    for extension in status.extensions:
        rows.append(
            (
                "Extended",
                f"{extension.step.value} +{extension.working_days} working days to "
                f"{on_date(extension.due_after)} by {extension.extended_by}: {extension.reason}",
            )
        )
    if status.review_escalated:
        rows.append(
            (
                "Escalated",
                "quá hạn thẩm định, Văn phòng Điều phối OCOP tỉnh có thể thẩm định thay — the "
                "review is late; the province's coordination office may take it",
            )
        )
    if status.missing_documents:
        rows.append(("Missing documents", ", ".join(status.missing_documents)))
    if status.last_result is not None:
        result = status.last_result
        rows.append(
            (
                "Last result",
                f"mean {result.mean} points → {int(result.stars)}★ (mandatory 3★ criteria "
                f"{'met' if result.mandatory_criteria_met else 'NOT met'})",
            )
        )
    rows.append(("Business date", on_date(status.as_of)))
    pending = _pending(status)
    if pending:
        rows.append(("Pending", pending))
    return rows


def _pending(status: CaseStatus) -> str:
    """What the case has yet to hand over: emails, register writes ('' if nothing)."""
    pending = []
    if status.emails_queued:
        pending.append(f"{plural(status.emails_queued, 'email')} queued")
    if status.register_writes_pending:
        pending.append(plural(status.register_writes_pending, "register write"))
    return ", ".join(pending)


def _scores(status: CaseStatus) -> Table:
    scores = _table(
        f"Scorecards at {status.level} level, session attempt {status.session_attempt}",
        ["Member", "A", "B", "C", "Total", "Mandatory 3★"],
    )
    for score in status.scores:
        scores.add_row(
            Text(score.member_id),
            str(score.part_a),
            str(score.part_b),
            str(score.part_c),
            str(score.total),
            "met" if score.mandatory_criteria_met else "NOT met",
        )
    return scores


def _decisions(status: CaseStatus) -> Table:
    decisions = _table("Decisions", ["Date", "Kind", "Number", "Level", "Authority", "What"])
    for record in status.decisions:
        decisions.add_row(
            record.decided_on.isoformat(),
            record.kind.value,
            Text(record.number),
            Text(record.level),
            Text(record.authority),
            Text(record.summary),
        )
    return decisions


def _rounds(status: CaseStatus) -> Table:
    rounds = _table("Rounds", ["#", "Kind", "Year", "Outcome", "Level", "Mean", "Stars"])
    for summary in status.rounds:
        rounds.add_row(
            str(summary.round_number),
            summary.registration_kind.value,
            str(summary.cycle_year),
            Text(summary.outcome.value + (f": {summary.reason}" if summary.reason else "")),
            Text(summary.level or ""),
            str(summary.mean) if summary.mean is not None else "",
            _stars(summary.stars),
        )
    return rounds


def _table(title: str, columns: Sequence[str]) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column)
    return table
