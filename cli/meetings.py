"""``ocop meeting``: a council's dated meetings — call one, close it, read its minutes.

Each is a person's step through the API with their token: the council's secretary or
chair calls a meeting and closes it; the minutes print as a table, as JSON, or as the
page the chair prints (``--html FILE``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel

from cli.acting import SIGNED_IN, read_through_api, take_step
from cli.case.inputs import bad_input, build
from cli.common import JsonOption, console, print_json, print_table
from models.council_meetings import CouncilMinutes, MeetingCall

meeting_app = typer.Typer(
    rich_markup_mode="rich", no_args_is_help=True, help="A council's dated meetings."
)

MeetingArg = Annotated[str, typer.Argument(metavar="MEETING_ID", show_default=False)]


class _NoBody(BaseModel):
    pass


@meeting_app.command("call")
def call_command(
    agenda: Annotated[
        list[str],
        typer.Argument(
            metavar="CASE...",
            help="The products' cases: dossier numbers (HS-QN-2024-0037) or workflow ids.",
            show_default=False,
        ),
    ],
    level: Annotated[str, typer.Option(help="The council's level, e.g. district.")] = "",
    on: Annotated[str, typer.Option("--on", metavar="YYYY-MM-DD", help="The day.")] = "",
    venue: Annotated[str, typer.Option(metavar="TEXT", help="Where the council meets.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Call a council meeting: a day, a place, the products on its agenda."""
    if not level or not venue:
        bad_input("give the council's --level and the --venue")
    try:
        meets_on = date.fromisoformat(on)
    except ValueError:
        bad_input(f"--on: a date as YYYY-MM-DD, not {on!r}")
    call = build(
        MeetingCall,
        {
            "level": level,
            "meets_on": meets_on,
            "venue": venue,
            "agenda": tuple(agenda),
            "called_by": SIGNED_IN,
        },
    )
    answer: dict[str, Any] = take_step(
        "ocop meeting call", "POST", "/api/v1/council-meetings", call
    )
    if as_json:
        print_json(answer)
        return
    console.print(
        f"Phiên họp {answer['meeting_id']} ngày {meets_on:%d/%m/%Y} — meeting called with "
        f"{len(answer['on_agenda'])} product(s) on its agenda."
    )
    for refused in answer["refused"]:
        console.print(f"not on the agenda: {refused['case']}: {refused['reason']}")


@meeting_app.command("close")
def close_command(meeting: MeetingArg, as_json: JsonOption = False) -> None:
    """Close a meeting once held: its minutes are kept in the register."""
    path = f"/api/v1/council-meetings/{meeting}/minutes"
    answer = take_step("ocop meeting close", "POST", path, _NoBody())
    minutes = CouncilMinutes.model_validate(answer)
    if as_json:
        print_json(minutes)
        return
    _show(minutes)


@meeting_app.command("minutes")
def minutes_command(
    meeting: MeetingArg,
    html: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write the page to print here.", show_default=False),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """A held meeting's minutes."""
    path = f"/api/v1/council-meetings/{meeting}/minutes"
    minutes = CouncilMinutes.model_validate(
        read_through_api("ocop meeting minutes", path, "needs the sign-in of its council")
    )
    if html is not None:
        from presentation.minutes import minutes_html

        html.write_text(minutes_html(minutes), encoding="utf-8")
        console.print(f"minutes written to {html}")
        return
    if as_json:
        print_json(minutes)
        return
    _show(minutes)


def _show(minutes: CouncilMinutes) -> None:
    print_table(
        f"Biên bản {minutes.meeting_id} · {minutes.meets_on:%d/%m/%Y} · {minutes.venue}",
        ("dossier", "product", "scored by", "quorum", "result"),
        [
            (
                item.dossier_number or item.workflow_id,
                item.product_name,
                ", ".join(item.scored_by) or "—",
                "yes" if item.quorum else "no",
                f"{item.mean} → {item.stars}★" if item.concluded else "not concluded",
            )
            for item in minutes.items
        ],
    )
    console.print(f"attended: {', '.join(minutes.attended) or 'nobody'}")
