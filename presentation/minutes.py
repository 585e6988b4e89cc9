"""The minutes of a council meeting as a page the chair prints and signs (Vietnamese)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from models.admin_units import coordination_office, unit_name
from models.council_meetings import CouncilMinutes
from models.dates import format_day
from models.labels import label, level_label

TEMPLATES = Path(__file__).with_name("templates")


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html", "j2")),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(day=format_day, stage=label)
    return env


def minutes_html(minutes: CouncilMinutes) -> str:
    """The printable minutes: the meeting, who attended, each product's result."""
    return (
        _environment()
        .get_template("minutes.html.j2")
        .render(
            m=minutes,
            province=unit_name(minutes.province),
            office=coordination_office(minutes.province, minutes.meets_on),
            level=level_label(minutes.level),
        )
    )
