"""Following a cycle: ``ocop cycle status`` (one table) and ``report`` (the whole report)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any

import typer

from cli.common import JsonOption, plural, print_json, print_table, run
from cli.cycle.target import ProvinceArg, YearArg, cycle_app, read_report
from cli.cycle.wording import say, target_text, when
from infra.database import create_engine, session_factory, sqlite_file
from infra.mail_ledger import with_mail_figures
from infra.settings import Settings
from models.admin_units import unit_name
from models.cycle import CycleReport, figures_by_units_of
from models.dates import format_moment
from models.refusal_wording import excerpt

GIVEN_UP = "given up: act by hand"
"""A product the cycle no longer asks: an administrator must see to its case."""


@cycle_app.command("status")
def status_command(province: ProvinceArg, year: YearArg, json_output: JsonOption = False) -> None:
    """Where the cycle stands: window, counts, what waits for a decision, targets."""
    report = run(lambda client, _: read_report(client, province, year))
    if json_output:
        print_json(report)
        return
    calendar = report.calendar
    state = "đã kết thúc / closed" if report.closed else "đang diễn ra / open"
    say(f"Chu trình OCOP {report.year} · {report.province} · {state} · {when(report.as_of)}")
    rows: list[tuple[str, Any]] = [
        (
            "submission window",
            f"{when(calendar.submission_opens)} – {when(calendar.submission_closes)}",
        ),
        ("dossiers received", report.submissions),
        ("products recognised", report.certified),
    ]
    rows += [
        (f"awaiting recognition ({level}, on {when(calendar.recognition[level])})", count)
        for level, count in report.awaiting_recognition.items()
    ]
    rows += [
        (
            f"target: {target_text(target.target)}",
            f"{target.achieved}/{target.goal}" + (" ✓" if target.met else ""),
        )
        for target in report.targets
    ]
    rows.append(("decisions issued", len(report.decisions)))
    if report.forged_progress_ignored:
        rows.append(("progress signals ignored (not its cases')", report.forged_progress_ignored))
    print_table(report.cycle, ("", ""), rows)


@cycle_app.command("report")
def report_command(
    province: ProvinceArg,
    year: YearArg,
    json_output: JsonOption = False,
    units_of: Annotated[
        datetime | None,
        typer.Option(
            "--units-of",
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="Group localities by the units standing on this date (e.g. a 2024 report "
            "on the map after the 2025 mergers); default: the cycle's own localities.",
        ),
    ] = None,
) -> None:
    """The cycle's report: counts by stage, stars, locality, applicant kind; targets; decisions;
    and, from the register, the province's emails not known to have arrived."""
    report = run(lambda client, config: counted(read_report(client, province, year), config))
    if units_of is not None:
        regrouped = figures_by_units_of(report.by_locality, units_of.date())
        report = report.model_copy(update={"by_locality": regrouped})
    if json_output:
        print_json(report)
        return
    print_report(report)


async def counted(reading: Awaitable[CycleReport], config: Settings) -> CycleReport:
    """The report with its undelivered emails counted, when the register can be read."""
    report = await reading
    path = sqlite_file(config.register_url)
    if path is not None and not path.is_file():
        return report
    engine = create_engine(config.register_url)
    try:
        return await with_mail_figures(report, session_factory(engine))
    except Exception:  # an unreachable or older register: the report without the figures
        return report
    finally:
        await engine.dispose()


def print_report(report: CycleReport) -> None:
    """The report as tables (also printed by the demo and by `ocop cycle close`)."""
    state = "closed" if report.closed else "open"
    say(
        f"Báo cáo chu trình OCOP {report.year} · {report.province} · {state} · as of "
        f"{when(report.as_of)} · {plural(report.submissions, 'dossier')}, "
        f"{report.certified} recognised"
    )
    if report.targets:
        print_table(
            "Chỉ tiêu / targets",
            ("target", "goal", "achieved", ""),
            [
                (
                    target_text(t.target),
                    t.goal,
                    t.achieved,
                    "met" if t.met else f"{t.remaining} short",
                )
                for t in report.targets
            ],
        )
    print_table(
        "Theo giai đoạn / by stage",
        ("stage", "products"),
        [(stage.value, count) for stage, count in report.by_stage.items()],
    )
    if report.by_stars:
        print_table(
            "Theo hạng sao / by stars",
            ("stars", "products"),
            [(f"{stars}★", count) for stars, count in report.by_stars.items()],
        )
    print_table(
        "Theo địa bàn / by locality",
        ("locality", "dossiers", "recognised"),
        [(unit_name(code), f.submitted, f.certified) for code, f in report.by_locality.items()],
    )
    print_table(
        "Theo loại hình chủ thể / by applicant kind",
        ("applicant kind", "products"),
        [(kind.value, count) for kind, count in report.by_applicant_kind.items()],
    )
    if report.decisions:
        print_table(
            "Quyết định công nhận / recognition decisions",
            ("number", "date", "authority", "level", "recognised", "certificates"),
            [
                (
                    d.number,
                    when(d.decided_on),
                    d.authority,
                    d.level,
                    f"{d.recognised}/{d.listed}",
                    f"{d.first_certificate} … {d.last_certificate}" if d.first_certificate else "",
                )
                for d in report.decisions
            ],
        )
    leftovers = [(d, product) for d in report.decisions for product in d.unrecognised]
    if leftovers:
        print_table(
            "Chưa công nhận được / listed but not recognised",
            ("product", "decision", "certificate", "why", "attempts", "next attempt"),
            [
                (
                    product.product_code,
                    d.number,
                    product.certificate_number,
                    f"{product.failure.value}: {excerpt(product.reason)}",
                    product.attempts,
                    format_moment(product.retry_at)
                    if product.retry_at
                    else "given up: act by hand",
                )
                for d, product in leftovers
            ],
        )
    if report.emails_unconfirmed or report.emails_failed:
        say(
            f"Thư chưa đến / emails not known to have arrived: {report.emails_unconfirmed or 0} "
            f"unconfirmed, {report.emails_failed or 0} failed — `ocop dev mail undelivered` "
            "lists them."
        )
    if report.overdue_reviews or report.overdue_scoring:
        say(
            f"Overdue: {report.overdue_reviews} in review after "
            f"{when(report.calendar.review_deadline)}, {report.overdue_scoring} before a council "
            f"after {when(report.calendar.council_deadline)}."
        )
